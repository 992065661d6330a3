"""Remote skills -> skill files that plan back to exactly the same remote content.

The anthropic dialect's skills are written as they are, a SKILL.md folder with
every file of the latest version, byte for byte (``render_folder``). The seed
dialect's become YAML skill files (``render_skill``):

Instructions go into the YAML file as a literal block scalar (``|``, ``|-``,
``|+`` keep trailing newlines exact); PyYAML falls back to a quoted scalar when
a literal block cannot hold the text (trailing spaces, control characters), so
every byte survives. Instructions longer than ``INLINE_LIMIT`` characters go to
a Markdown ``instructions_file`` beside the YAML file, written byte for byte.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from skillsync.atomic import write_atomically
from skillsync.errors import SkillsyncError, UnsafeRemoteContent
from skillsync.model import RemoteSkill
from skillsync.schemas import is_valid_name
from skillsync.tree import safe_relative
from skillsync.walk import not_uploaded, skipped, uploadable_name
from skillsync.yamlread import parse

INLINE_LIMIT = 8_000
"""Instructions longer than this many characters are written to <name>.md."""


class _Dumper(yaml.SafeDumper):
    pass


class _QuotingDumper(yaml.SafeDumper):
    pass


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


def _represent_quoted(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style='"')


_Dumper.add_representer(str, _represent_str)
_QuotingDumper.add_representer(str, _represent_quoted)


def dump_yaml(document: dict[str, Any], *, quote: bool = False) -> str:
    dumper = _QuotingDumper if quote else _Dumper
    text: str = yaml.dump(document, Dumper=dumper, sort_keys=False, allow_unicode=True, width=100)
    return text


def dump_exact(document: dict[str, Any]) -> str | None:
    """YAML that reads back as exactly ``document``: readable styles first, then
    double quotes for every string (PyYAML's other styles mangle a few characters,
    such as a lone U+0085); None if neither round-trips."""
    for quote in (False, True):
        text = dump_yaml(document, quote=quote)
        if parse(text).value == document:
            return text
    return None


@dataclass(frozen=True)
class SkillFiles:
    """The files one imported skill becomes: relative path -> exact content."""

    main_path: str
    files: dict[str, str | bytes]
    left_out: tuple[str, ...] = ()
    """Files of the remote skill not written (hidden ones, ``__pycache__``)."""
    executable: frozenset[str] = frozenset()
    """Files written executable (where the remote keeps modes: an agent's folder)."""


def write_skill(root: Path, rendered: SkillFiles) -> None:
    """Write one imported skill so that a failure leaves the old files whole.

    A SKILL.md folder is written beside its old self (``.<name>.skillsync-new``), then
    swapped in by renaming; the files the old folder kept that plan never uploads (hidden
    ones, ``__pycache__``) move into the new one, and a file of the old folder that the
    new one also holds keeps its mode; one the remote keeps executable is made so. Other
    skills are single files, each replaced atomically."""
    if not rendered.main_path.endswith("/SKILL.md"):
        for relative, content in rendered.files.items():
            write_atomically(root / relative, content)
        return
    folder = (root / rendered.main_path).parent
    below = folder.relative_to(root)
    new = folder.with_name(f".{folder.name}.skillsync-new")
    old = folder.with_name(f".{folder.name}.skillsync-old")
    for leftover in (new, old):  # of an import that was interrupted
        shutil.rmtree(leftover, ignore_errors=True)
    try:
        for relative, content in rendered.files.items():
            inside = Path(relative).relative_to(below)
            (new / inside).parent.mkdir(parents=True, exist_ok=True)
            write_atomically(new / inside, content)
            with contextlib.suppress(FileNotFoundError):
                (new / inside).chmod(stat.S_IMODE((folder / inside).stat().st_mode))
            if relative in rendered.executable:
                mode = (new / inside).stat().st_mode
                (new / inside).chmod(stat.S_IMODE(mode) | (mode & 0o444) >> 2)
        if folder.exists():
            folder.rename(old)
        new.rename(folder)
    except BaseException as exc:
        shutil.rmtree(new, ignore_errors=True)
        if isinstance(exc, OSError):
            raise SkillsyncError(f"cannot write {folder}: {exc.strerror or exc}") from None
        raise
    try:
        if old.exists():
            keep_unuploaded(old, folder)
            shutil.rmtree(old)
    except OSError as exc:
        raise SkillsyncError(
            f"{folder} is written, but the old files left in {old} could not be moved or "
            f"removed ({exc.strerror or exc})",
            hint="move what you want to keep from it, then delete it",
        ) from None


def keep_unuploaded(old: Path, new: Path) -> None:
    """Move what the old folder held that plan never uploads (hidden entries,
    ``__pycache__``) into the new folder: it was never the skill's to replace."""
    for here, folders, files in os.walk(old):
        for name in [*folders, *files]:
            if skipped(name):
                source = Path(here) / name
                target = new / source.relative_to(old)
                target.parent.mkdir(parents=True, exist_ok=True)
                source.rename(target)
        folders[:] = [f for f in folders if not skipped(f)]


def render_folder(name: str, files: list[tuple[str, bytes]], directory: str) -> SkillFiles:
    """A SKILL.md folder ``<directory>/<name>/`` holding ``files`` byte for byte, except
    the hidden ones and ``__pycache__`` (listed in ``SkillFiles.left_out``)."""
    check_name(name)
    out: dict[str, str | bytes] = {}
    left_out = []
    for path, data in files:
        if not safe_relative(path):
            raise UnsafeRemoteContent(
                f"remote skill '{name}' holds a file with an unsafe path: {path!r}"
            )
        if not_uploaded(path):
            left_out.append(path)
            continue
        if not uploadable_name(path):  # validate would refuse the folder import wrote
            raise UnsafeRemoteContent(
                f"remote skill '{name}' holds a file whose name no upload can carry as it is "
                f"(a double quote or a control character): {path!r}"
            )
        out[f"{directory}/{name}/{path}"] = data
    main = f"{directory}/{name}/SKILL.md"
    if main not in out:
        raise UnsafeRemoteContent(f"remote skill '{name}' has no SKILL.md")
    return SkillFiles(main, out, tuple(sorted(left_out)))


def check_name(name: str) -> None:
    """A remote skill's name becomes a file name: it must be a valid skill name."""
    if not is_valid_name(name):
        raise UnsafeRemoteContent(
            f"remote skill {name!r}: not a valid skill name (a-z, 0-9, single inner hyphens); "
            "it is not written"
        )


def render_skill(skill: RemoteSkill, directory: str) -> SkillFiles:
    assert skill.instructions is not None and skill.version is not None
    check_name(skill.name)
    yaml_path = f"{directory}/{skill.name}.yaml"
    document: dict[str, Any] = {
        "name": skill.name,
        "description": skill.description,
        "version": skill.version,
    }
    inline = {**document, "instructions": skill.instructions}
    text = None if len(skill.instructions) > INLINE_LIMIT else dump_exact(inline)
    if text is not None:
        return SkillFiles(yaml_path, {yaml_path: text})
    md_name = f"{skill.name}.md"
    head = dump_exact({**document, "instructions_file": md_name})
    if head is None or skill.instructions.startswith("\ufeff"):
        raise UnsafeRemoteContent(f"cannot write skill '{skill.name}' as files exactly")
    return SkillFiles(yaml_path, {yaml_path: head, f"{directory}/{md_name}": skill.instructions})
