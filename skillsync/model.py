"""The nouns of skillsync: plain, frozen values shared by every module."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

CONTENT_FIELDS = ("description", "instructions", "version", "files")
"""What can change in a skill, in the order plans show it (``name`` is immutable).

A skill of the seed dialect has ``description``, ``instructions`` and
``version``; a skill of the anthropic dialect is a file tree: ``description``,
``version`` (read from its SKILL.md) and ``files`` (path -> digest), its
instructions being SKILL.md's body."""


@dataclass(frozen=True, order=True)
class Location:
    """A place in a file: ``path`` relative to the repository, 1-based line and column."""

    path: str
    line: int = 1
    col: int = 1

    def __str__(self) -> str:
        return f"{printable(self.path)}:{self.line}:{self.col}"


def printable(text: str) -> str:
    """``text`` with control characters escaped (``\\x1b``...): a file name holding an
    ANSI escape must not drive the terminal it is printed on."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Problem:
    """One finding of validation, tied to the place a user has to edit."""

    location: Location
    message: str
    severity: Severity = "error"
    rule: str = "schema"
    """The check that found it (``skillsync rules`` lists them)."""

    def __str__(self) -> str:
        return f"{self.location}: {self.severity}: {printable(self.message)} [{self.rule}]"


@dataclass(frozen=True)
class FileEntry:
    """One file of a skill's tree: its path inside the skill's folder, digest and size.

    ``text`` is the file's text when it is UTF-8 and small enough to diff; None for
    binary or large files (plans then show sizes only).
    """

    path: str
    digest: str
    size: int
    text: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Asset:
    """A file of a SKILL.md folder other than SKILL.md, found on disk (read at upload)."""

    path: str
    real: str
    size: int


FileTree = tuple[FileEntry, ...]
"""A skill's files as a folder dialect holds them, sorted by path (``walk.Tree`` is
something else: one walk of the repository)."""


EXECUTABLE = "+x"
"""Ends the digest of a file whose execute bit a target keeps (a folder on this machine;
an upload carries no modes): making a script executable, or not, is then a change."""


def with_execute_bits(files: FileTree, executable: set[str]) -> FileTree:
    """``files`` with the paths in ``executable`` marked as such."""
    return tuple(
        replace(e, digest=e.digest + EXECUTABLE) if e.path in executable else e for e in files
    )


def files_content(files: FileTree) -> dict[str, str]:
    return {entry.path: entry.digest for entry in files}


@dataclass(frozen=True)
class Skill:
    """A desired skill, as the repository defines it.

    ``skill_md`` and ``assets`` are set for a SKILL.md folder (its SKILL.md text
    and its other files). ``files`` is the tree the anthropic dialect uploads,
    filled in when a plan targets that dialect; None for the seed dialect, which
    sends the fields.
    """

    name: str
    description: str
    instructions: str
    version: str
    source: str = ""
    renamed_from: tuple[str, ...] = ()
    display_name: str | None = None
    skill_md: str | None = None
    assets: tuple[Asset, ...] = ()
    files: FileTree | None = None
    versioned: bool = True
    """False for a SKILL.md without metadata.version (``version`` is then the default)."""
    origin: str | None = None
    """A skill of another repository: where it comes from (``vendor@v1.2.0 (3f2c1ab)
    skills/pdf``); None for the repository's own."""
    partial: bool = field(default=False, compare=False)
    """Read from the verdict cache with its upload tree: no instructions, no file texts.
    Enough to compare with the remote; a skill that will be uploaded is loaded in full."""

    def content(self) -> dict[str, Any]:
        """What the API holds of this skill, as plans compare it."""
        if self.files is not None:
            return {
                "name": self.name,
                "description": self.description,
                "version": self.version,
                "files": files_content(self.files),
            }
        return {
            "name": self.name,
            "description": self.description,
            "instructions": self.instructions,
            "version": self.version,
        }


@dataclass(frozen=True)
class RemoteSkill:
    """A skill as the API reports it.

    ``instructions`` and ``version`` are None when only a list item was read. In
    the anthropic dialect a list item has no ``name`` yet (it is the latest
    version's; empty until that is read), ``version_id`` is the latest version's
    id, and ``files`` the tree of its content once downloaded.
    """

    id: str
    name: str
    description: str
    instructions: str | None = None
    version: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    version_id: str | None = None
    display_name: str | None = None
    files: FileTree | None = None
    default_version: str | None = None
    """Where the API has a default pointer: the version applications get by default
    (``version_id`` is the latest); plans compare the latest and move this pointer to it."""
    foreign: str | None = None
    """Why this skill is not the repository's to change whatever ``manage`` says (a
    symlinked folder another tool installed): plans leave it alone and say so."""

    @property
    def default_lags(self) -> bool:
        """Whether the default pointer is not the latest version (openai)."""
        return self.default_version is not None and self.default_version != self.version_id

    @property
    def is_full(self) -> bool:
        if self.version_id is not None or self.files is not None:
            return self.files is not None and self.version is not None
        return self.instructions is not None and self.version is not None

    def content(self) -> dict[str, Any]:
        """The skill's fields as read (list items lack instructions and version)."""
        out: dict[str, Any] = {"name": self.name, "description": self.description}
        if self.files is not None:
            assert self.version is not None
            out["version"] = self.version
            out["files"] = files_content(self.files)
            if self.default_version is not None:
                out["default_version"] = self.default_version
                out["latest_version"] = self.version_id
            return out
        if self.instructions is not None:
            out["instructions"] = self.instructions
        if self.version is not None:
            out["version"] = self.version
        return out

    def record(self) -> dict[str, Any]:
        """What a plan's fingerprint hashes: the id and the fields as read."""
        return {"id": self.id, **self.content()}


@dataclass(frozen=True)
class SkillText:
    """What the per-skill rules read of one skill file."""

    path: str
    name: str
    name_at: Location
    description: str
    description_at: Location
    body: str = ""
    body_line: int = 1
    """The line of the skill file on which ``body`` starts."""
    body_path: str = ""
    """Where ``body`` lives (a YAML skill's instructions_file, else ``path``)."""
    folder: str | None = None
    """A SKILL.md folder's path on disk; None for a YAML skill (it uploads one file)."""
    folder_shown: str = ""
    uploads: frozenset[str] = frozenset()
    """Every path the folder uploads, relative to it (SKILL.md included)."""
    documents: dict[str, str] = field(default_factory=dict)
    """The folder's other .md files it uploads: relative path -> real path on disk."""
    root: str = ""
    """The repository's resolved root (a link into another skill folder must stay in it)."""
    versioned: bool = True
    source: str = ""
    """The skill file's whole text (the trust gate reads every character of it)."""
    body_indent: int = 0
    """Columns by which each line of ``body`` is indented in the file (a YAML block)."""
    files: tuple[tuple[str, str], ...] = ()
    """A SKILL.md folder's other uploaded files: (relative path, real path on disk)."""
