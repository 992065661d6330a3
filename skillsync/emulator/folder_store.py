"""The anthropic dialect's skills and their immutable versions, in the same SQLite file.

A version is written once, with its content (the zip of its files, built at
upload) and never changed; a skill's ``latest_version_id`` moves in the same
transaction that adds or removes a version. Deleting a skill deletes its
versions.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from skillsync.emulator.database import Database, _now, new_id

SCHEMA = """
CREATE TABLE IF NOT EXISTS folder_skills (
    seq               INTEGER PRIMARY KEY AUTOINCREMENT,
    id                TEXT NOT NULL UNIQUE,
    workspace         TEXT NOT NULL,
    name              TEXT NOT NULL,
    display_name      TEXT NOT NULL,
    latest_version_id TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS folder_skills_by_workspace ON folder_skills (workspace, seq);
CREATE TABLE IF NOT EXISTS folder_versions (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT NOT NULL UNIQUE,
    skill_id     TEXT NOT NULL,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    content      BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS folder_versions_by_skill ON folder_versions (skill_id, seq);
"""

SKILL_COLUMNS = "id, display_name, latest_version_id, created_at, updated_at"
VERSION_COLUMNS = "id, skill_id, name, description, created_at"


class NameMismatch(Exception):
    """A new version whose name differs from the skill's."""


class LastVersion(Exception):
    """Deleting the only version of a skill (a skill holds at least one)."""


class HasVersions(Exception):
    """Deleting a skill that still has versions (the 2025 beta's rule)."""


@dataclass(frozen=True)
class VersionContent:
    """What one upload holds, already checked: the name, description and zip."""

    name: str
    description: str
    zip: bytes


def new_version_id() -> str:
    return "skillver_" + secrets.token_hex(12)


def skill_object(row: tuple[Any, ...]) -> dict[str, Any]:
    skill_id, display_name, latest, created, updated = row
    return {
        "type": "skill",
        "id": skill_id,
        "created_at": created,
        "updated_at": updated,
        "display_name": display_name,
        "latest_version_id": latest,
        "source": {"type": "custom"},
    }


def version_object(row: tuple[Any, ...]) -> dict[str, Any]:
    version_id, skill_id, name, description, created = row
    return {
        "type": "skill_version",
        "id": version_id,
        "skill_id": skill_id,
        "name": name,
        "description": description,
        "created_at": created,
    }


class FolderStore(Database):
    schema = SCHEMA
    table = "folder_skills"
    api = "anthropic"

    def _skill_seq(self, workspace: str, skill_id: str) -> int | None:
        row = (
            self._db()
            .execute(
                "SELECT seq FROM folder_skills WHERE workspace = ? AND id = ?",
                (workspace, skill_id),
            )
            .fetchone()
        )
        return None if row is None else int(row[0])

    def create(
        self, workspace: str, content: VersionContent, display_name: str | None
    ) -> dict[str, Any]:
        """A new skill with its first version; returns the Skill object."""
        now = _now()
        skill_id, version_id = new_id(), new_version_id()
        label = display_name if display_name is not None else content.name
        with self._write() as db:
            db.execute(
                "INSERT INTO folder_skills (workspace, name, id, display_name, "
                "latest_version_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (workspace, content.name, skill_id, label, version_id, now, now),
            )
            db.execute(
                f"INSERT INTO folder_versions ({VERSION_COLUMNS}, content) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (version_id, skill_id, content.name, content.description, now, content.zip),
            )
        return skill_object((skill_id, label, version_id, now, now))

    def add_version(
        self, workspace: str, skill_id: str, content: VersionContent
    ) -> dict[str, Any] | None:
        """A new latest version; None for an unknown skill; NameMismatch for another name."""
        now = _now()
        version_id = new_version_id()
        with self._write() as db:
            row = db.execute(
                "SELECT name FROM folder_skills WHERE workspace = ? AND id = ?",
                (workspace, skill_id),
            ).fetchone()
            if row is None:
                return None
            if row[0] != content.name:
                raise NameMismatch(row[0])
            db.execute(
                f"INSERT INTO folder_versions ({VERSION_COLUMNS}, content) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (version_id, skill_id, content.name, content.description, now, content.zip),
            )
            db.execute(
                "UPDATE folder_skills SET latest_version_id = ?, updated_at = ? WHERE id = ?",
                (version_id, now, skill_id),
            )
        return version_object((version_id, skill_id, content.name, content.description, now))

    def get(self, workspace: str, skill_id: str) -> dict[str, Any] | None:
        row = (
            self._db()
            .execute(
                f"SELECT {SKILL_COLUMNS} FROM folder_skills WHERE workspace = ? AND id = ?",
                (workspace, skill_id),
            )
            .fetchone()
        )
        return skill_object(row) if row else None

    def page(
        self, workspace: str, limit: int, after_seq: int = 0
    ) -> tuple[list[dict[str, Any]], int | None]:
        """A page in creation order, and the seq to continue after (None: no more)."""
        rows = (
            self._db()
            .execute(
                f"SELECT seq, {SKILL_COLUMNS} FROM folder_skills "
                "WHERE workspace = ? AND seq > ? ORDER BY seq LIMIT ?",
                (workspace, after_seq, limit + 1),
            )
            .fetchall()
        )
        page = rows[:limit]
        more = int(page[-1][0]) if len(rows) > limit else None
        return [skill_object(r[1:]) for r in page], more

    def versions(
        self, workspace: str, skill_id: str, limit: int, before_seq: int | None = None
    ) -> tuple[list[dict[str, Any]], int | None] | None:
        """A page of versions, newest first; None for an unknown skill."""
        if self._skill_seq(workspace, skill_id) is None:
            return None
        rows = (
            self._db()
            .execute(
                f"SELECT seq, {VERSION_COLUMNS} FROM folder_versions "
                "WHERE skill_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
                (skill_id, before_seq if before_seq is not None else 2**62, limit + 1),
            )
            .fetchall()
        )
        page = rows[:limit]
        more = int(page[-1][0]) if len(rows) > limit else None
        return [version_object(r[1:]) for r in page], more

    def _version_row(
        self, workspace: str, skill_id: str, version: str, columns: str
    ) -> tuple[Any, ...] | None:
        db = self._db()
        if version == "latest":
            found = db.execute(
                "SELECT latest_version_id FROM folder_skills WHERE workspace = ? AND id = ?",
                (workspace, skill_id),
            ).fetchone()
            if found is None or found[0] is None:
                return None
            version = found[0]
        elif self._skill_seq(workspace, skill_id) is None:
            return None
        row = db.execute(
            f"SELECT {columns} FROM folder_versions WHERE skill_id = ? AND id = ?",
            (skill_id, version),
        ).fetchone()
        return tuple(row) if row else None

    def version(self, workspace: str, skill_id: str, version: str) -> dict[str, Any] | None:
        row = self._version_row(workspace, skill_id, version, VERSION_COLUMNS)
        return version_object(row) if row else None

    def content(self, workspace: str, skill_id: str, version: str) -> tuple[str, bytes] | None:
        """(the skill's name, the version's zip)."""
        row = self._version_row(workspace, skill_id, version, "name, content")
        return (row[0], bytes(row[1])) if row else None

    def delete(self, workspace: str, skill_id: str, *, refuse_with_versions: bool) -> bool:
        """Delete a skill and its versions; False for an unknown skill."""
        with self._write() as db:
            if refuse_with_versions:
                left = db.execute(
                    "SELECT count(*) FROM folder_versions v JOIN folder_skills s "
                    "ON s.id = v.skill_id WHERE s.workspace = ? AND s.id = ?",
                    (workspace, skill_id),
                ).fetchone()[0]
                if left:
                    raise HasVersions(skill_id)
            deleted = db.execute(
                "DELETE FROM folder_skills WHERE workspace = ? AND id = ?", (workspace, skill_id)
            ).rowcount
            if deleted:
                db.execute("DELETE FROM folder_versions WHERE skill_id = ?", (skill_id,))
        return bool(deleted)

    def delete_version(
        self, workspace: str, skill_id: str, version_id: str, *, keep_one: bool
    ) -> bool:
        """Delete one version; the latest moves to the newest left. False if unknown."""
        with self._write() as db:
            if (
                db.execute(
                    "SELECT 1 FROM folder_skills WHERE workspace = ? AND id = ?",
                    (workspace, skill_id),
                ).fetchone()
                is None
            ):
                return False
            ids = [
                r[0]
                for r in db.execute(
                    "SELECT id FROM folder_versions WHERE skill_id = ? ORDER BY seq DESC",
                    (skill_id,),
                )
            ]
            if version_id not in ids:
                return False
            if keep_one and len(ids) == 1:
                raise LastVersion(version_id)
            db.execute("DELETE FROM folder_versions WHERE id = ?", (version_id,))
            latest = next((i for i in ids if i != version_id), None)
            db.execute(
                "UPDATE folder_skills SET latest_version_id = ?, updated_at = ? WHERE id = ?",
                (latest, _now(), skill_id),
            )
        return True

    def version_count(self, skill_id: str) -> int:
        return int(
            self._db()
            .execute("SELECT count(*) FROM folder_versions WHERE skill_id = ?", (skill_id,))
            .fetchone()[0]
        )
