"""Rule ``upload-limits``: what a target's API would refuse by size or count."""

from __future__ import annotations

import json

from skillsync.limits import (
    MAX_OPENAI_FILE_BYTES,
    MAX_OPENAI_FILES,
    MAX_OPENAI_UPLOAD_BYTES,
    MAX_SEED_BODY_BYTES,
    MAX_UPLOAD_BYTES,
)
from skillsync.loader import SkillFile
from skillsync.model import Location, Problem


def json_body(content: dict[str, str]) -> bytes:
    """The JSON body the seed dialect sends for a create, as httpx encodes it."""
    return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _problem(where: Location, message: str) -> Problem:
    return Problem(where, message, "error", "upload-limits")


def upload_limits(skill_file: SkillFile, dialects: frozenset[str]) -> list[Problem]:
    """The limits of every dialect the repository's targets speak, checked offline.

    A YAML skill uploads one small SKILL.md to the folder dialects; only a SKILL.md
    folder can reach their limits. The seed dialect sends one JSON body.
    """
    problems = []
    where = Location(skill_file.path)
    uploads = skill_file.upload_bytes
    skill = skill_file.skill
    if "anthropic" in dialects and uploads is not None and uploads > MAX_UPLOAD_BYTES:
        problems.append(
            _problem(
                where,
                f"the skill's folder uploads {uploads:,} bytes, over the Anthropic API's limit "
                f"of {MAX_UPLOAD_BYTES:,} (8 MB); move large files out of the folder",
            )
        )
    if "openai" in dialects and skill is not None and skill.skill_md is not None:
        count = 1 + len(skill.assets)
        if count > MAX_OPENAI_FILES:
            problems.append(
                _problem(
                    where,
                    f"the skill's folder uploads {count:,} files, over the OpenAI API's limit "
                    f"of {MAX_OPENAI_FILES}; bundle or drop files",
                )
            )
        for asset in skill.assets:
            if asset.size > MAX_OPENAI_FILE_BYTES:
                shown = f"{skill_file.path.rsplit('/', 1)[0]}/{asset.path}"
                problems.append(
                    _problem(
                        Location(shown),
                        f"{asset.size:,} bytes, over the OpenAI API's limit of "
                        f"{MAX_OPENAI_FILE_BYTES:,} (25 MB) for one file of a skill",
                    )
                )
        if uploads is not None and uploads > MAX_OPENAI_UPLOAD_BYTES:
            problems.append(
                _problem(
                    where,
                    f"the skill's folder uploads {uploads:,} bytes, over the OpenAI API's "
                    f"limit of {MAX_OPENAI_UPLOAD_BYTES:,} (50 MB) in all",
                )
            )
    if "seed" in dialects and skill is not None:
        rough = 6 * (len(skill.instructions) + len(skill.description)) + 256
        if rough > MAX_SEED_BODY_BYTES:  # only then is measuring worth it
            size = len(json_body(skill.content()))
            if size > MAX_SEED_BODY_BYTES:
                problems.append(
                    _problem(
                        where,
                        f"the seed API's JSON body for this skill is {size:,} bytes, over its "
                        f"limit of {MAX_SEED_BODY_BYTES:,} (1 MiB); shorten the instructions",
                    )
                )
    return problems
