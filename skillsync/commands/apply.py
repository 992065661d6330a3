"""``skillsync apply``: plan (or load a saved plan), confirm, and apply exactly it."""

from __future__ import annotations

import fcntl
import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import click

from skillsync import config as config_mod
from skillsync.applier import ApplyResult, apply_plan
from skillsync.atomic import check_writable, write_atomically
from skillsync.config import (
    Config,
    TargetConfig,
    local_db_path,
    resolve_base_url,
)
from skillsync.deployed import document
from skillsync.errors import (
    EXIT_INTERRUPTED,
    ApplyIncomplete,
    Cancelled,
    SkillsyncError,
    StalePlan,
)
from skillsync.model import Skill
from skillsync.options import ClientOptions
from skillsync.plan import FORMAT_VERSION, Plan
from skillsync.planfile import check_saved_plan_of, load_saved_plans
from skillsync.planning import refuse_if_unsafe
from skillsync.remote.base import Remote
from skillsync.render import apply_output, json_output
from skillsync.render.plan_text import render_texts
from skillsync.targets import deployed, open_remotes, plan_all


def stdin_is_tty() -> bool:
    return sys.stdin.isatty()


def confirm(auto_approve: bool, err: bool = False) -> None:
    if auto_approve:
        return
    if not stdin_is_tty():
        raise Cancelled(
            "apply needs a confirmation and there is no terminal to ask on",
            hint="pass --auto-approve (CI), or apply a reviewed plan file",
        )
    click.echo(
        "\nDo you want to apply these changes?\n  Only 'yes' will be accepted to approve.\n",
        err=err,
    )
    answer = click.prompt("  Enter a value", default="", show_default=False, err=err)
    if answer.strip() != "yes":
        raise Cancelled("Apply cancelled.")


@contextmanager
def apply_locks(
    config: Config, targets: list[TargetConfig], options: ClientOptions
) -> Iterator[None]:
    """One apply at a time per embedded-emulator target (``local:`` file): a second one
    waits, so it plans against what the first applied and creates nothing twice. A
    remote API has no such lock: CI runs applies one at a time (a concurrency group)."""
    with ExitStack() as stack:
        for target in targets:
            db = local_db_path(config, resolve_base_url(target, options.base_url))
            if db is None:
                continue
            db.parent.mkdir(parents=True, exist_ok=True)
            handle = stack.enter_context(open(f"{db}.lock", "a+b"))
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                click.echo(f"waiting for another apply on target '{target.name}' ...", err=True)
                fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _targets_of(
    config: Config, saved: list[Plan] | None, names: tuple[str, ...], all_targets: bool
) -> list[TargetConfig]:
    if saved is None:
        return config.chosen(names, all_targets)
    planned = [plan.target for plan in saved]
    if (names and list(dict.fromkeys(names)) != planned) or all_targets:
        raise StalePlan(
            f"the saved plan is for target(s) {', '.join(planned)}",
            hint="apply it without --target (or with the same targets), or plan again",
        )
    return [config.target(name) for name in planned]


def _plan_now(
    config: Config,
    targets: list[TargetConfig],
    remotes: list[Remote],
    only: tuple[str, ...],
    force: bool,
    auto_approve: bool,
    color: bool,
    people: TextIO,
) -> list[tuple[Plan, dict[str, Skill]]]:
    planned = plan_all(config, targets, remotes, only)
    render_texts([plan for plan, _, _ in planned], people, color)
    for plan, _, _ in planned:
        refuse_if_unsafe(plan, force)
    if any(plan.has_changes for plan, _, _ in planned):
        confirm(auto_approve, err=people is sys.stderr)
    return [(plan, skills) for plan, skills, _ in planned]


def _apply_one(
    plan: Plan, remote: Remote, skills: dict[str, Skill], people: TextIO, color: bool
) -> ApplyResult:
    if not plan.has_changes:
        return apply_plan(plan, remote)
    click.echo(file=people)
    progress = apply_output.Progress(people, len(plan.changes), tty=people.isatty(), color=color)
    try:
        return apply_plan(plan, remote, skills, on_outcome=progress, stop=threading.Event())
    finally:
        progress.close()


def write_output(
    path: Path, config: Config, targets: list[TargetConfig], remotes: list[Remote]
) -> None:
    """``--output``: the deployed skills of every target applied (or tried)."""
    documents = [
        document(target.name, target.api, deployed(config, target, remote, quiet=True))
        for target, remote in zip(targets, remotes, strict=True)
    ]
    content: Any = (
        documents[0]
        if len(documents) == 1
        else {
            "format_version": FORMAT_VERSION,
            "targets": documents,
        }
    )
    write_atomically(path, json_output.dumps(content))


@dataclass(frozen=True)
class Arguments:
    """What the command line gave ``apply``."""

    directory: Path | None
    color: bool
    plan_file: Path | None
    target_names: tuple[str, ...]
    all_targets: bool
    options: ClientOptions
    only: tuple[str, ...]
    auto_approve: bool
    force: bool
    output_format: str
    output_file: Path | None


def run(args: Arguments) -> int:
    as_json = args.output_format == "json"
    people = sys.stderr if as_json else sys.stdout  # stdout holds only the JSON document
    if as_json:
        json_output.expect(sys.stdout)
    if args.plan_file is not None and args.only:
        raise SkillsyncError("--skill cannot narrow a saved plan", hint="plan again with --skill")
    if args.output_file is not None:
        check_writable(args.output_file)  # before anything is sent: the apply cannot be undone
    config = config_mod.load_or_fail(args.directory)
    saved = load_saved_plans(args.plan_file) if args.plan_file is not None else None
    targets = _targets_of(config, saved, args.target_names, args.all_targets)
    config_mod.refuse_shared_workspaces(config, targets, args.options.base_url)  # before the locks
    results: list[tuple[str, ApplyResult]] = []
    output_failed: SkillsyncError | None = None
    with (
        apply_locks(config, targets, args.options),
        open_remotes(config, targets, args.options) as remotes,
    ):
        if saved is not None:
            # every target's plan is checked before anything is sent to any of them
            checked = [
                check_saved_plan_of(
                    plan, config, target, remote, args.force, several=len(saved) > 1
                )
                for plan, target, remote in zip(saved, targets, remotes, strict=True)
            ]
            for plan in saved:
                refuse_if_unsafe(plan, args.force)
            work = list(zip(saved, checked, strict=True))
        else:
            work = _plan_now(
                config,
                targets,
                remotes,
                args.only,
                args.force,
                args.auto_approve,
                args.color,
                people,
            )
        try:
            for (plan, skills), remote in zip(work, remotes, strict=True):
                result = _apply_one(plan, remote, skills, people, args.color)
                results.append((plan.target, result))
                if not result.complete:
                    break  # the next target waits for this one (staging, then production)
        finally:
            if args.output_file is not None and results:
                tried = len(results)
                try:
                    write_output(args.output_file, config, targets[:tried], remotes[:tried])
                except SkillsyncError as exc:  # reported after the apply's own outcome
                    output_failed = exc
    not_started = [plan.target for plan, _ in work[len(results) :]]
    if as_json:
        if len(work) == 1:
            apply_output.as_json(results[0][1], sys.stdout)
        else:
            apply_output.many_as_json(results, not_started, sys.stdout)
    code = _conclude(results, [plan for plan, _ in work], not_started, people, args.color)
    if output_failed is not None:
        click.echo(f"Error: --output: {output_failed}", err=True)
        return code or 1
    return code


def _conclude(
    results: list[tuple[str, ApplyResult]],
    plans: list[Plan],
    not_started: list[str],
    people: TextIO,
    color: bool,
) -> int:
    """The final line of each target that had changes; the exit code of the first that
    did not complete (interrupted, or failures: the later targets were not started)."""
    several = len(plans) > 1
    for (name, result), plan in zip(results, plans, strict=False):
        if not plan.has_changes:
            continue
        line = apply_output.final_line(result)
        line = f"{name}: {line}" if several else line
        if result.interrupted:
            if not_started:
                line += f" Not started: {', '.join(not_started)}."
            click.echo(line, err=True)
            return EXIT_INTERRUPTED
        if not result.complete:
            if not_started:
                line += f" Not started: {', '.join(not_started)}."
            raise ApplyIncomplete(line)
        click.echo(click.style(line, fg="green", bold=True), color=color, file=people)
    return 0
