"""Standard output that cannot turn a full disk into a crash.

``skillsync plan > /dev/full`` used to end in an internal error, and an apply
whose report could not be written lost it midway. While a command runs, standard
output is a text stream over the same buffer that keeps the first error it meets
and drops what follows (an apply under way is never cut short by its own report);
when the command ends, that error is raised as ``OutputLost`` (exit 1).
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from skillsync.errors import SkillsyncError


class OutputLost(SkillsyncError):
    pass


class _Checked(io.TextIOWrapper):
    lost: OSError | None = None

    def write(self, text: str) -> int:
        if self.lost is None:
            try:
                return super().write(text)
            except BrokenPipeError:
                raise  # the reader went away (| head): the CLI stops quietly
            except OSError as exc:
                self.lost = exc
        return len(text)

    def flush(self) -> None:
        if self.lost is None:
            try:
                super().flush()
            except BrokenPipeError:
                raise
            except OSError as exc:
                self.lost = exc

    def close(self) -> None:
        """Never closes the buffer it shares with ``sys.__stdout__``."""


@contextmanager
def checked_stdout() -> Iterator[None]:
    """Standard output checked while the block runs (only a real one: a test's StringIO
    is left alone)."""
    original = sys.stdout
    if not isinstance(original, io.TextIOWrapper):
        yield
        return
    original.flush()
    checked = _Checked(
        original.buffer,
        encoding=original.encoding,
        errors=original.errors,
        line_buffering=original.line_buffering,
        write_through=original.write_through,
    )
    sys.stdout = checked
    try:
        yield
        checked.flush()
    finally:
        sys.stdout = original
    if checked.lost is not None:
        raise OutputLost(
            f"the output could not be written to standard output "
            f"({checked.lost.strerror or checked.lost})",
            hint="if the command changed a target, run plan to see where it stands",
        )
