"""The plan as GitHub Markdown: pull-request comments and $GITHUB_STEP_SUMMARY.

A summary table, a warning banner when anything is deleted, one ``<details>``
per change with a ```diff block; the whole document stays under ``limit``
characters by cutting the middle of the longest diffs, with a note saying so.
"""

from __future__ import annotations

import html
import re

from skillsync.plan import ACTIONS, SYMBOLS, Change, Plan
from skillsync.render.diff import file_line, unified

LIMIT = 65_000
MIN_KEPT_LINES = 8
CUT_NOTE = (
    "> [!NOTE]\n> Some diffs were shortened to keep this comment under {limit:,} characters. "
    "Run `skillsync plan` to see them in full.\n"
)


def change_diff(change: Change) -> list[str]:
    before, after = change.before or {}, change.after or {}
    lines: list[str] = []
    if change.action == "delete":
        lines += [f"- description: {before.get('description', '')}"]
        return lines
    if change.action == "replace":
        lines.append(f"- (replaces {change.from_name}, {change.id})")
    fields = change.changed if change.action == "update" else ("description", "version")
    for name in ("description", "version", "default_version"):
        if name not in fields:
            continue
        if change.action == "update":
            lines.append(f"- {name}: {before.get(name, '')}")
        lines.append(f"+ {name}: {after.get(name, '')}")
    if "files" in after:
        for file in change.files:
            lines.append(file_line(file))
            lines += file.diff or ()
        return lines
    if change.action != "update" or "instructions" in change.changed:
        old = before.get("instructions", "") if change.action == "update" else ""
        diff = unified(old, after.get("instructions", ""), "remote", change.source or "repository")
        lines += diff[2:]  # the ---/+++ headers add nothing inside a <details>
    return lines


def _fence(lines: list[str]) -> str:
    longest = max((len(run) for run in re.findall(r"`+", "\n".join(lines))), default=0)
    return "`" * max(3, longest + 1)


def _cut(lines: list[str], keep: int) -> list[str]:
    if len(lines) <= keep:
        return lines
    head = keep // 2
    tail = keep - head
    removed = len(lines) - keep
    return [
        *lines[:head],
        f"... {removed} lines cut to fit the comment size limit ...",
        *lines[-tail:],
    ]


def _header(plan: Plan) -> list[str]:
    out = [f"### skillsync plan for `{plan.target}`", "", f"**{plan.summary_line()}**", ""]
    out += ["| Action | Skills |", "| --- | ---: |"]
    out += [f"| {action} | {plan.count(action)} |" for action in ACTIONS]
    out += [f"| unchanged | {plan.unchanged} |", f"| unmanaged | {plan.unmanaged} |", ""]
    deleted = [c for c in plan.changes if c.action in ("delete", "replace")]
    if deleted:
        names = ", ".join(f"`{c.from_name if c.action == 'replace' else c.name}`" for c in deleted)
        out += [
            "> [!WARNING]",
            f"> This plan **deletes** {len(deleted)} skill"
            f"{'s' if len(deleted) != 1 else ''}: {names}",
            "",
        ]
    for title, items in (
        ("Unsafe", plan.unsafe),
        ("Error", plan.errors),
        ("Warning", plan.warnings),
    ):
        out += [f"- **{title}:** {html.escape(item, quote=False)}" for item in items]
    if plan.unsafe or plan.errors or plan.warnings:
        out.append("")
    return out


def _details(change: Change, diff: list[str]) -> list[str]:
    where = html.escape(change.source or change.id or "", quote=False)
    if change.origin is not None:
        where += f" (from {html.escape(change.origin, quote=False)})"
    fence = _fence(diff)
    return [
        f"<details><summary><code>{SYMBOLS[change.action]} {change.action}</code> "
        f"<b>{html.escape(change.name, quote=False)}</b> {where}</summary>",
        "",
        f"{fence}diff",
        *diff,
        fence,
        "",
        "</details>",
        "",
    ]


def _assemble(plan: Plan, diffs: list[list[str]], note: str) -> str:
    """The document with the first ``len(diffs)`` changes in detail."""
    lines = _header(plan)
    for change, diff in zip(plan.changes, diffs, strict=False):
        lines += _details(change, diff)
    hidden = len(plan.changes) - len(diffs)
    if hidden:
        note += f"\n_{hidden} more change{'s' if hidden != 1 else ''} not shown._\n"
    return "\n".join(lines) + "\n" + note


def render_markdown(plan: Plan, limit: int = LIMIT) -> str:
    diffs = [change_diff(change) for change in plan.changes]
    document = _assemble(plan, diffs, "")
    if len(document) <= limit:
        return document
    note = CUT_NOTE.format(limit=limit)
    shortest = [_cut(diff, MIN_KEPT_LINES) for diff in diffs]
    if len(_assemble(plan, shortest, note)) > limit:
        # Too many changes for one comment even with short diffs: keep the first ones.
        budget = limit - len(_assemble(plan, [], note)) - 100
        shown = 0
        for change, diff in zip(plan.changes, shortest, strict=True):
            budget -= len("\n".join(_details(change, diff))) + 1
            if budget < 0:
                break
            shown += 1
        return _assemble(plan, shortest[:shown], note)
    while len(document) > limit:
        candidates = [i for i, diff in enumerate(diffs) if len(diff) > MIN_KEPT_LINES + 1]
        if not candidates:
            return _assemble(plan, shortest, note)
        longest = max(candidates, key=lambda i: len("\n".join(diffs[i])))
        size = len(diffs[longest])
        excess = len(document) - limit
        average = max(1, len("\n".join(diffs[longest])) // size)
        keep = max(MIN_KEPT_LINES, min(size // 2, size - excess // average - 1))
        diffs[longest] = _cut(diffs[longest], keep)
        document = _assemble(plan, diffs, note)
    return document


def render_markdown_many(plans: list[Plan]) -> str:
    """One document for every target (one pull-request comment), within the size limit."""
    share = LIMIT // len(plans) - 200
    return "\n".join(render_markdown(plan, share if len(plans) > 1 else LIMIT) for plan in plans)
