"""The seed dialect's skills in the emulator's SQLite file: one row per skill."""

from __future__ import annotations

import sqlite3
from typing import Any

from skillsync.emulator.database import Database, _now, new_id

SCHEMA = """
CREATE TABLE IF NOT EXISTS skills (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT NOT NULL UNIQUE,
    workspace    TEXT NOT NULL,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL,
    instructions TEXT NOT NULL,
    version      TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS skills_by_workspace ON skills (workspace, seq);
CREATE INDEX IF NOT EXISTS skills_by_name ON skills (workspace, name);
"""

COLUMNS = "id, name, description, instructions, version, created_at, updated_at"


class NameTaken(Exception):
    pass


def _skill(row: sqlite3.Row | tuple[Any, ...]) -> dict[str, Any]:
    skill_id, name, description, instructions, version, created, updated = row
    return {
        "id": skill_id,
        "type": "skill",
        "name": name,
        "description": description,
        "instructions": instructions,
        "version": version,
        "created_at": created,
        "updated_at": updated,
    }


class SkillStore(Database):
    """The seed dialect: one row per skill."""

    schema = SCHEMA
    table = "skills"
    api = "seed"

    def create(
        self,
        workspace: str,
        fields: dict[str, str],
        *,
        allow_duplicate: bool = False,
    ) -> dict[str, Any]:
        """Insert a skill; NameTaken if the workspace has the name (unless allow_duplicate,
        which tests use to stage the duplicates an eventually consistent API can show)."""
        now = _now()
        with self._write() as db:
            if not allow_duplicate:
                taken = db.execute(
                    "SELECT 1 FROM skills WHERE workspace = ? AND name = ?",
                    (workspace, fields["name"]),
                ).fetchone()
                if taken:
                    raise NameTaken(fields["name"])
            row = (
                new_id(),
                fields["name"],
                fields["description"],
                fields["instructions"],
                fields["version"],
                now,
                now,
            )
            db.execute(
                f"INSERT INTO skills (workspace, {COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (workspace, *row),
            )
        return _skill(row)

    def get(self, workspace: str, skill_id: str) -> dict[str, Any] | None:
        row = (
            self._db()
            .execute(
                f"SELECT {COLUMNS} FROM skills WHERE workspace = ? AND id = ?",
                (workspace, skill_id),
            )
            .fetchone()
        )
        return _skill(row) if row else None

    def list(
        self, workspace: str, limit: int, after_id: str | None = None
    ) -> tuple[list[dict[str, Any]], bool] | None:
        """A page in creation order and whether more follow; None if after_id is unknown."""
        db = self._db()
        after = 0
        if after_id is not None:
            found = db.execute(
                "SELECT seq FROM skills WHERE workspace = ? AND id = ?", (workspace, after_id)
            ).fetchone()
            if found is None:
                return None
            after = found[0]
        rows = db.execute(
            f"SELECT {COLUMNS} FROM skills WHERE workspace = ? AND seq > ? ORDER BY seq LIMIT ?",
            (workspace, after, limit + 1),
        ).fetchall()
        return [_skill(r) for r in rows[:limit]], len(rows) > limit

    def update(
        self, workspace: str, skill_id: str, fields: dict[str, str]
    ) -> dict[str, Any] | None:
        assignments = ", ".join(f"{column} = ?" for column in fields)
        with self._write() as db:
            changed = db.execute(
                f"UPDATE skills SET {assignments}, updated_at = ? WHERE workspace = ? AND id = ?",
                (*fields.values(), _now(), workspace, skill_id),
            ).rowcount
        return self.get(workspace, skill_id) if changed else None

    def delete(self, workspace: str, skill_id: str) -> bool:
        with self._write() as db:
            deleted = db.execute(
                "DELETE FROM skills WHERE workspace = ? AND id = ?", (workspace, skill_id)
            ).rowcount
        return bool(deleted)
