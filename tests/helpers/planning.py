"""Skills and plans made in memory, for the tests of the pure planner and renderers."""

from __future__ import annotations

from typing import Any

from skillsync.model import RemoteSkill, Skill
from skillsync.plan import Plan
from skillsync.planner import Rules, make_plan

ALL = Rules(manage=("*",))


def want(
    name: str,
    version: str = "1.0.0",
    instructions: str = "Do it.\n",
    description: str = "D.",
    renamed_from: tuple[str, ...] = (),
) -> Skill:
    return Skill(name, description, instructions, version, f"skills/{name}.yaml", renamed_from)


def have(
    name: str,
    version: str = "1.0.0",
    instructions: str = "Do it.\n",
    description: str = "D.",
    id: str | None = None,
) -> RemoteSkill:
    return RemoteSkill(id or f"skill_{name}", name, description, instructions, version)


def plan_of(
    desired: list[Skill], remote: list[RemoteSkill], rules: Rules = ALL, **kwargs: Any
) -> Plan:
    return make_plan(desired, remote, rules, target="t", base_url="local:x", **kwargs)
