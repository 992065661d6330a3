"""One walk of the repository: every file once, folder symlinks never followed.

The loader (which files the globs match, which files a SKILL.md folder uploads), the
verdict cache (a folder's signature) and import all see the repository through this
walk. It lists each folder once with ``os.scandir``, skips hidden names and
``__pycache__`` (nothing skillsync reads or uploads lives there), and never follows a
symlink to a folder, so symlink loops cannot hang it and ``ln -s .. up`` cannot make
every skill appear twice. A symlink to a file is kept with its resolved target (the
loader refuses one that leads outside the repository). Anything that is not a regular
file (a FIFO, a socket, a device) is recorded as such and never opened, and so is a
folder that cannot be listed: never taken for an empty one, so the skills it holds
cannot look deleted.
"""

from __future__ import annotations

import bisect
import operator
import os
import re
import stat
from functools import cache
from typing import NamedTuple

SKIPPED_FOLDERS = ("__pycache__",)


def skipped(name: str) -> bool:
    """A name the walk passes over: hidden (``.git``, ``.env``...) or ``__pycache__``."""
    return name.startswith(".") or name in SKIPPED_FOLDERS


def not_uploaded(path: str) -> bool:
    """A relative path under a skipped name (hidden, ``__pycache__``): the walk never finds
    it, plan never uploads it, import never writes it."""
    return any(skipped(part) for part in path.split("/"))


_NOT_UPLOADABLE = re.compile('["\x00-\x1f\x7f\ud800-\udfff]')
"""A double quote, a control character, or a byte that is not UTF-8 (Python keeps it as a
lone surrogate): no upload can carry the name as it is."""


NOT_UTF8 = re.compile("[\ud800-\udfff]")


def shown(path: str) -> str:
    """A path as findings show it: bytes that are not UTF-8 (held by Python as lone
    surrogates) escaped as ``\\xff``, so every output can print and hash it."""
    if NOT_UTF8.search(path) is None:
        return path
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def uploadable_name(path: str) -> bool:
    """A path a multipart upload carries as it is: no double quote, no control character,
    nothing that is not UTF-8."""
    return _NOT_UPLOADABLE.search(path) is None


class Found(NamedTuple):
    """A file (or something that is not one) found by the walk (a named tuple: a large
    repository makes one per file, and a tuple is the cheapest to make)."""

    rel: str
    """The path relative to the walked root, with ``/``."""
    path: str
    """The path as walked (no folder symlink on the way)."""
    real: str
    """Where it leads: ``path`` itself, or a file symlink's resolved target."""
    kind: str = "file"
    """``file``; ``link-to-folder``, ``special`` (FIFO, socket, device), ``broken``, or
    ``unlistable`` (a folder whose entries cannot be read)."""

    def size(self) -> int:
        """The size of what it leads to, read now (the walk itself never stats a regular
        file: finding skill files needs only their names); 0 if it is gone."""
        try:
            return os.stat(self.real).st_size
        except OSError:
            return 0


def walk(top: str, prefix: str = "") -> list[Found]:
    """Every entry under ``top`` (a folder), sorted by relative path (``prefix`` + the path
    below ``top``)."""
    found: list[Found] = []
    append = found.append
    pending = [("", top)]
    while pending:
        relative, folder = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except (FileNotFoundError, NotADirectoryError):
            continue  # gone since it was listed: nothing under it is found
        except OSError:  # unreadable: what it holds is unknown, and must not look absent
            shown = f"{prefix}{relative}" if relative else prefix.rstrip("/") or "."
            append(Found(shown, folder, folder, "unlistable"))
            continue
        base = f"{prefix}{relative}/" if relative else prefix
        for entry in entries:
            name = entry.name
            if name[0] == "." or name in SKIPPED_FOLDERS:  # skipped(), inlined: hot
                continue
            path = entry.path
            try:
                if entry.is_dir(follow_symlinks=False):
                    pending.append((f"{relative}/{name}" if relative else name, path))
                elif entry.is_file(follow_symlinks=False):
                    append(Found(base + name, path, path, "file"))
                elif entry.is_symlink():
                    append(_link(base + name, path))
                else:
                    append(Found(base + name, path, path, "special"))
            except OSError:
                append(Found(base + name, path, path, "broken"))
    found.sort(key=_REL)
    return found


_REL = operator.itemgetter(0)
"""Sort key of found entries: the relative path (unique; comparing strings alone is three
times faster than comparing the tuples)."""


def _link(rel: str, path: str) -> Found:
    real = os.path.realpath(path)
    try:
        mode = os.stat(real).st_mode
    except OSError:
        return Found(rel, path, real, "broken")
    if stat.S_ISDIR(mode):
        return Found(rel, path, real, "link-to-folder")
    return Found(rel, path, real, "file" if stat.S_ISREG(mode) else "special")


class Tree:
    """The walk of one root, with the files under any folder at hand."""

    def __init__(self, root: str, found: list[Found], tops: tuple[str, ...] = ("",)) -> None:
        self.root = root
        self.found = found
        self.tops = tops
        """The folders walked, relative to the root (``""``: all of it)."""
        self._whole = "" in tops
        self._below = tuple(f"{top}/" for top in tops if top)
        self._keys = [f.rel for f in found]
        self._prefix = root + os.sep

    @classmethod
    def of(cls, root: str, tops: tuple[str, ...] = ("",)) -> Tree:
        """Walk the folders ``tops`` (relative to ``root``; nested ones once)."""
        found: list[Found] = []
        kept: list[str] = []
        for top in sorted(set(tops), key=len):
            if any(top == k or top.startswith(k + "/") or not k for k in kept):
                continue
            kept.append(top)
            base = os.path.join(root, top) if top else root
            if top and (os.path.islink(base) or not os.path.isdir(base)):
                continue  # a glob's fixed folder that is missing, or a folder symlink
            found += walk(base, f"{top}/" if top else "")
        if len(kept) > 1:  # each walk's entries are sorted already
            found.sort(key=_REL)
        return cls(root, found, tuple(kept))

    def _relative(self, path: str) -> str | None:
        """``path`` (as walked) relative to the root, with ``/``; None outside the root."""
        if not path.startswith(self._prefix):
            return None
        relative = path[len(self._prefix) :]
        return relative if os.sep == "/" else relative.replace(os.sep, "/")

    def get(self, path: str) -> Found | None:
        """The entry found at ``path`` (an absolute path as walked), if the walk found one."""
        relative = self._relative(path)
        if relative is None:
            return None
        index = bisect.bisect_left(self._keys, relative)
        if index < len(self._keys) and self._keys[index] == relative:
            return self.found[index]
        return None

    def under(self, folder: str) -> list[Found]:
        """Every entry below ``folder`` (relative to the root)."""
        if not folder:
            return self.found[:]
        below = folder.rstrip("/")
        keys = self._keys
        # every path starting "<folder>/" sorts from there to "<folder>0" ('0' follows
        # '/'), whatever code points the rest of it holds
        start = bisect.bisect_left(keys, below + "/")
        return self.found[start : bisect.bisect_left(keys, below + "0", start)]

    def inside(self, folder: str) -> list[Found] | None:
        """The entries below the folder at path ``folder`` (their paths relative to the
        root, as found: no copies); None when the walk did not cover that folder (outside
        the root, or beside the folders walked: a file named on the command line)."""
        below = self._relative(folder)
        if below is None or not self.covers(below):
            return None
        return self.under(below)

    def covers(self, folder: str) -> bool:
        """Whether the walk went through ``folder`` (relative to the root)."""
        return self._whole or folder in self.tops or folder.startswith(self._below)

    def match(self, patterns: tuple[str, ...]) -> list[Found]:
        """Entries matched by any of the glob ``patterns`` (``**`` crosses folders; ``*``,
        ``?`` and ``[...]`` stay in one), each once, sorted."""
        tails = tuple(literal_tail(p) for p in patterns)  # rules out most paths cheaply
        either = re.compile(
            "|".join(f"(?:{glob_regex(p.removeprefix('./')).pattern})" for p in patterns)
        )
        return [f for f in self.found if f.rel.endswith(tails) and either.fullmatch(f.rel)]


def literal_tail(pattern: str) -> str:
    """The literal end of a glob (``.yaml`` of ``skills/**/*.yaml``): a cheap test that
    rules out most paths before the regex runs."""
    tail = pattern.rsplit("/", 1)[-1]
    for index in range(len(tail) - 1, -1, -1):
        if tail[index] in "*?[]":
            return tail[index + 1 :]
    return tail


def fixed_folder(pattern: str) -> str:
    """The folders of a glob before its first wildcard (where a walk for it starts)."""
    parts = pattern.removeprefix("./").split("/")[:-1]
    fixed = []
    for part in parts:
        if any(c in part for c in "*?["):
            break
        fixed.append(part)
    return "/".join(fixed)


@cache
def glob_regex(pattern: str) -> re.Pattern[str]:
    out = ""
    index = 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            out, index = out + "(?:[^/]+/)*", index + 3
        elif pattern.startswith("**", index):
            out, index = out + ".*", index + 2
        elif pattern[index] == "*":
            out, index = out + "[^/]*", index + 1
        elif pattern[index] == "?":
            out, index = out + "[^/]", index + 1
        elif pattern[index] == "[":
            end = pattern.find("]", index + 2)
            if end < 0:
                out, index = out + re.escape("["), index + 1
            else:
                body = pattern[index + 1 : end]
                body = "^" + body[1:] if body.startswith("!") else body
                out, index = out + f"[{body.replace(chr(92), chr(92) * 2)}]", end + 1
        else:
            out, index = out + re.escape(pattern[index]), index + 1
    return re.compile(out)
