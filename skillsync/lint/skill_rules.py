"""The rules that judge one skill on its own (section "Skill checks" of the README).

Each rule is a function from a ``SkillText`` to findings; ``check_skill`` runs
them all. Findings carry the rule's name and its default severity; the
repository's ``lint`` settings are applied later (``lint.settings``), so a
verdict cached with its findings never goes stale when a severity changes.
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
import re
from collections.abc import Callable, Iterator

from skillsync.dialects import records
from skillsync.lint.markdown import Span, relative_target, scan
from skillsync.lint.rules import finding
from skillsync.lint.trust import Scanned
from skillsync.lint.trust import scan as trust_scan
from skillsync.model import Location, Problem, SkillText
from skillsync.walk import not_uploaded

MAX_BODY_LINES = 500
MAX_MD_BYTES = 1024 * 1024
"""Larger .md files of a folder are not scanned for links (nothing real is that large)."""
MAX_SCANNED_BYTES = 8 * 1024 * 1024
"""Larger files are not read by the trust gate: no target accepts an upload that large."""


# -- names and descriptions ------------------------------------------------------------------
_VAGUE = frozenset({"helper", "utils", "tools", "misc", "stuff", "documents", "data", "files"})


def reserved_name(skill: SkillText, dialects: frozenset[str]) -> Iterator[Problem]:
    for dialect in records(dialects):
        for word in dialect.reserved_words:
            if word in skill.name:
                label = dialect.limits.label if dialect.limits else f"api: {dialect.name}"
                yield finding(
                    "reserved-name",
                    skill.name_at,
                    f"name '{skill.name}' holds the reserved word '{word}', which {label} "
                    "refuses; choose another name",
                )
                return


def vague_name(skill: SkillText, dialects: frozenset[str]) -> Iterator[Problem]:
    if skill.name in _VAGUE or skill.name.endswith(("-helper", "-utils")):
        yield finding(
            "vague-name",
            skill.name_at,
            f"name '{skill.name}' says nothing of what the skill is for; name its task "
            "(e.g. 'pdf-form-filling')",
        )


_QUOTED = re.compile(r"\"[^\"]*\"|“[^”]*”")
_TOKEN = re.compile(r"[\w'/-]+")
_FIRST_PERSON = frozenset(
    {"I", "I'm", "I'll", "I've", "I'd", "my", "My", "me", "Me", "we", "We", "our", "Our"}
)
_SECOND_PERSON = frozenset({"you", "You", "your", "Your", "you're", "You're", "yourself"})


def description_person(skill: SkillText, dialects: frozenset[str]) -> Iterator[Problem]:
    text = skill.description
    if '"' in text or "“" in text:
        text = _QUOTED.sub(" ", text)  # a quoted request ("make me a GIF") is fine
    words = set(_TOKEN.findall(text))
    for person, pronouns in (("first", _FIRST_PERSON), ("second", _SECOND_PERSON)):
        found = words & pronouns
        if found:
            yield finding(
                "description-person",
                skill.description_at,
                f"description: written in the {person} person ('{min(found)}'); "
                "descriptions join the system prompt, so write in the third person "
                "('Extracts text from PDFs. Use when...')",
            )
            return


_TRIGGER = re.compile(
    r"\b(?:when|whenever|while|trigger(?:s|ed)?|if (?:the )?(?:user|asked|you)|use (?:it |this "
    r"(?:skill )?)?(?:for|if|to|on|with|in)|used (?:for|to|in)|for (?:tasks|requests|use)|"
    r"before|after)\b"
)
_TRIGGER_HINTS = ("when", "while", "trigger", "if ", "use", "for ", "before", "after")


def description_no_trigger(skill: SkillText, dialects: frozenset[str]) -> Iterator[Problem]:
    text = skill.description.lower()
    if any(h in text for h in _TRIGGER_HINTS) and _TRIGGER.search(text):
        return
    yield finding(
        "description-no-trigger",
        skill.description_at,
        "description: says what the skill does but not when to use it; add a sentence "
        "such as 'Use when the user asks to ...'",
    )


def body_too_long(skill: SkillText, dialects: frozenset[str]) -> Iterator[Problem]:
    if len(skill.body) <= MAX_BODY_LINES:
        return  # too short to hold that many lines
    lines = skill.body.count("\n") + (0 if skill.body.endswith("\n") else 1)
    if lines > MAX_BODY_LINES:
        yield finding(
            "body-too-long",
            Location(skill.body_path, skill.body_line + MAX_BODY_LINES, 1),
            f"the instructions run to {lines} lines, over {MAX_BODY_LINES}; move detail into "
            "files the skill links to (Claude reads them only when needed)",
        )


def missing_version(skill: SkillText, dialects: frozenset[str]) -> Iterator[Problem]:
    if not skill.versioned:
        yield finding(
            "missing-version",
            skill.name_at,
            "no metadata.version; skillsync sends 1.0.0 (add metadata: {version: ...} to "
            "track changes)",
        )


# -- links and paths of a SKILL.md folder ----------------------------------------------------
class _Folder:
    """The uploaded paths of one skill folder, and the markdown of its .md files."""

    def __init__(self, skill: SkillText) -> None:
        self.skill = skill
        self.uploads = skill.uploads
        self.folders = frozenset(
            "/".join(parts[:i])
            for parts in (p.split("/") for p in skill.uploads)
            for i in range(1, len(parts))
        )
        self._scans: dict[str, tuple[list[Span], list[Span]]] = {}
        self._texts: dict[str, str | None] = {}

    def text(self, relative: str, real: str) -> str | None:
        """An uploaded file's text, read once for every rule; None when it is not UTF-8,
        cannot be read or is too large to be uploaded anyway."""
        if relative not in self._texts:
            text = None
            try:
                with open(real, "rb") as handle:
                    # perf: read(limit) would allocate the whole limit for every file
                    if os.fstat(handle.fileno()).st_size <= MAX_SCANNED_BYTES:
                        text = handle.read().decode("utf-8")
            except (OSError, UnicodeDecodeError):
                pass
            self._texts[relative] = text
        return self._texts[relative]

    def holds(self, relative: str) -> bool:
        return relative in self.uploads or relative in self.folders

    def scan(self, document: str) -> tuple[list[Span], list[Span]]:
        """(links, code spans) of SKILL.md's body or of one of the folder's .md files."""
        found = self._scans.get(document)
        if found is None:
            if document == "SKILL.md":
                found = scan(self.skill.body, self.skill.body_line)
            else:
                found = ([], [])
                text = self.text(document, self.skill.documents[document])
                if text is not None and len(text) <= MAX_MD_BYTES:
                    found = scan(text)
            self._scans[document] = found
        return found

    def shown(self, document: str) -> str:
        if document == "SKILL.md":
            return self.skill.body_path
        return f"{self.skill.folder_shown}/{document}"

    def resolve(self, document: str, target: str) -> tuple[str, bool]:
        """A link's target as a path in the folder, and whether anything uploaded is there
        (a file or folder of this skill, or of another skill folder of the repository)."""
        base = posixpath.dirname(document)
        relative = posixpath.normpath(posixpath.join(base, target.replace("\\", "/")))
        if relative == ".":
            return relative, True
        if not relative.startswith("../"):
            return relative, self.holds(relative) and not not_uploaded(relative)
        return relative, self._in_other_skill(relative)

    def _in_other_skill(self, relative: str) -> bool:
        assert self.skill.folder is not None
        target = os.path.normpath(os.path.join(self.skill.folder, relative))
        root = self.skill.root
        if not root or not target.startswith(root + os.sep) or not os.path.exists(target):
            return False
        probe = os.path.dirname(target) if os.path.isfile(target) else target
        while probe.startswith(root + os.sep):
            if os.path.isfile(os.path.join(probe, "SKILL.md")):
                inside = os.path.relpath(target, probe).replace(os.sep, "/")
                return inside == "." or not not_uploaded(inside)
            probe = os.path.dirname(probe)
        return False


def _documents(folder: _Folder) -> list[str]:
    return ["SKILL.md", *sorted(folder.skill.documents)]


def broken_link(skill: SkillText, folder: _Folder) -> Iterator[Problem]:
    for document in _documents(folder):
        for link in folder.scan(document)[0]:
            target = relative_target(link.text)
            if target is None or "\\" in target:
                continue  # windows-path speaks for backslashes
            relative, found = folder.resolve(document, target)
            if not found:
                below = "/".join(part for part in relative.split("/") if part != "..")
                why = "a hidden file, not uploaded" if not_uploaded(below) else "no such file"
                yield finding(
                    "broken-link",
                    Location(folder.shown(document), link.line, link.col),
                    f"link to '{target}': {why} in the skill's folder "
                    f"({folder.skill.folder_shown}/); add the file or fix the link",
                )


_PATHLIKE = re.compile(r"[\w.*?\[\]-]+(?:/[\w.*?\[\]-]+)*/?")


def missing_file(skill: SkillText, folder: _Folder) -> Iterator[Problem]:
    for span in folder.scan("SKILL.md")[1]:
        text = span.text.removeprefix("./")
        if "/" not in text or not _PATHLIKE.fullmatch(text) or ".." in text.split("/"):
            continue
        first = text.split("/", 1)[0]
        if first not in skill.uploads and first not in folder.folders:
            continue  # not under one of the skill's folders: an output, a URL path...
        wanted = text.rstrip("/")
        if any(c in wanted for c in "*?["):
            if any(fnmatch.fnmatchcase(p, wanted) for p in (*skill.uploads, *folder.folders)):
                continue
        elif folder.holds(wanted):
            continue
        yield finding(
            "missing-file",
            Location(skill.body_path, span.line, span.col),
            f"'{span.text}' names no file of the skill ({first}/ holds no such path); "
            "add it or fix the path",
        )


def nested_reference(skill: SkillText, folder: _Folder) -> Iterator[Problem]:
    linked: list[str] = []
    for link in folder.scan("SKILL.md")[0]:
        target = relative_target(link.text)
        if target is not None and target.endswith(".md"):
            relative, found = folder.resolve("SKILL.md", target)
            if found and relative in skill.documents and relative not in linked:
                linked.append(relative)
    for document in linked:
        for link in folder.scan(document)[0]:
            target = relative_target(link.text)
            if target is None or not target.endswith(".md"):
                continue
            relative, found = folder.resolve(document, target)
            if found and relative in skill.documents and relative != document:
                yield finding(
                    "nested-reference",
                    Location(folder.shown(document), link.line, link.col),
                    f"'{document}' (linked from SKILL.md) links on to '{relative}'; keep "
                    "references one level deep: link it from SKILL.md instead",
                )


_WINDOWS_PATH = re.compile(r"[\w.-]+(?:\\[\w.-]+)+\\?")


def windows_path(skill: SkillText, folder: _Folder) -> Iterator[Problem]:
    for document in _documents(folder):
        links, code = folder.scan(document)
        spans = [s for s in links if "\\" in s.text and relative_target(s.text) is not None]
        if document == "SKILL.md":
            spans += [s for s in code if _WINDOWS_PATH.fullmatch(s.text)]
        for span in spans:
            yield finding(
                "windows-path",
                Location(folder.shown(document), span.line, span.col),
                f"'{span.text}' uses backslashes; write paths with '/' "
                f"('{span.text.replace(chr(92), '/')}')",
            )


_TEXT_RULES: tuple[Callable[[SkillText, frozenset[str]], Iterator[Problem]], ...] = (
    reserved_name,
    vague_name,
    description_person,
    description_no_trigger,
    body_too_long,
    missing_version,
)
_FOLDER_RULES: tuple[Callable[[SkillText, _Folder], Iterator[Problem]], ...] = (
    broken_link,
    missing_file,
    nested_reference,
    windows_path,
)


def _trust(skill: SkillText, folder: _Folder | None) -> list[Problem]:
    """The trust gate over every file the skill uploads, each read once."""
    body_in_file = bool(skill.body_path) and skill.body_path != skill.path
    problems = trust_scan(
        Scanned(
            skill.path,
            skill.source,
            markdown=None if body_in_file else skill.body,
            markdown_line=skill.body_line,
            markdown_indent=skill.body_indent,
        )
    )
    if body_in_file:  # an instructions_file: markdown, read whole
        problems += trust_scan(Scanned(skill.body_path, skill.body, markdown=skill.body))
    if folder is not None:
        for relative, real in skill.files:
            text = folder.text(relative, real)
            if text is None:
                continue  # binary: no text rule applies
            shown = f"{skill.folder_shown}/{relative}"
            markdown = relative.lower().endswith((".md", ".markdown"))
            problems += trust_scan(
                Scanned(shown, text, markdown=text if markdown else None, script=not markdown)
            )
    return problems


def check_skill(skill: SkillText, dialects: frozenset[str]) -> list[Problem]:
    """Every finding of the per-skill rules for targets of ``dialects``, at the rules'
    default severities."""
    problems = [p for rule in _TEXT_RULES for p in rule(skill, dialects)]
    folder = _Folder(skill) if skill.folder is not None else None
    if folder is not None:
        problems += [p for rule in _FOLDER_RULES for p in rule(skill, folder)]
    problems += _trust(skill, folder)
    return problems
