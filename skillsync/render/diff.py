"""Line diffs of skill fields, shared by the text and markdown renderers."""

from __future__ import annotations

import difflib

NO_NEWLINE = "\\ No newline at end of file"


def _lines(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n" + NO_NEWLINE + "\n"
    return lines


def unified(before: str, after: str, from_label: str, to_label: str) -> list[str]:
    """A unified diff as lines without line ends (``---``/``+++`` headers included)."""
    diff = difflib.unified_diff(_lines(before), _lines(after), from_label, to_label, n=3)
    out: list[str] = []
    for chunk in diff:
        out.extend(chunk.rstrip("\r\n").split("\n"))
    return out


def quoted(value: str) -> str:
    text = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'
