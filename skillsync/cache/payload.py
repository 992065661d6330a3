"""A verdict as the verdict cache stores it: a SkillFile <-> JSON.

A JSON array, not an object: a warm validate decodes one per skill file, and an array
decodes a third faster. Adding a field to SkillFile or to what validate keeps of a
Skill means adding it to ``encode`` and ``decode`` here, and raising
``verdicts.FORMAT`` so that older rows are not read.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from skillsync.loader import SkillFile
from skillsync.model import Location, Problem, Skill


# A JSON array, not an object: a warm validate decodes one per skill file, and an array
# decodes a third faster. Its Skill is restored without its __init__ (see _restore_skill).
def _location(where: Location | None) -> list[Any] | None:
    return None if where is None else [where.path, where.line, where.col]


def encode(skill_file: SkillFile) -> str:
    skill = skill_file.skill
    return json.dumps(
        [
            [
                [p.location.path, p.location.line, p.location.col, p.message, p.severity, p.rule]
                for p in skill_file.problems
            ],
            skill_file.name,
            _location(skill_file.name_at),
            _location(skill_file.description_at),
            {k: _location(v) for k, v in skill_file.renamed_at.items()},
            skill_file.not_a_file,
            skill_file.upload_bytes,
            skill_file.depends,
            None
            if skill is None
            else [
                skill.name,
                skill.description,
                skill.version,
                skill.source,
                list(skill.renamed_from),
                skill.display_name,
                skill.versioned,
            ],
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def decode(path: str, payload: str) -> SkillFile:
    problems, name, name_at, description_at, renamed_at, not_a_file, size, depends, skill = (
        json.loads(payload)
    )
    return SkillFile(
        path,
        None if skill is None else _restore_skill(*skill),
        [Problem(Location(*p[:3]), *p[3:]) for p in problems],
        name,
        None if name_at is None else Location(*name_at),
        {k: Location(*v) for k, v in renamed_at.items()},
        not_a_file,
        size,
        depends,
        None if description_at is None else Location(*description_at),
    )


# perf: a frozen dataclass's __init__ sets each field through ``object.__setattr__``;
# restoring the recorded fields at once pays on a validate after one change (its worth:
# benchmarks/README.md, speed tricks). Adding a field to Skill: _SKILL_DEFAULTS takes
# its default; a field validate records must be added to encode and here.
def _restore_skill(
    name: str,
    description: str,
    version: str,
    source: str,
    renamed_from: list[str],
    display_name: str | None,
    versioned: bool,
) -> Skill:
    """The recorded Skill, without instructions (as validate keeps it)."""
    skill = object.__new__(Skill)
    fields = {
        **_SKILL_DEFAULTS,
        "name": name,
        "description": description,
        "instructions": "",
        "version": version,
        "source": source,
        "renamed_from": tuple(renamed_from),
        "display_name": display_name,
        "versioned": versioned,
    }
    object.__setattr__(skill, "__dict__", fields)
    return skill


_SKILL_DEFAULTS = {
    f.name: f.default for f in dataclasses.fields(Skill) if f.default is not dataclasses.MISSING
}
"""Skill's own defaults (its files, assets, SKILL.md text): what a restored Skill keeps."""
