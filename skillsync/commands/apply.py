"""``skillsync apply``: plan (or load a saved plan), confirm, and apply exactly it."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import TextIO

import click

from skillsync import config as config_mod
from skillsync.applier import apply_plan
from skillsync.config import Config, TargetConfig
from skillsync.errors import (
    EXIT_INTERRUPTED,
    ApplyIncomplete,
    Cancelled,
    SkillsyncError,
    StalePlan,
)
from skillsync.model import Skill
from skillsync.options import ClientOptions
from skillsync.plan import Plan
from skillsync.planning import load_projected, plan_target, refuse_if_unsafe
from skillsync.remote import open_remote
from skillsync.remote.base import Remote
from skillsync.render import apply_output, json_output
from skillsync.render.plan_text import render_text
from skillsync.snapshot import read_remote

STALE = "Saved plan is stale: the remote skills changed after the plan was made. Run plan again."


def stdin_is_tty() -> bool:
    return sys.stdin.isatty()


def load_saved_plan(path: Path) -> Plan:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SkillsyncError(f"plan file {path} not found") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise StalePlan(f"plan file {path} is not a saved plan ({exc})") from None
    return Plan.from_dict(data)


def check_saved_plan(
    plan: Plan, config: Config, target: TargetConfig, remote: Remote
) -> dict[str, Skill]:
    """SPEC section 5: nothing is written unless the saved plan still holds; nothing is
    even sent unless the files it uploads are still those it recorded. Returns the
    skills whose files it uploads."""
    if plan.target != target.name:
        raise StalePlan(
            f"the saved plan is for target '{plan.target}', not '{target.name}'",
            hint=f"pass --target {plan.target}, or plan again for '{target.name}'",
        )
    if plan.base_url != remote.base_url:
        raise StalePlan(
            f"the saved plan was made against {plan.base_url}, not {remote.base_url}",
            hint="apply it against the endpoint it was made for, or plan again",
        )
    skills = _uploaded_skills(plan, config, remote)
    current = read_remote(remote, plan.scope.full)
    if plan.scope.fingerprint(current) != plan.remote_fingerprint:
        raise StalePlan(STALE)
    return skills


def _uploaded_skills(plan: Plan, config: Config, remote: Remote) -> dict[str, Skill]:
    uploads = [c for c in plan.changes if c.after is not None and "files" in c.after]
    if not uploads:
        return {}  # the seed dialect: the plan holds all it sends
    skills = {s.name: s for s in load_projected(config, remote)}
    for change in uploads:
        skill = skills.get(change.name)
        if skill is None or skill.content() != change.after:
            raise StalePlan(
                f"the files of skill '{change.name}' changed after the plan was made"
                + (f" ({skill.source})" if skill is not None else " (it is gone)"),
                hint="run plan again, then apply the new plan",
            )
    return skills


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


def _plan_now(
    config: Config,
    target: TargetConfig,
    remote: Remote,
    only: tuple[str, ...],
    force: bool,
    auto_approve: bool,
    color: bool,
    people: TextIO,
) -> tuple[Plan, dict[str, Skill]]:
    plan, skills = plan_target(config, target, remote, only=only)
    render_text(plan, people, color)
    refuse_if_unsafe(plan, force)
    if plan.has_changes:
        confirm(auto_approve, err=people is sys.stderr)
    return plan, skills


def run(
    directory: Path | None,
    plan_file: Path | None,
    *,
    target_name: str | None,
    only: tuple[str, ...],
    auto_approve: bool,
    force: bool,
    output_format: str,
    options: ClientOptions,
    color: bool,
) -> int:
    as_json = output_format == "json"
    people = sys.stderr if as_json else sys.stdout  # stdout holds only the JSON document
    if as_json:
        json_output.expect(sys.stdout)
    if plan_file is not None and only:
        raise SkillsyncError("--skill cannot narrow a saved plan", hint="plan again with --skill")
    config = config_mod.load_or_fail(directory)
    saved = load_saved_plan(plan_file) if plan_file is not None else None
    target = config.target(target_name or (saved.target if saved else None))
    with open_remote(config, target, options) as remote:
        if saved is not None:
            skills = check_saved_plan(saved, config, target, remote)
            refuse_if_unsafe(saved, force)
            plan = saved
        else:
            plan, skills = _plan_now(
                config, target, remote, only, force, auto_approve, color, people
            )
        if not plan.has_changes:
            if output_format == "json":
                apply_output.as_json(apply_plan(plan, remote), sys.stdout)
            return 0
        click.echo(file=people)
        progress = apply_output.Progress(
            people, len(plan.changes), tty=people.isatty(), color=color
        )
        result = apply_plan(plan, remote, skills, on_outcome=progress, stop=threading.Event())
        progress.close()
    if output_format == "json":
        apply_output.as_json(result, sys.stdout)
    line = apply_output.final_line(result)
    if result.interrupted:
        click.echo(line, err=True)
        return EXIT_INTERRUPTED
    if not result.complete:
        raise ApplyIncomplete(line)
    click.echo(click.style(line, fg="green", bold=True), color=color, file=people)
    return 0
