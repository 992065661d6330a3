"""``python -m skillsync`` and the ``skillsync`` console script: the process's own setup,
then the command line (``skillsync.cli.main``).

- SIGTERM (CI cancelling a job, a container stopping) ends a run as Ctrl-C does:
  nothing new starts, changes in flight finish, the summary is printed, exit 130.
- A Ctrl-C that arrives while the command line's modules are still being imported
  (before the CLI's own error boundary exists) ends the run as any interrupt does:
  ``Interrupted.`` and exit 130, never a traceback.
- The cyclic collector is tuned for a process that makes millions of small objects
  and almost no cycles (``tune_gc``).
"""

from __future__ import annotations

import gc
import signal
import sys

EXIT_INTERRUPTED = 130
"""errors.EXIT_INTERRUPTED, written here again: importing it could itself be interrupted."""
FULL_COLLECTION_THRESHOLD = 100
"""Collections of the middle generation between two full ones (Python's default: 10)."""


# perf: full collections walk every object of a 10,000-skill run for almost no cycles;
# their cost and this tuning's worth are measured in benchmarks/README.md.
def tune_gc() -> None:
    """Freeze what the imports made (never walked again, and its pages stay shared with a
    forked worker) and make full collections ten times rarer. Young objects are
    collected as often as Python's defaults do, which keeps a plan's peak memory."""
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_THRESHOLD)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def entry() -> int:
    tune_gc()
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        from skillsync.cli import main

        return main()
    except KeyboardInterrupt:  # before the CLI's own boundary stood, or after it fell
        sys.stderr.write("Interrupted.\n")
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    raise SystemExit(entry())
