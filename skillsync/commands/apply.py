"""``skillsync apply``: plan (or load a saved plan), confirm, and apply exactly it."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

import click

from skillsync import config as config_mod
from skillsync.applier import apply_plan
from skillsync.client import SkillsClient
from skillsync.config import Config, TargetConfig
from skillsync.errors import (
    EXIT_INTERRUPTED,
    ApplyIncomplete,
    Cancelled,
    SkillsyncError,
    StalePlan,
)
from skillsync.options import ClientOptions
from skillsync.plan import Plan
from skillsync.planning import plan_target, refuse_if_unsafe
from skillsync.remote import open_client
from skillsync.render import apply_output
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


def check_saved_plan(plan: Plan, target: TargetConfig, client: SkillsClient) -> None:
    """SPEC section 5: nothing is written unless the saved plan still holds."""
    if plan.target != target.name:
        raise StalePlan(
            f"the saved plan is for target '{plan.target}', not '{target.name}'",
            hint=f"pass --target {plan.target}, or plan again for '{target.name}'",
        )
    if plan.base_url != client.base_url:
        raise StalePlan(
            f"the saved plan was made against {plan.base_url}, not {client.base_url}",
            hint="apply it against the endpoint it was made for, or plan again",
        )
    remote = read_remote(client, plan.scope.full)
    if plan.scope.fingerprint(remote) != plan.remote_fingerprint:
        raise StalePlan(STALE)


def confirm(auto_approve: bool) -> None:
    if auto_approve:
        return
    if not stdin_is_tty():
        raise Cancelled(
            "apply needs a confirmation and there is no terminal to ask on",
            hint="pass --auto-approve (CI), or apply a reviewed plan file",
        )
    click.echo("\nDo you want to apply these changes?\n  Only 'yes' will be accepted to approve.\n")
    answer = click.prompt("  Enter a value", default="", show_default=False)
    if answer.strip() != "yes":
        raise Cancelled("Apply cancelled.")


def _plan_now(
    config: Config,
    target: TargetConfig,
    client: SkillsClient,
    only: tuple[str, ...],
    force: bool,
    auto_approve: bool,
    color: bool,
) -> Plan:
    plan = plan_target(config, target, client, only=only)
    render_text(plan, sys.stdout, color)
    refuse_if_unsafe(plan, force)
    if plan.has_changes:
        confirm(auto_approve)
    return plan


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
    if plan_file is not None and only:
        raise SkillsyncError("--skill cannot narrow a saved plan", hint="plan again with --skill")
    config = config_mod.load_or_fail(directory)
    saved = load_saved_plan(plan_file) if plan_file is not None else None
    target = config.target(target_name or (saved.target if saved else None))
    with open_client(config, target, options) as client:
        if saved is not None:
            check_saved_plan(saved, target, client)
            refuse_if_unsafe(saved, force)
            plan = saved
        else:
            plan = _plan_now(config, target, client, only, force, auto_approve, color)
        if not plan.has_changes:
            if output_format == "json":
                apply_output.as_json(apply_plan(plan, client), sys.stdout)
            return 0
        if output_format == "text":
            click.echo()
        progress = apply_output.Progress(
            sys.stderr if output_format == "json" else sys.stdout,
            len(plan.changes),
            tty=sys.stdout.isatty() and output_format == "text",
            color=color,
        )
        result = apply_plan(plan, client, on_outcome=progress, stop=threading.Event())
        progress.close()
    if output_format == "json":
        apply_output.as_json(result, sys.stdout)
    line = apply_output.final_line(result)
    if result.interrupted:
        click.echo(line, err=True)
        return EXIT_INTERRUPTED
    if not result.complete:
        raise ApplyIncomplete(line)
    click.echo(click.style(line, fg="green", bold=True), color=color, err=output_format == "json")
    return 0
