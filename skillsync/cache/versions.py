"""What each version id of the anthropic dialect holds, kept between runs.

A version is immutable: once skillsync has read (or uploaded) version ``v``, its
name, description, semantic version and file digests never change. Entries are
keyed by the endpoint, the workspace (``workspace_id`` and a digest of the key:
never the key) and the version id, so a cache shared by several targets never
answers for the wrong one. File texts (for the plans' diffs) sit in a second
table and are read only for skills whose files differ.

Reads come from many threads at once; writes are buffered and committed in
batches, each batch one transaction.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import sqlite3
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path

from skillsync.cache import cache_dir, open_db, row_checksum
from skillsync.model import FileEntry, FileTree

log = logging.getLogger("skillsync.cache")

FILE_NAME = "versions.db"
FORMAT = 1
FLUSH_EVERY = 500
SCHEMA = """
CREATE TABLE IF NOT EXISTS versions (
    scope      TEXT NOT NULL,
    version_id TEXT NOT NULL,
    payload    TEXT NOT NULL,
    checksum   TEXT NOT NULL,
    PRIMARY KEY (scope, version_id)
);
CREATE TABLE IF NOT EXISTS texts (
    scope      TEXT NOT NULL,
    version_id TEXT NOT NULL,
    path       TEXT NOT NULL,
    text       BLOB NOT NULL,
    checksum   TEXT NOT NULL,
    PRIMARY KEY (scope, version_id, path)
);
"""


@dataclass(frozen=True)
class VersionRecord:
    """What a version holds: ``files`` None when only its name was read."""

    name: str
    description: str
    version: str | None = None
    files: FileTree | None = None


def scope_of(endpoint: str, workspace_id: str | None, api_key: str) -> str:
    key_digest = hashlib.sha256(f"skillsync-cache\0{api_key}".encode()).hexdigest()
    return hashlib.sha256(f"{endpoint}\0{workspace_id or ''}\0{key_digest}".encode()).hexdigest()


class VersionCache:
    def __init__(self, db: sqlite3.Connection, scope: str) -> None:
        self._db = db
        self._scope = scope
        self._lock = threading.Lock()
        self._pending: list[tuple[str, VersionRecord]] = []

    @classmethod
    def open(cls, scope: str, directory: Path | None = None) -> VersionCache | None:
        db = open_db((directory or cache_dir()) / FILE_NAME, SCHEMA, FORMAT)
        return None if db is None else cls(db, scope)

    def get_many(self, version_ids: list[str]) -> dict[str, VersionRecord]:
        """The records of those of ``version_ids`` the cache knows (one query per 500)."""
        found: dict[str, VersionRecord] = {}
        try:
            for start in range(0, len(version_ids), 500):
                chunk = version_ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                with self._lock:
                    rows = self._db.execute(
                        "SELECT version_id, payload, checksum FROM versions "
                        f"WHERE scope = ? AND version_id IN ({marks})",
                        (self._scope, *chunk),
                    ).fetchall()
                for version_id, payload, checksum in rows:
                    record = self._decode(version_id, payload, checksum)
                    if record is not None:
                        found[version_id] = record
        except sqlite3.DatabaseError as exc:
            self._broken(exc)
        return found

    def _decode(self, version_id: str, payload: str, checksum: str) -> VersionRecord | None:
        if row_checksum(self._scope, version_id, payload) != checksum:
            log.warning("cache entry for %s does not match its checksum; reading it", version_id)
            return None
        try:
            data = json.loads(payload)
            files = data.get("files")
            return VersionRecord(
                name=str(data["name"]),
                description=str(data["description"]),
                version=data.get("version"),
                files=None if files is None else tuple(FileEntry(p, d, s) for p, d, s in files),
            )
        except (ValueError, KeyError, TypeError):
            return None

    def texts(self, version_id: str, paths: list[str]) -> dict[str, str]:
        """The cached texts of these files of a version (those it has)."""
        out: dict[str, str] = {}
        try:
            with self._lock:
                rows = self._db.execute(
                    "SELECT path, text, checksum FROM texts WHERE scope = ? AND version_id = ?",
                    (self._scope, version_id),
                ).fetchall()
        except sqlite3.DatabaseError as exc:
            self._broken(exc)
            return out
        wanted = set(paths)
        for path, blob, checksum in rows:
            if path in wanted and row_checksum(self._scope, version_id, path, blob) == checksum:
                out[path] = zlib.decompress(blob).decode("utf-8")
        return out

    def put(self, version_id: str, record: VersionRecord) -> None:
        with self._lock:
            self._pending.append((version_id, record))
            full = len(self._pending) >= FLUSH_EVERY
        if full:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
            if not pending:
                return
            try:
                self._db.execute("BEGIN IMMEDIATE")
                for version_id, record in pending:
                    self._write(version_id, record)
                self._db.execute("COMMIT")
            except sqlite3.DatabaseError as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                log.warning("cache could not be written (%s); it is left as it was", exc)

    def _write(self, version_id: str, record: VersionRecord) -> None:
        files = None
        if record.files is not None:
            files = [[f.path, f.digest, f.size] for f in record.files]
        payload = json.dumps(
            {
                "name": record.name,
                "description": record.description,
                "version": record.version,
                "files": files,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )
        # A record of the name alone never replaces one that knows the files too.
        verb = "INSERT OR IGNORE" if record.files is None else "INSERT OR REPLACE"
        self._db.execute(
            f"{verb} INTO versions VALUES (?, ?, ?, ?)",
            (self._scope, version_id, payload, row_checksum(self._scope, version_id, payload)),
        )
        for entry in record.files or ():
            if entry.text is not None:
                blob = zlib.compress(entry.text.encode("utf-8"), 6)
                checksum = row_checksum(self._scope, version_id, entry.path, blob)
                self._db.execute(
                    "INSERT OR REPLACE INTO texts VALUES (?, ?, ?, ?, ?)",
                    (self._scope, version_id, entry.path, blob, checksum),
                )

    def _broken(self, exc: sqlite3.DatabaseError) -> None:
        log.warning("cache read failed (%s); reading from the API instead", exc)

    def close(self) -> None:
        self.flush()
        with contextlib.suppress(sqlite3.DatabaseError):
            self._db.close()
