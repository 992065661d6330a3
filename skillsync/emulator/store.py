"""Skills of every workspace in one SQLite file.

``Database`` is the shared part: WAL mode, one connection per thread, and every
write is one ``BEGIN IMMEDIATE`` transaction, so concurrent writers never lose
or duplicate a write and the data survives a restart. ``SkillStore`` keeps the
seed dialect's skills on it; ``folder_store.FolderStore`` the anthropic
dialect's skills and versions, in the same file.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_id() -> str:
    return "skill_" + secrets.token_hex(12)


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


class Database:
    """One SQLite file shared by threads: a connection per thread, one transaction per write."""

    schema = ""
    table = ""
    """The table of skills (``count`` counts its rows)."""
    api = ""
    """The dialect whose data this store keeps (``open_store`` picks the store class by
    the dialect, and the app its front by the store's class)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._db().executescript(self.schema)

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA busy_timeout=10000")
            self._local.db = db
            with self._lock:
                self._connections.append(db)
        return db

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            for db in self._connections:
                db.close()
            self._connections.clear()
        self._local = threading.local()

    def count(self, workspace: str | None = None) -> int:
        """Skills in a workspace, or in all of them."""
        if workspace is None:
            row = self._db().execute(f"SELECT count(*) FROM {self.table}").fetchone()
        else:
            query = f"SELECT count(*) FROM {self.table} WHERE workspace = ?"
            row = self._db().execute(query, (workspace,)).fetchone()
        return int(row[0])


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
