"""The emulator's SQLite file, shared by every dialect's store.

WAL mode, one connection per thread, and every write is one ``BEGIN IMMEDIATE``
transaction, so concurrent writers never lose or duplicate a write and the data
survives a restart. Each dialect's store (``dialects.Dialect.store``) keeps its
tables on it, in the same file.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_id() -> str:
    return "skill_" + secrets.token_hex(12)


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
