"""A progress line for long reads of the remote, on a terminal only.

``reading 3,412/10,000 skills (850/s)`` rewritten in place on stderr at most ten
times a second, and cleared at the end; nothing at all where stderr is not a
terminal (CI logs stay as they are).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TextIO

MIN_TOTAL = 50
"""Fewer reads than this finish too soon to be worth a progress line."""


class ReadProgress:
    def __init__(self, out: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self.out, self.clock = out, clock
        self.lock = threading.Lock()
        self.shown = False
        self.label, self.total, self.done = "", 0, 0
        self.started = self.last = 0.0

    @classmethod
    def on_terminal(cls, out: TextIO) -> ReadProgress | None:
        isatty = getattr(out, "isatty", None)
        return cls(out) if isatty is not None and isatty() else None

    def start(self, label: str, total: int) -> None:
        with self.lock:
            self.label, self.total, self.done = label, total, 0
            self.started = self.last = self.clock()

    def step(self) -> None:
        with self.lock:
            self.done += 1
            now = self.clock()
            if self.total < MIN_TOTAL or (now - self.last < 0.1 and self.done < self.total):
                return
            self.last = now
            rate = self.done / max(now - self.started, 1e-6)
            self.out.write(
                f"\r\x1b[2Kreading {self.done:,}/{self.total:,} {self.label} ({rate:,.0f}/s)"
            )
            self.out.flush()
            self.shown = True

    def close(self) -> None:
        with self.lock:
            if self.shown:
                self.out.write("\r\x1b[2K")
                self.out.flush()
                self.shown = False
