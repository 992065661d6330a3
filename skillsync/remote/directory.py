"""The directory dialect: a folder where coding agents read skills (SPEC 15).

Claude Code reads ``.claude/skills``, Codex and others ``.agents/skills``: one
subfolder per skill, holding its SKILL.md and files. Here the folder is the remote.
A skill is the subfolder ``<folder>/<name>/`` holding exactly the files the folder
dialects upload (a YAML skill becomes its SKILL.md as uploaded), compared with the same
digests, so a hand edit is drift.

What it never touches: hidden entries and plain files of the folder (a README); a
skill folder that is a symlink (another installer's), listed as another's and never
followed, updated or deleted; and what a skill's own folder holds that no upload
carries (a ``.env`` a script reads, ``__pycache__``), which an update keeps. Its own
entries are hidden: ``.skillsync.lock``, held by an apply against another one at the
same time, and ``.<name>.skillsync-new`` / ``-old`` while a skill is swapped. A skill
is written beside its old self and renamed into place; an apply cut between the two
renames leaves the old folder hidden, and the next read puts it back: each skill is
old or new, never half.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import stat
import threading
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import IO, Any, TypeVar

from skillsync.config import TargetConfig
from skillsync.errors import SkillsyncError, TargetError
from skillsync.importer import SkillFiles, keep_unuploaded, render_folder
from skillsync.loader import SKILL_MD
from skillsync.model import RemoteSkill, Skill, files_content, with_execute_bits
from skillsync.options import ClientOptions
from skillsync.plan import Change
from skillsync.remote.base import Remote
from skillsync.tree import TEXT_LIMIT, desired_files, read_skill_md, tree_of, with_tree
from skillsync.walk import skipped

T = TypeVar("T")
R = TypeVar("R")

LOCK_NAME = ".skillsync.lock"
SYMLINKED = "a symlink (installed by another tool); never followed or changed"


class FolderWriteError(SkillsyncError):
    """A skill's folder could not be written or removed."""


def _new(folder: Path, name: str) -> Path:
    return folder / f".{name}.skillsync-new"


def _old(folder: Path, name: str) -> Path:
    return folder / f".{name}.skillsync-old"


class DirectoryRemote(Remote):
    def __init__(self, folder: Path, shown: str, parallelism: int) -> None:
        self.folder = folder
        self.shown = shown
        self._parallelism = parallelism
        self._lock: IO[bytes] | None = None
        self._taking = threading.Lock()
        """Changes run on several threads: the first to write takes the folder's lock."""

    @classmethod
    def open(
        cls,
        target: TargetConfig,
        url: str,
        key: str,
        *,
        local: bool,
        endpoint: str,
        options: ClientOptions,
        **settings: Any,
    ) -> Remote:
        return cls(Path(url), target.base_url, int(settings.get("parallelism") or 1))

    # -- the interface's plumbing: no HTTP here --------------------------------------------
    @property
    def base_url(self) -> str:
        return self.shown

    @property
    def parallelism(self) -> int:
        return self._parallelism

    def map(self, function: Callable[[T], R], items: Iterable[T]) -> list[R]:
        return [function(item) for item in items]

    def close(self) -> None:
        if self._lock is not None:
            self._lock.close()  # closing the file lets the lock go
            self._lock = None

    def __repr__(self) -> str:
        return f"DirectoryRemote({str(self.folder)!r})"

    # -- reading -------------------------------------------------------------------------
    def list_skills(self) -> list[RemoteSkill]:
        """Every visible subfolder (and symlink) of the folder; none when it does not
        exist yet (apply makes it)."""
        try:
            self._recover()
            entries = sorted(os.scandir(self.folder), key=lambda e: e.name)
        except FileNotFoundError:
            return []
        except NotADirectoryError:
            raise TargetError(
                f"{self.shown} is a file, not a folder of skills",
                hint="point the target's path at a folder",
            ) from None
        except OSError as exc:
            raise TargetError(f"cannot read {self.shown}: {exc.strerror or exc}") from None
        skills = []
        for entry in entries:
            if skipped(entry.name):
                continue
            if entry.is_symlink():
                skills.append(RemoteSkill(entry.name, entry.name, "", foreign=SYMLINKED))
            elif entry.is_dir(follow_symlinks=False):
                skills.append(RemoteSkill(entry.name, entry.name, self._description(entry.name)))
        return skills

    def _description(self, name: str) -> str:
        """The description in a skill folder's SKILL.md, as a list item of an API carries
        it: a plan that deletes the skill shows it. A SKILL.md that is a symlink, or not
        a regular file, is never opened."""
        flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(self.folder / name / SKILL_MD, flags)
            with os.fdopen(fd, "rb") as handle:
                if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                    return ""
                raw = handle.read(TEXT_LIMIT + 1)
        except OSError:
            return ""
        return read_skill_md(raw.decode("utf-8", "replace"))[1] or ""

    def _recover(self) -> None:
        """Put back a skill an apply left hidden between its two renames."""
        names = set(os.listdir(self.folder))
        for hidden in names:
            if hidden.startswith(".") and hidden.endswith(".skillsync-old"):
                name = hidden[1 : -len(".skillsync-old")]
                if name not in names:
                    with contextlib.suppress(OSError):
                        os.rename(self.folder / hidden, self.folder / name)

    def fetch_full(self, skill: RemoteSkill) -> RemoteSkill:
        files, executable = self._read(skill.name)
        tree = with_execute_bits(tree_of(files), executable)
        raw = dict(files).get(SKILL_MD, b"")
        version, description = read_skill_md(raw[: TEXT_LIMIT + 1].decode("utf-8", "replace"))
        return RemoteSkill(skill.id, skill.name, description or "", version=version, files=tree)

    def _read(self, name: str) -> tuple[list[tuple[str, bytes]], set[str]]:
        """The files of an installed skill, as an upload would carry them (hidden files and
        ``__pycache__``, which agents and scripts leave, are not the skill's), and which of
        them are executable. A symlink inside is never followed: it reads as a file that
        names its target, and is not executable."""
        top = self.folder / name
        files, executable = [], set()
        for here, folders, names in os.walk(top):
            folders[:] = sorted(f for f in folders if not skipped(f))
            for file_name in sorted(names):
                if skipped(file_name):
                    continue
                path = Path(here) / file_name
                relative = path.relative_to(top).as_posix()
                try:
                    if path.is_symlink():
                        files.append((relative, f"symlink -> {os.readlink(path)}".encode()))
                        continue
                    with open(path, "rb") as handle:
                        files.append((relative, handle.read()))
                        if os.fstat(handle.fileno()).st_mode & 0o111:
                            executable.add(relative)
                except OSError as exc:
                    raise TargetError(
                        f"cannot read {self.shown}/{name}/{relative}: {exc.strerror or exc}"
                    ) from None
        return files, executable

    def project(self, skill: Skill) -> Skill:
        """The skill as installed: its upload tree, each script's execute bit kept."""
        projected = with_tree(skill)
        executable = {path for path, bits in _modes(skill).items() if bits}
        if not executable or projected.files is None:
            return projected
        return replace(projected, files=with_execute_bits(projected.files, executable))

    def installed(self, name: str) -> str | None:
        """Where skill ``name`` is installed (``output``'s ``installed``)."""
        return str(self.folder / name)

    def export_paths(self, name: str, directory: str) -> tuple[str, ...]:
        return (f"{directory}/{name}/SKILL.md", f"{directory}/{name}")

    def export(self, skill: RemoteSkill, directory: str) -> SkillFiles:
        files, executable = self._read(skill.name)
        rendered = render_folder(skill.name, files, directory)
        prefix = f"{directory}/{skill.name}/"
        return replace(rendered, executable=frozenset(prefix + p for p in executable))

    # -- writing -------------------------------------------------------------------------
    def create(self, change: Change, skill: Skill | None) -> str:
        self._write(change, skill)
        return change.name

    def update(self, change: Change, skill: Skill | None) -> str:
        self._write(change, skill)
        return change.name

    def delete(self, skill_id: str) -> None:
        self._hold_lock()
        top = self.folder / skill_id
        if top.is_symlink():
            raise FolderWriteError(f"{self.shown}/{skill_id} is a symlink; it was left alone")
        old = _old(self.folder, skill_id)
        try:
            shutil.rmtree(old, ignore_errors=True)
            with contextlib.suppress(FileNotFoundError):
                top.rename(old)
            shutil.rmtree(old)
        except OSError as exc:
            raise FolderWriteError(
                f"cannot delete {self.shown}/{skill_id}: {exc.strerror or exc}"
            ) from None

    def _hold_lock(self) -> None:
        """The folder's lock, taken at the first write and held until ``close``: two
        applies to one folder at once would interleave their swaps."""
        with self._taking:
            if self._lock is None:
                self._lock = self._take_lock()

    def _take_lock(self) -> IO[bytes]:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle = open(self.folder / LOCK_NAME, "ab")  # noqa: SIM115 (held until close)
        except OSError as exc:
            raise FolderWriteError(f"cannot write to {self.shown}: {exc.strerror or exc}") from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise FolderWriteError(
                f"another skillsync apply is writing to {self.shown}",
                hint="wait for it to finish, then plan again",
            ) from None
        return handle

    def _write(self, change: Change, skill: Skill | None) -> None:
        """The skill's folder, written beside the old one and renamed into place."""
        if skill is None:
            raise FolderWriteError(f"skill '{change.name}' is not in the repository any more")
        files, modes = desired_files(skill), _modes(skill)
        # the bytes about to be written are the ones checked against the plan
        tree = with_execute_bits(tree_of(files), {path for path, bits in modes.items() if bits})
        if files_content(tree) != (change.after or {}).get("files"):
            raise FolderWriteError(
                f"the files of skill '{change.name}' changed on disk after the plan was made",
                hint="run plan again",
            )
        self._hold_lock()
        top = self.folder / change.name
        if top.is_symlink():
            raise FolderWriteError(
                f"{self.shown}/{change.name} is a symlink (another tool's); it was left alone"
            )
        new, old = _new(self.folder, change.name), _old(self.folder, change.name)
        try:
            shutil.rmtree(new, ignore_errors=True)
            for path, data in files:
                target = new / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                if modes.get(path):
                    target.chmod(target.stat().st_mode | modes[path])
            shutil.rmtree(old, ignore_errors=True)
            with contextlib.suppress(FileNotFoundError):
                top.rename(old)
            new.rename(top)
            if old.exists():  # what an agent or a script left there, a plan never reads
                keep_unuploaded(old, top)
            shutil.rmtree(old, ignore_errors=True)
        except OSError as exc:
            shutil.rmtree(new, ignore_errors=True)
            if old.exists() and not top.exists():
                with contextlib.suppress(OSError):
                    old.rename(top)
            raise FolderWriteError(
                f"cannot write {self.shown}/{change.name}: {exc.strerror or exc}"
            ) from None


def _modes(skill: Skill) -> dict[str, int]:
    """The execute bits of each file of a skill's folder in the repository (path inside
    the folder -> bits), which its installed copy keeps."""
    modes = {}
    for asset in skill.assets:
        try:
            modes[asset.path] = stat.S_IMODE(os.stat(asset.real).st_mode) & 0o111
        except OSError:
            modes[asset.path] = 0
    return modes
