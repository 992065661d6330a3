"""The plan: a value that can be saved, checked, rendered and applied.

``Plan.to_dict`` is the one serialisation: ``plan --format json``, ``plan --out``,
the checksum and ``apply PLAN_FILE`` all go through it (README: the plan document).
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from skillsync import __version__
from skillsync.errors import StalePlan
from skillsync.model import RemoteSkill

FORMAT_VERSION = "1"
ACTIONS = ("create", "update", "replace", "delete")
SYMBOLS = {"create": "+", "update": "~", "replace": "-/+", "delete": "-"}
"""How every renderer marks an action (Terraform's marks)."""


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _feed(digest: Any, value: Any) -> None:
    """Hash the canonical JSON of ``value`` piece by piece.

    The bytes are exactly ``canonical_json(value)``, but no text of the whole
    document is ever built: for 10,000 skills that text is hundreds of MB
    (more when one character outside Latin-1 widens the whole string). Only
    lists and the mappings that hold lists are taken apart; anything else (a
    skill's record) is one small text.
    """
    if isinstance(value, dict) and any(isinstance(v, (list, tuple)) for v in value.values()):
        digest.update(b"{")
        for index, key in enumerate(sorted(value)):
            digest.update(b"," if index else b"")
            digest.update(canonical_json(key) + b":")
            _feed(digest, value[key])
        digest.update(b"}")
    elif isinstance(value, (list, tuple)):
        digest.update(b"[")
        for index, item in enumerate(value):
            digest.update(b"," if index else b"")
            _feed(digest, item)
        digest.update(b"]")
    else:
        digest.update(canonical_json(value))


def sha256(value: Any) -> str:
    digest = hashlib.sha256()
    _feed(digest, value)
    return "sha256:" + digest.hexdigest()


def matches(name: str, globs: Iterable[str] | None) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in globs or ())


FILE_ACTIONS = ("add", "change", "remove")
FILE_SYMBOLS = {"add": "+", "change": "~", "remove": "-"}


@dataclass(frozen=True)
class FileChange:
    """One file of a skill's tree that a change adds, changes or removes.

    ``diff`` holds the lines of a unified diff when the file is text on both sides.
    """

    path: str
    action: str
    size_before: int | None = None
    size_after: int | None = None
    diff: tuple[str, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "action": self.action}
        if self.size_before is not None:
            out["size_before"] = self.size_before
        if self.size_after is not None:
            out["size_after"] = self.size_after
        if self.diff is not None:
            out["diff"] = list(self.diff)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FileChange:
        if data.get("action") not in FILE_ACTIONS or not isinstance(data.get("path"), str):
            raise ValueError(f"bad file change {data!r:.80}")
        diff = data.get("diff")
        return cls(
            path=data["path"],
            action=data["action"],
            size_before=data.get("size_before"),
            size_after=data.get("size_after"),
            diff=None if diff is None else tuple(diff),
        )


@dataclass(frozen=True)
class Change:
    action: str
    name: str
    id: str | None = None
    source: str | None = None
    from_name: str | None = None
    changed: tuple[str, ...] = ()
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    files: tuple[FileChange, ...] = ()
    """The dialects of folders: the files this change adds, changes or removes."""
    origin: str | None = None
    """A skill of another repository: where it comes from (``Skill.origin``)."""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"action": self.action, "name": self.name}
        if self.from_name is not None:
            out["from"] = self.from_name
        if self.id is not None:
            out["id"] = self.id
        if self.source is not None:
            out["source"] = self.source
        if self.origin is not None:
            out["origin"] = self.origin
        if self.changed:
            out["changed"] = list(self.changed)
        if self.before is not None:
            out["before"] = self.before
        if self.after is not None:
            out["after"] = self.after
        if self.files:
            out["files"] = [f.to_dict() for f in self.files]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Change:
        if data.get("action") not in ACTIONS or not isinstance(data.get("name"), str):
            raise ValueError(f"bad change {data!r:.80}")
        return cls(
            action=data["action"],
            name=data["name"],
            id=data.get("id"),
            source=data.get("source"),
            origin=data.get("origin"),
            from_name=data.get("from"),
            changed=tuple(data.get("changed", ())),
            before=data.get("before"),
            after=data.get("after"),
            files=tuple(FileChange.from_dict(f) for f in data.get("files", ())),
        )


@dataclass(frozen=True)
class Scope:
    """Which remote skills a plan depends on, so apply can re-read exactly them.

    In scope: names matching ``manage`` and the repository's own ``names``
    (desired names and their former names), narrowed to ``only`` (--skill).
    ``full`` lists the names whose full record was read (present on both sides).
    """

    manage: tuple[str, ...] | None = None
    names: tuple[str, ...] = ()
    only: tuple[str, ...] | None = None
    full: tuple[str, ...] = ()

    @cached_property
    def _names(self) -> frozenset[str]:
        return frozenset(self.names)

    @cached_property
    def _only(self) -> frozenset[str] | None:
        return None if self.only is None else frozenset(self.only)

    def contains(self, name: str) -> bool:
        if self._only is not None and name not in self._only:
            return False
        return name in self._names or matches(name, self.manage)

    def fingerprint(self, remote: Iterable[RemoteSkill]) -> str:
        records = sorted(
            (skill.record() for skill in remote if self.contains(skill.name)),
            key=lambda r: (r["name"], r["id"]),
        )
        return sha256(records)

    def to_dict(self) -> dict[str, Any]:
        return {
            "manage": None if self.manage is None else list(self.manage),
            "names": list(self.names),
            "only": None if self.only is None else list(self.only),
            "full": list(self.full),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Scope:
        return cls(
            manage=None if data.get("manage") is None else tuple(data["manage"]),
            names=tuple(data.get("names", ())),
            only=None if data.get("only") is None else tuple(data["only"]),
            full=tuple(data.get("full", ())),
        )


@dataclass(frozen=True)
class Plan:
    target: str
    base_url: str
    changes: tuple[Change, ...] = ()
    unchanged: int = 0
    unmanaged: int = 0
    scope: Scope = field(default_factory=Scope)
    remote_fingerprint: str = ""
    warnings: tuple[str, ...] = ()
    unsafe: tuple[str, ...] = ()
    """Reasons the plan must not run without --force (thresholds, protected skills)."""
    errors: tuple[str, ...] = ()
    """Reasons the plan must not run at all (version policy)."""
    conflicts: tuple[tuple[str, tuple[str, ...]], ...] = ()
    created_at: str = ""
    skillsync_version: str = __version__

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    def count(self, action: str) -> int:
        return sum(1 for change in self.changes if change.action == action)

    @property
    def summary(self) -> dict[str, int]:
        return {
            **{action: self.count(action) for action in ACTIONS},
            "unchanged": self.unchanged,
            "unmanaged": self.unmanaged,
            "conflict": len(self.conflicts),
        }

    @property
    def totals(self) -> tuple[int, int, int]:
        """(to add, to change, to destroy); a replace counts in add and destroy."""
        replaced = self.count("replace")
        return (
            self.count("create") + replaced,
            self.count("update"),
            self.count("delete") + replaced,
        )

    @property
    def drifted(self) -> bool:
        """The remote does not match the repository: changes to apply, or name conflicts
        (two remote skills with one name) that only a person can resolve."""
        return bool(self.changes or self.conflicts)

    def summary_line(self) -> str:
        if not self.changes and self.conflicts:
            count = len(self.conflicts)
            return (
                f"No changes can be applied, but {count} name conflict{'s' if count > 1 else ''} "
                "need attention: the remote does not match the repository."
            )
        if not self.changes:
            return "No changes. Remote skills match the repository."
        add, change, destroy = self.totals
        return f"Plan: {add} to add, {change} to change, {destroy} to destroy."

    def body(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "skillsync_version": self.skillsync_version,
            "created_at": self.created_at,
            "target": {"name": self.target, "base_url": self.base_url},
            "remote_fingerprint": self.remote_fingerprint,
            "scope": self.scope.to_dict(),
            "summary": self.summary,
            "changes": [change.to_dict() for change in self.changes],
            "conflicts": [{"name": n, "ids": list(ids)} for n, ids in self.conflicts],
            "warnings": list(self.warnings),
            "unsafe": list(self.unsafe),
            "errors": list(self.errors),
        }

    def to_dict(self) -> dict[str, Any]:
        body = self.body()
        return {**body, "checksum": sha256(body)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Plan:
        """Load a saved plan; StalePlan if it was tampered with or is of an unknown format."""
        version = data.get("format_version") if isinstance(data, dict) else None
        if version != FORMAT_VERSION:
            raise StalePlan(
                f"saved plan has format_version {version!r}; this skillsync reads "
                f"{FORMAT_VERSION!r}",
                hint="run plan again with this version of skillsync",
            )
        body = {k: v for k, v in data.items() if k != "checksum"}
        if data.get("checksum") != sha256(body):
            raise StalePlan(
                "saved plan does not match its checksum: it was edited or damaged",
                hint="run plan again; never edit a saved plan",
            )
        try:
            if not isinstance(data["changes"], list) or not all(
                isinstance(data["summary"][k], int) for k in ("unchanged", "unmanaged")
            ):
                raise ValueError("changes must be a list and the summary counts numbers")
            for change in data["changes"]:
                if not all(
                    isinstance(change.get(k), (dict, type(None))) for k in ("before", "after")
                ):
                    raise ValueError(
                        f"change of {change.get('name')!r}: before/after must be mappings"
                    )
            return cls(
                target=data["target"]["name"],
                base_url=data["target"]["base_url"],
                changes=tuple(Change.from_dict(c) for c in data["changes"]),
                unchanged=data["summary"]["unchanged"],
                unmanaged=data["summary"]["unmanaged"],
                scope=Scope.from_dict(data["scope"]),
                remote_fingerprint=data["remote_fingerprint"],
                warnings=tuple(data.get("warnings", ())),
                unsafe=tuple(data.get("unsafe", ())),
                errors=tuple(data.get("errors", ())),
                conflicts=tuple((c["name"], tuple(c["ids"])) for c in data.get("conflicts", ())),
                created_at=data.get("created_at", ""),
                skillsync_version=data.get("skillsync_version", ""),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise StalePlan(f"saved plan is malformed ({exc})", hint="run plan again") from None
