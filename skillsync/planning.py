"""From a repository and a target to a Plan: the steps plan and apply share."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from typing import NamedTuple

from skillsync.config import Config, TargetConfig
from skillsync.errors import (
    UnsafePlan,
    ValidationFailed,
)
from skillsync.loader import load_file
from skillsync.loading import Loading
from skillsync.model import RemoteSkill, Skill
from skillsync.plan import Plan
from skillsync.planner import Rules, make_plan
from skillsync.remote.base import Remote
from skillsync.render.read_progress import ReadProgress
from skillsync.repo_paths import RepoPaths
from skillsync.snapshot import name_all, read_for_plan
from skillsync.sources.reading import locate


def rules_for(config: Config, target: TargetConfig) -> Rules:
    return Rules(
        manage=target.manage,
        protect=target.protect,
        max_delete_percent=config.max_delete_percent,
        min_managed=config.min_managed,
        version_bump=config.version_bump,
        promote=target.setting("promote", "auto"),
    )


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Planned(NamedTuple):
    """A plan, the desired skills it compared (as the remote's dialect compares them:
    what apply uploads), and the remote skills as read."""

    plan: Plan
    skills: dict[str, Skill]
    remote: list[RemoteSkill]


def plan_target(
    config: Config,
    target: TargetConfig,
    remote: Remote,
    *,
    only: tuple[str, ...] = (),
    alone: bool = True,
    quiet: bool = False,
) -> Planned:
    """Plan one target. ``alone``: no other target is planned at the same time, so the
    repository may be loaded in a forked process and progress drawn on the terminal."""
    # Loading the files is CPU work and reading the remote is mostly waiting: both at
    # once hide much of one behind the other. The list (and, in the anthropic dialect,
    # its skills' names) is read while the files load, and each remote skill as soon as
    # the repository's skill of that name has loaded.
    progress = ReadProgress.on_terminal(sys.stderr) if alone else None
    with (
        Loading(
            config, remote, trees=target.dialect.folders, apart=alone and not quiet, quiet=quiet
        ) as loading,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="load") as background,
    ):
        try:
            background.submit(loading.receive)
            listed = name_all(remote, remote.list_skills(), progress)
            loading.tell({s.name for s in listed})
            by_name, current = read_for_plan(
                remote, listed, loading.arriving(), only=only or None, progress=progress
            )
        finally:
            loading.stop()  # on failure: the receiving thread ends with the process
    desired = [by_name[name] for name in loading.names]
    desired = complete(config, remote, desired, current)
    by_name = {s.name: s for s in desired}
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
    return Planned(plan, by_name, current)


def complete(
    config: Config, remote: Remote, desired: list[Skill], current: list[RemoteSkill]
) -> list[Skill]:
    """``desired`` with every partial skill that differs from the remote loaded in full:
    the plan shows its files' texts and apply uploads it."""
    by_name: dict[str, list[RemoteSkill]] = {}
    for item in current:
        by_name.setdefault(item.name, []).append(item)

    def same(skill: Skill) -> bool:
        found = by_name.get(skill.name, [])
        if len(found) != 1 or not found[0].is_full:
            return False
        have = found[0].content()
        return all(have.get(key) == value for key, value in skill.content().items())

    stale = {s.name for s in desired if s.partial and not same(s)}
    if not stale:
        return desired
    out = []
    for skill in desired:
        if skill.name in stale:
            root, path = locate(config, skill.source)
            loaded = load_file(root, path, RepoPaths(root)).skill
            if loaded is not None and skill.origin is not None:
                loaded = replace(loaded, origin=skill.origin)
            if loaded is None or loaded.name != skill.name:
                raise ValidationFailed(
                    f"{skill.source} changed while the plan was being made",
                    hint="plan again",
                )
            skill = remote.project(loaded)
        out.append(skill)
    return out


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
