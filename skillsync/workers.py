"""Signals in forked workers: the plan's loading process and validate's pool fork
the same way, so a Ctrl-C or a SIGTERM at any moment ends the run with one message
from the CLI's process and none from a worker."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator

_HELD = {signal.SIGINT, signal.SIGTERM}


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Around a fork of workers: SIGINT and SIGTERM held (blocked) in this thread, so a
    worker starts with them held until ``default_signals``, and this process gets any
    that came when they are let go. Without it, one that comes before the worker sets its
    own reached the CLI's handlers in the worker (a traceback of its own), or was lost:
    a new interpreter clears the signals pending when it starts."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def default_signals() -> None:
    """In a forked worker, first: SIGTERM terminates it again (the CLI turns SIGTERM into
    an interrupt in its own process only; a pool stops its workers with SIGTERM), and
    SIGINT is ignored: a Ctrl-C reaches the whole process group, and the CLI's process,
    which reports it, ends its workers (no worker prints a traceback of its own). Then
    the signals ``signals_held`` held are let go."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _HELD)
