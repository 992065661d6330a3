"""The Skills API (SPEC section 1) as a plain request -> response function.

Transport-free, so the HTTP server and the in-process httpx transport serve the
very same behaviour: auth and ``anthropic-version`` checks, body validation with
the API's error envelope, pagination, rate-limit headers and ``--rpm``, and fault
injection (``--fault-rate``, ``--latency-ms``, ``--seed``).
"""

from __future__ import annotations

import json
import math
import random
import re
import secrets
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from skillsync import schemas
from skillsync.emulator import DEFAULT_KEY, DEFAULT_RPM, DEFAULT_WORKSPACE
from skillsync.emulator.store import NameTaken, SkillStore
from skillsync.fastcheck import ecma_pattern

MAX_BODY_BYTES = 1024 * 1024
FAULT_KINDS = ("overloaded", "api_error", "rate_limited", "drop_after_write")
WRITE_METHODS = frozenset({"POST", "PATCH", "DELETE"})
STATS_PATH = "/_emulator/stats"

_SKILL_PATH = re.compile(r"^/v1/skills/([^/]+)$")
_FIELD_RULES = schemas.load_schema("skill.schema.json")["properties"]
_VERSION_RE = ecma_pattern(_FIELD_RULES["version"]["pattern"])
CREATE_FIELDS = ("name", "description", "instructions", "version")
PATCH_FIELDS = ("description", "instructions", "version")


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    drop_connection: bool = False
    """Commit, then close the connection without answering (a lost answer)."""


class ApiFailure(Exception):
    def __init__(self, status: int, error_type: str, message: str, **headers: str) -> None:
        super().__init__(message)
        self.status, self.error_type, self.message = status, error_type, message
        self.headers = {k.replace("_", "-"): v for k, v in headers.items()}


def _bad(message: str) -> ApiFailure:
    return ApiFailure(400, "invalid_request_error", message)


@dataclass
class Faults:
    rate: float = 0.0
    latency_ms: int = 0
    seed: int | None = None


class RateWindow:
    """Requests per key over a sliding minute."""

    def __init__(self, rpm: int, clock: Callable[[], float]) -> None:
        self.rpm, self.clock = rpm, clock
        self.seen: dict[str, deque[float]] = {}
        self.lock = threading.Lock()

    def take(self, key: str) -> tuple[bool, int, float]:
        """Record a request: (allowed, remaining, seconds until a slot frees)."""
        now = self.clock()
        with self.lock:
            window = self.seen.setdefault(key, deque())
            while window and window[0] <= now - 60:
                window.popleft()
            allowed = len(window) < self.rpm
            if allowed:
                window.append(now)
            reset_in = (window[0] + 60 - now) if window else 0.0
            return allowed, self.rpm - len(window), reset_in


class EmulatorApp:
    def __init__(
        self,
        store: SkillStore,
        keys: Mapping[str, str] | None = None,
        *,
        faults: Faults | None = None,
        rpm: int = DEFAULT_RPM,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.store = store
        self.keys = dict(keys or {DEFAULT_KEY: DEFAULT_WORKSPACE})
        self.faults = faults or Faults()
        self.rate = RateWindow(rpm, clock)
        self.sleep = sleep
        self._random = random.Random(self.faults.seed)
        self._random_lock = threading.Lock()
        self.stats: Counter[str] = Counter()
        self.fault_stats: Counter[str] = Counter()
        self._stats_lock = threading.Lock()

    # -- entry point ------------------------------------------------------------------
    def handle(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        body: bytes,
    ) -> Response:
        """Answer one request. ``headers`` keys must be lower case."""
        if path == STATS_PATH and method == "GET":
            return self._json(200, {"requests": dict(self.stats), "faults": dict(self.fault_stats)})
        if self.faults.latency_ms:
            self.sleep(self.faults.latency_ms / 1000)
        request_id = "req_" + secrets.token_hex(12)
        extra: dict[str, str] = {}
        route = self._route_name(method, path)
        with self._stats_lock:
            self.stats[route] += 1
        try:
            workspace = self._authenticate(headers)
            allowed, remaining, reset_in = self.rate.take(headers["x-api-key"])
            extra = self._rate_headers(remaining, reset_in)
            if not allowed:
                raise ApiFailure(
                    429,
                    "rate_limit_error",
                    f"rate limit of {self.rate.rpm} requests per minute exceeded",
                    retry_after=str(max(1, math.ceil(reset_in))),
                )
            fault = self._draw_fault(method)
            if fault and fault != "drop_after_write":
                raise self._fault_failure(fault)
            response = self._dispatch(method, path, query, headers, body, workspace)
            response.drop_connection = fault == "drop_after_write"
        except ApiFailure as failure:
            response = self._json(
                failure.status,
                {
                    "type": "error",
                    "error": {"type": failure.error_type, "message": failure.message},
                },
            )
            response.headers.update(failure.headers)
        response.headers.update(extra)
        response.headers["request-id"] = request_id
        return response

    def error_response(self, status: int, error_type: str, message: str) -> Response:
        """An error answer given outside ``handle`` (the server refusing a body early)."""
        envelope = {"type": "error", "error": {"type": error_type, "message": message}}
        response = self._json(status, envelope)
        response.headers["request-id"] = "req_" + secrets.token_hex(12)
        return response

    # -- plumbing ---------------------------------------------------------------------
    @staticmethod
    def _route_name(method: str, path: str) -> str:
        return f"{method} /v1/skills/{{id}}" if _SKILL_PATH.match(path) else f"{method} {path}"

    @staticmethod
    def _json(status: int, payload: Any) -> Response:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        return Response(status, body, {"content-type": "application/json"})

    def _authenticate(self, headers: Mapping[str, str]) -> str:
        key = headers.get("x-api-key")
        if not key:
            raise ApiFailure(401, "authentication_error", "x-api-key header is required")
        workspace = self.keys.get(key)
        if workspace is None:
            raise ApiFailure(401, "authentication_error", "invalid x-api-key")
        if not headers.get("anthropic-version"):
            raise _bad("anthropic-version header is required (for example 2023-06-01)")
        return workspace

    def _rate_headers(self, remaining: int, reset_in: float) -> dict[str, str]:
        reset = datetime.fromtimestamp(time.time() + reset_in, UTC)
        return {
            "anthropic-ratelimit-requests-limit": str(self.rate.rpm),
            "anthropic-ratelimit-requests-remaining": str(max(0, remaining)),
            "anthropic-ratelimit-requests-reset": reset.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }

    def _draw_fault(self, method: str) -> str | None:
        if self.faults.rate <= 0:
            return None
        with self._random_lock:
            if self._random.random() >= self.faults.rate:
                return None
            kinds = FAULT_KINDS if method in WRITE_METHODS else FAULT_KINDS[:-1]
            fault = self._random.choice(kinds)
        with self._stats_lock:
            self.fault_stats[fault] += 1
        return fault

    @staticmethod
    def _fault_failure(fault: str) -> ApiFailure:
        if fault == "overloaded":
            return ApiFailure(529, "overloaded_error", "Overloaded (injected fault)")
        if fault == "rate_limited":
            return ApiFailure(
                429, "rate_limit_error", "rate limited (injected fault)", retry_after="1"
            )
        return ApiFailure(500, "api_error", "internal server error (injected fault)")

    def _dispatch(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        body: bytes,
        workspace: str,
    ) -> Response:
        if path == "/v1/skills":
            if method == "GET":
                return self._list(workspace, query)
            if method == "POST":
                return self._create(workspace, self._body(headers, body))
            raise ApiFailure(405, "invalid_request_error", f"{method} is not allowed here")
        match = _SKILL_PATH.match(path)
        if not match:
            raise ApiFailure(404, "not_found_error", f"no such endpoint: {method} {path}")
        skill_id = match.group(1)
        if method == "GET":
            return self._json(200, self._found(self.store.get(workspace, skill_id), skill_id))
        if method == "PATCH":
            fields = self._patch_fields(self._body(headers, body))
            updated = self.store.update(workspace, skill_id, fields)
            return self._json(200, self._found(updated, skill_id))
        if method == "DELETE":
            if not self.store.delete(workspace, skill_id):
                self._found(None, skill_id)
            return self._json(200, {"id": skill_id, "type": "skill_deleted"})
        raise ApiFailure(405, "invalid_request_error", f"{method} is not allowed here")

    @staticmethod
    def _found(skill: dict[str, Any] | None, skill_id: str) -> dict[str, Any]:
        if skill is None:  # also for another workspace's id: never reveal it exists
            raise ApiFailure(404, "not_found_error", f"skill {skill_id} not found")
        return skill

    # -- endpoints --------------------------------------------------------------------
    def _list(self, workspace: str, query: Mapping[str, str]) -> Response:
        raw_limit = query.get("limit", "20")
        if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 100:
            raise _bad(f"limit: must be an integer from 1 to 100 (got {raw_limit!r})")
        after_id = query.get("after_id") or None
        page = self.store.list(workspace, int(raw_limit), after_id)
        if page is None:
            raise _bad(f"after_id: no skill {after_id} in this workspace")
        items, has_more = page
        data = [{"id": s["id"], "name": s["name"], "description": s["description"]} for s in items]
        return self._json(
            200,
            {
                "data": data,
                "has_more": has_more,
                "first_id": data[0]["id"] if data else None,
                "last_id": data[-1]["id"] if data else None,
            },
        )

    def _create(self, workspace: str, body: dict[str, Any]) -> Response:
        unknown = sorted(set(body) - set(CREATE_FIELDS))
        if unknown:
            raise _bad(f"{unknown[0]}: unknown field (allowed: {', '.join(CREATE_FIELDS)})")
        for name in CREATE_FIELDS:
            if name not in body:
                raise _bad(f"{name}: field required")
            _check_field(name, body[name])
        try:
            return self._json(200, self.store.create(workspace, body))
        except NameTaken:
            raise ApiFailure(
                409, "conflict_error", f"name: a skill named {body['name']!r} already exists"
            ) from None

    @staticmethod
    def _patch_fields(body: dict[str, Any]) -> dict[str, str]:
        if "name" in body:
            raise _bad("name: is immutable; create a new skill to rename")
        unknown = sorted(set(body) - set(PATCH_FIELDS))
        if unknown:
            raise _bad(f"{unknown[0]}: unknown field (allowed: {', '.join(PATCH_FIELDS)})")
        if not body:
            raise _bad("body must set at least one of description, instructions, version")
        for name, value in body.items():
            _check_field(name, value)
        return {k: body[k] for k in PATCH_FIELDS if k in body}

    @staticmethod
    def _body(headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
        if len(body) > MAX_BODY_BYTES:
            raise ApiFailure(413, "request_too_large", "request body is larger than 1 MiB")
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise _bad(f"content-type must be application/json (got {content_type or 'none'!r})")
        try:
            parsed = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise _bad(f"request body is not valid JSON: {exc}") from None
        if not isinstance(parsed, dict):
            raise _bad("request body must be a JSON object")
        return parsed


def _check_field(name: str, value: Any) -> None:
    if not isinstance(value, str):
        raise _bad(f"{name}: must be a string")
    if name == "name":
        if not schemas.is_valid_name(value):
            raise _bad("name: must be 1-64 characters of a-z, 0-9 and single inner hyphens")
    elif name == "description":
        if not 1 <= len(value) <= 1024:
            raise _bad("description: must be 1-1024 characters")
        if "<" in value or ">" in value:
            raise _bad("description: must not contain < or >")
    elif name == "version":
        if not _VERSION_RE.search(value):
            raise _bad("version: must be a semantic version such as 1.2.0")
    elif name == "instructions" and not value:
        raise _bad("instructions: must not be empty")
