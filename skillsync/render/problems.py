"""Validation results as text, JSON or GitHub workflow annotations."""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

import click

from skillsync.model import Problem, printable
from skillsync.render import json_output
from skillsync.render.sarif import repository_prefix, sarif_log
from skillsync.validation import ValidationResult


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary(result: ValidationResult) -> str:
    errors, warnings = len(result.errors), len(result.warnings)
    files = _plural(len(result.files), "skill file")
    if errors:
        return f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')} in {files}."
    tail = f" ({_plural(warnings, 'warning')})" if warnings else ""
    return f"{files} valid{tail}."


def text(result: ValidationResult, out: TextIO, color: bool) -> None:
    for problem in result.problems:
        where = click.style(str(problem.location), bold=True)
        hue = "yellow" if problem.severity == "warning" else "red"
        label = click.style(f"{problem.severity}:", fg=hue)
        rule = click.style(f"[{problem.rule}]", dim=True)
        message = printable(problem.message)  # a file's text must not drive the terminal
        click.echo(f"{where}: {label} {message} {rule}", file=out, color=color)
    ok = not result.errors
    click.echo(click.style(summary(result), fg="green" if ok else "red"), file=out, color=color)


def as_json(result: ValidationResult, out: TextIO, color: bool) -> None:
    document = {
        "valid": not result.errors,
        "files": len(result.files),
        "skills": sorted(s.name for s in result.skills),
        "errors": len(result.errors),
        "warnings": len(result.warnings),
        "problems": [
            {
                "path": p.location.path,
                "line": p.location.line,
                "col": p.location.col,
                "severity": p.severity,
                "rule": p.rule,
                "message": p.message,
            }
            for p in result.problems
        ],
    }
    json_output.emit(document, out)


def escape_data(value: str) -> str:
    """Escape a workflow-command message (GitHub's rules for the data part)."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """Escape a workflow-command property value (also ':' and ',')."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def annotation(problem: Problem) -> str:
    where = problem.location
    return (
        f"::{problem.severity} file={escape_property(where.path)},line={where.line},"
        f"col={where.col},title={escape_property(problem.rule)}::{printable(escape_data(problem.message))}"
    )


def github(result: ValidationResult, out: TextIO, color: bool) -> None:
    for problem in result.problems:
        out.write(annotation(problem) + "\n")
    out.write(summary(result) + "\n")


def sarif(result: ValidationResult, out: TextIO, color: bool) -> None:
    prefix = repository_prefix(result.config.root)
    json_output.emit(sarif_log(result.problems, prefix), out)


FORMATS: dict[str, Callable[[ValidationResult, TextIO, bool], None]] = {
    "text": text,
    "json": as_json,
    "github": github,
    "sarif": sarif,
}
