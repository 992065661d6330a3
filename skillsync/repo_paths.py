"""Where a repository's paths really lead: the skill files its globs match, each path
resolved (symlinks followed once, cheaply), and what may not be uploaded because of
where it leads (outside the repository, or to a hidden file such as ``.git`` or
``.env``)."""

from __future__ import annotations

import os
from pathlib import Path

from skillsync.config import leaves_repository
from skillsync.model import Location, Problem
from skillsync.walk import Tree, fixed_folder
from skillsync.yamlread import NotRegularFile


class RepoPaths:
    """Where paths of one repository really lead (symlinks resolved), cheaply.

    Resolving every file separately costs several system calls per path
    component. A file the repository's walk found needs none: the walk follows
    no folder symlink and resolved each file symlink. Any other path: skill
    files share a few folders, so each folder is resolved once and listed once
    (the listing says which entries are symlinks); a file is resolved on its own
    only when it is itself a symlink.
    """

    def __init__(self, root: Path, tree: Tree | None = None) -> None:
        self.root = os.path.realpath(root)
        self.tree = tree
        """The repository's walk, when the caller made one (a folder's files come from it)."""
        self._folders: dict[str, str] = {}
        self._links: dict[str, frozenset[str]] = {}
        self._tree_root = os.path.realpath(tree.root) if tree is not None else ""

    def _symlinks_in(self, real_folder: str) -> frozenset[str]:
        links = self._links.get(real_folder)
        if links is None:
            try:
                with os.scandir(real_folder) as entries:
                    links = frozenset(e.name for e in entries if e.is_symlink())
            except OSError:
                links = frozenset()
            self._links[real_folder] = links
        return links

    def resolve(self, path: Path | str) -> str:
        found = self.tree.get(str(path)) if self.tree is not None else None
        if found is not None and found.kind == "file":
            if found.real != found.path:
                return found.real  # a file symlink: the walk resolved it
            # the walk follows no folder symlink below its root: only the root may be one
            return self._tree_root + os.sep + found.rel.replace("/", os.sep)
        folder, name = os.path.split(path)
        real_folder = self._folders.get(folder)
        if real_folder is None:
            real_folder = self._folders[folder] = os.path.realpath(folder)
        real = os.path.join(real_folder, name)
        if name in self._symlinks_in(real_folder):
            real = os.path.realpath(real)
        return real

    def holds(self, real: str) -> bool:
        """Is this resolved path inside the repository?"""
        return real == self.root or real.startswith(self.root + os.sep)


def rel(root: Path, path: Path) -> str:
    """``path`` relative to ``root`` as shown to users (posix separators)."""
    text, prefix = str(path), str(root) + os.sep
    if text.startswith(prefix):
        return text[len(prefix) :].replace(os.sep, "/")
    return Path(text).as_posix()


def discover(root: Path, globs: tuple[str, ...], tree: Tree | None = None) -> list[Path]:
    """Paths matched by the config's globs, sorted, from one walk of the repository (or of
    ``tree``). Hidden files are not matched, folder symlinks are not followed.

    Matches are not checked here; ``load_file`` checks each one, including that it does
    not lead outside the repository.
    """
    return [root / display for display, _ in matched(root, globs, tree)]


def matched(root: Path, globs: tuple[str, ...], tree: Tree | None = None) -> list[tuple[str, str]]:
    """``discover`` as strings: (the path shown, relative to ``root``; the absolute path),
    without making a ``Path`` per file (validate's warm runs mostly need none)."""
    tree = tree or walk_for(root, globs)
    usable = tuple(p for p in globs if not leaves_repository(p))  # others: config problems
    return [(f.rel, f.path) for f in tree.match(usable) if f.kind != "link-to-folder"]


def walk_for(root: Path, globs: tuple[str, ...]) -> Tree:
    """The walk the globs need: the fixed folders they start from, each once."""
    tops = tuple(fixed_folder(p) for p in globs if not leaves_repository(p))
    return Tree.of(str(root), tops)


KIND_PROBLEMS = {
    "link-to-folder": "is a symlink to a folder, which skillsync does not follow; put the "
    "folder itself here",
    "special": "is not a regular file (a FIFO, socket or device); remove it from the folder",
    "broken": "cannot be read (a broken symlink?)",
    "unlistable": "is a folder that cannot be listed (permission denied?); skillsync cannot "
    "tell which files it holds: make it readable or remove it",
}


def hidden_part(real: str, root: str) -> str:
    """The path below ``root`` that ``real`` (resolved, inside it) leads to, when a hidden
    name (``.git``, ``.env``, ``.ssh``...) lies on it; '' otherwise."""
    relative = real[len(root) + 1 :].replace(os.sep, "/")
    return relative if any(part.startswith(".") for part in relative.split("/")) else ""


def sensitive_link(real: str, inside: RepoPaths) -> str:
    """Why a file symlink may not be uploaded ('' when it may)."""
    resolved = os.path.realpath(real)
    if not inside.holds(resolved):
        return "resolves outside the repository (symlink); keep a skill's files inside it"
    hidden = hidden_part(resolved, inside.root)
    if hidden:
        return (
            f"is a symlink to {hidden!r}, a hidden file or folder (.git, .env...) whose "
            "contents must never be uploaded; remove the link"
        )
    return ""


def unlistable_folders(tree: Tree) -> list[Problem]:
    """The folders of the walk that could not be listed: errors, since a skill they hold
    would otherwise look deleted (and a plan would delete it remotely)."""
    message = KIND_PROBLEMS["unlistable"]
    return [
        Problem(Location(f.rel), message, rule="unreadable")
        for f in tree.found
        if f.kind == "unlistable"
    ]


def unreadable(exc: OSError) -> str:
    """Why a file could not be read, as a problem says it."""
    if isinstance(exc, NotRegularFile):
        return KIND_PROBLEMS["special"]
    if isinstance(exc, PermissionError):
        return PERMISSION_DENIED
    return f"cannot be read ({exc.strerror or exc})"


PERMISSION_DENIED = "cannot be read (permission denied); make it readable or remove it"
