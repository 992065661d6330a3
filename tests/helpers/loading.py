"""Steering a plan's forked loading process (skillsync.loading) from a test."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from skillsync import loading


class LoadingApart:
    """From its creation on, every plan loads its repository in a forked process (a
    repository of two files is large enough), ``chunk`` skills to a message.

    ``when_sent[name]``: run in the loading process as it sends that skill (not when
    the plan loads the repository itself). ``loads()``: the process id of every loading
    that finished, the forked processes' too (they append to a file)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, record: Path, chunk: int = 200) -> None:
        self.record, self.plan_pid = record, os.getpid()
        self.when_sent: dict[str, Callable[[], object]] = {}
        monkeypatch.setattr(loading, "APART_MIN_FILES", 2)
        monkeypatch.setattr(loading, "APART_CHUNK", chunk)
        monkeypatch.setattr(loading, "sendable", self._sendable)
        monkeypatch.setattr(loading, "valid_skills", self._valid_skills)

    def loads(self) -> list[int]:
        text = self.record.read_text() if self.record.exists() else ""
        return [int(pid) for pid in text.split()]

    _real_sendable = staticmethod(loading.sendable)
    _real_valid_skills = staticmethod(loading.valid_skills)

    def _sendable(self, skill: Any, remote_names: Any) -> Any:
        action = self.when_sent.get(skill.name)
        if action is not None and os.getpid() != self.plan_pid:
            action()
        return self._real_sendable(skill, remote_names)

    def _valid_skills(self, *args: Any, **kwargs: Any) -> Any:
        skills = self._real_valid_skills(*args, **kwargs)
        with self.record.open("a") as out:
            out.write(f"{os.getpid()}\n")
        return skills


def held_until_killed() -> None:
    """The loading process stops here; a plan that works kills it long before the end
    (one that waited for it instead would find it finished: the test fails, slowly)."""
    time.sleep(60)
