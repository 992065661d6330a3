"""The command line: parse options, call a command, map errors to exit codes.

Exit codes (README, Commands): 0 success; 1 any expected failure (bad input, API
error, unsafe or stale plan, usage error, refused confirmation); 2 only for
``plan --detailed-exitcode`` with changes; 3 an unexpected internal error; 130
interrupted. This module is the only place that turns exceptions into them. The
commands are defined in ``local`` and ``remote``, their options in ``options``;
the process's own setup (signals, the collector) is ``skillsync.__main__``'s.
"""

from __future__ import annotations

import itertools
import os
import sys
import traceback
from collections.abc import Sequence

import click

from skillsync import secrets, stdio
from skillsync.cli import local, remote  # noqa: F401 (they add the commands to the group)
from skillsync.cli.options import cli
from skillsync.errors import EXIT_INTERRUPTED, SkillsyncError
from skillsync.render import json_output

EXIT_INTERNAL = 3


def _error(message: str) -> None:
    click.echo(f"Error: {secrets.redact(message)}", err=True)


_JSON_BY_DEFAULT = frozenset({"output"})
"""Commands whose default format is json: their usage errors are documents too."""
_GLOBAL_VALUES = frozenset({"-C", "--directory", "--color"})


def _wants_json(args: list[str]) -> bool:
    if "--format=json" in args or any(
        a == "--format" and b == "json" for a, b in itertools.pairwise(args)
    ):
        return True
    formats = any(a == "--format" or a.startswith("--format=") for a in args)
    return not formats and _command_of(args) in _JSON_BY_DEFAULT


def _command_of(args: list[str]) -> str | None:
    """The command a command line names: its first word that is no option nor the value of
    a global option."""
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in _GLOBAL_VALUES:
            skip = True
        elif not arg.startswith("-"):
            return arg
    return None


def _during_interrupt(exc: BaseException) -> bool:
    """An error raised while a Ctrl-C unwound the stack: a library's lock bookkeeping can
    break on the way out ("release unlocked lock" from a ``threading.Condition``). It is
    still the interrupt the user asked for, not a bug of skillsync."""
    cause: BaseException | None = exc
    while cause is not None:  # Python keeps __context__ chains free of cycles
        if isinstance(cause, KeyboardInterrupt):
            return True
        cause = cause.__context__
    return False


def _interrupted() -> int:
    json_output.fail("Interrupted", "interrupted", None, EXIT_INTERRUPTED)
    click.echo("Interrupted.", err=True)
    return EXIT_INTERRUPTED


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command line (``sys.argv`` when None); its exit code. The error boundary:
    every exception ends here as a message and an exit code, never a traceback."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args  # before or after the command name, as every global option
    json_output.done()
    if _wants_json(args):  # a usage error, found before the command runs, is a document too
        json_output.expect(sys.stdout)
    try:
        with stdio.checked_stdout(), cli.make_context("skillsync", args) as ctx:
            result = cli.invoke(ctx)
        return int(result or 0)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.exceptions.Abort:
        return _interrupted()
    except click.ClickException as exc:  # usage errors exit 1, not click's 2
        json_output.fail("UsageError", exc.format_message(), None, 1)
        exc.show()
        return 1
    except SkillsyncError as exc:
        if not isinstance(exc, stdio.OutputLost):  # the document could not be written either
            json_output.fail(
                type(exc).__name__, secrets.redact(exc.message), exc.hint, exc.exit_code
            )
        _error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        return _interrupted()
    except BrokenPipeError:
        # The reader went away (skillsync plan | head): stop quietly, as other tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except Exception as exc:
        if _during_interrupt(exc):
            return _interrupted()
        if debug:
            click.echo(secrets.redact(traceback.format_exc()), err=True)
        detail = secrets.redact(f"{type(exc).__name__}: {exc}").splitlines()
        json_output.fail(
            "InternalError",
            detail[0] if detail else type(exc).__name__,
            "this is a bug; rerun with --debug for the traceback and report it",
            EXIT_INTERNAL,
        )
        click.echo(
            f"skillsync: internal error: {detail[0] if detail else type(exc).__name__} "
            "(this is a bug; rerun with --debug for the traceback and report it)",
            err=True,
        )
        return EXIT_INTERNAL
