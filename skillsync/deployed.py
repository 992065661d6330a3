"""The deployed skills of a target, for the applications that use them (``skillsync output``).

For every skill the repository defines: its id and latest version on the remote (and the
default version where the dialect has one), its file in the repository, and whether the
remote matches the repository. Taken from a plan: the remote as a plan reads it, so a
warm version cache makes it cost the list requests only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from skillsync.model import RemoteSkill, Skill
from skillsync.plan import Plan

FORMAT_VERSION = "1"


@dataclass(frozen=True)
class Deployed:
    name: str
    id: str | None
    version: str | None
    """The latest version: a version id (anthropic), a number (openai), the version field
    (seed)."""
    default_version: str | None
    """The version the API serves by default, where it has such a pointer (openai)."""
    path: str
    in_sync: bool
    sharing: int = 0
    """How many remote skills hold this name when more than one does (a conflict: no id can
    be handed out); not part of the document."""
    installed: str | None = None
    """Where a target that is a folder holds the skill (``Remote.installed``)."""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "id": self.id,
            "version": self.version,
            "default_version": self.default_version,
            "path": self.path,
        }
        if self.installed is not None:
            out["installed"] = self.installed
        out["in_sync"] = self.in_sync
        return out


def deployed_skills(
    plan: Plan,
    desired: dict[str, Skill],
    remote: list[RemoteSkill],
    installed: Callable[[str], str | None] = lambda name: None,
) -> list[Deployed]:
    """The repository's skills as deployed, by name. A name that two remote skills share
    (a conflict the plan reports) has no id: it cannot be told which one is meant."""
    by_name: dict[str, list[RemoteSkill]] = defaultdict(list)
    for item in remote:
        by_name[item.name].append(item)
    pending = {c.name for c in plan.changes if c.action != "delete"}
    out = []
    for name in sorted(desired):
        found = by_name.get(name, [])
        one = found[0] if len(found) == 1 else None
        out.append(
            Deployed(
                name=name,
                id=one.id if one else None,
                version=(one.version_id or one.version) if one else None,
                default_version=one.default_version if one else None,
                path=desired[name].source,
                in_sync=one is not None and name not in pending,
                sharing=len(found) if len(found) > 1 else 0,
                installed=installed(name) if one else None,
            )
        )
    return out


def document(target: str, api: str, skills: list[Deployed]) -> dict[str, Any]:
    """The ``json`` document of ``skillsync output`` (and of ``apply --output``)."""
    return {
        "format_version": FORMAT_VERSION,
        "target": target,
        "api": api,
        "skills": [s.to_dict() for s in skills],
    }
