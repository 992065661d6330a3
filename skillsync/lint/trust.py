"""The trust gate: what a skill may not carry out of the repository (SPEC section 13).

One pass over each file a target would receive runs the text rules: ``secret`` and
``hidden-unicode`` over the whole file, ``remote-exec`` over its code (every line
of a script; fenced and indented blocks of markdown), ``hidden-comment`` over
markdown prose. A comment ``skillsync: ignore[RULE] -- REASON`` on a finding's
line or the line above silences it; ``bad-suppression`` reports one without a
reason and one that silences nothing. ``sensitive-path`` is the loader's (it sees
where symlinks and ``instructions_file`` lead) and cannot be silenced.

Findings never quote what they found: a secret appears as its kind, length and
first characters, a command as the names of its downloader and interpreter.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ahocorasick_rs import AhoCorasick

from skillsync.lint import credentials, remote_exec, unicode
from skillsync.lint.markdown import FENCE, closes_fence, code_spans
from skillsync.lint.rules import RULES, finding
from skillsync.model import Location, Problem

SUPPRESSIBLE = ("secret", "hidden-unicode", "remote-exec", "hidden-comment")
SECURITY_RULES = (*SUPPRESSIBLE, "bad-suppression", "sensitive-path")
COMMENT_WORDS = 12


@dataclass(frozen=True)
class Scanned:
    """One file as the gate reads it."""

    path: str
    """As shown (relative to the repository)."""
    source: str
    """The whole file's text: secrets, hidden characters and suppressions are read here."""
    markdown: str | None = None
    """The markdown the file holds (a SKILL.md body, YAML instructions, a .md file)."""
    markdown_line: int = 1
    """The line of the file on which ``markdown`` starts."""
    markdown_indent: int = 0
    """Columns each of its lines is indented by in the file (a YAML block scalar)."""
    script: bool = False
    """Every line is code (a script or other uploaded text that is not markdown)."""


def _at(path: str, text: str, offset: int) -> Location:
    """An offset into a file's text as a 1-based line and column (in characters)."""
    line = text.count("\n", 0, offset) + 1
    return Location(path, line, offset - (text.rfind("\n", 0, offset) + 1) + 1)


_EXEC_WORDS = tuple(
    spelled
    for word in ("curl", "wget", "iwr", "irm", "iex", "invoke-", "base64")
    for spelled in (word, word.upper(), word.capitalize())
)
_COMMENT, _SUPPRESS = "<!--", "skillsync:"
# perf: one Aho-Corasick pass over a file finds where a credential could stand and tells
# which other rules it needs; most files need none. Overlapping matches: no word may hide
# a trigger that overlaps it
_WORDS = (*_EXEC_WORDS, _COMMENT, _SUPPRESS)
_SCREEN = AhoCorasick([*credentials.TRIGGERS, *_WORDS])
_CREDENTIAL_HITS = len(credentials.TRIGGERS)


@dataclass(frozen=True)
class _Screened:
    """What one pass over a text found: whether it names a downloader or decoder as a
    word of its own (``irm``, not ``confirm``), holds an HTML comment, a suppression."""

    execs: bool = False
    comments: bool = False
    suppressions: bool = False
    credentials: tuple[tuple[int, int], ...] = ()
    """Where ``credentials.TRIGGERS`` stand: (index, offset)."""


def _screen(text: str) -> _Screened:
    execs = comments = suppressions = False
    found: list[tuple[int, int]] = []
    for hit, start, _ in _SCREEN.find_matches_as_indexes(text, overlapping=True):
        if hit < _CREDENTIAL_HITS:
            found.append((hit, start))
            continue
        index = hit - _CREDENTIAL_HITS
        if index < len(_EXEC_WORDS):
            before = text[start - 1 : start]
            execs = execs or not (before.isalnum() or before == "_")
        elif index == len(_EXEC_WORDS):
            comments = True
        else:
            suppressions = True
    return _Screened(execs, comments, suppressions, tuple(found))


# -- markdown: which lines are code, where the comments are --------------------------------
_LIST_ITEM = re.compile(r"^ {0,3}(?:[-*+]|\d{1,9}[.)])(?:\s|$)")


def markdown_lines(text: str) -> Iterator[tuple[int, str, bool]]:
    """(0-based index, line, whether it is code) of each line of a markdown text."""
    fence = ""
    previous_blank, in_code, in_list = True, False, False
    for index, line in enumerate(text.split("\n")):
        line = line.removesuffix("\r")
        if fence:
            opening = FENCE.match(line)
            if opening and closes_fence(fence, opening.group(1), line[opening.end() :]):
                fence = ""
                yield index, line, False
                continue
            yield index, line, True
            continue
        opening = FENCE.match(line)
        if opening and not (opening.group(1)[0] == "`" and "`" in line[opening.end() :]):
            fence = opening.group(1)
            previous_blank = in_code = False
            yield index, line, False
            continue
        blank = not line.strip()
        indented = line.startswith(("    ", "\t"))
        if indented and not blank and (in_code or (previous_blank and not in_list)):
            in_code = True
            yield index, line, True
        else:
            if not blank:
                in_code = False
                if not indented:
                    in_list = bool(_LIST_ITEM.match(line))
            yield index, line, False
        previous_blank = blank


def _hidden_comments(text: str, code_lines: set[int]) -> Iterator[tuple[int, int, int]]:
    """(line index, column offset, words) of each HTML comment outside code."""
    position = 0
    while True:
        start = text.find("<!--", position)
        if start < 0:
            return
        end = text.find("-->", start + 4)
        stop = len(text) if end < 0 else end + 3
        position = stop
        line_index = text.count("\n", 0, start)
        line_start = text.rfind("\n", 0, start) + 1
        if line_index in code_lines:
            continue
        line_end = text.find("\n", start)
        line = text[line_start : len(text) if line_end < 0 else line_end]
        column = start - line_start
        if any(start < column < end for start, end, _ in code_spans(line)):
            position = start + 4
            continue
        inner = text[start + 4 : len(text) if end < 0 else end]
        if "skillsync:" in inner and _SUPPRESSION.search(f"<!--{inner}"):
            continue
        words = len(inner.split())
        if words >= COMMENT_WORDS:
            yield line_index, column, words


# -- suppressions ---------------------------------------------------------------------------
_SUPPRESSION = re.compile(
    r"(?:#|//|<!--|/\*|--|;|')\s*skillsync:\s*ignore\[(?P<rules>[^\]]*)\](?P<rest>.*)"
)


@dataclass
class _Suppression:
    line: int
    col: int
    rules: tuple[str, ...]
    reason: str
    used: bool = False


def _suppressions(source: str) -> list[_Suppression]:
    found = []
    for number, line in enumerate(source.split("\n"), start=1):
        if "skillsync:" not in line:
            continue
        match = _SUPPRESSION.search(line)
        if match is None:
            continue
        rest = match.group("rest").strip()
        for closer in ("-->", "*/"):
            rest = rest.removesuffix(closer).rstrip()
        reason = rest[2:].strip() if rest.startswith("--") else ""
        rules = tuple(r.strip() for r in match.group("rules").split(",") if r.strip())
        found.append(_Suppression(number, match.start() + 1, rules, reason))
    return found


def _silence(problems: list[Problem], suppressions: list[_Suppression], path: str) -> list[Problem]:
    """The findings no suppression with a reason silences, and bad-suppression warnings."""
    kept = []
    for problem in problems:
        silenced = False
        for s in suppressions:
            if (
                s.reason
                and problem.rule in s.rules
                and s.line in (problem.location.line, problem.location.line - 1)
            ):
                s.used = silenced = True
        if not silenced:
            kept.append(problem)
    for s in suppressions:
        where = Location(path, s.line, s.col)
        bad = [r for r in s.rules if r not in SUPPRESSIBLE]
        if not s.rules:
            message = "skillsync: ignore[] names no rule; name the rule it silences"
        elif bad:
            why = (
                "cannot be suppressed"
                if all(r in RULES for r in bad)
                else "is no rule that can be suppressed"
            )
            message = (
                f"ignore[{', '.join(bad)}] {why}; inline suppressions take "
                f"{', '.join(SUPPRESSIBLE)} (lint.per_file_ignores takes the others)"
            )
        elif not s.reason:
            message = (
                f"ignore[{', '.join(s.rules)}] has no reason, so it silences nothing; write "
                "'skillsync: ignore[RULE] -- why this is safe'"
            )
        elif not s.used:
            message = (
                f"ignore[{', '.join(s.rules)}] silences nothing: no such finding on this line "
                "or the next; remove it"
            )
        else:
            continue
        kept.append(finding("bad-suppression", where, message))
    return kept


# -- one file -------------------------------------------------------------------------------
def scan(file: Scanned) -> list[Problem]:
    """Every finding of the gate's text rules in one file, suppressions applied."""
    source, path = file.source, file.path
    screened = _screen(source)  # the markdown is part of the source
    problems = [
        finding(
            "secret",
            _at(path, source, credential.start),
            f"{credentials.describe(credential, source)}; remove it and revoke it, then have "
            "the skill read it from the environment",
        )
        for credential in credentials.found_at(source, list(screened.credentials))
    ]
    problems += [
        finding(
            "hidden-unicode",
            _at(path, source, hidden.start),
            f"{hidden.what}: invisible to a reviewer, read by the model; remove it",
        )
        for hidden in unicode.find(source)
    ]
    code: dict[int, str] = {}
    markdown = file.markdown
    if file.script:
        if screened.execs:
            code = dict(enumerate(source.split("\n")))
    elif markdown is not None and (screened.comments or screened.execs):
        code = {i: line for i, line, is_code in markdown_lines(markdown) if is_code}
        if screened.comments:
            for index, column, words in _hidden_comments(markdown, set(code)):
                problems.append(
                    finding(
                        "hidden-comment",
                        Location(
                            path,
                            file.markdown_line + index,
                            file.markdown_indent + column + 1,
                        ),
                        f"an HTML comment of {words} words: the model reads what a rendered "
                        "view hides from a reviewer; make it visible text or remove it",
                    )
                )
    if code:
        offset_line = 1 if file.script else file.markdown_line
        indent = 0 if file.script else file.markdown_indent
        for parts, joined in remote_exec.commands(code, lambda line: _screen(line).execs):
            for offset, message in remote_exec.findings(joined):
                index, column = remote_exec.locate(parts, offset)
                where = Location(path, offset_line + index, indent + column + 1)
                problems.append(finding("remote-exec", where, message))
    suppressions = _suppressions(source) if screened.suppressions else []
    return _silence(problems, suppressions, path)
