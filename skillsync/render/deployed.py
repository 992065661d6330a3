"""``skillsync output`` formats: the JSON document, env lines, and the request fragments
that applications paste into their API calls."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from skillsync.deployed import Deployed, document
from skillsync.dialects import DIALECTS
from skillsync.errors import UnsafeRemoteContent
from skillsync.model import printable
from skillsync.render import json_output


def env_name(name: str) -> str:
    """``SKILLSYNC_<NAME>``: the skill's name upper-cased, ``-`` as ``_``."""
    return "SKILLSYNC_" + re.sub(r"[^A-Z0-9]", "_", name.upper())


_ENV_VALUE = re.compile(r"[A-Za-z0-9._:+-]*")
"""What an env line's value may hold: the shapes of every dialect's ids and versions. It
is written unquoted (``$GITHUB_ENV`` takes no quotes), so nothing else may pass: a newline
would add a variable, ``$(...)`` would run when the file is sourced."""


def _env_value(skill: Deployed, field: str, value: str | None) -> str:
    if value is None:
        return ""
    if not _ENV_VALUE.fullmatch(value):
        raise UnsafeRemoteContent(
            f"skill '{skill.name}': the remote's {field} '{printable(value)}' is not the shape "
            "of an id or a version (letters, digits, '.', '_', ':', '+', '-'); refusing to "
            "write it as an env line",
            hint="check what answers at the target's base_url; the json format shows it quoted",
        )
    return value


def as_env(target: str, api: str, skills: list[Deployed], pin: bool) -> str:
    lines = []
    for s in skills:
        lines.append(f"{env_name(s.name)}_ID={_env_value(s, 'id', s.id)}")
        lines.append(f"{env_name(s.name)}_VERSION={_env_value(s, 'version', s.version)}")
    return "".join(line + "\n" for line in lines)


def as_json(target: str, api: str, skills: list[Deployed], pin: bool) -> str:
    return json_output.dumps(document(target, api, skills))


def _fragment(skills: list[Deployed], kind: str, pin: bool) -> str:
    """Each deployed skill as a reference. Where the API has a default-version pointer
    (openai), the reference leaves ``version`` out, so the API serves the default version
    (which promotion moves), and ``--pin`` pins that default; elsewhere ``latest``, and
    ``--pin`` pins the latest version."""
    entries: list[dict[str, Any]] = []
    for s in skills:
        if s.id is None:
            continue
        entry: dict[str, Any] = {"type": kind, "skill_id": s.id}
        if s.default_version is not None:
            if pin:
                entry["version"] = s.default_version
        else:
            entry["version"] = s.version if pin else "latest"
        entries.append(entry)
    return json.dumps({"skills": entries}, indent=2) + "\n"


Format = Callable[[str, str, list[Deployed], bool], str]


def _as_fragment(kind: str) -> Format:
    """A dialect's request fragment (``Dialect.fragment``): ``{"skills": [{"type": kind,
    "skill_id", "version"}...]}``."""
    return lambda target, api, skills, pin: _fragment(skills, kind, pin)


FRAGMENTS: dict[str, Format] = {
    d.fragment[0]: _as_fragment(d.fragment[1]) for d in DIALECTS.values() if d.fragment
}
"""The formats that are an API's request fragment (a Skills API's ids in it)."""
FORMATS: dict[str, Format] = {"json": as_json, "env": as_env, **FRAGMENTS}
