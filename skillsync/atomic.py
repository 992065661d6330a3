"""Write a file so that it holds either its old content or the whole new one."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from skillsync.errors import SkillsyncError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _regular_or_missing(path: Path) -> os.stat_result | None:
    """The regular file at ``path`` (None when there is none); anything else refused."""
    try:
        found = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SkillsyncError(f"cannot write {path}: {exc.strerror}") from None
    if not stat.S_ISREG(found.st_mode):
        raise SkillsyncError(
            f"{path} is not a regular file; skillsync writes only regular files",
            hint="give a path to a new or an existing regular file",
        )
    return found


def check_writable(path: Path) -> None:
    """Refuse now a path ``write_atomically`` would refuse later (a device, a FIFO, a
    folder, a symlink; a folder that is missing or not writable): a command that writes
    its result after sending changes checks the path before it sends anything."""
    _regular_or_missing(path)
    folder = path.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise SkillsyncError(
            f"cannot write {path}: {folder} is not a folder skillsync can write in",
            hint="create the folder, or give another path",
        )


def write_atomically(path: Path, content: str | bytes) -> None:
    """Write ``content`` (text as UTF-8), byte for byte (no newline translation), atomically.

    Only a regular file is ever replaced: a path that is a device, a FIFO, a folder or a
    symlink is refused (replacing ``/dev/full`` would swap the device node for a file).
    A new file gets the mode an ordinary write would give it (0666 less the umask); a
    replaced one keeps its mode.
    """
    found = _regular_or_missing(path)
    mode = 0o666 & ~_umask() if found is None else stat.S_IMODE(found.st_mode)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise SkillsyncError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content.encode("utf-8") if isinstance(content, str) else content)
        os.chmod(temp, mode)
        os.replace(temp, path)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise SkillsyncError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
