"""The Skills API as a plain request -> response function, in any dialect.

Transport-free, so the HTTP server and the in-process httpx transport serve the
very same behaviour. The parts every dialect shares live here: auth, ``--rpm``,
fault injection (``--fault-rate``, ``--latency-ms``, ``--seed``) and request
counts. A thin front per dialect (``seed_api``, ``anthropic_api``,
``openai_api``; ``dialects.Dialect.front``) routes and answers, and says how keys
arrive and how errors, request ids and rate-limit headers look (``front.Front``).
"""

from __future__ import annotations

import math
import random
import secrets
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skillsync import dialects
from skillsync.emulator import DEFAULT_KEY, DEFAULT_RPM, DEFAULT_WORKSPACE
from skillsync.emulator.answers import ApiFailure, Response, bad, json_response
from skillsync.emulator.database import Database
from skillsync.emulator.front import Front

FAULT_KINDS = ("overloaded", "api_error", "rate_limited", "drop_after_write")
WRITE_METHODS = frozenset({"POST", "PATCH", "DELETE"})
STATS_PATH = "/_emulator/stats"
APIS = dialects.NAMES


def open_store(path: str | Path, api: str) -> Any:
    """The store of a dialect on the SQLite file at ``path``."""
    store: Database = dialects.dialect(api).store_class()(path)
    return store


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
    """The emulator; its dialect is its store's (``open_store``), which picks the front."""

    def __init__(
        self,
        store: Any,
        keys: Mapping[str, str] | None = None,
        *,
        faults: Faults | None = None,
        rpm: int = DEFAULT_RPM,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        refuse_delete_with_versions: bool = False,
    ) -> None:
        self.store = store
        options = {"refuse_delete_with_versions": True} if refuse_delete_with_versions else {}
        self.front: Front = dialects.dialect(store.api).front_class()(store, **options)
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
            return json_response(
                200, {"requests": dict(self.stats), "faults": dict(self.fault_stats)}
            )
        if self.faults.latency_ms:
            self.sleep(self.faults.latency_ms / 1000)
        request_id = "req_" + secrets.token_hex(12)
        extra: dict[str, str] = {}
        route = self.front.route_name(method, path)
        with self._stats_lock:
            self.stats[route] += 1
        try:
            key, workspace = self._authenticate(headers)
            allowed, remaining, reset_in = self.rate.take(key)
            extra = self.front.rate_headers(self.rate.rpm, remaining, reset_in)
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
            response = self.front.dispatch(method, path, query, headers, body, workspace)
            response.drop_connection = fault == "drop_after_write"
        except ApiFailure as failure:
            response = self._failure(failure, request_id)
        response.headers.update(extra)
        response.headers[self.front.request_id_header] = request_id
        return response

    @property
    def max_body_bytes(self) -> int:
        return self.front.max_body_bytes

    def too_large(self) -> Response:
        """The 413 the server gives before reading a body over ``max_body_bytes``."""
        return self.error_response(413, "request_too_large", self.front.too_large)

    def error_response(self, status: int, error_type: str, message: str) -> Response:
        """An error answer given outside ``handle`` (the server refusing a request early)."""
        request_id = "req_" + secrets.token_hex(12)
        response = self._failure(ApiFailure(status, error_type, message), request_id)
        response.headers[self.front.request_id_header] = request_id
        return response

    # -- plumbing ---------------------------------------------------------------------
    def _failure(self, failure: ApiFailure, request_id: str) -> Response:
        return self.front.failure(failure, request_id)

    def _authenticate(self, headers: Mapping[str, str]) -> tuple[str, str]:
        """(the key, its workspace): the key from x-api-key or Authorization: Bearer."""
        front = self.front
        key = None if front.bearer_only else headers.get("x-api-key")
        via = "x-api-key"
        if not key:
            scheme, _, token = headers.get("authorization", "").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                key, via = token.strip(), "bearer token"
        if not key:
            raise ApiFailure(401, "authentication_error", self.front.missing_key)
        workspace = self.keys.get(key)
        if workspace is None:
            raise ApiFailure(401, "authentication_error", f"invalid {via}")
        if front.version_header and not headers.get(front.version_header):
            raise bad(f"{front.version_header} header is required (for example 2023-06-01)")
        asked = headers.get(front.workspace_header) if front.workspace_header else None
        if asked is not None and asked != workspace:
            raise ApiFailure(
                403,
                "permission_error",
                f"{front.workspace_header} {asked!r} is not the workspace of this API key",
            )
        return key, workspace

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
