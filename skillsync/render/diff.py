"""Line diffs of skill fields, shared by the text and markdown renderers."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from skillsync.plan import FILE_SYMBOLS, FileChange

NO_NEWLINE = "\\ No newline at end of file"


def _lines(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n" + NO_NEWLINE + "\n"
    return lines


def unified(before: str, after: str, from_label: str, to_label: str) -> list[str]:
    """A unified diff as lines without line ends (``---``/``+++`` headers included)."""
    if not before and after:  # a new file: what difflib gives, without its matcher's work
        lines = _lines(after)
        count = str(len(lines)) if len(lines) == 1 else f"1,{len(lines)}"
        head = [f"--- {from_label}\n", f"+++ {to_label}\n", f"@@ -0,0 +{count} @@\n"]
        diff: Iterable[str] = [*head, *("+" + line for line in lines)]
    else:
        diff = difflib.unified_diff(_lines(before), _lines(after), from_label, to_label, n=3)
    out: list[str] = []
    for chunk in diff:
        out.extend(chunk.rstrip("\r\n").split("\n"))
    return out


def size(count: int | None) -> str:
    if count is None:
        return "?"
    return f"{count:,} byte{'' if count == 1 else 's'}"


def file_line(change: FileChange) -> str:
    """``+ run.py (120 bytes)``, ``~ SKILL.md (1,200 -> 1,250 bytes)``, ``- x (3 bytes)``."""
    mark = FILE_SYMBOLS[change.action]
    if change.action == "add":
        return f"{mark} {change.path} ({size(change.size_after)})"
    if change.action == "remove":
        return f"{mark} {change.path} ({size(change.size_before)})"
    sizes = f"{change.size_before:,} -> {size(change.size_after)}"
    kind = "" if change.diff is not None else ", binary"
    return f"{mark} {change.path} ({sizes}{kind})"


def quoted(value: str) -> str:
    text = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'
