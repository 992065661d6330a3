"""Local caches that make plans and validates cost what changed.

    versions.VersionCache   what each immutable version id of the anthropic dialect holds
    verdicts.VerdictCache   validate's verdict on each unchanged skill file

Both live in SQLite files under ``cache_dir()``: written in transactions (a killed
process or a second writer leaves them valid), every row checked against its own
digest when read, and any file that is not what skillsync wrote (corrupt,
truncated, another format) is removed and started afresh. A cache can only ever
save work: whatever it cannot vouch for is read again.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sqlite3
from pathlib import Path

log = logging.getLogger("skillsync.cache")

CACHE_ENV = "SKILLSYNC_CACHE_DIR"


def cache_dir() -> Path:
    """``$SKILLSYNC_CACHE_DIR``, else ``$XDG_CACHE_HOME/skillsync``, else ``~/.cache/skillsync``."""
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "skillsync"


def row_checksum(*parts: str | bytes) -> str:
    """The digest a cache row carries of its key and content, checked when it is read."""
    try:  # text only (most rows): one update of the same bytes, faster
        text = "\0".join(parts) + "\0"  # type: ignore[arg-type]
    except TypeError:
        pass
    else:
        return hashlib.sha256(text.encode()).hexdigest()
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        # A read-only cache cannot be removed: the next attempt fails, nothing is cached.
        with contextlib.suppress(OSError):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


class _OtherFormat(sqlite3.DatabaseError):
    """The cache was written by a skillsync version with another format."""


def open_db(path: Path, schema: str, format_version: int) -> sqlite3.Connection | None:
    """The cache database at ``path``, created or repaired as needed; None if the
    cache cannot be used at all (then everything is read from its source)."""
    for attempt in range(2):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                found = db.execute("PRAGMA user_version").fetchone()[0]
                tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
                if tables and found != format_version:
                    raise _OtherFormat(f"format {found}, not {format_version}")
                db.executescript(schema)
                db.execute(f"PRAGMA user_version = {int(format_version)}")
                return db
            except BaseException:
                db.close()
                raise
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                log.warning("cache %s is busy (%s); reading everything", path, exc)
                return None
            if attempt:
                break
            log.warning("cache %s is unusable (%s); starting it afresh", path, exc)
            _remove(path)
        except sqlite3.DatabaseError as exc:
            if attempt:
                break
            # another skillsync version's format is expected after an upgrade: no warning
            level = logging.INFO if isinstance(exc, _OtherFormat) else logging.WARNING
            log.log(level, "cache %s is unusable (%s); starting it afresh", path, exc)
            _remove(path)
        except OSError as exc:
            log.warning("cache %s cannot be opened (%s); reading everything", path, exc)
            return None
    return None
