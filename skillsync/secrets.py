"""Keep API keys out of every output: logs, errors, tracebacks, plans.

The client registers each key it reads; ``redact`` replaces any registered key
in a text, and ``RedactingFilter`` does so for every log record (httpx and
httpcore records included once the filter sits on the handler).
"""

from __future__ import annotations

import logging
import threading

REDACTED = "[REDACTED]"
_lock = threading.Lock()
_secrets: set[str] = set()


MIN_SECRET_LENGTH = 8
"""Shorter strings are not registered: redacting them would mangle ordinary text
(every real API key is far longer)."""


def register(secret: str) -> None:
    if len(secret) >= MIN_SECRET_LENGTH:
        with _lock:
            _secrets.add(secret)


def redact(text: str) -> str:
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if _secrets:
            message = record.getMessage()
            clean = redact(message)
            if clean != message:
                record.msg, record.args = clean, None
        return True
