"""From a repository and a target to a Plan: the steps plan and apply share."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from skillsync.config import Config, TargetConfig
from skillsync.errors import UnsafePlan, ValidationFailed
from skillsync.model import Skill
from skillsync.plan import Plan
from skillsync.planner import Rules, make_plan
from skillsync.remote.base import Remote
from skillsync.render.read_progress import ReadProgress
from skillsync.snapshot import name_all, read_remote
from skillsync.validation import validate_repository


def load_desired(config: Config) -> list[Skill]:
    """Every skill of the repository; ValidationFailed (listing the errors) if any."""
    result = validate_repository(config, [])
    for warning in result.warnings:
        print(f"{warning}", file=sys.stderr)
    if result.errors:
        listing = "\n".join(f"  {problem}" for problem in result.errors[:20])
        more = len(result.errors) - 20
        if more > 0:
            listing += f"\n  ... and {more} more"
        raise ValidationFailed(
            f"the skill files have {len(result.errors)} error(s):\n{listing}",
            hint="fix them (skillsync validate lists them all), then plan again",
        )
    return result.skills


def rules_for(config: Config, target: TargetConfig) -> Rules:
    return Rules(
        manage=target.manage,
        protect=target.protect,
        max_delete_percent=config.max_delete_percent,
        min_managed=config.min_managed,
        version_bump=config.version_bump,
    )


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def plan_target(
    config: Config,
    target: TargetConfig,
    remote: Remote,
    *,
    only: tuple[str, ...] = (),
) -> tuple[Plan, dict[str, Skill]]:
    """The plan, and the desired skills (as the remote's dialect compares them) that
    apply uploads."""
    # Loading the files is CPU work and reading the remote's list (and, in the
    # anthropic dialect, its skills' names) is mostly waiting: both at once hide
    # much of one behind the other.
    progress = ReadProgress.on_terminal(sys.stderr)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="load") as background:
        loading = background.submit(load_projected, config, remote)
        listed = name_all(remote, remote.list_skills(), progress)
        desired = loading.result()
    names = {s.name for s in desired}
    if only:
        names &= set(only)
    by_name = {s.name: s for s in desired}
    current = read_remote(remote, names, by_name, listed=listed, progress=progress)
    plan = make_plan(
        desired,
        current,
        rules_for(config, target),
        target=target.name,
        base_url=remote.base_url,
        only=only or None,
        created_at=now(),
    )
    known = {s.name for s in desired} | {s.name for s in current}
    unknown = sorted(set(only) - known)
    if unknown:
        print(
            f"warning: --skill {', '.join(unknown)}: no such skill in the repository or remote",
            file=sys.stderr,
        )
    return plan, by_name


def load_projected(config: Config, remote: Remote) -> list[Skill]:
    """The desired skills as the remote's dialect compares them (anthropic: with trees)."""
    return [remote.project(skill) for skill in load_desired(config)]


def refuse_if_unsafe(plan: Plan, force: bool) -> None:
    """Errors always refuse; unsafe reasons refuse unless --force."""
    if plan.errors:
        raise UnsafePlan(
            "the plan breaks the repository's policy:\n" + "\n".join(f"  {e}" for e in plan.errors),
            hint="fix the skill files (or policy.version_bump in skillsync.yaml)",
        )
    if plan.unsafe and not force:
        raise UnsafePlan(
            "the plan is unsafe:\n" + "\n".join(f"  {reason}" for reason in plan.unsafe),
            hint="review it; rerun with --force to go ahead anyway",
        )
