"""Skills as file trees: what the anthropic dialect uploads and downloads.

A YAML skill file becomes one file, ``SKILL.md``, rendered deterministically by
``render_skill_md``: front matter with ``name``, ``description`` (always
double-quoted, with escapes, so any text reads back exactly through a YAML
parser) and ``metadata.version``, then the instructions byte for byte. A
SKILL.md folder is its SKILL.md as written plus every other file found beside it
(``loader`` finds them; hidden files and ``__pycache__`` are left out).
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import yaml

from skillsync.errors import SkillsyncError, UnsafeRemoteContent
from skillsync.limits import MAX_UPLOAD_BYTES
from skillsync.loader import DEFAULT_SKILL_MD_VERSION, SKILL_MD, split_front_matter
from skillsync.model import FileEntry, FileTree, Skill
from skillsync.schemas import is_valid_name

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
TEXT_LIMIT = 256 * 1024
"""Files up to this size that are UTF-8 keep their text, for the plans' diffs."""


_NAMED = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\0": "\\0"}
_SPECIAL = re.compile('[\\\\"\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029\\ufeff\\ud800-\\udfff]')


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if char in _NAMED:
        return _NAMED[char]
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def yaml_quoted(text: str) -> str:
    """A YAML double-quoted scalar that reads back as exactly ``text``.

    Escapes what YAML would otherwise fold or refuse: backslash, quote, every
    control character, NEL, the Unicode line and paragraph separators, BOM and
    lone surrogates; everything else stays as written.
    """
    return '"' + _SPECIAL.sub(_escape, text) + '"'


def render_skill_md(skill: Skill) -> str:
    """The SKILL.md a YAML skill uploads: always the same text for the same skill."""
    return (
        f"---\nname: {skill.name}\ndescription: {yaml_quoted(skill.description)}\n"
        f"metadata:\n  version: {yaml_quoted(skill.version)}\n---\n{skill.instructions}"
    )


def entry(path: str, data: bytes, text: str | None = None, digest: str | None = None) -> FileEntry:
    """A file's entry; ``text`` and ``digest`` when the caller already has them."""
    if text is None and len(data) <= TEXT_LIMIT and b"\0" not in data:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = None
    elif len(data) > TEXT_LIMIT:
        text = None
    digest = digest or "sha256:" + hashlib.sha256(data).hexdigest()
    return FileEntry(path, digest, len(data), text)


def desired_files(skill: Skill) -> list[tuple[str, bytes]]:
    """The files a skill uploads (paths inside its folder), read from disk now."""
    skill_md = skill.skill_md if skill.skill_md is not None else render_skill_md(skill)
    files = [(SKILL_MD, skill_md.encode("utf-8"))]
    for asset in skill.assets:
        try:
            with open(asset.real, "rb") as handle:
                files.append((asset.path, handle.read()))
        except OSError as exc:
            raise SkillsyncError(
                f"{skill.source}: cannot read {asset.path} of skill '{skill.name}': {exc.strerror}",
                hint="run validate, then plan again",
            ) from None
    return sorted(files)


def tree_of(files: Iterable[tuple[str, bytes]], like: FileTree | None = None) -> FileTree:
    """The tree of these files. An entry of ``like`` with the same path and digest is
    used as it is (its text is not decoded again, and held once)."""
    known = {e.path: e for e in like or ()}
    entries = []
    for path, data in files:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        same = known.get(path)
        if same is not None and same.digest == digest:
            entries.append(same)
        else:
            entries.append(entry(path, data, digest=digest))
    return tuple(sorted(entries, key=lambda e: e.path))


def with_tree(skill: Skill) -> Skill:
    """The skill with the tree it uploads (the anthropic dialect's view of it)."""
    if skill.assets:
        return replace(skill, files=tree_of(desired_files(skill)))
    text = skill.skill_md if skill.skill_md is not None else render_skill_md(skill)
    return replace(skill, files=(entry(SKILL_MD, text.encode("utf-8"), text),))


MAX_CONTENT_BYTES = 2 * MAX_UPLOAD_BYTES
"""The most a content download or its files may hold: an upload is at most 8 MB of files,
so anything larger is not a skill the API could hold (a zip bomb, a hostile server)."""


def safe_relative(path: str) -> bool:
    """A path that stays inside its folder: relative, no '..', no empty or '.' part, no
    backslash, no control character."""
    parts = path.split("/")
    return (
        bool(path)
        and not path.startswith("/")
        and "\\" not in path
        and all(part not in ("", ".", "..") for part in parts)
        and not any(ord(c) < 32 or c == "\x7f" for c in path)
    )


def unzip(name: str, data: bytes, limit: int = MAX_CONTENT_BYTES) -> list[tuple[str, bytes]]:
    """A content zip's files, their paths made relative to the skill's folder ``name/``.

    Refused (UnsafeRemoteContent) before anything is inflated past ``limit`` bytes in all:
    content that is not a zip, a path outside ``name/`` or climbing out of it, a path the
    zip holds twice, files whose sizes add up past the limit (the sizes the zip declares,
    and what it really inflates).
    """
    prefix = f"{name}/"
    if len(data) > limit:
        raise UnsafeRemoteContent(
            f"remote skill '{name}': its content is {len(data):,} bytes, over {limit:,}"
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise UnsafeRemoteContent(
            f"remote skill '{name}': its content is not a zip ({exc})"
        ) from None
    files = []
    with archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        declared = sum(info.file_size for info in infos)
        if declared > limit:
            raise UnsafeRemoteContent(
                f"remote skill '{name}': its files inflate to {declared:,} bytes, over {limit:,}"
            )
        budget = limit
        seen: set[str] = set()
        for info in infos:
            path = info.filename
            if not path.startswith(prefix) or not safe_relative(path[len(prefix) :]):
                raise UnsafeRemoteContent(
                    f"remote skill '{name}': holds a file with an unsafe path {path!r}"
                )
            if path in seen:  # which one the API serves is anybody's guess
                raise UnsafeRemoteContent(
                    f"remote skill '{name}': its zip holds {path!r} twice; upload the skill "
                    "again to repair it"
                )
            seen.add(path)
            try:
                with archive.open(info) as member:
                    content = member.read(budget + 1)
            except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
                raise UnsafeRemoteContent(
                    f"remote skill '{name}': {path!r} cannot be read from its zip ({exc})"
                ) from None
            budget -= len(content)
            if budget < 0:
                raise UnsafeRemoteContent(
                    f"remote skill '{name}': its files inflate past {limit:,} bytes"
                )
            files.append((path[len(prefix) :], content))
    return files


def named_in(data: bytes) -> str | None:
    """The name of the skill a content zip holds: its one top folder, read from the zip's
    directory without inflating anything. None when the zip cannot tell (not a zip, not
    one top folder that is a skill name): ``unzip`` says what is wrong with it."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            tops = {name.partition("/")[0] for name in archive.namelist()}
    except (zipfile.BadZipFile, ValueError, OSError, NotImplementedError):
        return None
    name = tops.pop() if len(tops) == 1 else ""
    return name if is_valid_name(name) else None


def read_skill_md(text: str) -> tuple[str, str | None]:
    """(version, description) of a SKILL.md: ``metadata.version`` (default 1.0.0) and the
    front matter's description (None when it has none)."""
    parts = split_front_matter(text)
    if parts is None or parts[2] < 0:
        return DEFAULT_SKILL_MD_VERSION, None
    try:
        front: Any = yaml.load(parts[0], Loader=_Loader)
    except yaml.YAMLError:
        front = None
    if not isinstance(front, dict):
        return DEFAULT_SKILL_MD_VERSION, None
    metadata = front.get("metadata")
    version = metadata.get("version") if isinstance(metadata, dict) else None
    description = front.get("description")
    return (
        str(version) if version is not None else DEFAULT_SKILL_MD_VERSION,
        description if isinstance(description, str) else None,
    )
