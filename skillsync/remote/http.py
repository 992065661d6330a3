"""One connection to a Skills API over httpx, shared by the API dialects.

Headers, timeouts, pooled keep-alive connections, error mapping, redaction and
retries: skillsync retries 408, 429, 500-504, 529 and connection errors
with exponential backoff and jitter (0.5 s doubling, capped at 8 s), honouring
``retry-after-ms`` / ``retry-after`` up to 60 s; a response whose rate-limit
headers (the dialect's: ``dialects.Dialect.reset_in``) say no request is left
pauses every request until the reset time. ``write_once`` is how a dialect
sends a write whose lost answer must be resolved by reading the remote, never
by sending it again blindly. Where the connection goes (the base URL's checks, the
proxy) is ``network``'s.
"""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx

from skillsync import __version__, dialects, secrets
from skillsync.errors import (
    ApiError,
    ConflictError,
    ConnectionClosed,
    HTTPStatusError,
    MalformedAnswer,
    NotFoundError,
    TransportError,
    status_error_class,
)
from skillsync.options import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_RETRIES,
    DEFAULT_PARALLELISM,
    DEFAULT_READ_TIMEOUT,
)
from skillsync.remote.network import check_base_url, route
from skillsync.remote.reply import Reply

log = logging.getLogger("skillsync.client")

BACKOFF_BASE = 0.5
BACKOFF_CAP = 8.0
RETRY_AFTER_CAP = dialects.RATE_LIMIT_CAP
MAX_ANSWER_BYTES = 32 * 1024 * 1024
"""The most a JSON answer may hold (a page of 1,000 skills is well under 1 MB); a content
download's bound is its dialect's (``FolderRemote.content_limit``)."""

T = TypeVar("T")
R = TypeVar("R")


def parse_retry_after(headers: httpx.Headers) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``retry-after`` (seconds or HTTP date)."""
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return min(RETRY_AFTER_CAP, max(0.0, float(raw_ms) / 1000))
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return min(RETRY_AFTER_CAP, max(0.0, float(raw)))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (ValueError, TypeError, IndexError):
        return None  # neither seconds nor a date ("soon"): the backoff decides
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)  # an HTTP date is GMT, whether it says so or not
    return min(RETRY_AFTER_CAP, max(0.0, (when - datetime.now(UTC)).total_seconds()))


class ApiHttp:
    """A connection to one workspace of a Skills API, whatever its dialect.

    Thread-safe: the planner and the applier share one connection across their
    worker threads (``map``), which also bounds how many requests are in flight.
    ``auth`` holds the headers that carry the key; the key is registered for
    redaction before anything is sent.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        auth: dict[str, str],
        *,
        key_source: str = "the API key",
        dialect: dialects.Dialect = dialects.DIALECTS[dialects.DEFAULT],
        display_url: str | None = None,
        transport: httpx.BaseTransport | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        parallelism: int = DEFAULT_PARALLELISM,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        url = check_base_url(base_url) if transport is None else urlsplit(base_url)
        secrets.register(api_key)
        self.base_url = display_url or base_url
        self._host = urlsplit(self.base_url).hostname or self.base_url  # for messages
        self.key_source = key_source
        self._request_id_header = dialect.request_id_header
        self._reset_in = dialect.reset_in
        self.max_retries = max_retries
        self.parallelism = parallelism
        self._sleep, self._clock, self._jitter = sleep, clock, jitter
        self._pause_until = 0.0
        self._pause_lock = threading.Lock()
        # perf: one host, and no cookies, redirects or auth flows: requests go straight to
        # httpx's transport, skipping the Client's work on those for every request, since
        # a cold plan of many skills is bound by this process's CPU (benchmarks/README.md)
        self._root = base_url.rstrip("/")
        self.headers = httpx.Headers(
            {
                **auth,
                "accept": "*/*",
                "accept-encoding": "gzip, deflate",
                "user-agent": f"skillsync/{__version__} python-httpx/{httpx.__version__}",
            }
        )
        self.timeout = httpx.Timeout(read_timeout, connect=connect_timeout)
        self._extensions = {"timeout": self.timeout.as_dict()}
        self._closed = False
        self._transport, self._via = (transport, "") if transport else route(url, parallelism)

    def __repr__(self) -> str:
        return f"ApiHttp(base_url={self.base_url!r}, api_key=[REDACTED])"

    def close(self) -> None:
        """Close the connections; a request still to be sent (a worker not waited for)
        fails at once with ConnectionClosed instead of opening a new one."""
        self._closed = True
        self._transport.close()

    def map(self, function: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """``function`` over ``items`` with at most ``parallelism`` in flight, in order."""
        items = list(items)
        if len(items) <= 1 or self.parallelism == 1:
            return [function(item) for item in items]
        with ThreadPoolExecutor(max_workers=self.parallelism) as pool:
            return list(pool.map(function, items))

    def write_once(self, send: Callable[[], T], resolve: Callable[[], T | None], what: str) -> T:
        """Send a write whose lost answer is resolved by ``resolve`` (reading the remote:
        the write's result if it happened, None if not) before it is ever sent again
        (an ambiguous write). ``send`` must make its request with
        ``ambiguous_fails=True``."""
        attempt = 0
        ambiguous = False
        while True:
            try:
                return send()
            except ApiError as exc:
                if not (is_ambiguous(exc) or (ambiguous and isinstance(exc, ConflictError))):
                    raise
                ambiguous = True
                log.warning("%s: answer lost (%s); reading the remote", what, exc)
                done = resolve()
                if done is not None:
                    log.warning("%s: it was done (found on the remote as planned)", what)
                    return done
                if attempt >= self.max_retries:
                    raise
                self._sleep(self.backoff(attempt))
                attempt += 1

    def backoff(self, attempt: int) -> float:
        ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2.0**attempt)
        return ceiling / 2 + self._jitter() * ceiling / 2

    def _wait_for_rate_limit(self) -> None:
        with self._pause_lock:
            wait = self._pause_until - self._clock()
        if wait > 0:
            log.info("rate limit reached; pausing %.1f s until the window resets", wait)
            self._sleep(wait)

    def _note_rate_limit(self, headers: httpx.Headers) -> None:
        reset_in = self._reset_in(headers) if self._reset_in is not None else None
        if reset_in is not None:
            with self._pause_lock:
                self._pause_until = max(self._pause_until, self._clock() + reset_in)

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        files: list[tuple[str, tuple[str, bytes, str]]] | None = None,
        data: dict[str, str] | None = None,
        ambiguous_fails: bool = False,
        missing_ok_after_retry: bool = False,
        limit: int | None = None,
    ) -> httpx.Response:
        """Send a request (retried as section 5 says) and read its answer, at most ``limit``
        bytes of it (default MAX_ANSWER_BYTES)."""
        attempt = 0
        was_ambiguous = False
        while True:
            self._wait_for_rate_limit()
            try:
                response = self._send(
                    method, path, json, params, files, data, limit or MAX_ANSWER_BYTES
                )
                if response.is_success:
                    return response
                error = self._status_error(response)
                if missing_ok_after_retry and was_ambiguous and isinstance(error, NotFoundError):
                    return response  # the earlier attempt did it; its answer was lost
                raise error
            except ApiError as exc:
                retry_after = exc.retry_after if isinstance(exc, HTTPStatusError) else None
                ambiguous = is_ambiguous(exc)
                if not exc.retryable or attempt >= self.max_retries:
                    raise
                if ambiguous and ambiguous_fails:
                    raise
                was_ambiguous = was_ambiguous or ambiguous
                delay = retry_after if retry_after is not None else self.backoff(attempt)
                log.info(
                    "%s %s failed (%s); retry %d in %.2f s", method, path, exc, attempt + 1, delay
                )
                self._sleep(delay)
                attempt += 1

    def request_json(self, method: str, path: str, **options: Any) -> Reply:
        """``request``, its answer read as a JSON object whose fields are checked as they
        are read (``Reply``)."""
        return Reply.of(self.request(method, path, **options), f"{method} {path}")

    def _send(
        self,
        method: str,
        path: str,
        json: Any,
        params: dict[str, Any] | None,
        files: list[tuple[str, tuple[str, bytes, str]]] | None,
        data: dict[str, str] | None,
        limit: int,
    ) -> httpx.Response:
        host = self._host
        if self._closed:
            raise ConnectionClosed(f"the connection to {host} is closed; {method} {path} not sent")
        try:
            request = httpx.Request(
                method,
                self._root + path,
                params=params,
                json=json,
                files=files,
                data=data,
                headers=self.headers,
                extensions=self._extensions,
            )
            streamed = self._transport.handle_request(request)
            streamed.request = request
            try:
                response = _read_capped(streamed, limit, f"{method} {path}")
            finally:
                streamed.close()
        except httpx.ConnectTimeout:
            raise TransportError(f"timed out connecting to {host}", sent=False) from None
        except httpx.ConnectError as exc:
            reason = secrets.redact(str(exc))
            if "SSL" in reason or "certificate" in reason.lower():
                raise TransportError(
                    f"TLS handshake with {host} failed: {reason}",
                    sent=False,
                    hint="check the base URL and the system's CA certificates",
                ) from None
            if self._via:
                raise TransportError(
                    f"cannot connect to {host}{self._via}: {reason}",
                    sent=False,
                    hint="check HTTPS_PROXY / ALL_PROXY, or name the host in NO_PROXY",
                ) from None
            raise TransportError(
                f"cannot connect to {host}: {reason}",
                sent=False,
                hint="check base_url in skillsync.yaml (or --base-url) and the network",
            ) from None
        except httpx.TimeoutException as exc:
            raise TransportError(
                f"no answer from {host} in time ({type(exc).__name__})", sent=True
            ) from None
        except httpx.TransportError as exc:
            raise TransportError(
                f"connection to {host} failed: {secrets.redact(str(exc)) or type(exc).__name__}",
                sent=True,
            ) from None
        if log.isEnabledFor(logging.INFO):  # -v: every request, with its request-id
            log.info(
                "%s %s -> %s (request-id %s)",
                method,
                path,
                response.status_code,
                response.headers.get(self._request_id_header),
            )
        self._note_rate_limit(response.headers)
        return response

    def _status_error(self, response: httpx.Response) -> HTTPStatusError:
        error_type, message = "api_error", response.reason_phrase or "error"
        try:
            error = response.json()["error"]
        except (ValueError, KeyError, TypeError, IndexError):
            error = None
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            found = error.get("type") or error.get("code")
            error_type = found if isinstance(found, str) and found else error_type
            message = error["message"]
        elif isinstance(error, str) and error:
            message = error  # {"error": "text"}: some servers and proxies answer so
        else:
            text = response.text.strip()
            if text:
                message = text
        hint = None
        status = response.status_code
        if status == 401:
            hint = f"check the key in {self.key_source}"
        elif status == 403:
            hint = f"the key in {self.key_source} may not manage skills in this workspace"
        cls = status_error_class(status)
        return cls(
            status,
            error_type,
            secrets.shortened(message),
            request_id=response.headers.get(self._request_id_header),
            retry_after=parse_retry_after(response.headers),
            hint=hint,
        )


def _read_capped(streamed: httpx.Response, limit: int, what: str) -> httpx.Response:
    """The answer, read as it streams in and refused past ``limit`` bytes (decoded), so a
    huge or endless body costs at most that much memory."""
    declared = streamed.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise MalformedAnswer(f"{what}: the answer is {int(declared):,} bytes, over {limit:,}")
    if declared.isdigit() and "content-encoding" not in streamed.headers:
        # perf: framed by the length it declared (the HTTP layer reads no more), which is
        # within the limit: read as it is, without a second Response per answer
        streamed.read()
        return streamed
    chunks, size = [], 0
    for chunk in streamed.iter_bytes():
        size += len(chunk)
        if size > limit:
            raise MalformedAnswer(f"{what}: the answer runs past {limit:,} bytes; not read on")
        chunks.append(chunk)
    # The raw bytes: a header value the server sent beyond ASCII must not fail to re-encode.
    headers = [(k, v) for k, v in streamed.headers.raw if k.lower() != b"content-encoding"]
    return httpx.Response(
        streamed.status_code, headers=headers, content=b"".join(chunks), request=streamed.request
    )


def is_ambiguous(exc: ApiError) -> bool:
    """Might the server have acted on a request whose answer we did not get?"""
    if isinstance(exc, TransportError):
        return exc.sent
    if isinstance(exc, HTTPStatusError):
        return exc.status >= 500 or exc.status == 408
    return False
