"""Execute a Plan through a remote: each change once, in parallel, safe to stop.

Changes are independent (a name appears in one change only), so they run
concurrently up to the remote's parallelism; a replace is create-then-delete
inside one change. A failure never stops the others. ``stop`` (set on Ctrl-C)
keeps changes that have not started from starting; those in flight finish.
``skills`` are the desired skills by name: the files a dialect uploads come
from them (and must still match the digests the plan recorded).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from queue import SimpleQueue

from skillsync.errors import ApiError, HTTPStatusError, MalformedAnswer, SkillsyncError
from skillsync.model import Skill
from skillsync.plan import Change, Plan
from skillsync.remote.base import Remote


@dataclass(frozen=True)
class Outcome:
    change: Change
    status: str  # "done" | "failed" | "skipped"
    id: str | None = None
    error_type: str | None = None
    message: str | None = None
    request_id: str | None = None

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "action": self.change.action,
            "name": self.change.name,
            "status": self.status,
        }
        if self.id:
            out["id"] = self.id
        if self.status == "failed":
            out["error"] = {
                "type": self.error_type,
                "message": self.message,
                "request_id": self.request_id,
            }
        return out


@dataclass
class ApplyResult:
    outcomes: list[Outcome] = field(default_factory=list)
    interrupted: bool = False

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def complete(self) -> bool:
        return not self.interrupted and self.count("done") == len(self.outcomes)

    def totals(self) -> tuple[int, int, int]:
        """(added, changed, destroyed) among the changes done."""
        done = [o.change.action for o in self.outcomes if o.status == "done"]
        replaced = done.count("replace")
        return (
            done.count("create") + replaced,
            done.count("update"),
            done.count("delete") + replaced,
        )


def execute(remote: Remote, change: Change, skill: Skill | None) -> str | None:
    """Carry out one change; returns the id of the skill it leaves (None for a delete)."""
    if change.action == "create":
        return remote.create(change, skill)
    if change.action == "update":
        return remote.update(change, skill)
    assert change.id is not None
    if change.action == "replace":
        created = remote.create(change, skill)
        try:
            remote.delete(change.id)
        except ApiError as exc:
            raise ApiError(
                f"created '{change.name}' ({created}) but could not delete "
                f"'{change.from_name}': {exc}"
            ) from exc
        return created
    remote.delete(change.id)
    return None


def _failure(change: Change, exc: ApiError) -> Outcome:
    # A replace whose delete failed wraps the API's error and says what was done.
    status = exc if isinstance(exc, HTTPStatusError) else exc.__cause__
    message = exc.api_message if isinstance(exc, HTTPStatusError) else exc.message
    if not isinstance(status, HTTPStatusError):
        cause = exc if isinstance(exc, MalformedAnswer) else exc.__cause__
        kind = "malformed_answer" if isinstance(cause, MalformedAnswer) else "connection_error"
        return Outcome(change, "failed", error_type=kind, message=message)
    return Outcome(
        change,
        "failed",
        error_type=status.error_type,
        message=message,
        request_id=status.request_id,
    )


_INTERRUPTED = (
    "interrupted while in flight: it may or may not have been applied (plan shows where it stands)"
)


class _Outcomes:
    """The outcome of each change, recorded once, as its future finishes.

    The CLI's process waits here instead of in ``Future.result`` or ``as_completed``:
    those wait on a ``threading.Condition``, and a signal that arrives while the
    condition takes its lock back raises out of a ``with`` that no longer holds it
    ("release unlocked lock": a crash instead of the report). ``SimpleQueue.get`` is
    written in C over a plain lock and stays sound when a signal interrupts it. An
    outcome is recorded by one assignment, so an interrupt at any point leaves each
    change either recorded or still to be recorded, never both or neither."""

    def __init__(
        self, futures: dict[Future[Outcome], Change], on_outcome: Callable[[Outcome], None]
    ) -> None:
        self.changes = futures
        self.recorded: dict[Future[Outcome], Outcome] = {}
        self._on_outcome = on_outcome
        self._finished: SimpleQueue[Future[Outcome]] = SimpleQueue()
        for future in futures:
            future.add_done_callback(self._finished.put)

    @property
    def waiting(self) -> bool:
        return len(self.recorded) < len(self.changes)

    def record(self, future: Future[Outcome], outcome: Outcome) -> None:
        if future not in self.recorded:
            self.recorded[future] = outcome
            if outcome.status != "skipped":
                self._on_outcome(outcome)

    def take(self, future: Future[Outcome]) -> None:
        if future not in self.recorded:
            skipped = future.cancelled()
            outcome = Outcome(self.changes[future], "skipped") if skipped else future.result()
            self.record(future, outcome)

    def wait(self) -> None:
        """Until every change has its outcome."""
        while self.waiting:
            self.take(self._finished.get())

    def finish_in_flight(self) -> None:
        """After a Ctrl-C: the changes in flight finish and the rest are skipped. A
        second signal (CI's cancel sends SIGINT, then SIGTERM) stops the wait: what is
        still in flight is reported as failed (it may or may not have been applied),
        never the whole report lost."""
        for future in self.changes:  # what has not started never will
            if future.cancel() or future.done():
                self.take(future)
        try:
            self.wait()
        except KeyboardInterrupt:
            for future, change in self.changes.items():
                failed = Outcome(change, "failed", error_type="interrupted", message=_INTERRUPTED)
                self.record(future, failed)


def apply_plan(
    plan: Plan,
    remote: Remote,
    skills: Mapping[str, Skill] | None = None,
    *,
    on_outcome: Callable[[Outcome], None] = lambda outcome: None,
    stop: threading.Event | None = None,
) -> ApplyResult:
    stop = stop or threading.Event()
    result = ApplyResult()

    def run_one(change: Change) -> Outcome:
        if stop.is_set():
            return Outcome(change, "skipped")
        try:
            skill = (skills or {}).get(change.name)
            return Outcome(change, "done", id=execute(remote, change, skill))
        except ApiError as exc:
            return _failure(change, exc)
        except SkillsyncError as exc:  # a file of the skill vanished or became unreadable
            return Outcome(change, "failed", error_type="file_error", message=exc.message)

    pool = ThreadPoolExecutor(max_workers=remote.parallelism)
    outcomes = _Outcomes({pool.submit(run_one, c): c for c in plan.changes}, on_outcome)
    try:
        outcomes.wait()
    except KeyboardInterrupt:
        stop.set()
        result.interrupted = True
        outcomes.finish_in_flight()
    finally:
        pool.shutdown(wait=not result.interrupted, cancel_futures=True)
    result.outcomes = [outcomes.recorded[future] for future in outcomes.changes]  # plan order
    return result
