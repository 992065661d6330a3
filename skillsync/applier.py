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
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

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


def _finish_in_flight(
    changes: dict[Future[Outcome], Change],
    pending: set[Future[Outcome]],
    note: Callable[[Outcome], None],
) -> None:
    """After a Ctrl-C: the changes in flight finish and the rest are skipped. A second
    signal (CI's cancel sends SIGINT, then SIGTERM) stops the wait: what is still in flight
    is reported as failed (it may or may not have been applied), never the whole report
    lost."""
    for future in changes:  # what has not started never will
        if future in pending and future.cancel():
            pending.discard(future)
            note(Outcome(changes[future], "skipped"))
    try:
        for future in list(changes):
            if future in pending:
                note(future.result())
                pending.discard(future)
    except KeyboardInterrupt:
        for future in changes:
            if future in pending:
                note(
                    Outcome(
                        changes[future],
                        "failed",
                        error_type="interrupted",
                        message="interrupted while in flight: it may or may not have been "
                        "applied (plan shows where it stands)",
                    )
                )


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

    def note(outcome: Outcome) -> None:
        result.outcomes.append(outcome)
        if outcome.status != "skipped":
            on_outcome(outcome)

    pool = ThreadPoolExecutor(max_workers=remote.parallelism)
    futures = [pool.submit(run_one, change) for change in plan.changes]
    pending = set(futures)
    try:
        for future in as_completed(futures):
            pending.discard(future)
            note(future.result())
    except KeyboardInterrupt:
        stop.set()
        result.interrupted = True
        _finish_in_flight(dict(zip(futures, plan.changes, strict=True)), pending, note)
    finally:
        pool.shutdown(wait=not result.interrupted, cancel_futures=True)
    order = {id(change): index for index, change in enumerate(plan.changes)}
    result.outcomes.sort(key=lambda o: order[id(o.change)])
    return result
