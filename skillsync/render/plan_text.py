"""The plan for a terminal: Terraform-like blocks, changed fields, instruction diffs."""

from __future__ import annotations

from typing import TextIO

import click

from skillsync.model import printable
from skillsync.plan import SYMBOLS, Change, Plan
from skillsync.render.diff import file_line, quoted, unified

COLOURS = {"create": "green", "update": "yellow", "replace": "magenta", "delete": "red"}
COLOURS_BY_MARK = {"add": "green", "change": "yellow", "remove": "red"}


FIELD_ORDER = ("description", "version", "instructions", "files", "default_version")


def unmanaged_line(count: int) -> str:
    if count == 1:
        return "1 remote skill is not managed by this repository and was left alone."
    return f"{count} remote skills are not managed by this repository and were left alone."


def _diff_colour(line: str) -> str | None:
    if line.startswith(("+++", "---")):
        return None
    return {"+": "green", "-": "red", "@": "cyan"}.get(line[:1])


class TextRenderer:
    def __init__(self, out: TextIO, color: bool) -> None:
        self.out, self.color = out, color

    def line(self, text: str = "", fg: str | None = None, bold: bool = False) -> None:
        styled = click.style(text, fg=fg, bold=bold) if (fg or bold) else text
        click.echo(styled, file=self.out, color=self.color)

    def render(self, plan: Plan) -> None:
        if plan.changes:
            self.line(
                f"skillsync will perform these actions on target '{plan.target}' ({plan.base_url}):"
            )
            self.line()
            for change in plan.changes:
                self.change(change)
        for warning in plan.warnings:
            self.line(f"Warning: {warning}", fg="yellow")
        for reason in plan.unsafe:
            self.line(f"Unsafe: {reason}", fg="red", bold=True)
        for error in plan.errors:
            self.line(f"Error: {error}", fg="red", bold=True)
        if plan.unmanaged:
            self.line(unmanaged_line(plan.unmanaged))
        if plan.warnings or plan.unsafe or plan.errors or plan.unmanaged:
            self.line()
        self.line(plan.summary_line(), bold=True)

    def change(self, change: Change) -> None:
        symbol, fg = SYMBOLS[change.action], COLOURS[change.action]
        where = {
            "create": f"({change.source})",
            "update": f"({change.id}, {change.source})",
            "replace": f"(replaces '{change.from_name}' {change.id}, {change.source})",
            "delete": f"({change.id})",
        }[change.action]
        self.line(f"  {symbol} {change.action} skill '{change.name}' {where}", fg=fg, bold=True)
        if change.origin is not None:
            self.line(f"      from {printable(change.origin)}")
        before = change.before or {}
        after = change.after or {}
        if change.action == "update":
            fields = change.changed
        elif change.action == "delete":
            fields = ("description",)
        else:
            fields = FIELD_ORDER[:-1]
        for name in (f for f in FIELD_ORDER if f in fields):
            if name not in before and name not in after:
                continue  # a field of the other dialect
            old, new = before.get(name), after.get(name)
            if name == "files":
                self.files(change)
            elif name == "instructions":
                self.instructions(change, old or "", new or "")
            elif name == "default_version":  # a pointer between version numbers
                self.line(f"      ~ default_version {old} -> {new}", fg="yellow")
            elif change.action == "update":
                self.line(
                    f"      ~ {name}: {quoted(old or '')} -> {quoted(new or '')}", fg="yellow"
                )
            elif change.action == "delete":
                self.line(f"      - {name}: {quoted(old or '')}", fg="red")
            else:
                self.line(f"      + {name}: {quoted(new or '')}", fg="green")
        self.line()

    def files(self, change: Change) -> None:
        adding = change.action in ("create", "replace")
        if adding:
            count = len(change.files)
            self.line(f"      + files: {count} file{'s' if count != 1 else ''}", fg="green")
        else:
            self.line("      ~ files:", fg="yellow")
        for file in change.files:
            self.line(f"          {file_line(file)}", fg=COLOURS_BY_MARK[file.action])
            if file.action == "change":  # a new file's text is in the markdown plan
                for text in file.diff or ():
                    self.line(f"              {text}", fg=_diff_colour(text))

    def instructions(self, change: Change, old: str, new: str) -> None:
        if change.action in ("create", "replace"):
            count = len(new.splitlines())
            self.line(f"      + instructions: {count} line{'s' if count != 1 else ''}", fg="green")
            return
        self.line("      ~ instructions:", fg="yellow")
        for text in unified(old, new, "remote", change.source or "repository"):
            self.line(f"          {text}", fg=_diff_colour(text))


def render_text(plan: Plan, out: TextIO, color: bool) -> None:
    TextRenderer(out, color).render(plan)


def render_texts(plans: list[Plan], out: TextIO, color: bool) -> None:
    """The text plans, one section per target when there are several."""
    for index, plan in enumerate(plans):
        if len(plans) > 1:
            heading = f"== Target '{plan.target}' ({plan.base_url}) =="
            click.echo(("\n" if index else "") + click.style(heading, bold=True), out, color=color)
        render_text(plan, out, color)
