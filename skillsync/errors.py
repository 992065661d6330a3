"""The one exception hierarchy of skillsync.

Every expected failure is a ``SkillsyncError``; the CLI is the only place that
turns one into a message and an exit code (``exit_code``, 1 unless a subclass
says otherwise). Anything else that escapes is a bug and exits 3.

    SkillsyncError
    ├── ConfigError            skillsync.yaml missing, unreadable or invalid
    ├── ValidationFailed       skill files have errors (the problems are attached)
    ├── TargetError            unknown target, missing key variable, unsafe endpoint
    ├── PlanError              a plan that must not be applied
    │   ├── UnsafePlan         thresholds, protected deletes, version policy
    │   └── StalePlan          saved plan no longer matches checksum/target/remote
    ├── ApplyIncomplete        some changes failed; the others were applied
    ├── Cancelled              confirmation refused
    ├── ImportRefused          import found no such remote skill, or would write through
    │                          a symlink
    ├── SkillsMissing          output: skills of the repository not on the remote yet
    ├── UnsafeRemoteContent    a remote skill skillsync will not read or write: an unsafe
    │                          name or path, a zip bomb, content that is not a zip
    └── ApiError               the Skills API answered with an error, or not at all
        ├── MalformedAnswer    a success answer that is not what the API documents
        ├── ConnectionClosed   a request after the run closed its connection
        ├── TransportError     connection refused, DNS, TLS, timeout (no answer)
        └── HTTPStatusError    an error envelope; carries status, type, message,
            │                  request-id
            ├── AuthenticationError  401
            ├── NotFoundError        404
            ├── ConflictError        409
            └── RateLimitError       429
"""

from __future__ import annotations

from typing import Any

EXIT_INTERRUPTED = 130
"""Exit code of every command stopped by Ctrl-C or SIGTERM."""


class SkillsyncError(Exception):
    """An expected failure: reported as one message, exit code 1."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled whole (a forked loading process sends its failure back as it is),
        whatever arguments a subclass's constructor takes."""
        return (_rebuilt, (type(self), self.args, self.__dict__))


def _rebuilt(cls: type[SkillsyncError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class ConfigError(SkillsyncError):
    pass


class ValidationFailed(SkillsyncError):
    pass


class TargetError(SkillsyncError):
    pass


class PlanError(SkillsyncError):
    pass


class UnsafePlan(PlanError):
    pass


class StalePlan(PlanError):
    pass


class ApplyIncomplete(SkillsyncError):
    pass


class Cancelled(SkillsyncError):
    pass


class ImportRefused(SkillsyncError):
    pass


class SkillsMissing(SkillsyncError):
    pass


class UnsafeRemoteContent(SkillsyncError):
    pass


class ApiError(SkillsyncError):
    """The Skills API could not do what was asked."""

    retryable = False


class MalformedAnswer(ApiError):
    """A success answer that is not what the API documents (not JSON, a field missing or of
    another type, an id of an impossible shape): never retried, one failed request."""


class ConnectionClosed(ApiError):
    """A request on a connection already closed: the run is ending (a Ctrl-C, or another
    target failed) and the worker that asked is not waited for. Never retried."""


class TransportError(ApiError):
    """No answer: connection refused or dropped, DNS, TLS, timeout.

    ``sent`` tells whether the request may have reached the server (a read
    timeout, a dropped connection) or certainly did not (connect failure).
    """

    retryable = True

    def __init__(self, message: str, *, sent: bool, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.sent = sent


class HTTPStatusError(ApiError):
    """An HTTP error answer with the API's error envelope."""

    def __init__(
        self,
        status: int,
        error_type: str,
        message: str,
        *,
        request_id: str | None,
        retry_after: float | None = None,
        hint: str | None = None,
    ) -> None:
        rid = f" (request-id {request_id})" if request_id else ""
        super().__init__(f"{status} {error_type}: {message}{rid}", hint=hint)
        self.status = status
        self.error_type = error_type
        self.api_message = message
        self.request_id = request_id
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:  # type: ignore[override]
        return self.status in RETRYABLE_STATUSES


class AuthenticationError(HTTPStatusError):
    pass


class NotFoundError(HTTPStatusError):
    pass


class ConflictError(HTTPStatusError):
    pass


class RateLimitError(HTTPStatusError):
    pass


RETRYABLE_STATUSES = frozenset({408, 429, 500, 501, 502, 503, 504, 529})

_BY_STATUS: dict[int, type[HTTPStatusError]] = {
    401: AuthenticationError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitError,
}


def status_error_class(status: int) -> type[HTTPStatusError]:
    return _BY_STATUS.get(status, HTTPStatusError)
