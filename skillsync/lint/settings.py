"""A repository's ``lint`` settings, and applying them to validate's findings.

``lint.rules`` sets a rule's level (off, warning or error); ``lint.per_file_ignores``
maps path globs to the rules that are not reported for files they match, as
ruff and markdownlint do. Globs are relative to skillsync.yaml: ``*`` and ``?``
stay inside one folder, ``**`` crosses folders, and a glob without ``/`` matches
a file's name in any folder.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from skillsync.lint.rules import RULES, Level
from skillsync.model import Problem
from skillsync.walk import glob_regex


def path_matches(path: str, pattern: str) -> bool:
    pattern = pattern.removeprefix("./")
    if "/" not in pattern:
        path = path.rsplit("/", 1)[-1]
    return glob_regex(pattern).fullmatch(path) is not None


@dataclass(frozen=True)
class LintSettings:
    rules: tuple[tuple[str, Level], ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def level(self, rule: str) -> Level:
        for name, level in self.rules:
            if name == rule:
                return level
        known = RULES.get(rule)
        return known.default if known is not None else "error"

    def ignored(self, rule: str, path: str) -> bool:
        return any(
            rule in names and path_matches(path, pattern)
            for pattern, names in self.per_file_ignores
        )

    def apply(self, problems: Iterable[Problem]) -> list[Problem]:
        """The findings to report, at the levels this repository sets."""
        out = []
        for problem in problems:
            rule = RULES.get(problem.rule)
            if rule is None or not rule.configurable:
                out.append(problem)
                continue
            level = self.level(problem.rule)
            if level == "off" or self.ignored(problem.rule, problem.location.path):
                continue
            out.append(problem if problem.severity == level else replace(problem, severity=level))
        return out

    def key(self) -> str:
        """A text that changes whenever the settings do (the verdict cache's salt)."""
        return repr((sorted(self.rules), sorted(self.per_file_ignores)))
