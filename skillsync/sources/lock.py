"""``skillsync.lock``: each source pinned to a commit, each of its skills to a digest.

JSON with sorted keys and a final newline, so the same pins are always the same bytes
and a change of the lock reads as a small diff in review. Per source: the declaration
it was resolved from (url, ref, path, the skills selected), the commit the ref named,
and per skill its name, its folder in the source and the digest of its files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skillsync.atomic import write_atomically
from skillsync.config import SourceConfig
from skillsync.sources.git import HEX40, SourceError

LOCK_NAME = "skillsync.lock"
LOCK_VERSION = 1


@dataclass(frozen=True)
class LockedSkill:
    name: str
    folder: str
    """Its folder in the source (the path of its SKILL.md's folder)."""
    digest: str


@dataclass(frozen=True)
class LockedSource:
    url: str
    ref: str | None
    path: str
    select: tuple[str, ...] | None
    commit: str
    skills: tuple[LockedSkill, ...]

    def declared_as(self, source: SourceConfig) -> bool:
        """Whether this entry was resolved from that declaration."""
        return (self.url, self.ref, self.path, self.select) == (
            source.git,
            source.ref,
            source.path,
            source.skills,
        )

    def shown(self, name: str) -> str:
        """``vendor@v1.2.0 (3f2c1ab)``: how plans name where a skill comes from."""
        return f"{name}@{self.ref or 'HEAD'} ({self.commit[:7]})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "ref": self.ref,
            "path": self.path,
            "select": list(self.select) if self.select is not None else None,
            "commit": self.commit,
            "skills": [
                {"name": s.name, "folder": s.folder, "digest": s.digest} for s in self.skills
            ],
        }

    @classmethod
    def from_dict(cls, data: Any) -> LockedSource:
        if not isinstance(data, dict) or not HEX40.fullmatch(str(data.get("commit", ""))):
            raise ValueError("an entry needs url, commit (40 hex) and skills")
        select = data.get("select")
        return cls(
            url=str(data["url"]),
            ref=data.get("ref"),
            path=str(data.get("path", "")),
            select=tuple(select) if select is not None else None,
            commit=data["commit"],
            skills=tuple(
                LockedSkill(str(s["name"]), str(s["folder"]), str(s["digest"]))
                for s in data["skills"]
            ),
        )


def render(lock: dict[str, LockedSource]) -> str:
    document = {
        "lock_version": LOCK_VERSION,
        "sources": {name: lock[name].to_dict() for name in sorted(lock)},
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def read(root: Path) -> dict[str, LockedSource]:
    """The lock beside skillsync.yaml; empty when there is none."""
    path = root / LOCK_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"{LOCK_NAME} cannot be read ({exc})") from None
    try:
        data = json.loads(text)
        if data.get("lock_version") != LOCK_VERSION:
            raise ValueError(f"lock_version {data.get('lock_version')!r} is not {LOCK_VERSION}")
        return {str(n): LockedSource.from_dict(e) for n, e in data["sources"].items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise SourceError(
            f"{LOCK_NAME} is not a lock skillsync wrote ({exc})",
            hint="restore it from git, or delete it and run skillsync lock",
        ) from None


def write(root: Path, lock: dict[str, LockedSource]) -> None:
    write_atomically(root / LOCK_NAME, render(lock))
