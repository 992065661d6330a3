"""Saved plans (``plan --out``): reading them, and the rule that nothing is written
unless a saved plan still holds (SPEC 5).

A saved plan is applied only if its checksum, format, target and endpoint are its
own, the repository does not define again a skill it deletes, the files it uploads
are still those it recorded, the remote's fingerprint is the one it was made
against, and the safety rules of skillsync.yaml still allow it. Only reads are sent
before that is known.
"""

from __future__ import annotations

import json
from pathlib import Path

from skillsync.config import CONFIG_NAME, Config, TargetConfig
from skillsync.errors import SkillsyncError, StalePlan, UnsafePlan
from skillsync.loading import load_projected
from skillsync.model import Skill
from skillsync.plan import FORMAT_VERSION, Plan
from skillsync.planner import unsafe_now
from skillsync.planning import rules_for
from skillsync.remote.base import Remote
from skillsync.snapshot import read_remote
from skillsync.validation import validate_repository

STALE = "Saved plan is stale: the remote skills changed after the plan was made. Run plan again."


def load_saved_plans(path: Path) -> list[Plan]:
    """The plan (or the plans, one per target) that ``plan --out`` saved."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SkillsyncError(f"plan file {path} not found") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise StalePlan(f"plan file {path} is not a saved plan ({exc})") from None
    if isinstance(data, dict) and "plans" in data:
        if data.get("format_version") != FORMAT_VERSION or not isinstance(data["plans"], list):
            raise StalePlan(f"plan file {path} is not a saved plan skillsync knows")
        return [Plan.from_dict(item) for item in data["plans"]]
    return [Plan.from_dict(data)]


def check_saved_plan(
    plan: Plan, config: Config, target: TargetConfig, remote: Remote, force: bool = False
) -> dict[str, Skill]:
    """The saved-plan safety rule: nothing is written unless the saved plan still holds; nothing is
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
    _refuse_deleting_defined(plan, config)
    current = read_remote(remote, plan.scope.full)
    if plan.scope.fingerprint(current) != plan.remote_fingerprint:
        raise StalePlan(STALE)
    forbidden, unsafe = unsafe_now(plan.changes, current, rules_for(config, target))
    if forbidden or (unsafe and not force):
        raise UnsafePlan(
            f"the saved plan breaks the safety rules of {CONFIG_NAME} now:\n"
            + "\n".join(f"  {reason}" for reason in forbidden + unsafe),
            hint="plan again" if forbidden else "plan again, or rerun with --force",
        )
    return skills


def check_saved_plan_of(
    plan: Plan,
    config: Config,
    target: TargetConfig,
    remote: Remote,
    force: bool,
    *,
    several: bool,
) -> dict[str, Skill]:
    """check_saved_plan, its refusal naming the target when the plan has several."""
    try:
        return check_saved_plan(plan, config, target, remote, force)
    except (StalePlan, UnsafePlan) as exc:
        if not several:
            raise
        raise type(exc)(f"target '{target.name}': {exc.message}", hint=exc.hint) from None


def _refuse_deleting_defined(plan: Plan, config: Config) -> None:
    """A skill the saved plan deletes must still be one the repository does not define: a
    file restored after the plan was made would otherwise be deleted remotely."""
    gone = {
        c.from_name if c.action == "replace" else c.name
        for c in plan.changes
        if c.action in ("delete", "replace")
    }
    if not gone:
        return
    files = validate_repository(config, [], keep_instructions=False, use_cache=True).files
    back = sorted((f.name, f.path) for f in files if f.name in gone)
    if back:
        raise StalePlan(
            "the saved plan deletes skills the repository defines again: "
            + ", ".join(f"'{name}' ({path})" for name, path in back),
            hint="run plan again, then apply the new plan",
        )


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
