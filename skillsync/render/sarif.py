"""validate's findings as SARIF 2.1.0, the format GitHub code scanning reads.

One run; ``tool.driver.rules`` lists every rule of ``skillsync rules`` with its
help text and default level; each result names its rule (``ruleId`` and
``ruleIndex``) and the file, line and column. Paths are relative to the git
repository's top folder when skillsync.yaml sits below it, so code scanning
finds the files of a repository whose skills live in a subfolder.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from skillsync import __version__
from skillsync.lint.rules import RULES, SECURITY_SEVERITY
from skillsync.model import Problem

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/skillsync/skillsync#skill-checks"
_LEVELS = {"off": "none", "warning": "warning", "error": "error"}


def repository_prefix(root: Path) -> str:
    """The config folder's path below the git top folder ('' at the top or outside git)."""
    for folder in (root, *root.parents):
        if (folder / ".git").exists():
            relative = root.relative_to(folder).as_posix()
            return "" if relative == "." else relative + "/"
    return ""


def _rule(name: str) -> dict[str, Any]:
    rule = RULES[name]
    how = (
        " Set its level in skillsync.yaml under lint.rules (off, warning, error)."
        if rule.configurable
        else " Always an error."
    )
    described: dict[str, Any] = {
        "id": name,
        "name": "".join(part.capitalize() for part in name.split("-")),
        "shortDescription": {"text": f"{rule.what[0].upper()}{rule.what[1:]}."},
        "fullDescription": {"text": f"{rule.what[0].upper()}{rule.what[1:]}: {rule.why}."},
        "help": {
            "text": f"{rule.what[0].upper()}{rule.what[1:]}. Why: {rule.why}.{how}",
        },
        "defaultConfiguration": {"level": _LEVELS[rule.default]},
    }
    if name in SECURITY_SEVERITY:  # code scanning files these as security alerts
        described["properties"] = {
            "tags": ["security"],
            "security-severity": SECURITY_SEVERITY[name],
        }
    return described


def sarif_log(problems: Iterable[Problem], prefix: str = "") -> dict[str, Any]:
    names = list(RULES)
    index = {name: i for i, name in enumerate(names)}
    results = []
    for problem in problems:
        where = problem.location
        results.append(
            {
                "ruleId": problem.rule,
                "ruleIndex": index[problem.rule],
                "level": problem.severity,
                "message": {"text": problem.message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {
                                "uri": quote(prefix + where.path, safe="/"),
                                "uriBaseId": "%SRCROOT%",
                            },
                            "region": {"startLine": where.line, "startColumn": where.col},
                        }
                    }
                ],
            }
        )
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "skillsync",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": [_rule(name) for name in names],
                    }
                },
                "results": results,
            }
        ],
    }
