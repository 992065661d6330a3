"""The command line: parse options, call a command, map errors to exit codes.

Exit codes (README, Commands): 0 success; 1 any expected failure (bad input, API
error, unsafe or stale plan, usage error, refused confirmation); 2 only for
``plan --detailed-exitcode`` with changes; 3 an unexpected internal error; 130
interrupted. This module is the only place that turns exceptions into them.
"""

from __future__ import annotations

import functools
import gc
import itertools
import logging
import math
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from skillsync import __version__, dialects, secrets, stdio
from skillsync.emulator import DEFAULT_RPM
from skillsync.errors import EXIT_INTERRUPTED, SkillsyncError
from skillsync.options import ClientOptions
from skillsync.render import json_output

EXIT_INTERNAL = 3


@dataclass(frozen=True)
class Globals:
    directory: Path | None
    color: bool
    verbose: int
    debug: bool


def _color_enabled(choice: str, stream: object) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _setup_logging(verbose: int, debug: bool) -> None:
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(secrets.RedactingFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request at INFO; keep that for --debug.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.NOTSET if debug else logging.WARNING)


CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _global_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The global options, accepted before and after the subcommand's name."""
    command = click.option(
        "-C",
        "--directory",
        type=click.Path(file_okay=False, path_type=Path),
        help="Folder holding skillsync.yaml (default: searched upwards from here).",
    )(command)
    command = click.option(
        "--color",
        type=click.Choice(["auto", "always", "never"]),
        default=None,
        help="Colored output; auto (the default) honours NO_COLOR and non-terminals.",
    )(command)
    command = click.option("-v", "--verbose", count=True, help="More output (log requests).")(
        command
    )
    command = click.option(
        "--debug", is_flag=True, help="Debug logging, and tracebacks for internal errors."
    )(command)
    return command


def _command(
    name: str | None = None, **settings: Any
) -> Callable[[Callable[..., int]], click.Command]:
    """A subcommand that takes the global options and gets a ``Globals`` first."""

    def decorate(function: Callable[..., int]) -> click.Command:
        @functools.wraps(function)
        def wrapper(
            directory: Path | None, color: str | None, verbose: int, debug: bool, **kwargs: Any
        ) -> int:
            parent = click.get_current_context().find_object(Globals)
            assert parent is not None
            g = Globals(
                directory=directory or parent.directory,
                color=_color_enabled(color, sys.stdout) if color else parent.color,
                verbose=max(verbose, parent.verbose),
                debug=debug or parent.debug,
            )
            if g.verbose != parent.verbose or g.debug != parent.debug:
                _setup_logging(g.verbose, g.debug)
            return function(g, **kwargs)

        return cli.command(name, **settings)(_global_options(wrapper))

    return decorate


def _format_option(*choices: str, help: str | None = None) -> Callable[..., Any]:
    """``--format``, its first choice by default, as every command that prints takes it."""
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(choices),
        default=choices[0],
        show_default=True,
        help=help,
    )


@click.group(context_settings=CONTEXT)
@_global_options
@click.version_option(__version__, prog_name="skillsync")
@click.pass_context
def cli(
    ctx: click.Context, directory: Path | None, color: str | None, verbose: int, debug: bool
) -> None:
    """Manage Claude skills as code: validate, plan and apply skill files.

    \b
    Typical use:
      skillsync validate            # offline checks (pre-commit)
      skillsync plan --out plan.json
      skillsync apply plan.json
    """
    _setup_logging(verbose, debug)
    ctx.obj = Globals(directory, _color_enabled(color or "auto", sys.stdout), verbose, debug)


@_command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@_format_option(
    "text",
    "json",
    "github",
    "sarif",
    help="github prints workflow annotations; sarif is for GitHub code scanning.",
)
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option(
    "--no-cache",
    is_flag=True,
    help="Check every file, not only those changed since the last run (the verdict cache).",
)
def validate(
    g: Globals, files: tuple[Path, ...], output_format: str, strict: bool, no_cache: bool
) -> int:
    """Check skillsync.yaml and skill files offline (no network).

    Reports every problem at once as path:line:col: severity: message [rule]
    (skillsync rules lists the rules). With FILE arguments only those files'
    problems are reported (the cross-file rules still see the whole repository).

    \b
    Examples:
      skillsync validate
      skillsync validate --format github --strict
      skillsync validate --format sarif > skillsync.sarif
    """
    from skillsync.commands import validate as command

    return command.run(
        g.directory,
        list(files),
        output_format=output_format,
        strict=strict,
        color=g.color,
        use_cache=not no_cache,
    )


@_command()
def lock(g: Globals) -> int:
    """Pin the sources of skillsync.yaml in skillsync.lock.

    Resolves each source whose lock entry is missing or no longer matches its
    declaration (git URL, ref, path, skills) to a commit, fetches it with the
    system git and records each skill's folder and digest; the other entries do
    not move. Commit skillsync.lock: it is the reviewed record of what other
    repositories deploy.

    \b
    Examples:
      skillsync lock
    """
    from skillsync.commands import lock as command

    return command.run_lock(g.directory)


@_command()
@click.argument("sources", nargs=-1)
@click.option("--dry-run", is_flag=True, help="Show what would change; leave the lock as it is.")
def update(g: Globals, sources: tuple[str, ...], dry_run: bool) -> int:
    """Move the pins of sources to what their refs name now, showing what changed.

    For each source named (none: all), resolves its ref again (a branch that
    moved, a tag re-pointed) and prints per skill the files added (+), removed
    (-) and changed (~); then writes skillsync.lock unless --dry-run.

    \b
    Examples:
      skillsync update --dry-run
      skillsync update vendor
    """
    from skillsync.commands import lock as command

    return command.run_update(g.directory, sources, dry_run)


@_command()
@_format_option("text", "json")
def rules(g: Globals, output_format: str) -> int:
    """List validate's checks: name, default level, what each checks and why.

    Set a rule's level in skillsync.yaml under lint.rules (off, warning,
    error); skip rules for some files under lint.per_file_ignores.

    \b
    Examples:
      skillsync rules
      skillsync rules --format json
    """
    from skillsync.commands import rules as command

    return command.run(output_format=output_format)


@_command()
@click.option(
    "--api",
    type=click.Choice(list(dialects.EMULATED)),
    default=dialects.DEFAULT,
    show_default=True,
    help="The dialect to serve: "
    + "; ".join(f"{name} ({dialects.dialect(name).summary})" for name in dialects.EMULATED)
    + ".",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path(".skillsync/emulator.db"),
    show_default=True,
    help="SQLite file (created if missing; survives restarts).",
)
@click.option(
    "--key",
    "keys",
    multiple=True,
    metavar="KEY=WORKSPACE",
    help="API key and the workspace it selects (repeatable; default emulator-key=default).",
)
@click.option(
    "--fault-rate",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Share of requests answered with 529, 500, 429, or a write whose answer is dropped.",
)
@click.option("--latency-ms", type=click.IntRange(0), default=0, show_default=True)
@click.option(
    "--rpm",
    type=click.IntRange(1),
    default=DEFAULT_RPM,
    show_default=True,
    help="Requests per minute per key before 429.",
)
@click.option("--seed", type=int, default=None, help="Seed for repeatable fault injection.")
@click.option(
    "--legacy-delete",
    is_flag=True,
    help="anthropic: refuse to delete a skill that still has versions (the 2025 beta's rule).",
)
def emulator(
    g: Globals,
    api: str,
    host: str,
    port: int,
    db: Path,
    keys: tuple[str, ...],
    fault_rate: float,
    latency_ms: int,
    rpm: int,
    seed: int | None,
    legacy_delete: bool,
) -> int:
    """Serve the Skills API emulator over HTTP until interrupted.

    A faithful local Skills API for demos, tests and CI without a key.

    \b
    Examples:
      skillsync emulator --port 8765
      skillsync emulator --api openai --port 8765
      skillsync emulator --key team-a=alpha --key team-b=beta --fault-rate 0.2 --seed 7
    """
    from skillsync.commands import emulator as command
    from skillsync.emulator.app import Faults

    return command.run(
        host=host,
        port=port,
        db=db,
        keys=command.parse_keys(keys),
        faults=Faults(fault_rate, latency_ms, seed),
        rpm=rpm,
        api=api,
        legacy_delete=legacy_delete,
    )


def _many_targets(function: Callable[..., Any]) -> Callable[..., Any]:
    """``--target`` repeated or ``--all-targets`` (plan and apply): handed over as
    ``target_names``, in the order given; empty means the default target."""

    @functools.wraps(function)
    def command(*args: Any, target_name: tuple[str, ...], all_targets: bool, **kw: Any) -> Any:
        if all_targets and target_name:
            raise click.UsageError("--all-targets and --target exclude each other")
        return function(*args, target_names=target_name, all_targets=all_targets, **kw)

    command = click.option(
        "--all-targets", is_flag=True, help="Every target of skillsync.yaml, in its order."
    )(command)
    return click.option(
        "--target",
        "target_name",
        multiple=True,
        help="Target in skillsync.yaml (default: default_target); repeat for several.",
    )(command)


def _finite_seconds(ctx: click.Context, param: click.Parameter, value: float) -> float:
    if not math.isfinite(value):
        raise click.BadParameter("must be a finite number of seconds", ctx, param)
    return value


def _client_options(
    function: Callable[..., Any] | None = None, *, many_targets: bool = False
) -> Callable[..., Any]:
    """Options of the commands that talk to the API, handed over as one ``options``."""
    if function is None:
        return functools.partial(_client_options, many_targets=many_targets)

    @functools.wraps(function)
    def command(
        *args: Any,
        base_url: str | None,
        parallelism: int | None,
        max_retries: int,
        timeout: float,
        connect_timeout: float,
        no_cache: bool,
        **kwargs: Any,
    ) -> Any:
        options = ClientOptions(
            base_url, parallelism, max_retries, timeout, connect_timeout, use_cache=not no_cache
        )
        return function(*args, options=options, **kwargs)

    targets = (
        [_many_targets]
        if many_targets
        else [
            click.option(
                "--target",
                "target_name",
                help="Target in skillsync.yaml (default: default_target).",
            )
        ]
    )
    for option in reversed(
        [
            *targets,
            click.option("--base-url", help="Override the endpoint (also $SKILLSYNC_BASE_URL)."),
            click.option(
                "--parallelism",
                type=click.IntRange(1, 64),
                help="Concurrent API requests (default: the target's, else 10).",
            ),
            click.option(
                "--max-retries",
                type=click.IntRange(0, 20),
                default=4,
                show_default=True,
                help="Retries of a failed request.",
            ),
            click.option(
                "--timeout",
                type=click.FloatRange(0.1),
                callback=_finite_seconds,
                default=60.0,
                show_default=True,
                help="Seconds to wait for an answer.",
            ),
            click.option(
                "--connect-timeout",
                type=click.FloatRange(0.1),
                callback=_finite_seconds,
                default=10.0,
                show_default=True,
                help="Seconds to wait for a connection.",
            ),
            click.option(
                "--no-cache",
                is_flag=True,
                help="Read every skill version from the API, not from the local version cache.",
            ),
        ]
    ):
        command = option(command)
    return command


@_command()
@_client_options(many_targets=True)
@click.option(
    "--skill", "skills", multiple=True, metavar="NAME", help="Plan only this skill (repeatable)."
)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Save the plan (JSON) for apply."
)
@_format_option("text", "json", "markdown")
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 2 when there are changes, 0 when there are none.",
)
@click.option("--force", is_flag=True, help="Accept an unsafe plan (thresholds, protect).")
def plan(
    g: Globals,
    target_names: tuple[str, ...],
    all_targets: bool,
    options: ClientOptions,
    skills: tuple[str, ...],
    out: Path | None,
    output_format: str,
    detailed_exitcode: bool,
    force: bool,
) -> int:
    """Show what apply would change in the target's workspace.

    Validates the repository, reads the remote skills and prints the plan.
    With several targets, plans them in parallel, one section each.

    \b
    Examples:
      skillsync plan
      skillsync plan --target prod --out plan.json
      skillsync plan --detailed-exitcode      # 0 no changes, 2 changes (drift check)
      skillsync plan --target staging --target production --out plan.json
    """
    from skillsync.commands import plan as command

    return command.run(
        g.directory,
        target_names=target_names,
        all_targets=all_targets,
        only=skills,
        out=out,
        output_format=output_format,
        detailed_exitcode=detailed_exitcode,
        force=force,
        options=options,
        color=g.color,
    )


@_command()
@_client_options(many_targets=True)
@click.argument("plan_file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--skill",
    "skills",
    multiple=True,
    metavar="NAME",
    help="Apply only this skill's changes (repeatable; not with PLAN_FILE).",
)
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option("--force", is_flag=True, help="Accept an unsafe plan (thresholds, protect).")
@_format_option("text", "json", help="json prints each change's outcome.")
@click.option(
    "--output",
    "output_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="After the apply (also a partial one), write the deployed skills' ids and versions "
    "(the json document of skillsync output) to this file.",
)
def apply(
    g: Globals,
    target_names: tuple[str, ...],
    all_targets: bool,
    options: ClientOptions,
    plan_file: Path | None,
    skills: tuple[str, ...],
    auto_approve: bool,
    force: bool,
    output_format: str,
    output_file: Path | None,
) -> int:
    """Apply the changes of a plan to the target's workspace.

    Without PLAN_FILE: plan, show it, ask for 'yes', apply. With PLAN_FILE
    (from plan --out): check it still holds, then apply exactly it. With
    several targets: every plan is checked (and shown) first, then the targets
    are applied in the order given, stopping before the next one when one fails.

    \b
    Examples:
      skillsync apply
      skillsync apply --auto-approve          # CI
      skillsync plan --out plan.json && skillsync apply plan.json
      skillsync apply --target staging --target production --auto-approve
    """
    from skillsync.commands import apply as command

    return command.run(
        g.directory,
        plan_file,
        target_names=target_names,
        all_targets=all_targets,
        output_file=output_file,
        only=skills,
        auto_approve=auto_approve,
        force=force,
        output_format=output_format,
        options=options,
        color=g.color,
    )


@_command()
@_client_options
@_format_option(
    "json",
    "env",
    *(d.fragment[0] for d in dialects.DIALECTS.values() if d.fragment),
    help="json: the document; env: SKILLSYNC_<NAME>_ID/_VERSION lines; the last two: the "
    "fragment an application pastes into its request.",
)
@click.option("--pin", is_flag=True, help="Fragments name the exact versions, not 'latest'.")
@click.option(
    "--allow-missing",
    is_flag=True,
    help="Exit 0 when skills of the repository are not on the remote yet (id null).",
)
def output(
    g: Globals,
    target_name: str | None,
    options: ClientOptions,
    output_format: str,
    pin: bool,
    allow_missing: bool,
) -> int:
    """Print the deployed skills' ids and versions, for the applications that use them.

    For every skill the repository defines: name, id, latest version, file and
    whether the remote matches the repository. Costs a warm plan (the list
    requests only, once the version cache knows the versions).

    \b
    Examples:
      skillsync output --target prod
      skillsync output --format env >> "$GITHUB_ENV"
      skillsync output --format anthropic-container --pin
    """
    from skillsync.commands import output as command

    return command.run(
        g.directory,
        target_name=target_name,
        output_format=output_format,
        pin=pin,
        allow_missing=allow_missing,
        options=options,
    )


@_command()
@_client_options
@click.argument("names", nargs=-1, metavar="[NAME]...")
def promote(
    g: Globals, target_name: str | None, options: ClientOptions, names: tuple[str, ...]
) -> int:
    """Make the latest version of skills their default (openai, promote: manual).

    With promote: manual, apply uploads new versions without making them the
    default; test one by pinning its number, then promote moves the default of
    the named skills (none: every skill of the repository) to their latest
    version. Only a latest version that holds the repository's files is promoted.

    \b
    Examples:
      skillsync promote --target openai-prod
      skillsync promote pdf-notes --target openai-prod
    """
    from skillsync.commands import promote as command

    return command.run(g.directory, target_name=target_name, names=names, options=options)


@_command("import")
@_client_options
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option(
    "--all", "import_all", is_flag=True, help="Import every remote skill the target manages."
)
@click.option(
    "--dir",
    "into",
    default="skills",
    show_default=True,
    help="Folder (in the repository) to write the files into.",
)
@click.option("--overwrite", is_flag=True, help="Replace files that already exist.")
def import_(
    g: Globals,
    target_name: str | None,
    options: ClientOptions,
    names: tuple[str, ...],
    import_all: bool,
    into: str,
    overwrite: bool,
) -> int:
    """Write remote skills as skill files, so the next plan shows no change.

    Dialects of SKILL.md folders (every one but seed): one SKILL.md folder per
    skill (<dir>/<name>/) with every file of its latest version, byte for byte.
    seed: one YAML file per skill (<dir>/<name>.yaml); instructions longer than
    8,000 characters go to <dir>/<name>.md as an instructions_file. Existing
    files and skills defined elsewhere are never overwritten without --overwrite.

    \b
    Examples:
      skillsync import --all
      skillsync import code-reviewer sql-queries --dir skills/imported
    """
    from skillsync.commands import import_ as command

    return command.run(
        g.directory,
        names,
        import_all=import_all,
        target_name=target_name,
        into=into,
        overwrite=overwrite,
        options=options,
    )


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


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``skillsync`` console script; returns the exit code.

    SIGTERM (CI cancelling a job, a container stopping) ends a run as Ctrl-C does:
    nothing new starts, in-flight changes finish, the summary is printed, exit 130."""
    if argv is None:  # the console script: this process runs one command
        _tune_gc()
    if threading.current_thread() is not threading.main_thread():
        return _main(argv)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        return _main(argv)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _tune_gc() -> None:
    """A command over 10,000 skills makes millions of small objects and almost no
    reference cycles, and Python's cyclic collector walks all of them in every full
    collection: three of them cost 0.2 s of a 2.8 s cold validate, one 0.05 s of a warm
    one. Freeze what the imports made (never walked again, and its pages stay shared with
    a forked worker) and make full collections ten times rarer; young objects are
    collected as often as Python's defaults do, so a seed plan of 10,000 keeps its peak
    memory (197-198 MiB; collecting young objects less often raised it to 207 MiB)."""
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_THRESHOLD)


FULL_COLLECTION_THRESHOLD = 100
"""Collections of the middle generation between two full ones (Python's default: 10)."""


def _main(argv: Sequence[str] | None = None) -> int:
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
        json_output.fail("Interrupted", "interrupted", None, EXIT_INTERRUPTED)
        click.echo("Interrupted.", err=True)
        return EXIT_INTERRUPTED
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
        json_output.fail("Interrupted", "interrupted", None, EXIT_INTERRUPTED)
        click.echo("Interrupted.", err=True)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (skillsync plan | head): stop quietly, as other tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except Exception as exc:
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
