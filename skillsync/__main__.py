"""``python -m skillsync`` and the ``skillsync`` console script.

A Ctrl-C that arrives while the command line's modules are still being imported
(before the CLI's own error boundary exists) ends the run as any interrupt does:
``Interrupted.`` and exit 130, never a traceback."""

from __future__ import annotations

import sys

EXIT_INTERRUPTED = 130
"""errors.EXIT_INTERRUPTED, written here again: importing it could itself be interrupted."""


def entry() -> int:
    try:
        from skillsync.cli import main

        return main()
    except KeyboardInterrupt:  # before the CLI's own boundary stood, or after it fell
        sys.stderr.write("Interrupted.\n")
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    raise SystemExit(entry())
