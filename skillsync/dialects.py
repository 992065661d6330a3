"""The dialects skillsync deploys to, one record each (README: Where skills go).

Everything that differs between the places skillsync deploys to is named here once, as
pre-commit keeps its languages in one table: the defaults a target takes, the config
keys only that dialect reads (with their schema), its limits and reserved words, what
it can do (a default-version pointer to promote, a request fragment for ``output``),
the headers that carry the request id and the rate-limit state, and where its client
(``remote/``) and its emulator (``emulator/``) live. Nothing outside a dialect's own
modules names one: the planner, applier, lint, renderers, config and CLI ask the
record (a test holds this).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from skillsync import limits

if TYPE_CHECKING:  # validate never imports httpx: every pre-commit run would pay for it
    import httpx

RATE_LIMIT_PAUSE = 8.0
"""Seconds to pause when a server says no request is left but not when it resets."""
RATE_LIMIT_CAP = 60.0


def _capped(seconds: float) -> float:
    return min(RATE_LIMIT_CAP, max(0.0, seconds))


def anthropic_reset_in(headers: httpx.Headers) -> float | None:
    """``anthropic-ratelimit-requests-remaining: 0``: seconds until the RFC 3339 reset."""
    if headers.get("anthropic-ratelimit-requests-remaining") != "0":
        return None
    raw = headers.get("anthropic-ratelimit-requests-reset")
    if not raw:
        return RATE_LIMIT_PAUSE
    try:
        reset = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return RATE_LIMIT_PAUSE
    if reset.tzinfo is None:
        reset = reset.replace(tzinfo=UTC)  # RFC 3339 requires a zone; without one, UTC
    return _capped((reset - datetime.now(UTC)).total_seconds())


_DURATION = re.compile(
    r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?"
    r"(?:(\d+(?:\.\d+)?)ms)?"
)


def openai_reset_in(headers: httpx.Headers) -> float | None:
    """``x-ratelimit-remaining-requests: 0``: seconds until the reset, which OpenAI gives
    as a duration (``1s``, ``6m0s``, ``20ms``)."""
    if headers.get("x-ratelimit-remaining-requests") != "0":
        return None
    raw = (headers.get("x-ratelimit-reset-requests") or "").strip()
    match = _DURATION.fullmatch(raw) if raw else None
    if match is None or not any(match.groups()):
        return RATE_LIMIT_PAUSE
    hours, minutes, seconds, millis = (float(g) if g else 0.0 for g in match.groups())
    return _capped(hours * 3600 + minutes * 60 + seconds + millis / 1000)


@dataclass(frozen=True)
class Limits:
    """What a dialect's API refuses by size or count (rule ``upload-limits``)."""

    label: str
    """How messages name the API ("the Anthropic API")."""
    upload_bytes: int | None = None
    """The files of one upload, in all."""
    upload_note: str = ""
    files: int | None = None
    """Files in one upload (SKILL.md folders only: a YAML skill uploads one)."""
    file_bytes: int | None = None
    """One file of an upload."""
    json_body: int | None = None
    """The JSON body of a create (dialects that send fields, not files)."""


@dataclass(frozen=True)
class Dialect:
    name: str
    summary: str
    remote: str
    """``module:Class`` of its client, a ``remote.base.Remote``."""
    keys: Mapping[str, Mapping[str, Any]]
    """Target keys only this dialect reads, with their JSON Schema (another dialect's
    target naming one is an error)."""
    required: tuple[str, ...] = ()
    """Target keys it cannot do without."""
    http: bool = True
    """A Skills API over HTTP (base_url, a key); else a place on this machine."""
    default_base_url: str = ""
    default_key_env: str = ""
    folders: bool = True
    """Skills travel as SKILL.md folders (file trees); else as JSON fields."""
    limits: Limits | None = None
    reserved_words: tuple[str, ...] = ()
    """Words a skill name may not hold on this dialect's targets (rule ``reserved-name``)."""
    default_pointer: bool = False
    """Skills have a default version apart from the latest (``skillsync promote``)."""
    fragment: tuple[str, str] | None = None
    """(``output --format`` name, reference ``type``): the fragment applications paste
    into their requests to this API."""
    request_id_header: str = "request-id"
    reset_in: Callable[[httpx.Headers], float | None] | None = None
    """Seconds to pause every request after this answer (its rate-limit headers), or None."""
    store: str | None = None
    """``module:Class`` of the emulator's storage for it (None: not emulated)."""
    front: str | None = None
    """``module:Class`` of the emulator's front for it (routes and answers)."""
    emulator_flags: tuple[str, ...] = ()
    """Options of ``skillsync emulator`` only its front reads."""
    modules: tuple[str, ...] = ()
    """Its other modules (shared with another dialect, or helpers of its own)."""

    def remote_class(self) -> Any:
        return _load(self.remote)

    def store_class(self) -> Any:
        assert self.store is not None
        return _load(self.store)

    def front_class(self) -> Any:
        assert self.front is not None
        return _load(self.front)

    def own_modules(self) -> tuple[str, ...]:
        """Every module of this dialect: the only ones that may name it."""
        named = (self.remote, self.store, self.front)
        return tuple(w.partition(":")[0] for w in named if w) + self.modules


def _load(where: str) -> Any:
    module, _, name = where.partition(":")
    return getattr(importlib.import_module(module), name)


_HEADER_VALUE = {"type": "string", "minLength": 1, "pattern": "^[!-~]+$"}
_RETAIN = {
    "description": "After an update, delete the skill's versions beyond the newest N "
    "(where there is a default version, never that one).",
    "type": "integer",
    "minimum": 1,
}


def _api_keys(base_url: str, key_env: str) -> dict[str, dict[str, Any]]:
    """The keys every Skills API target reads: where it is and which variable holds the key."""
    return {
        "base_url": {
            "description": f"API endpoint, or local:<path> for the embedded emulator on a "
            f"SQLite file. Default: {base_url}.",
            "type": "string",
            "pattern": "^(https?://[^\\s]+|local:[^\\s]+)$",
        },
        "api_key_env": {
            "description": "Name of the environment variable holding the API key (never the "
            f"key itself). Default: {key_env}.",
            "type": "string",
            "pattern": "^[A-Za-z_][A-Za-z0-9_]*$",
        },
    }


_FOLDER_MODULES = (
    "skillsync.emulator.folder_store",
    "skillsync.emulator.uploads",
    "skillsync.remote.folders",
)

ANTHROPIC = Dialect(
    name="anthropic",
    summary="Anthropic's Skills API: SKILL.md folders with immutable versions",
    default_base_url="https://api.anthropic.com",
    default_key_env="ANTHROPIC_API_KEY",
    keys={
        **_api_keys("https://api.anthropic.com", "ANTHROPIC_API_KEY"),
        "workspace_id": {
            "description": "Sent as anthropic-workspace-id, for keys that can act on "
            "several workspaces.",
            **_HEADER_VALUE,
        },
        "anthropic_version": {
            "description": "The anthropic-version header to send (default 2026-10-21).",
            **_HEADER_VALUE,
        },
        "retain_versions": _RETAIN,
    },
    limits=Limits("the Anthropic API", upload_bytes=limits.MAX_UPLOAD_BYTES, upload_note="8 MB"),
    reserved_words=("anthropic", "claude"),
    fragment=("anthropic-container", "custom"),
    reset_in=anthropic_reset_in,
    remote="skillsync.remote.anthropic:AnthropicRemote",
    store="skillsync.emulator.folder_store:FolderStore",
    front="skillsync.emulator.anthropic_api:AnthropicApi",
    emulator_flags=("legacy_delete",),
    modules=("skillsync.emulator.builtin", *_FOLDER_MODULES),
)
OPENAI = Dialect(
    name="openai",
    summary="OpenAI's Skills API: SKILL.md folders, numbered versions, a default pointer",
    default_base_url="https://api.openai.com",
    default_key_env="OPENAI_API_KEY",
    keys={
        **_api_keys("https://api.openai.com", "OPENAI_API_KEY"),
        "organization": {"description": "Sent as OpenAI-Organization.", **_HEADER_VALUE},
        "project": {"description": "Sent as OpenAI-Project.", **_HEADER_VALUE},
        "promote": {
            "description": "auto (new versions become the default at once) or manual "
            "(uploaded as not default; `skillsync promote` moves the default).",
            "enum": ["auto", "manual"],
            "default": "auto",
        },
        "retain_versions": _RETAIN,
    },
    limits=Limits(
        "the OpenAI API",
        upload_bytes=limits.MAX_OPENAI_UPLOAD_BYTES,
        upload_note="50 MB",
        files=limits.MAX_OPENAI_FILES,
        file_bytes=limits.MAX_OPENAI_FILE_BYTES,
    ),
    default_pointer=True,
    fragment=("openai-skills", "skill_reference"),
    request_id_header="x-request-id",
    reset_in=openai_reset_in,
    remote="skillsync.remote.openai:OpenAIRemote",
    store="skillsync.emulator.openai_store:OpenAIStore",
    front="skillsync.emulator.openai_api:OpenAIApi",
    modules=_FOLDER_MODULES,
)
SEED = Dialect(
    name="seed",
    summary="the JSON Skills API skillsync was first specified against",
    default_base_url="https://api.anthropic.com",
    default_key_env="ANTHROPIC_API_KEY",
    keys=_api_keys("https://api.anthropic.com", "ANTHROPIC_API_KEY"),
    folders=False,
    limits=Limits("the seed API", json_body=limits.MAX_SEED_BODY_BYTES),
    reset_in=anthropic_reset_in,
    remote="skillsync.remote.seed:SeedRemote",
    store="skillsync.emulator.store:SkillStore",
    front="skillsync.emulator.seed_api:SeedApi",
)
DIRECTORY = Dialect(
    name="directory",
    summary="a folder where coding agents read skills (.claude/skills, .agents/skills, ...)",
    http=False,
    keys={
        "path": {
            "description": "The folder: one subfolder per skill. Relative to skillsync.yaml; "
            "~ is expanded.",
            "type": "string",
            "minLength": 1,
        },
    },
    required=("path",),
    remote="skillsync.remote.directory:DirectoryRemote",
)

DIALECTS: dict[str, Dialect] = {d.name: d for d in (ANTHROPIC, OPENAI, SEED, DIRECTORY)}
NAMES = tuple(DIALECTS)
DEFAULT = ANTHROPIC.name
EMULATED = tuple(d.name for d in DIALECTS.values() if d.front is not None)
"""The dialects ``skillsync emulator`` serves (and a ``local:`` base URL runs)."""


def dialect(name: str) -> Dialect:
    try:
        return DIALECTS[name]
    except KeyError:
        raise ValueError(f"unknown API dialect {name!r} (known: {', '.join(NAMES)})") from None


def records(names: Iterable[str]) -> list[Dialect]:
    """The records of these dialect names, in the table's order."""
    wanted = set(names)
    return [d for d in DIALECTS.values() if d.name in wanted]


def target_schema(common: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON Schema of a target: ``common`` keys (every dialect's), ``api`` and every
    dialect's own keys (which dialect reads which is checked by ``config``)."""
    properties: dict[str, Any] = {
        "api": {
            "description": "Where this target deploys: "
            + "; ".join(f"{d.name} ({d.summary})" for d in DIALECTS.values())
            + ".",
            "enum": list(NAMES),
            "default": DEFAULT,
        }
    }
    for record in DIALECTS.values():
        for key, schema in record.keys.items():
            readers = [d.name for d in DIALECTS.values() if key in d.keys]
            shown = dict(schema)
            shown["description"] = f"{', '.join(readers)}: {schema['description']}"
            properties.setdefault(key, shown)
    properties.update(common)
    return {"type": "object", "properties": properties, "additionalProperties": False}
