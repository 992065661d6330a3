"""What a dialect's front tells the shared app: how keys arrive, how errors look, which
headers carry the request id and the rate-limit state.

The defaults are the Anthropic APIs' (the seed and anthropic dialects): a key in
``x-api-key`` or as a Bearer token, ``anthropic-version`` required, the
``{"type": "error", "error": {...}}`` envelope, ``request-id`` and the
``anthropic-ratelimit-*`` headers. ``openai_api.OpenAIApi`` overrides them.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from skillsync.emulator.answers import ApiFailure, Response, json_response


class Front:
    api = ""
    max_body_bytes = 0
    too_large = ""
    missing_key = "x-api-key header is required"
    request_id_in_errors = False
    request_id_header = "request-id"
    bearer_only = False
    """Whether a key is taken only as ``Authorization: Bearer`` (else also ``x-api-key``)."""
    version_header: str | None = "anthropic-version"
    """A header every request must carry, or None."""
    workspace_header: str | None = "anthropic-workspace-id"
    """A header naming the workspace, which must be the key's, or None."""

    @staticmethod
    def route_name(method: str, path: str) -> str:
        return f"{method} {path}"

    def dispatch(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        body: bytes,
        workspace: str,
    ) -> Response:
        raise NotImplementedError

    def failure(self, failure: ApiFailure, request_id: str) -> Response:
        envelope: dict[str, Any] = {
            "type": "error",
            "error": {"type": failure.error_type, "message": failure.message},
        }
        if self.request_id_in_errors:
            envelope["request_id"] = request_id
        response = json_response(failure.status, envelope)
        response.headers.update(failure.headers)
        return response

    def rate_headers(self, rpm: int, remaining: int, reset_in: float) -> dict[str, str]:
        reset = datetime.fromtimestamp(time.time() + reset_in, UTC)
        return {
            "anthropic-ratelimit-requests-limit": str(rpm),
            "anthropic-ratelimit-requests-remaining": str(max(0, remaining)),
            "anthropic-ratelimit-requests-reset": reset.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
