"""Sources on this machine: fetched once, written out once per locked commit, verified
on every read.

Under the cache folder (``cache.cache_dir()``): ``sources/git/<url digest>`` is a bare
repository per URL holding the commits fetched from it, and
``sources/trees/<source>-<commit>/sources/<source>/<folder>/...`` the locked skills'
files as the commit holds them, byte for byte (blobs read raw: no line-ending or
attribute rule of the user's git applies). The loader reads them from there, so
every finding and plan line names a file ``sources/<source>/<path in the source>``.
Each skill's files are checked against the lock's digest each time they are read: a
cache changed behind skillsync's back is an error, never deployed.
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath

from skillsync.cache import cache_dir
from skillsync.config import SourceConfig
from skillsync.sources import git
from skillsync.sources.git import SourceError
from skillsync.sources.lock import LockedSkill, LockedSource
from skillsync.walk import not_uploaded

SKILL_MD = "SKILL.md"
EXECUTABLE, SYMLINK = "100755", "120000"


def repository_of(url: str) -> Path:
    """The bare repository that keeps what was fetched from ``url``."""
    return cache_dir() / "sources" / "git" / hashlib.sha256(url.encode()).hexdigest()[:24]


def mount_of(name: str, commit: str) -> Path:
    """The folder the loader reads source ``name`` at ``commit`` from (its files are under
    ``sources/<name>/``)."""
    return cache_dir() / "sources" / "trees" / f"{name}-{commit}"


def digest(folder: Path) -> str:
    """The digest of a skill folder's upload tree: every file it would upload (not the
    hidden ones or ``__pycache__``) by path, with its executable bit and bytes (a symlink:
    its target)."""
    lines = []
    for here, folders, files in os.walk(folder):
        folders[:] = sorted(f for f in folders if not not_uploaded(f))
        for name in sorted(files):
            if not_uploaded(name):
                continue
            path = Path(here) / name
            relative = path.relative_to(folder).as_posix()
            if path.is_symlink():
                kind, data = "l", os.readlink(path).encode()
            else:
                kind = "x" if os.access(path, os.X_OK) else "-"
                data = path.read_bytes()
            lines.append(f"{relative}\0{kind}\0{hashlib.sha256(data).hexdigest()}")
    return "sha256:" + hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()


def _selected(files: list[tuple[str, str, str]], source: SourceConfig) -> dict[str, str]:
    """name -> folder of each SKILL.md folder under the source's path that its skills
    globs select."""
    base = source.path.strip("/")
    found: dict[str, str] = {}
    for _, _, path in files:
        pure = PurePosixPath(path)
        if pure.name != SKILL_MD or not_uploaded(path):
            continue
        folder = pure.parent.as_posix()
        if folder == "." or (base and folder != base and not folder.startswith(base + "/")):
            continue
        name = pure.parent.name
        if source.skills is None or any(fnmatch.fnmatchcase(name, g) for g in source.skills):
            if name in found:
                raise SourceError(
                    f"source '{source.name}': two folders are named '{name}' "
                    f"({found[name]}, {folder})",
                    hint="narrow its path or its skills",
                )
            found[name] = folder
    missing = [g for g in source.skills or () if not any(fnmatch.fnmatchcase(n, g) for n in found)]
    if missing or not found:
        what = ", ".join(missing) if missing else "any skill"
        raise SourceError(
            f"{source.at}: source '{source.name}': no SKILL.md folder matching {what} under "
            f"'{base or '/'}' at {source.ref or 'HEAD'}",
            hint="check its path and skills against the repository",
        )
    return found


def _write_tree(store: Path, mount: Path, name: str, commit: str, folders: list[str]) -> None:
    """Write the files of ``folders`` at ``commit`` (in the bare repository ``store``)
    under ``mount/sources/<name>/``, whole or not at all (written aside, then renamed
    into place)."""
    files = git.list_files(store, commit)
    wanted = [
        (mode, blob, path)
        for mode, blob, path in files
        if any(path.startswith(f + "/") for f in folders) and not not_uploaded(path)
    ]
    blobs = git.read_blobs(store, sorted({blob for _, blob, _ in wanted}))
    mount.parent.mkdir(parents=True, exist_ok=True)
    aside = Path(tempfile.mkdtemp(prefix=f".{mount.name}-", dir=mount.parent))
    try:
        for mode, blob, path in wanted:
            target = aside / "sources" / name / path
            target.parent.mkdir(parents=True, exist_ok=True)
            if mode == SYMLINK:
                target.symlink_to(blobs[blob].decode("utf-8", "surrogateescape"))
                continue
            target.write_bytes(blobs[blob])
            target.chmod(0o755 if mode == EXECUTABLE else 0o644)
        with contextlib.suppress(OSError):
            shutil.rmtree(mount)
        aside.rename(mount)
    finally:
        shutil.rmtree(aside, ignore_errors=True)


def _fetched(url: str, commit: str, name: str) -> Path:
    """The cache's bare repository of ``url``, holding ``commit`` (fetched if missing)."""
    store = repository_of(url)
    git.fetch(store, url, commit, name)
    return store


def resolve(source: SourceConfig, root: Path) -> LockedSource:
    """Resolve the source's ref now (network), fetch that commit and lock its skills
    (``root``: the repository's, which a relative path of a source is relative to)."""
    git.check_version()
    url = git.reachable(source.git, root)
    commit = git.resolve_ref(url, source.ref, source.name)
    store = _fetched(url, commit, source.name)
    folders = _selected(git.list_files(store, commit), source)
    mount = mount_of(source.name, commit)
    _write_tree(store, mount, source.name, commit, sorted(folders.values()))
    skills = tuple(
        LockedSkill(n, f, digest(mount / "sources" / source.name / f))
        for n, f in sorted(folders.items())
    )
    return LockedSource(source.git, source.ref, source.path, source.skills, commit, skills)


def mount(name: str, locked: LockedSource, root: Path) -> Path:
    """The folder holding ``locked``'s skills, fetched and written out when missing (the
    one network access of a command that is not ``lock`` or ``update``), each skill
    checked against its digest."""
    where = mount_of(name, locked.commit)
    if not where.is_dir():
        git.check_version()
        store = _fetched(git.reachable(locked.url, root), locked.commit, name)
        _write_tree(store, where, name, locked.commit, [s.folder for s in locked.skills])
    for skill in locked.skills:
        folder = where / "sources" / name / skill.folder
        found = digest(folder) if folder.is_dir() else "missing"
        if found != skill.digest:
            raise SourceError(
                f"sources/{name}/{skill.folder}: its files do not match skillsync.lock "
                f"(the cache at {where} was changed after it was fetched)",
                hint=f"delete {where} and run again: it is fetched anew and checked",
            )
    return where


def files_of(name: str, locked: LockedSource, skill: LockedSkill) -> dict[str, str]:
    """path -> digest of each file a locked skill uploads (``update`` compares them)."""
    folder = mount_of(name, locked.commit) / "sources" / name / skill.folder
    out = {}
    for here, folders, files in os.walk(folder):
        folders[:] = [f for f in folders if not not_uploaded(f)]
        for file_name in files:
            if not not_uploaded(file_name):
                path = Path(here) / file_name
                out[path.relative_to(folder).as_posix()] = hashlib.sha256(
                    path.read_bytes() if not path.is_symlink() else os.readlink(path).encode()
                ).hexdigest()
    return out
