"""The commands that work on this machine: validate, rules, lock, update, emulator.
Each imports its module in ``commands/`` only when it runs (validate never imports
httpx)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from skillsync import dialects
from skillsync.cli.options import Globals, command, format_option
from skillsync.emulator import DEFAULT_RPM


@command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@format_option(
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
def validate(g: Globals, **given: Any) -> int:
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

    return command.run(command.Arguments(directory=g.directory, color=g.color, **given))


@command()
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


@command()
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


@command()
@format_option("text", "json")
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


@command()
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
def emulator(g: Globals, **given: Any) -> int:
    """Serve the Skills API emulator over HTTP until interrupted.

    A faithful local Skills API for demos, tests and CI without a key.

    \b
    Examples:
      skillsync emulator --port 8765
      skillsync emulator --api openai --port 8765
      skillsync emulator --key team-a=alpha --key team-b=beta --fault-rate 0.2 --seed 7
    """
    from skillsync.commands import emulator as command

    return command.run(command.Arguments(**given))
