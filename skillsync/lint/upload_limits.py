"""Rule ``upload-limits``: what a target's API would refuse by size or count."""

from __future__ import annotations

import json

from skillsync.dialects import Limits, records
from skillsync.loader import SkillFile
from skillsync.model import Location, Problem


def json_body(content: dict[str, str]) -> bytes:
    """The JSON body a dialect that sends fields sends for a create, as httpx encodes it."""
    return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _problem(where: Location, message: str) -> Problem:
    return Problem(where, message, "error", "upload-limits")


def upload_limits(skill_file: SkillFile, dialects: frozenset[str]) -> list[Problem]:
    """The limits of every dialect the repository's targets speak, checked offline.

    A YAML skill uploads one small SKILL.md to the folder dialects; only a SKILL.md
    folder can reach their limits of files. A dialect that sends fields sends one JSON
    body.
    """
    problems = []
    for dialect in records(dialects):
        if dialect.limits is not None:
            problems.extend(_over(skill_file, dialect.limits))
    return problems


def _over(skill_file: SkillFile, limits: Limits) -> list[Problem]:
    problems = []
    where = Location(skill_file.path)
    uploads = skill_file.upload_bytes
    skill = skill_file.skill
    folder = skill is not None and skill.skill_md is not None
    if folder and skill is not None and limits.files is not None:
        count = 1 + len(skill.assets)
        if count > limits.files:
            problems.append(
                _problem(
                    where,
                    f"the skill's folder uploads {count:,} files, over {limits.label}'s limit "
                    f"of {limits.files}; bundle or drop files",
                )
            )
    if folder and skill is not None and limits.file_bytes is not None:
        for asset in skill.assets:
            if asset.size > limits.file_bytes:
                shown = f"{skill_file.path.rsplit('/', 1)[0]}/{asset.path}"
                problems.append(
                    _problem(
                        Location(shown),
                        f"{asset.size:,} bytes, over {limits.label}'s limit of "
                        f"{limits.file_bytes:,} for one file of a skill",
                    )
                )
    if limits.upload_bytes is not None and uploads is not None and uploads > limits.upload_bytes:
        problems.append(
            _problem(
                where,
                f"the skill's folder uploads {uploads:,} bytes, over {limits.label}'s limit "
                f"of {limits.upload_bytes:,} ({limits.upload_note}) in all; move large files "
                "out of the folder",
            )
        )
    if limits.json_body is not None and skill is not None:
        rough = 6 * (len(skill.instructions) + len(skill.description)) + 256
        if rough > limits.json_body:  # only then is measuring worth it
            size = len(json_body(skill.content()))
            if size > limits.json_body:
                problems.append(
                    _problem(
                        where,
                        f"{limits.label}'s JSON body for this skill is {size:,} bytes, over its "
                        f"limit of {limits.json_body:,} (1 MiB); shorten the instructions",
                    )
                )
    return problems
