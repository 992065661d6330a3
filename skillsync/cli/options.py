"""The command line's shape: the click group, the global options every command takes
(before or after its name), and the options shared by several commands, each
written once with its default."""

from __future__ import annotations

import functools
import logging
import math
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from skillsync import __version__, secrets
from skillsync.options import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_RETRIES,
    DEFAULT_PARALLELISM,
    DEFAULT_READ_TIMEOUT,
    ClientOptions,
)


@dataclass(frozen=True)
class Globals:
    directory: Path | None
    color: bool
    verbose: int
    debug: bool


def color_enabled(choice: str, stream: object) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def setup_logging(verbose: int, debug: bool) -> None:
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(secrets.RedactingFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # -v logs each request once (skillsync.client); the HTTP libraries' own lines are --debug's.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.NOTSET if debug else logging.WARNING)


CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def global_options(command: Callable[..., Any]) -> Callable[..., Any]:
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


def command(
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
                color=color_enabled(color, sys.stdout) if color else parent.color,
                verbose=max(verbose, parent.verbose),
                debug=debug or parent.debug,
            )
            if g.verbose != parent.verbose or g.debug != parent.debug:
                setup_logging(g.verbose, g.debug)
            return function(g, **kwargs)

        return cli.command(name, **settings)(global_options(wrapper))

    return decorate


def format_option(*choices: str, help: str | None = None) -> Callable[..., Any]:
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
@global_options
@click.version_option(__version__, prog_name="skillsync")
@click.pass_context
def cli(
    ctx: click.Context, directory: Path | None, color: str | None, verbose: int, debug: bool
) -> None:
    """Manage agent skills as code: validate, plan and apply skill files.

    \b
    Typical use:
      skillsync validate            # offline checks (pre-commit)
      skillsync plan --out plan.json
      skillsync apply plan.json
    """
    setup_logging(verbose, debug)
    ctx.obj = Globals(directory, color_enabled(color or "auto", sys.stdout), verbose, debug)


def several_targets(function: Callable[..., Any]) -> Callable[..., Any]:
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


def finite_seconds(ctx: click.Context, param: click.Parameter, value: float) -> float:
    if not math.isfinite(value):
        raise click.BadParameter("must be a finite number of seconds", ctx, param)
    return value


def client_options(
    function: Callable[..., Any] | None = None, *, many_targets: bool = False
) -> Callable[..., Any]:
    """Options of the commands that talk to the API, handed over as one ``options``."""
    if function is None:
        return functools.partial(client_options, many_targets=many_targets)

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
        [several_targets]
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
                help="Concurrent API requests (default: the target's, else "
                f"{DEFAULT_PARALLELISM}).",
            ),
            click.option(
                "--max-retries",
                type=click.IntRange(0, 20),
                default=DEFAULT_MAX_RETRIES,
                show_default=True,
                help="Retries of a failed request.",
            ),
            click.option(
                "--timeout",
                type=click.FloatRange(0.1),
                callback=finite_seconds,
                default=DEFAULT_READ_TIMEOUT,
                show_default=True,
                help="Seconds to wait for an answer.",
            ),
            click.option(
                "--connect-timeout",
                type=click.FloatRange(0.1),
                callback=finite_seconds,
                default=DEFAULT_CONNECT_TIMEOUT,
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
