"""validate's verdict on each skill file, kept for the files that did not change.

A verdict (the file's problems, the names it defines and claims, its size
checks) depends on the file's bytes, the files it reads (an
``instructions_file``; a SKILL.md folder's listing), the skillsync version, the
schemas and the dialects the repository targets. An entry is keyed by the
repository, the file's path and a salt of the last three, and holds the
digest of the file's content and a signature of what it depends on.

Looking a file up costs a ``stat``: when the file's stat signature (resolved
device, inode, size, modification and change times) is the one recorded and the
file was not modified in the last seconds before it was recorded (a write in
the same clock tick could go unseen), its content is the recorded one.
Otherwise the content is read and hashed, and the entry is used only if the
digest matches. The cross-file rules always run on every file.

Plans against the folder dialects also keep, beside a verdict, the file tree its
skill uploads (path, digest and size of each file): keyed by the verdict row's
checksum, it is valid exactly as long as the verdict is, and spares a warm plan
rendering and hashing every skill.

A verdict holds every finding of the lint rules at its rule's default level;
the repository's ``lint`` settings (levels, per-file ignores) are applied to
cached and fresh verdicts alike on every run, so a changed setting can never
show a stale verdict and costs no re-validation.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sqlite3
import struct
import time
from pathlib import Path

from skillsync import __version__
from skillsync.cache import cache_dir, open_db, row_checksum
from skillsync.cache.payload import decode, encode
from skillsync.loader import SKILL_MD, SkillFile
from skillsync.model import FileEntry, FileTree, Location, Problem
from skillsync.walk import Tree, walk
from skillsync.yamlread import open_regular

log = logging.getLogger("skillsync.cache")

FILE_NAME = "verdicts.db"
FORMAT = 7
RACY_SECONDS = 2.0
SCHEMA = """
CREATE TABLE IF NOT EXISTS verdicts (
    root      TEXT NOT NULL,
    path      TEXT NOT NULL,
    salt      TEXT NOT NULL,
    stat      TEXT NOT NULL,
    written   REAL NOT NULL,
    digest    TEXT NOT NULL,
    depends   TEXT NOT NULL,
    payload   TEXT NOT NULL,
    checksum  TEXT NOT NULL,
    PRIMARY KEY (root, path)
);
CREATE TABLE IF NOT EXISTS trees (
    verdict   TEXT PRIMARY KEY,
    payload   TEXT NOT NULL,
    checksum  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS overlaps (
    root      TEXT PRIMARY KEY,
    key       TEXT NOT NULL,
    payload   TEXT NOT NULL
);
"""


def salt(schema_texts: list[str], dialects: frozenset[str]) -> str:
    digest = hashlib.sha256(f"{__version__}\0{','.join(sorted(dialects))}".encode())
    for text in schema_texts:
        digest.update(text.encode())
    return digest.hexdigest()


def stat_signature(path: str) -> str:
    """What changes when a file's content may have: '-' for a missing file. The stat
    follows symlinks, so a link pointed elsewhere changes the device and inode."""
    try:
        return _signature(os.stat(path))
    except OSError:
        return "-"


def _signature(st: os.stat_result) -> str:
    # packed, then hex: cheaper than formatting five integers as decimal text, and a warm
    # validate takes one per file of every skill folder
    fields = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    try:
        return _STAT.pack(*fields).hex()
    except struct.error:  # a time before 1678 or after 2262 (touch -d can set one): as text
        return "|".join(map(str, fields))


_STAT = struct.Struct("<QQQqq")
"""Device, inode and size (unsigned), modification and change times (ns, signed)."""


def folder_signature(
    folder: str, tree: Tree | None = None, own: tuple[str, str] | None = None
) -> str:
    """A SKILL.md folder's listing as the loader walks it (paths, kinds, stat signatures):
    from the repository's walk when it covered the folder, at no cost of its own. ``own``:
    a file of the folder whose stat signature was just taken (SKILL.md's, in a lookup),
    and it."""
    covered = tree.inside(folder) if tree is not None else None
    known, signed = own or ("", "")
    lines = []
    for rel, _, real, kind in walk(folder) if covered is None else covered:  # one per file: hot
        signature = signed if real == known else stat_signature(real)
        lines.append(f"{rel}|{kind}|{real}|{signature}\n")
    # a name that is not UTF-8 is held as surrogates: hashed as the bytes it came from
    return hashlib.sha256("".join(lines).encode("utf-8", "surrogateescape")).hexdigest()


def _depends_signature(
    skill_file: SkillFile, path: str, tree: Tree | None = None, stat: str | None = None
) -> str:
    """What the verdict of the file at ``path`` depends on besides its bytes (``stat``:
    the file's own stat signature, when just taken)."""
    parts = [f"{dep}={stat_signature(dep)}" for dep in skill_file.depends]
    if path.endswith(_IN_FOLDER):
        own = None if stat is None else (path, stat)
        parts.append(f"folder={folder_signature(path[: -len(_IN_FOLDER)], tree, own)}")
    return "\n".join(parts)


_IN_FOLDER = os.sep + SKILL_MD


def _content_digest(path: str) -> str | None:
    """The digest of a regular file's bytes; None for anything else (a FIFO is never
    opened for a blocking read) or what cannot be read."""
    try:
        with os.fdopen(open_regular(path), "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except OSError:  # NotRegularFile too, and a folder's IsADirectoryError
        return None


class VerdictCache:
    def __init__(
        self, db: sqlite3.Connection, root: str, salt: str, tree: Tree | None = None
    ) -> None:
        self._db, self._root, self._salt, self._tree = db, root, salt, tree
        self._rows: dict[str, tuple[str, str, float, str, str, str, str]] = {}
        """path -> the row (path, stat, written, digest, depends, payload, checksum)."""
        self._trees: dict[str, tuple[str, str]] = {}
        """verdict checksum -> (tree payload, its checksum), read with the verdicts."""
        self._valid: dict[str, str] = {}
        """The path shown -> the checksum of its verdict row, for the verdicts in use."""
        self.hits = 0
        self.refresh: list[tuple[str, SkillFile]] = []
        """Hits whose stat changed or was too recent to trust: stored again, so the next
        run trusts their stat."""

    @classmethod
    def open(
        cls,
        root: Path,
        salt: str,
        directory: Path | None = None,
        tree: Tree | None = None,
        *,
        trees: bool = False,
    ) -> VerdictCache | None:
        """The cache of ``root``; with ``trees``, the upload trees recorded too (plan)."""
        db = open_db((directory or cache_dir()) / FILE_NAME, SCHEMA, FORMAT)
        if db is None:
            return None
        cache = cls(db, str(root), salt, tree)
        try:
            cache._rows = {
                row[0]: row  # kept as read: no second tuple per row
                for row in db.execute(
                    "SELECT path, stat, written, digest, depends, payload, checksum "
                    "FROM verdicts WHERE root = ? AND salt = ?",
                    (str(root), salt),
                )
            }
            if trees:
                for verdict, payload, checksum in db.execute(
                    "SELECT t.verdict, t.payload, t.checksum FROM trees t JOIN verdicts v "
                    "ON v.checksum = t.verdict WHERE v.root = ? AND v.salt = ?",
                    (str(root), salt),
                ):
                    cache._trees[verdict] = (payload, checksum)
        except sqlite3.DatabaseError as exc:
            log.warning("verdict cache unreadable (%s); validating every file", exc)
            cache._rows, cache._trees = {}, {}
        return cache

    def lookup_all(self, paths: list[tuple[str, str]]) -> list[SkillFile | None]:
        """``lookup`` of each (path shown, absolute path), in order."""
        return [self.lookup(shown, absolute) for shown, absolute in paths]

    def lookup(self, display: str, path: str) -> SkillFile | None:
        """The recorded verdict of the file at ``path`` if nothing it depends on changed."""
        row = self._rows.get(display)
        if row is None:
            return None
        _, stat, written, digest, depends, payload, checksum = row
        if (
            row_checksum(self._root, display, self._salt, stat, digest, depends, payload)
            != checksum
        ):
            return None
        try:
            st = os.stat(path)
        except OSError:
            return None
        now_stat = _signature(st)
        mtime = st.st_mtime_ns / 1e9
        hashed = now_stat != stat or mtime >= written - RACY_SECONDS
        if hashed and _content_digest(path) != digest:
            return None
        try:
            skill_file = decode(display, payload)
        except (ValueError, KeyError, TypeError, IndexError):
            return None
        if _depends_signature(skill_file, path, self._tree, now_stat) != depends:
            return None
        self.hits += 1
        self._valid[display] = checksum
        if hashed and mtime < time.time() - RACY_SECONDS:
            self.refresh.append((path, skill_file))
        return skill_file

    def tree(self, display: str) -> FileTree | None:
        """The upload tree recorded with the verdict just looked up for ``display``."""
        verdict = self._valid.get(display)
        found = self._trees.get(verdict) if verdict is not None else None
        if found is None or row_checksum(verdict or "", found[0]) != found[1]:
            return None
        try:
            return tuple(FileEntry(p, d, n) for p, d, n in json.loads(found[0]))
        except (ValueError, TypeError):
            return None

    def store_trees(self, trees: list[tuple[str, FileTree]]) -> None:
        """Record the upload trees of skills whose verdicts are in use (``(path shown,
        tree)`` pairs)."""
        rows = []
        for display, tree in trees:
            verdict = self._valid.get(display)
            if verdict is None:
                continue
            payload = json.dumps([[e.path, e.digest, e.size] for e in tree], ensure_ascii=False)
            rows.append((verdict, payload, row_checksum(verdict, payload)))
        if not rows:
            return
        try:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("INSERT OR REPLACE INTO trees VALUES (?, ?, ?)", rows)
            self._db.execute(
                "DELETE FROM trees WHERE verdict NOT IN (SELECT checksum FROM verdicts)"
            )
            self._db.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            log.warning("verdict cache could not be written (%s)", exc)

    def store(self, files: list[tuple[str, SkillFile]]) -> None:
        """Record the verdicts of freshly loaded files (``(path, outcome)`` pairs)."""
        now = time.time()
        rows = []
        for path, skill_file in files:
            stat = stat_signature(path)
            digest = _content_digest(path)
            if stat == "-" or digest is None:
                continue
            depends = _depends_signature(skill_file, path, self._tree)
            payload = encode(skill_file)
            display = skill_file.path
            checksum = row_checksum(self._root, display, self._salt, stat, digest, depends, payload)
            self._valid[display] = checksum
            rows.append(
                (self._root, display, self._salt, stat, now, digest, depends, payload, checksum)
            )
        if not rows:
            return
        try:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany(
                "INSERT OR REPLACE INTO verdicts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
            )
            self._db.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            log.warning("verdict cache could not be written (%s)", exc)

    def overlaps(self, key: str) -> list[Problem] | None:
        """The overlapping-descriptions findings recorded for the same descriptions."""
        try:
            row = self._db.execute(
                "SELECT key, payload FROM overlaps WHERE root = ?", (self._root,)
            ).fetchone()
            if row is None or row[0] != f"{self._salt}:{key}":
                return None
            return [Problem(Location(*p[:3]), p[3], p[4], p[5]) for p in json.loads(row[1])]
        except (sqlite3.DatabaseError, ValueError, TypeError, IndexError):
            return None

    def store_overlaps(self, key: str, problems: list[Problem]) -> None:
        payload = json.dumps(
            [
                [p.location.path, p.location.line, p.location.col, p.message, p.severity, p.rule]
                for p in problems
            ]
        )
        try:  # autocommit: one statement, one transaction
            self._db.execute(
                "INSERT OR REPLACE INTO overlaps VALUES (?, ?, ?)",
                (self._root, f"{self._salt}:{key}", payload),
            )
        except sqlite3.DatabaseError as exc:
            log.warning("verdict cache could not be written (%s)", exc)

    def close(self) -> None:
        with contextlib.suppress(sqlite3.DatabaseError):
            self._db.close()
