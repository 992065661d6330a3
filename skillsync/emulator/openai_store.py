"""The openai dialect's skills, numbered immutable versions and default pointers.

A skill's versions are numbered "1", "2", ... in upload order; a number is never
given twice, even after its version is deleted, so one number of one skill always
means the same files. ``latest`` is the highest number left, ``default`` the one
the skill's name and description are read from; the default version cannot be
deleted. Every write is one transaction (``Database``).
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from skillsync.emulator.database import Database
from skillsync.emulator.folder_store import VersionContent

SCHEMA = """
CREATE TABLE IF NOT EXISTS openai_skills (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL UNIQUE,
    workspace       TEXT NOT NULL,
    name            TEXT NOT NULL,
    default_version INTEGER NOT NULL,
    latest_version  INTEGER NOT NULL,
    next_version    INTEGER NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS openai_skills_by_workspace ON openai_skills (workspace, seq);
CREATE TABLE IF NOT EXISTS openai_versions (
    id           TEXT NOT NULL UNIQUE,
    skill_id     TEXT NOT NULL,
    version      INTEGER NOT NULL,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    content      BLOB NOT NULL,
    PRIMARY KEY (skill_id, version)
);
"""

SKILL_SELECT = (
    "SELECT s.seq, s.id, s.created_at, v.name, v.description, s.default_version, "
    "s.latest_version FROM openai_skills s JOIN openai_versions v "
    "ON v.skill_id = s.id AND v.version = s.default_version"
)
VERSION_COLUMNS = "id, skill_id, version, name, description, created_at"


class IsDefault(Exception):
    """Deleting the default version of a skill."""


class NoSuchVersion(Exception):
    """Pointing the default at a version the skill does not have."""


class NameMismatch(Exception):
    """A new version whose name differs from the skill's."""


def _now() -> int:
    return int(time.time())


def skill_object(row: tuple[Any, ...]) -> dict[str, Any]:
    _, skill_id, created, name, description, default, latest = row
    return {
        "object": "skill",
        "id": skill_id,
        "created_at": created,
        "name": name,
        "description": description,
        "default_version": str(default),
        "latest_version": str(latest),
    }


def version_object(row: tuple[Any, ...]) -> dict[str, Any]:
    version_id, skill_id, number, name, description, created = row
    return {
        "object": "skill.version",
        "id": version_id,
        "skill_id": skill_id,
        "version": str(number),
        "name": name,
        "description": description,
        "created_at": created,
    }


def number(version: str) -> int | None:
    """A version number as the API takes it ("3"), or None."""
    return int(version) if version.isdigit() and len(version) < 12 else None


class OpenAIStore(Database):
    schema = SCHEMA
    table = "openai_skills"
    api = "openai"

    def _insert_version(
        self, db: Any, skill_id: str, version: int, content: VersionContent, now: int
    ) -> tuple[Any, ...]:
        version_id = "skillver_" + secrets.token_hex(12)
        row = (version_id, skill_id, version, content.name, content.description, now)
        db.execute(
            f"INSERT INTO openai_versions ({VERSION_COLUMNS}, content) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (*row, content.zip),
        )
        return row

    def create(self, workspace: str, content: VersionContent) -> dict[str, Any]:
        """A new skill whose version 1 is latest and default; the Skill object."""
        now = _now()
        skill_id = "skill_" + secrets.token_hex(12)
        with self._write() as db:
            db.execute(
                "INSERT INTO openai_skills (id, workspace, name, default_version, "
                "latest_version, next_version, created_at) VALUES (?, ?, ?, 1, 1, 2, ?)",
                (skill_id, workspace, content.name, now),
            )
            self._insert_version(db, skill_id, 1, content, now)
        found = self.get(workspace, skill_id)
        assert found is not None
        return found

    def add_version(
        self, workspace: str, skill_id: str, content: VersionContent, *, default: bool
    ) -> dict[str, Any] | None:
        """A new latest version (the default too when ``default``); None for an unknown
        skill; NameMismatch for another name."""
        now = _now()
        with self._write() as db:
            row = db.execute(
                "SELECT name, next_version FROM openai_skills WHERE workspace = ? AND id = ?",
                (workspace, skill_id),
            ).fetchone()
            if row is None:
                return None
            if row[0] != content.name:
                raise NameMismatch(row[0])
            version = int(row[1])
            created = self._insert_version(db, skill_id, version, content, now)
            db.execute(
                "UPDATE openai_skills SET latest_version = ?, next_version = ?"
                + (", default_version = ?" if default else "")
                + " WHERE id = ?",
                (version, version + 1, *((version,) if default else ()), skill_id),
            )
        return version_object(created)

    def get(self, workspace: str, skill_id: str) -> dict[str, Any] | None:
        row = (
            self._db()
            .execute(f"{SKILL_SELECT} WHERE s.workspace = ? AND s.id = ?", (workspace, skill_id))
            .fetchone()
        )
        return skill_object(row) if row else None

    def _keyed(
        self,
        select: str,
        args: tuple[Any, ...],
        key: str,
        after: str | None,
        position: str,
        limit: int,
        ascending: bool,
    ) -> list[Any] | None:
        """Up to ``limit + 1`` rows of ``select`` after the row whose ``position`` query
        (given ``args[0]`` and ``after``) names; None if that row does not exist."""
        db = self._db()
        bound = 0 if ascending else 2**62
        if after is not None:
            found = db.execute(position, (args[0], after)).fetchone()
            if found is None:
                return None
            bound = int(found[0])
        compare, order = (">", "ASC") if ascending else ("<", "DESC")
        query = f"{select} AND {key} {compare} ? ORDER BY {key} {order} LIMIT ?"
        return db.execute(query, (*args, bound, limit + 1)).fetchall()

    def page(
        self, workspace: str, limit: int, after_id: str | None = None, ascending: bool = True
    ) -> tuple[list[dict[str, Any]], bool] | None:
        """A page by creation order, and whether more follow; None if ``after_id`` is not
        a skill of the workspace."""
        rows = self._keyed(
            f"{SKILL_SELECT} WHERE s.workspace = ?",
            (workspace,),
            "s.seq",
            after_id,
            "SELECT seq FROM openai_skills WHERE workspace = ? AND id = ?",
            limit,
            ascending,
        )
        return (
            None if rows is None else ([skill_object(r) for r in rows[:limit]], len(rows) > limit)
        )

    def set_default(self, workspace: str, skill_id: str, version: int) -> dict[str, Any] | None:
        """Point the default at ``version``; None for an unknown skill."""
        with self._write() as db:
            if self.get(workspace, skill_id) is None:
                return None
            if not db.execute(
                "SELECT 1 FROM openai_versions WHERE skill_id = ? AND version = ?",
                (skill_id, version),
            ).fetchone():
                raise NoSuchVersion(version)
            db.execute(
                "UPDATE openai_skills SET default_version = ? WHERE id = ?", (version, skill_id)
            )
        return self.get(workspace, skill_id)

    def versions(
        self, workspace: str, skill_id: str, limit: int, after_id: str | None, ascending: bool
    ) -> tuple[list[dict[str, Any]], bool] | None:
        """A page of versions by number; None for an unknown skill or ``after_id``."""
        if self.get(workspace, skill_id) is None:
            return None
        rows = self._keyed(
            f"SELECT {VERSION_COLUMNS} FROM openai_versions WHERE skill_id = ?",
            (skill_id,),
            "version",
            after_id,
            "SELECT version FROM openai_versions WHERE skill_id = ? AND id = ?",
            limit,
            ascending,
        )
        if rows is None:
            return None
        return [version_object(r) for r in rows[:limit]], len(rows) > limit

    def version(self, workspace: str, skill_id: str, version: int) -> dict[str, Any] | None:
        if self.get(workspace, skill_id) is None:
            return None
        row = (
            self._db()
            .execute(
                f"SELECT {VERSION_COLUMNS} FROM openai_versions WHERE skill_id = ? AND version = ?",
                (skill_id, version),
            )
            .fetchone()
        )
        return version_object(row) if row else None

    def content(
        self, workspace: str, skill_id: str, version: int | None
    ) -> tuple[str, bytes] | None:
        """(the skill's name, the zip of ``version``, or of the default when None)."""
        skill = self.get(workspace, skill_id)
        if skill is None:
            return None
        wanted = version if version is not None else int(skill["default_version"])
        row = (
            self._db()
            .execute(
                "SELECT name, content FROM openai_versions WHERE skill_id = ? AND version = ?",
                (skill_id, wanted),
            )
            .fetchone()
        )
        return (row[0], bytes(row[1])) if row else None

    def delete(self, workspace: str, skill_id: str) -> bool:
        """Delete a skill and its versions; False for an unknown skill."""
        with self._write() as db:
            deleted = db.execute(
                "DELETE FROM openai_skills WHERE workspace = ? AND id = ?", (workspace, skill_id)
            ).rowcount
            if deleted:
                db.execute("DELETE FROM openai_versions WHERE skill_id = ?", (skill_id,))
        return bool(deleted)

    def delete_version(self, workspace: str, skill_id: str, version: int) -> bool:
        """Delete one version (never the default); latest moves to the highest left.
        False if unknown."""
        with self._write() as db:
            row = db.execute(
                "SELECT default_version FROM openai_skills WHERE workspace = ? AND id = ?",
                (workspace, skill_id),
            ).fetchone()
            if row is None:
                return False
            if int(row[0]) == version:
                raise IsDefault(version)
            gone = db.execute(
                "DELETE FROM openai_versions WHERE skill_id = ? AND version = ?",
                (skill_id, version),
            ).rowcount
            if not gone:
                return False
            db.execute(
                "UPDATE openai_skills SET latest_version = (SELECT max(version) FROM "
                "openai_versions WHERE skill_id = ?) WHERE id = ?",
                (skill_id, skill_id),
            )
        return True

    def version_count(self, skill_id: str) -> int:
        query = "SELECT count(*) FROM openai_versions WHERE skill_id = ?"
        return int(self._db().execute(query, (skill_id,)).fetchone()[0])
