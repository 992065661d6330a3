"""The catalogue of validate's checks: every rule's name, default severity, what and why.

Two kinds of rule. The fixed ones (``yaml``, ``schema`` and the cross-file ones)
say what skillsync cannot plan at all: always errors, never configured. The
lint rules say what the API would refuse or the model would trip on; a
repository sets each to off, warning or error in ``skillsync.yaml`` (``lint``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from skillsync.model import Location, Problem

Level = Literal["off", "warning", "error"]


@dataclass(frozen=True)
class Rule:
    name: str
    default: Level
    what: str
    why: str
    configurable: bool = True


_FIXED = (
    Rule(
        "yaml",
        "error",
        "a file that is not the YAML skillsync reads",
        "nothing can be planned from it",
        False,
    ),
    Rule(
        "schema",
        "error",
        "a field missing, unknown or out of its range (the JSON Schemas)",
        "the API would refuse the skill",
        False,
    ),
    Rule(
        "duplicate-name",
        "error",
        "two files define one skill name",
        "a plan could not tell which one to send",
        False,
    ),
    Rule(
        "renamed-from",
        "error",
        "a renamed_from entry that clashes with a skill or another entry",
        "the replace would be ambiguous",
        False,
    ),
    Rule(
        "outside-repository",
        "error",
        "a skill file or a file it reads leads outside the repository",
        "what ships must be what the repository holds",
        False,
    ),
    Rule(
        "unreadable",
        "error",
        "a file that cannot be read (or is no regular file: a FIFO, a folder symlink), or a "
        "folder that cannot be listed",
        "its skill cannot be checked or sent",
        False,
    ),
    Rule(
        "sensitive-path",
        "error",
        "a file the skill would upload that is, or leads by a symlink or instructions_file "
        "to, something under .git/, a hidden file or folder (.env, .ssh/), or anything "
        "outside the repository",
        "git's credentials, environment files and keys must never leave the repository",
        False,
    ),
    Rule(
        "file-name",
        "error",
        "a file name with a double quote, a control character (tab, newline) or bytes that "
        "are not UTF-8",
        "an upload carries it percent-encoded, so the remote file never matches and the "
        "plan never converges",
        False,
    ),
)

_LINT = (
    Rule(
        "reserved-name",
        "error",
        "a skill name holding 'anthropic' or 'claude' (anthropic targets)",
        "the Anthropic API refuses such a name at upload",
    ),
    Rule(
        "broken-link",
        "error",
        "a markdown link in a skill folder's .md file to a relative "
        "path that nothing uploaded holds",
        "the skill loads, then cannot find its own file",
    ),
    Rule(
        "missing-file",
        "warning",
        "a backticked path in SKILL.md under one of the skill's folders that matches no file",
        "Claude is told to use a file that is not there",
    ),
    Rule(
        "nested-reference",
        "warning",
        "a .md file linked from SKILL.md that links to another .md file of the skill",
        "Claude reads references one level deep; deeper ones may be read only in part",
    ),
    Rule(
        "body-too-long",
        "warning",
        "instructions (a SKILL.md body) over 500 lines",
        "long bodies cost context on every use; move detail into referenced files",
    ),
    Rule(
        "description-person",
        "warning",
        "a description in the first or second person (I can, you can...)",
        "descriptions are injected into the system prompt and read best in the third person",
    ),
    Rule(
        "description-no-trigger",
        "warning",
        "a description that says what the skill does but not when to use it",
        "the model chooses a skill by its description's 'when'",
    ),
    Rule(
        "overlapping-descriptions",
        "warning",
        "two skills whose descriptions are nearly the "
        "same (word-shingle similarity of 0.8 or more)",
        "the model cannot tell them apart",
    ),
    Rule(
        "vague-name",
        "warning",
        "a name that is only a generic word (helper, utils, data...) or ends in -helper/-utils",
        "a name should say what the skill is for",
    ),
    Rule(
        "windows-path",
        "warning",
        "a link or backticked path with a backslash",
        "skills run on Unix-like systems, where a backslash is no separator",
    ),
    Rule(
        "upload-limits",
        "error",
        "what a target's API refuses by size or count (anthropic "
        "8 MB in all; openai 500 files, 25 MB a file, 50 MB in all; seed 1 MiB of JSON)",
        "the upload would be refused after merge",
    ),
    Rule(
        "unmatched-glob",
        "warning",
        "a glob of skillsync.yaml's skills that matches no file",
        "a misspelt glob hides every skill it was meant to find, and the plan then deletes "
        "them remotely",
    ),
    Rule(
        "missing-version",
        "off",
        "a SKILL.md without metadata.version",
        "skillsync then "
        "sends version 1.0.0, and version bumps cannot be tracked (the Agent Skills format "
        "does not require one)",
    ),
)

_SECURITY = (
    Rule(
        "secret",
        "error",
        "a credential (AWS, GitHub, Anthropic, OpenAI, Slack, Stripe live, Google keys, PEM "
        "private keys, passwords in URLs) in a file the skill uploads",
        "the key would reach a vendor and every model context the skill is loaded into",
    ),
    Rule(
        "hidden-unicode",
        "error",
        "an invisible or reordering character: tag characters, bidi controls, zero-width "
        "characters, a misplaced byte-order mark or variation selector",
        "the model reads instructions a reviewer cannot see",
    ),
    Rule(
        "remote-exec",
        "error",
        "a download (curl, wget, iwr) or decoded content piped or substituted into a shell "
        "or interpreter, in a script or a markdown code block",
        "code nobody reviewed would run with the agent's permissions",
    ),
    Rule(
        "hidden-comment",
        "warning",
        "an HTML comment of twelve words or more outside code in a markdown file",
        "the model reads what a rendered view hides from a reviewer",
    ),
    Rule(
        "bad-suppression",
        "warning",
        "a 'skillsync: ignore[RULE]' comment without a reason ('-- why'), or one that "
        "silences nothing",
        "an exception must say why it is safe, and go when its finding goes",
    ),
)

SECURITY_SEVERITY = {
    "secret": "9.0",
    "remote-exec": "8.0",
    "hidden-unicode": "7.5",
    "sensitive-path": "7.5",
    "hidden-comment": "4.0",
}
"""The rules code scanning files as security alerts, with their CVSS-like severity."""

RULES: dict[str, Rule] = {rule.name: rule for rule in (*_FIXED, *_LINT, *_SECURITY)}
LINT_RULES: tuple[str, ...] = tuple(rule.name for rule in (*_LINT, *_SECURITY))
"""The names a repository may configure (the config schema lists the same)."""


def finding(rule: str, where: Location, message: str) -> Problem:
    """A finding of ``rule`` at its default severity (a rule off by default reports as a
    warning: the repository's ``lint`` settings decide later whether it is shown)."""
    severity = RULES[rule].default
    return Problem(where, message, "warning" if severity == "off" else severity, rule)
