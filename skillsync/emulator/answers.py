"""What the emulator's fronts answer with: responses and API failures."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


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


def bad(message: str) -> ApiFailure:
    return ApiFailure(400, "invalid_request_error", message)


def not_found(message: str) -> ApiFailure:
    return ApiFailure(404, "not_found_error", message)


def not_allowed(method: str) -> ApiFailure:
    return ApiFailure(405, "invalid_request_error", f"{method} is not allowed here")


def json_response(status: int, payload: Any) -> Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(status, body, {"content-type": "application/json"})


def zip_response(name: str, data: bytes) -> Response:
    """A version's content. The filename is the skill's name where a header can carry it
    (a store planted with any name must still answer, not fail with a 500)."""
    shown = name if name.isascii() and name.isprintable() and '"' not in name else "skill"
    return Response(
        200,
        data,
        {
            "content-type": "application/zip",
            "content-disposition": f'attachment; filename="{shown}.zip"',
        },
    )
