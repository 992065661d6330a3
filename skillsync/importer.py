"""Remote skills -> skill files that plan back to exactly the same remote content.

Instructions go into the YAML file as a literal block scalar (``|``, ``|-``,
``|+`` keep trailing newlines exact); PyYAML falls back to a quoted scalar when
a literal block cannot hold the text (trailing spaces, control characters), so
every byte survives. Instructions longer than ``INLINE_LIMIT`` characters go to
a Markdown ``instructions_file`` beside the YAML file, written byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from skillsync.model import RemoteSkill
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
    """The files one imported skill becomes: relative path -> exact text."""

    yaml_path: str
    files: dict[str, str]


def render_skill(skill: RemoteSkill, directory: str) -> SkillFiles:
    assert skill.instructions is not None and skill.version is not None
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
        raise ValueError(f"cannot write skill '{skill.name}' as files exactly")
    return SkillFiles(yaml_path, {yaml_path: head, f"{directory}/{md_name}": skill.instructions})
