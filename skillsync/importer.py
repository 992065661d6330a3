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

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from skillsync.errors import UnsafeRemoteContent
from skillsync.model import RemoteSkill
from skillsync.schemas import is_valid_name
from skillsync.tree import safe_relative
from skillsync.walk import not_uploaded, walk
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


def stale_files(root: Path, rendered: SkillFiles) -> list[Path]:
    """Files an overwritten SKILL.md folder holds that the remote skill does not (they
    would be uploaded as part of it), found by the walk plan uploads from: hidden files,
    ``__pycache__`` and anything behind a folder symlink are not."""
    if not rendered.main_path.endswith("/SKILL.md"):
        return []
    folder = (root / rendered.main_path).parent
    keep = {root / path for path in rendered.files}
    return [
        Path(f.path)
        for f in walk(str(folder))
        if Path(f.path) not in keep and f.kind != "unlistable"  # left: validate reports it
    ]


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
