"""Anthropic's own skills, listed in every workspace of the anthropic dialect, read-only."""

from __future__ import annotations

from typing import Any

from skillsync.emulator.uploads import zip_files

CREATED_AT = "2025-10-16T00:00:00.000000Z"
BUILTIN = {
    "pptx": "Create, edit and analyse PowerPoint presentations.",
    "xlsx": "Create, edit and analyse Excel spreadsheets with formulas and charts.",
    "docx": "Create, edit and analyse Word documents with tracked changes and comments.",
    "pdf": "Extract text and tables from PDFs, fill forms, merge and split documents.",
}


def version_id(skill_id: str) -> str:
    return f"skillver_{skill_id}_1"


def skill_object(skill_id: str) -> dict[str, Any]:
    return {
        "type": "skill",
        "id": skill_id,
        "created_at": CREATED_AT,
        "updated_at": CREATED_AT,
        "display_name": skill_id,
        "latest_version_id": version_id(skill_id),
        "source": {"type": "anthropic"},
    }


def version_object(skill_id: str) -> dict[str, Any]:
    return {
        "type": "skill_version",
        "id": version_id(skill_id),
        "skill_id": skill_id,
        "name": skill_id,
        "description": BUILTIN[skill_id],
        "created_at": CREATED_AT,
    }


def content(skill_id: str) -> bytes:
    text = f"---\nname: {skill_id}\ndescription: {BUILTIN[skill_id]}\n---\n\n# {skill_id}\n"
    return zip_files([(f"{skill_id}/SKILL.md", text.encode())])
