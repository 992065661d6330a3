"""The nouns of skillsync: plain, frozen values shared by every module."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

CONTENT_FIELDS = ("description", "instructions", "version")
"""The fields of a skill that a PATCH can change (``name`` is immutable)."""


@dataclass(frozen=True, order=True)
class Location:
    """A place in a file: ``path`` relative to the repository, 1-based line and column."""

    path: str
    line: int = 1
    col: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Problem:
    """One finding of validation, tied to the place a user has to edit."""

    location: Location
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{self.location}: {prefix}{self.message}"


@dataclass(frozen=True)
class Skill:
    """A desired skill, as the repository defines it."""

    name: str
    description: str
    instructions: str
    version: str
    source: str = ""
    renamed_from: tuple[str, ...] = ()

    def content(self) -> dict[str, str]:
        """The fields sent to the API."""
        return {
            "name": self.name,
            "description": self.description,
            "instructions": self.instructions,
            "version": self.version,
        }


@dataclass(frozen=True)
class RemoteSkill:
    """A skill as the API reports it.

    ``instructions`` and ``version`` are None when only a list item was read.
    """

    id: str
    name: str
    description: str
    instructions: str | None = None
    version: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def is_full(self) -> bool:
        return self.instructions is not None and self.version is not None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> RemoteSkill:
        known = {"id", "name", "description", "instructions", "version"}
        return cls(
            id=str(data["id"]),
            name=str(data["name"]),
            description=str(data.get("description", "")),
            instructions=data.get("instructions"),
            version=data.get("version"),
            extra={k: v for k, v in data.items() if k not in known},
        )

    def content(self) -> dict[str, str]:
        """The skill's fields as read (list items lack instructions and version)."""
        out = {"name": self.name, "description": self.description}
        if self.instructions is not None:
            out["instructions"] = self.instructions
        if self.version is not None:
            out["version"] = self.version
        return out

    def record(self) -> dict[str, str]:
        """What a plan's fingerprint hashes: the id and the fields as read."""
        return {"id": self.id, **self.content()}
