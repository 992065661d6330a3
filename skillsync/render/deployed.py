"""``skillsync output`` formats: the JSON document, env lines, and the request fragments
that applications paste into their API calls."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from skillsync.deployed import Deployed, document
from skillsync.render import json_output


def env_name(name: str) -> str:
    """``SKILLSYNC_<NAME>``: the skill's name upper-cased, ``-`` as ``_``."""
    return "SKILLSYNC_" + re.sub(r"[^A-Z0-9]", "_", name.upper())


def as_env(target: str, api: str, skills: list[Deployed], pin: bool) -> str:
    lines = []
    for s in skills:
        lines.append(f"{env_name(s.name)}_ID={s.id or ''}")
        lines.append(f"{env_name(s.name)}_VERSION={s.version or ''}")
    return "".join(line + "\n" for line in lines)


def as_json(target: str, api: str, skills: list[Deployed], pin: bool) -> str:
    return json_output.dumps(document(target, api, skills))


def _fragment(skills: list[Deployed], kind: str, pin: bool) -> str:
    entries: list[dict[str, Any]] = [
        {"type": kind, "skill_id": s.id, "version": (s.version if pin else "latest")}
        for s in skills
        if s.id is not None
    ]
    return json.dumps({"skills": entries}, indent=2) + "\n"


def as_anthropic_container(target: str, api: str, skills: list[Deployed], pin: bool) -> str:
    """The Messages API's ``container`` value: ``{"skills": [{"type": "custom", ...}]}``."""
    return _fragment(skills, "custom", pin)


def as_openai_skills(target: str, api: str, skills: list[Deployed], pin: bool) -> str:
    """The skills of OpenAI's ``tools[].environment``: ``{"skills": [{"type":
    "skill_reference", ...}]}``."""
    return _fragment(skills, "skill_reference", pin)


FORMATS: dict[str, Callable[[str, str, list[Deployed], bool], str]] = {
    "json": as_json,
    "env": as_env,
    "anthropic-container": as_anthropic_container,
    "openai-skills": as_openai_skills,
}
