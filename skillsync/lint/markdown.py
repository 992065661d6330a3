"""What the lint rules read of markdown: link targets and code spans, with positions.

Not a markdown parser: a line scanner that knows the two things that hide
links (fenced code blocks, and inline code spans, which may hold anything) and
finds inline links ``[text](target)``, images ``![alt](target)`` and
reference definitions ``[label]: target``.
"""

from __future__ import annotations

import re
from collections import defaultdict, deque
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote


@dataclass(frozen=True)
class Span:
    """A link target or a code span's text, at a 1-based line and column."""

    text: str
    line: int
    col: int


FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_TICKS = re.compile(r"`+")
_INLINE_LINK = re.compile(
    r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*(<[^<>\n]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)"
    r"(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)"
)
_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s*(<[^<>\n]*>|\S+)")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def closes_fence(fence: str, marker: str, rest: str) -> bool:
    return marker[0] == fence[0] and len(marker) >= len(fence) and not rest.strip()


def code_spans(line: str) -> list[tuple[int, int, int]]:
    """(start, end, ticks) of each inline code span of a line: a run of backticks closed
    by the next run of the same length (CommonMark). Linear in the line: each run length
    keeps a queue of where its runs stand, so no run is looked at twice."""
    runs = [(m.start(), m.end()) for m in _TICKS.finditer(line)]
    waiting: dict[int, deque[int]] = defaultdict(deque)
    for index, (start, end) in enumerate(runs):
        waiting[end - start].append(index)
    spans = []
    index = 0
    while index < len(runs):
        start, end = runs[index]
        later = waiting[end - start]
        while later and later[0] <= index:
            later.popleft()
        if later:
            closing = later.popleft()
            spans.append((start, runs[closing][1], end - start))
            index = closing + 1
        else:
            index += 1
    return spans


def _blank_code(line: str) -> tuple[str, list[Span]]:
    """The line with its code spans blanked (same columns), and the spans."""
    spans: list[Span] = []
    pieces = []
    done = 0
    for start, end, ticks in code_spans(line):
        inner = line[start + ticks : end - ticks]
        if inner.strip():
            spans.append(Span(inner.strip(), 0, start + ticks + 1))
        pieces += [line[done:start], " " * (end - start)]
        done = end
    pieces.append(line[done:])
    return "".join(pieces), spans


def _marked_lines(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each line holding a backtick, a tilde or a ``]``, in order: only
    such a line can open or close a fence, or hold a code span or a link. ``str.find``
    jumps from one to the next at C speed; most lines of a skill's instructions are prose
    and cost no Python step."""
    find = text.find
    tick, tilde, bracket = find("`"), find("~"), find("]")
    while True:
        first = min((p for p in (tick, tilde, bracket) if p >= 0), default=-1)
        if first < 0:
            return
        start = text.rfind("\n", 0, first) + 1
        end = find("\n", first)
        if end < 0:
            end = len(text)
        yield start, end
        if 0 <= tick <= end:
            tick = find("`", end + 1)
        if 0 <= tilde <= end:
            tilde = find("~", end + 1)
        if 0 <= bracket <= end:
            bracket = find("]", end + 1)


def scan(text: str, first_line: int = 1) -> tuple[list[Span], list[Span]]:
    """(link targets, code spans) of a markdown text whose first line is ``first_line``,
    outside fenced code blocks."""
    links: list[Span] = []
    code: list[Span] = []
    fence = ""
    at, counted = first_line, 0  # ``at``: the number of the line starting at ``counted``
    for start, end in _marked_lines(text):
        at += text.count("\n", counted, start)
        counted = start
        fence = scan_line(text[start:end], at, fence, links, code)
    return links, code


def scan_line(line: str, at: int, fence: str, links: list[Span], code: list[Span]) -> str:
    """One line (number ``at``) of a scan: its links and code spans added to ``links`` and
    ``code``; ``fence``: the open fence before it, and the one after it is returned."""
    opening = FENCE.match(line)
    if fence:
        if opening and closes_fence(fence, opening.group(1), line[opening.end() :]):
            return ""
        return fence
    if opening and not (opening.group(1)[0] == "`" and "`" in line[opening.end() :]):
        return opening.group(1)
    line = line.rstrip("\r")
    if "`" in line:
        line, spans = _blank_code(line)
        code.extend(Span(s.text, at, s.col) for s in spans)
    if "]" in line:
        for match in _INLINE_LINK.finditer(line):
            links.append(Span(match.group(1), at, match.start(1) + 1))
        definition = _DEFINITION.match(line)
        if definition:
            links.append(Span(definition.group(1), at, definition.start(1) + 1))
    return fence


def relative_target(target: str) -> str | None:
    """The path a link target names inside the skill, or None when it names no such path
    (a URL or other scheme, an absolute path, only an #anchor, empty)."""
    if target.startswith("<") and target.endswith(">"):
        target = target[1:-1]
    target = target.split("#", 1)[0].split("?", 1)[0]
    if not target or target.startswith(("/", "\\")) or _SCHEME.match(target):
        return None
    return unquote(target)
