"""Sourced skills for every command that reads the repository: the lock as it is,
never resolved or changed here (``skillsync lock`` and ``update`` do that)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from skillsync.sources import lock as lockfile
from skillsync.sources import store
from skillsync.sources.git import SourceError
from skillsync.sources.lock import LockedSource

if TYPE_CHECKING:
    from skillsync.config import Config

PREFIX = "sources"


@dataclass(frozen=True)
class Sourced:
    """One locked skill of a source, ready to load."""

    root: Path
    """The folder its paths are relative to (they start with ``sources/<source>/``)."""
    path: Path
    """Its SKILL.md."""
    origin: str
    """``vendor@v1.2.0 (3f2c1ab) skills/pdf``: where it comes from, for plans."""


def current_lock(config: Config) -> dict[str, LockedSource]:
    """The lock entry of every declared source; an error, located at the source, for one
    that has none or was declared otherwise since it was locked."""
    if not config.sources:
        return {}
    lock = lockfile.read(config.root)
    for source in config.sources:
        entry = lock.get(source.name)
        if entry is None or not entry.declared_as(source):
            why = "is not in skillsync.lock" if entry is None else "changed since it was locked"
            raise SourceError(
                f"{source.at}: source '{source.name}' {why}",
                hint="run skillsync lock (it pins the source; commit skillsync.lock)",
            )
    return lock


def sourced(config: Config) -> list[Sourced]:
    """Every locked skill of every source, fetched if needed and verified."""
    out = []
    lock = current_lock(config)
    for source in config.sources:
        entry = lock[source.name]
        where = store.mount(source.name, entry, config.root)
        for skill in entry.skills:
            out.append(
                Sourced(
                    where,
                    where / PREFIX / source.name / skill.folder / store.SKILL_MD,
                    f"{entry.shown(source.name)} {skill.folder}",
                )
            )
    return out


def locate(config: Config, shown: str) -> tuple[Path, Path]:
    """(root, path) of a skill file named as findings name it: in the repository, or
    ``sources/<source>/...`` in its source's files."""
    parts = shown.split("/")
    names = {s.name for s in config.sources}
    if len(parts) > 2 and parts[0] == PREFIX and parts[1] in names:
        entry = current_lock(config)[parts[1]]
        root = store.mount_of(parts[1], entry.commit)
        return root, root / shown
    return config.root, config.root / shown
