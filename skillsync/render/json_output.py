"""stdout under ``--format json``: exactly one JSON document, in every path.

A command that prints JSON registers its stream with ``expect``; it writes its
document with ``emit``. When the command fails before it has written one (bad
input, an API error, a stale plan, Ctrl-C, a bug), the CLI's error boundary calls
``fail`` and the document is an error report instead::

    {"ok": false, "exit_code": 1, "error": {"kind": "StalePlan", "message": "...", "hint": "..."}}

Everything meant for people (plans, progress, warnings) goes to stderr then.
"""

from __future__ import annotations

import json
from contextvars import ContextVar
from typing import Any, TextIO

_pending: ContextVar[_Document | None] = ContextVar("json_document", default=None)


class _Document:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.written = False


def dumps(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def expect(out: TextIO) -> None:
    """The running command prints one JSON document on ``out``."""
    _pending.set(_Document(out))


def emit(document: Any, out: TextIO) -> None:
    """Write the command's document (once)."""
    pending = _pending.get()
    if pending is not None:
        if pending.written:
            raise RuntimeError("a second JSON document on stdout")
        pending.written = True
    out.write(dumps(document))


def fail(kind: str, message: str, hint: str | None, exit_code: int) -> None:
    """If a JSON document is owed and none was written, write an error report."""
    pending = _pending.get()
    _pending.set(None)
    if pending is None or pending.written:
        return
    error: dict[str, Any] = {"kind": kind, "message": message}
    if hint:
        error["hint"] = hint
    pending.out.write(dumps({"ok": False, "exit_code": exit_code, "error": error}))
    pending.written = True


def done() -> None:
    _pending.set(None)
