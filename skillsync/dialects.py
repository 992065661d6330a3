"""The dialects of the Skills API, one record each (README: Three dialects of the Skills API).

Everything that differs between the APIs skillsync speaks is named here once, as
pre-commit keeps its languages in one table: the defaults a target takes, the
config keys only that dialect reads, the headers that carry the request id and
the rate-limit state, and where its client (``remote/``) and its emulator front
(``emulator/``) live. The planner and the applier never ask which dialect they
talk to; code that needs a dialect's behaviour looks it up here by ``api:``.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # validate never imports httpx: it would cost every pre-commit run 50 ms
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
class Dialect:
    name: str
    summary: str
    default_base_url: str
    default_key_env: str
    folders: bool
    """Skills travel as SKILL.md folders (file uploads, immutable versions); else as JSON
    fields."""
    keys: frozenset[str]
    """Target keys only this dialect reads (another dialect's target naming one is an error)."""
    request_id_header: str
    reset_in: Callable[[httpx.Headers], float | None]
    """Seconds to pause every request after this answer (its rate-limit headers), or None."""
    remote: str
    """``module:Class`` of its client, a ``remote.base.Remote``."""
    store: str
    """``module:Class`` of the emulator's storage for it."""
    front: str
    """``module:Class`` of the emulator's front for it (routes and answers)."""

    def remote_class(self) -> Any:
        return _load(self.remote)

    def store_class(self) -> Any:
        return _load(self.store)

    def front_class(self) -> Any:
        return _load(self.front)


def _load(where: str) -> Any:
    module, _, name = where.partition(":")
    return getattr(importlib.import_module(module), name)


ANTHROPIC = Dialect(
    name="anthropic",
    summary="the Anthropic Skills API: SKILL.md folders with immutable versions",
    default_base_url="https://api.anthropic.com",
    default_key_env="ANTHROPIC_API_KEY",
    folders=True,
    keys=frozenset({"workspace_id", "anthropic_version", "retain_versions"}),
    request_id_header="request-id",
    reset_in=anthropic_reset_in,
    remote="skillsync.remote.anthropic:AnthropicRemote",
    store="skillsync.emulator.folder_store:FolderStore",
    front="skillsync.emulator.anthropic_api:AnthropicApi",
)
OPENAI = Dialect(
    name="openai",
    summary="OpenAI's Skills API: SKILL.md folders, numbered versions, a default pointer",
    default_base_url="https://api.openai.com",
    default_key_env="OPENAI_API_KEY",
    folders=True,
    keys=frozenset({"organization", "project", "promote", "retain_versions"}),
    request_id_header="x-request-id",
    reset_in=openai_reset_in,
    remote="skillsync.remote.openai:OpenAIRemote",
    store="skillsync.emulator.openai_store:OpenAIStore",
    front="skillsync.emulator.openai_api:OpenAIApi",
)
SEED = Dialect(
    name="seed",
    summary="the JSON Skills API skillsync was first specified against",
    default_base_url="https://api.anthropic.com",
    default_key_env="ANTHROPIC_API_KEY",
    folders=False,
    keys=frozenset(),
    request_id_header="request-id",
    reset_in=anthropic_reset_in,
    remote="skillsync.remote.seed:SeedRemote",
    store="skillsync.emulator.store:SkillStore",
    front="skillsync.emulator.seed_api:SeedApi",
)

DIALECTS: dict[str, Dialect] = {d.name: d for d in (ANTHROPIC, OPENAI, SEED)}
NAMES = tuple(DIALECTS)
DEFAULT = ANTHROPIC.name


def dialect(name: str) -> Dialect:
    try:
        return DIALECTS[name]
    except KeyError:
        raise ValueError(f"unknown API dialect {name!r} (known: {', '.join(NAMES)})") from None
