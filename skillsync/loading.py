"""The repository's desired skills, loaded while a plan lists and reads the remote.

``Loading`` is one iterator of skills (``arriving``) with two ways to fill it: on a
thread of the plan's process, or, for a large repository (checking thousands of files
by every rule and the trust gate, and for the dialects of folders rendering and
hashing their trees, is seconds of CPU), in a forked process that sends the skills a
chunk at a time as it checks them, so the plan reads each one's remote skill as
soon as it arrives while the rest still load (the plan's own interpreter is busy
with the requests, and its GIL is what limits a cold plan).

Either way the plan hears typed messages: ``Loaded`` (a chunk of skills),
``Finished`` (every name, in the repository's order), ``Failed`` (the exception
itself, raised on the plan's thread) or ``Lost`` (the process ended without its
answer: the repository is loaded here instead).

Pickling every skill of a dialect of folders back whole would send hundreds of MB
through the pipe for a large repository, so the process sends in full only the skills
the remote does not hold (creates: apply uploads them), once the plan has told it the
remote's names (``tell``); the others come as partial skills (``Skill.partial``),
enough to compare, and ``planning.complete`` loads the few the plan then changes. A
skill of the seed dialect is its texts, which the plan compares: it comes whole.

The forked process inherits the plan's whole remote (its HTTP pool, its SQLite
cache) and must never use it: it only calls ``remote.project``, which reads local
files. It ignores SIGINT (the plan's process reports a Ctrl-C and ends it) and is
killed, not waited for, when the plan stops early.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import queue
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from skillsync.config import Config
from skillsync.errors import SkillsyncError, ValidationFailed
from skillsync.model import Skill
from skillsync.remote.base import Remote
from skillsync.repo_paths import matched, walk_for
from skillsync.validation import RepositoryCheck, ValidationResult
from skillsync.walk import Tree
from skillsync.workers import default_signals, signals_held

APART_CHUNK = 200
APART_MIN_FILES = 1000
"""From this many skill files on, the repository loads in a forked process."""


@dataclass(frozen=True)
class Loaded:
    skills: list[Skill]


@dataclass(frozen=True)
class Finished:
    names: list[str]
    """Every desired skill's name, in the repository's order."""


@dataclass(frozen=True)
class Failed:
    error: BaseException


@dataclass(frozen=True)
class Lost:
    """The loading process ended without its answer (killed, or its pipe reset)."""


Message = Loaded | Finished | Failed | Lost


def valid_skills(result: ValidationResult, *, quiet: bool) -> list[Skill]:
    """The skills of a repository without errors; ValidationFailed listing the errors."""
    for warning in [] if quiet else result.warnings:
        print(f"{warning}", file=sys.stderr)
    if result.errors:
        listing = "\n".join(f"  {problem}" for problem in result.errors[:20])
        more = len(result.errors) - 20
        if more > 0:
            listing += f"\n  ... and {more} more"
        raise ValidationFailed(
            f"the skill files have {len(result.errors)} error(s):\n{listing}",
            hint="fix them (skillsync validate lists them all), then plan again",
        )
    return result.skills


def load_projected(
    config: Config,
    remote: Remote,
    *,
    trees: bool = False,
    quiet: bool = False,
    tree: Tree | None = None,
) -> list[Skill]:
    """The desired skills as the remote's dialect compares them (the dialects of folders:
    with trees); ValidationFailed (listing the errors) if any, the warnings on stderr
    unless ``quiet``. See ``projected_check``."""
    return valid_skills(projected_check(config, remote, trees=trees, tree=tree).run(), quiet=quiet)


def projected_check(
    config: Config, remote: Remote, *, trees: bool, tree: Tree | None
) -> RepositoryCheck:
    """The repository's check, each skill projected as the remote's dialect compares it.
    With ``trees`` (the dialect compares file trees: projecting renders and hashes every
    file) and the remote's caches on, unchanged files' trees come from the verdict cache
    (partial skills: ``planning.complete`` loads those a plan changes). ``tree``: the
    repository's walk, when the caller already made it."""
    return RepositoryCheck(
        config, [], project=remote.project, use_cache=trees and remote.caches, tree=tree
    )


def without_texts(skill: Skill) -> Skill:
    """``skill`` without what only an upload or a diff needs (``complete`` reloads it)."""
    if skill.files is None or skill.partial:
        return skill
    files = tuple(replace(e, text=None) if e.text is not None else e for e in skill.files)
    return replace(skill, instructions="", skill_md=None, files=files, partial=True)


def sendable(skill: Skill, remote_names: set[str] | None) -> Skill:
    """A skill the loading process just checked, as it sends it on: its texts let go
    unless the remote lacks it (``remote_names``: None until the plan told them). One let
    go before the names came and then missing remotely is loaded again by ``complete``."""
    if remote_names is None or skill.name in remote_names:
        return without_texts(skill)
    return skill


class Loading:
    """The repository loaded while the remote is listed and read (module docstring)."""

    def __init__(
        self, config: Config, remote: Remote, *, trees: bool, apart: bool, quiet: bool
    ) -> None:
        """``trees``: the dialect compares file trees (``Dialect.folders``), which the
        verdict cache may hold (``load_projected``)."""
        self.config, self.remote, self.quiet, self.trees = config, remote, quiet, trees
        self.process: Any = None
        self.tree: Tree | None = None
        """The repository's walk, made once here: the loading process inherits it."""
        self.names: list[str] = []
        """The desired skills' names in the repository's order, once they all arrived."""
        self.heard: queue.SimpleQueue[Message] = queue.SimpleQueue()
        if apart and self._large():
            self._fork()

    def _large(self) -> bool:
        if "fork" not in multiprocessing.get_all_start_methods():
            return False
        self.tree = walk_for(self.config.root, self.config.skills)
        return len(matched(self.config.root, self.config.skills, self.tree)) >= APART_MIN_FILES

    def _fork(self) -> None:
        context = multiprocessing.get_context("fork")
        self.conn, child_conn = context.Pipe()
        self.process = context.Process(target=self._child, args=(child_conn,), daemon=True)
        with signals_held():
            self.process.start()  # the fork happens here, before any request is made
        child_conn.close()
        self.tree = None  # the loading process has its copy; a large walk held here is waste

    # -- in the loading process ------------------------------------------------------
    def _child(self, conn: Any) -> None:
        default_signals()
        remote_names: set[str] | None = None
        """The remote's names, once the plan sent them."""
        chunk: list[Skill] = []
        try:
            check = projected_check(self.config, self.remote, trees=self.trees, tree=self.tree)
            for skill_file in check:
                if skill_file.skill is None:
                    continue
                skill_file.skill = sendable(skill_file.skill, remote_names)
                chunk.append(skill_file.skill)
                if len(chunk) == APART_CHUNK:
                    conn.send(Loaded(list(chunk)))  # small pickles: no big copy
                    chunk.clear()
                    # the names are looked for once a chunk: a poll builds a selector
                    if remote_names is None and conn.poll():
                        remote_names = conn.recv()
            skills = valid_skills(check.result(), quiet=self.quiet)
        except SkillsyncError as exc:
            conn.send(Failed(exc))
            return
        if chunk:
            conn.send(Loaded(chunk))
        conn.send(Finished([skill.name for skill in skills]))

    # -- in the plan's process -------------------------------------------------------
    def tell(self, remote_names: set[str]) -> None:
        """The names the remote holds: the loading process keeps those skills' texts."""
        if self.process is not None:
            with contextlib.suppress(OSError):  # the process is done already
                self.conn.send(remote_names)

    def receive(self) -> None:
        """On a thread of the plan's: load, or hear the loading process."""
        try:
            if self.process is None:
                skills = load_projected(
                    self.config, self.remote, trees=self.trees, quiet=self.quiet, tree=self.tree
                )
                self.heard.put(Loaded(skills))
                self.heard.put(Finished([skill.name for skill in skills]))
                return
            while True:
                try:
                    message: Message = self.conn.recv()
                except (EOFError, OSError):  # the process ended without its answer
                    message = Lost()
                self.heard.put(message)
                if not isinstance(message, Loaded):
                    return
        except BaseException as exc:  # raised on the plan's thread, by ``arriving``
            self.heard.put(Failed(exc))

    def arriving(self) -> Iterator[list[Skill]]:
        """The desired skills as they arrive: all that came since the last chunk taken.
        Then ``names`` is set; the loading's error is raised here."""
        while True:
            messages = [self.heard.get()]
            with contextlib.suppress(queue.Empty):
                while isinstance(messages[-1], Loaded):
                    messages.append(self.heard.get_nowait())
            skills = [s for m in messages if isinstance(m, Loaded) for s in m.skills]
            if skills:
                yield skills
            last = messages[-1]
            if isinstance(last, Loaded):
                continue
            if isinstance(last, Finished):
                self.names = last.names
            elif isinstance(last, Lost):  # the process could not finish: load here
                loaded = load_projected(self.config, self.remote, trees=self.trees)
                self.names = [skill.name for skill in loaded]
                yield loaded
            else:
                raise last.error
            return

    def stop(self) -> None:
        """End the loading process unless it is done (the plan failed, or was interrupted:
        the process ignores SIGINT). Killed: a SIGTERM sent right after the fork is lost
        (the new interpreter clears the signals pending when it starts), and the process
        writes only the verdict cache, whose SQLite transactions survive a kill."""
        if self.process is not None and self.process.is_alive():
            self.process.kill()

    def __enter__(self) -> Loading:
        return self

    def __exit__(self, *exc: object) -> None:
        """Once ``receive`` returned (or never ran: a Ctrl-C can come at any point): the
        process ended unless it is done, and waited for; the pipe closed. Waiting alone
        could wait for ever: a process nobody reads from blocks on a full pipe."""
        if self.process is not None:
            self.stop()
            self.process.join()
            self.conn.close()
