"""What apply prints while it runs and when it ends."""

from __future__ import annotations

import threading
from typing import Any, TextIO

import click

from skillsync.applier import ApplyResult, Outcome
from skillsync.plan import SYMBOLS
from skillsync.render import json_output

PAST = {"create": "created", "update": "updated", "replace": "replaced", "delete": "deleted"}
BAR_WIDTH = 30


def outcome_line(outcome: Outcome) -> str:
    change = outcome.change
    if outcome.status == "failed":
        rid = f" (request-id {outcome.request_id})" if outcome.request_id else ""
        return (
            f"! failed to {change.action} '{change.name}': {outcome.error_type}: "
            f"{outcome.message}{rid}"
        )
    detail = f" (was '{change.from_name}')" if change.action == "replace" else ""
    skill_id = outcome.id or change.id
    return f"{SYMBOLS[change.action]} {PAST[change.action]} '{change.name}'{detail} ({skill_id})"


class Progress:
    """A bar with counts on a terminal; one line per finished change elsewhere (CI logs).

    Failures are always printed as lines, on a terminal too.
    """

    def __init__(self, out: TextIO, total: int, *, tty: bool, color: bool) -> None:
        self.out, self.total, self.tty, self.color = out, total, tty, color
        self.done = self.failed = 0
        self.lock = threading.Lock()

    def __call__(self, outcome: Outcome) -> None:
        with self.lock:
            if outcome.status == "done":
                self.done += 1
            else:
                self.failed += 1
            line = outcome_line(outcome)
            fg = "red" if outcome.status == "failed" else None
            if self.tty:
                self.out.write("\r\x1b[2K")
                if outcome.status == "failed":
                    click.echo(click.style(line, fg=fg), file=self.out, color=self.color)
                self.out.write(self.bar())
                self.out.flush()
            else:
                click.echo(click.style(line, fg=fg), file=self.out, color=self.color)

    def bar(self) -> str:
        finished = self.done + self.failed
        filled = BAR_WIDTH * finished // max(1, self.total)
        failed = f", {self.failed} failed" if self.failed else ""
        return f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {finished}/{self.total}{failed}"

    def close(self) -> None:
        if self.tty:
            self.out.write("\r\x1b[2K")
            self.out.flush()


def final_line(result: ApplyResult) -> str:
    done, failed = result.count("done"), result.count("failed")
    if result.interrupted:
        skipped = result.count("skipped")
        return (
            f"Apply interrupted: {done} done, {failed} failed, {skipped} not started. "
            "Run plan to see what remains."
        )
    if failed:
        return f"Apply incomplete: {done} done, {failed} failed. Run plan to see what remains."
    added, changed, destroyed = result.totals()
    return f"Apply complete: {added} added, {changed} changed, {destroyed} destroyed."


def as_json(result: ApplyResult, out: TextIO) -> None:
    json_output.emit(result_document(result), out)


def many_as_json(
    results: list[tuple[str, ApplyResult]], not_started: list[str], out: TextIO
) -> None:
    """Several targets: each one applied, in order, and those not started after a failure."""
    document = {
        "complete": not not_started and all(r.complete for _, r in results),
        "targets": [{"target": name, **result_document(r)} for name, r in results],
        "not_started": not_started,
    }
    json_output.emit(document, out)


def result_document(result: ApplyResult) -> dict[str, Any]:
    added, changed, destroyed = result.totals()
    return {
        "complete": result.complete,
        "interrupted": result.interrupted,
        "summary": {
            "added": added,
            "changed": changed,
            "destroyed": destroyed,
            "done": result.count("done"),
            "failed": result.count("failed"),
            "skipped": result.count("skipped"),
        },
        "outcomes": [o.to_dict() for o in result.outcomes],
    }
