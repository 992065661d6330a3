"""Keep API keys out of every output: logs, errors, tracebacks, plans.

The client registers each key it reads; ``redact`` replaces any registered key
in a text, and ``RedactingFilter`` does so for every log record (httpx and
httpcore records included once the filter sits on the handler).
"""

from __future__ import annotations

import logging
import re
import threading

REDACTED = "[REDACTED]"
_lock = threading.Lock()
_secrets: set[str] = set()


_short: dict[str, re.Pattern[str]] = {}

SHORT_SECRET = 8
"""A key shorter than this is redacted only where it stands as a whole token: replacing
every occurrence would mangle ordinary words. Every key is redacted, whatever its length."""


def register(secret: str) -> None:
    if not secret:
        return
    with _lock:
        _secrets.add(secret)
        if len(secret) < SHORT_SECRET:
            _short[secret] = re.compile(rf"(?<![\w-]){re.escape(secret)}(?![\w-])")


def redact(text: str) -> str:
    for secret in _secrets:
        if secret in text:
            short = _short.get(secret)
            text = short.sub(REDACTED, text) if short else text.replace(secret, REDACTED)
    return text


def shortened(text: str, limit: int = 500) -> str:
    """``text`` redacted, then cut to ``limit`` characters: cutting first could leave the
    start of a key that redaction no longer recognises."""
    text = redact(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if _secrets:
            message = record.getMessage()
            clean = redact(message)
            if clean != message:
                record.msg, record.args = clean, None
        return True
