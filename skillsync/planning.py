"""From a repository and a target to a Plan: the steps plan and apply share."""

from __future__ import annotations

import contextlib
import multiprocessing
import queue
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, NamedTuple

from skillsync.config import Config, TargetConfig
from skillsync.errors import (
    ConfigError,
    SkillsyncError,
    UnsafePlan,
    ValidationFailed,
    default_signals,
    signals_held,
)
from skillsync.loader import Inside, load_file, matched, walk_for
from skillsync.model import RemoteSkill, Skill
from skillsync.plan import Plan
from skillsync.planner import Rules, make_plan
from skillsync.remote.base import Remote
from skillsync.render.read_progress import ReadProgress
from skillsync.snapshot import name_all, read_for_plan
from skillsync.sources.reading import locate
from skillsync.validation import validate_repository
from skillsync.walk import Tree


def load_desired(
    config: Config,
    *,
    quiet: bool = False,
    project: Callable[[Skill], Skill] | None = None,
    use_cache: bool = False,
    tree: Tree | None = None,
    finish: Callable[[Skill], Skill] | None = None,
) -> list[Skill]:
    """Every skill of the repository; ValidationFailed (listing the errors) if any.
    The warnings go to stderr unless ``quiet``. With ``project``, projected (and with
    ``use_cache``, partial where the verdict cache holds the file's verdict and tree).
    ``tree``: the repository's walk, when the caller already made it. ``finish``: see
    validate_repository."""
    result = validate_repository(
        config, [], use_cache=use_cache, project=project, tree=tree, finish=finish
    )
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


def rules_for(config: Config, target: TargetConfig) -> Rules:
    return Rules(
        manage=target.manage,
        protect=target.protect,
        max_delete_percent=config.max_delete_percent,
        min_managed=config.min_managed,
        version_bump=config.version_bump,
        promote=target.setting("promote", "auto"),
    )


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Planned(NamedTuple):
    """A plan, the desired skills it compared (as the remote's dialect compares them:
    what apply uploads), and the remote skills as read."""

    plan: Plan
    skills: dict[str, Skill]
    remote: list[RemoteSkill]


def plan_target(
    config: Config,
    target: TargetConfig,
    remote: Remote,
    *,
    only: tuple[str, ...] = (),
    alone: bool = True,
    quiet: bool = False,
) -> Planned:
    """Plan one target. ``alone``: no other target is planned at the same time, so the
    repository may be loaded in a forked process and progress drawn on the terminal."""
    # Loading the files is CPU work and reading the remote is mostly waiting: both at
    # once hide much of one behind the other. The list (and, in the anthropic dialect,
    # its skills' names) is read while the files load, and each remote skill as soon as
    # the repository's skill of that name has loaded.
    progress = ReadProgress.on_terminal(sys.stderr) if alone else None
    with (
        Loading(config, remote, apart=alone and not quiet, quiet=quiet) as loading,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="load") as background,
    ):
        try:
            background.submit(loading.receive)
            listed = name_all(remote, remote.list_skills(), progress)
            loading.tell({s.name for s in listed})
            by_name, current = read_for_plan(
                remote, listed, loading.arriving(), only=only or None, progress=progress
            )
        finally:
            loading.stop()  # on failure: the receiving thread ends with the process
    desired = [by_name[name] for name in loading.names]
    desired = complete(config, remote, desired, current)
    by_name = {s.name: s for s in desired}
    plan = make_plan(
        desired,
        current,
        rules_for(config, target),
        target=target.name,
        base_url=remote.base_url,
        only=only or None,
        created_at=now(),
    )
    known = {s.name for s in desired} | {s.name for s in current}
    unknown = sorted(set(only) - known)
    if unknown:
        print(
            f"warning: --skill {', '.join(unknown)}: no such skill in the repository or remote",
            file=sys.stderr,
        )
    return Planned(plan, by_name, current)


APART_CHUNK = 200
APART_MIN_FILES = 1000
"""From this many skill files on, a dialect whose projection is heavy (file trees:
rendering and hashing) loads the repository in a forked process: the plan's own
interpreter is busy with the requests, and its GIL is what limits a cold plan."""


class Loading:
    """The repository loaded while the remote is listed and read.

    From APART_MIN_FILES skill files on, a dialect whose projection is heavy loads in a
    forked process, which sends the skills a chunk at a time as it checks them: the
    plan reads each one's remote skill as soon as it arrives, while the rest still
    load. Elsewhere the repository loads on the plan's receiving thread.

    Pickling every skill back whole (instructions, file texts) cost a plan of 10,000
    about 220 MB through the pipe. The process sends in full only the skills the
    remote does not hold (creates: apply uploads them), once it has the remote's names
    (``tell``); the others come as partial skills (``Skill.partial``), enough to
    compare, and ``complete`` loads the few that the plan then changes."""

    def __init__(self, config: Config, remote: Remote, *, apart: bool, quiet: bool) -> None:
        self.config, self.remote, self.quiet = config, remote, quiet
        self.process: Any = None
        self.tree: Tree | None = None
        """The repository's walk, made once here: the loading process inherits it."""
        self.names: list[str] = []
        """The desired skills' names in the repository's order, once they all arrived."""
        self.queue: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
        """What ``receive`` heard: ("skills", chunk)..., then ("done", names), ("died",),
        ("error", kind, message, hint) or ("failed", exception)."""
        if not apart or not remote.heavy_projection:
            return
        if "fork" not in multiprocessing.get_all_start_methods():
            return
        self.tree = walk_for(config.root, config.skills)
        if len(matched(config.root, config.skills, self.tree)) < APART_MIN_FILES:
            return
        context = multiprocessing.get_context("fork")
        self.conn, child_conn = context.Pipe()
        self.process = context.Process(target=self._child, args=(child_conn,), daemon=True)
        with signals_held():
            self.process.start()  # the fork happens here, before any request is made
        child_conn.close()

    def _child(self, conn: Any) -> None:
        default_signals()
        remote = self.remote
        heard = False
        remote_names: set[str] | None = None
        """The remote's names, once the plan sent them."""
        chunk: list[Skill] = []

        def slim(projected: Skill) -> Skill:
            """A skill just checked (and projected): sent on, its texts let go unless the
            remote lacks it (10,000 SKILL.md folders loaded whole held 306 MiB). One let go
            before the names came and then missing remotely is loaded again by
            ``complete``."""
            nonlocal heard, remote_names
            if not heard and conn.poll():
                heard, remote_names = True, conn.recv()
            keep = remote_names is not None and projected.name not in remote_names
            skill = projected if keep else partial(projected)
            chunk.append(skill)
            if len(chunk) == APART_CHUNK:
                conn.send(("skills", chunk))  # small pickles: no big copy
                chunk.clear()
            return skill

        try:
            skills = load_projected(self.config, remote, tree=self.tree, finish=slim)
        except SkillsyncError as exc:
            conn.send(("error", type(exc).__name__, exc.message, exc.hint))
            return
        if chunk:  # every skill went through slim (see validate_repository's finish)
            conn.send(("skills", chunk))
        conn.send(("done", [skill.name for skill in skills]))

    def tell(self, remote_names: set[str]) -> None:
        """The names the remote holds: the loading process keeps those skills' texts."""
        if self.process is not None:
            with contextlib.suppress(OSError):  # the process is done already
                self.conn.send(remote_names)

    def receive(self) -> None:
        """On a thread of the plan's: load, or hear the loading process, onto ``queue``."""
        try:
            if self.process is None:
                skills = load_projected(self.config, self.remote, quiet=self.quiet, tree=self.tree)
                self.queue.put(("skills", skills))
                self.queue.put(("done", [skill.name for skill in skills]))
                return
            try:
                while (answer := self.conn.recv())[0] == "skills":
                    self.queue.put(answer)
            except (EOFError, OSError):  # the process ended without its answer (reset pipe)
                answer = ("died",)
            self.queue.put(answer)
        except BaseException as exc:  # raised on the plan's thread, by ``arriving``
            self.queue.put(("failed", exc))

    def arriving(self) -> Iterator[list[Skill]]:
        """The desired skills as they arrive: all that came since the last chunk taken.
        Then ``names`` is set; the loading's error is raised here."""
        while True:
            heard = [self.queue.get()]
            with contextlib.suppress(queue.Empty):
                while heard[-1][0] == "skills":
                    heard.append(self.queue.get_nowait())
            skills = [skill for answer in heard if answer[0] == "skills" for skill in answer[1]]
            if skills:
                yield skills
            answer = heard[-1]
            if answer[0] == "skills":
                continue
            if answer[0] == "done":
                self.names = answer[1]
                return
            if answer[0] == "died":  # the process could not finish: load here
                skills = load_projected(self.config, self.remote)
                self.names = [skill.name for skill in skills]
                yield skills
                return
            if answer[0] == "failed":
                raise answer[1]
            _, kind, message, hint = answer
            raise (ConfigError if kind == "ConfigError" else ValidationFailed)(message, hint=hint)

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


def partial(skill: Skill) -> Skill:
    """``skill`` without what only an upload or a diff needs (``complete`` reloads it)."""
    if skill.files is None or skill.partial:
        return skill
    files = tuple(replace(e, text=None) if e.text is not None else e for e in skill.files)
    return replace(skill, instructions="", skill_md=None, files=files, partial=True)


def load_projected(
    config: Config,
    remote: Remote,
    *,
    quiet: bool = False,
    full: bool = False,
    tree: Tree | None = None,
    finish: Callable[[Skill], Skill] | None = None,
) -> list[Skill]:
    """The desired skills as the remote's dialect compares them (the folder dialects: with
    trees). Unless ``full``, a folder dialect with caches on takes unchanged files' trees
    from the verdict cache (partial skills: ``complete`` loads those a plan changes).
    Each skill loaded from its file is projected as soon as it is checked, then
    ``finish``ed (see validate_repository)."""
    return load_desired(
        config,
        quiet=quiet,
        project=remote.project,
        use_cache=remote.heavy_projection and remote.caches and not full,
        tree=tree,
        finish=finish,
    )


def complete(
    config: Config, remote: Remote, desired: list[Skill], current: list[RemoteSkill]
) -> list[Skill]:
    """``desired`` with every partial skill that differs from the remote loaded in full:
    the plan shows its files' texts and apply uploads it."""
    by_name: dict[str, list[RemoteSkill]] = {}
    for item in current:
        by_name.setdefault(item.name, []).append(item)

    def same(skill: Skill) -> bool:
        found = by_name.get(skill.name, [])
        if len(found) != 1 or not found[0].is_full:
            return False
        have = found[0].content()
        return all(have.get(key) == value for key, value in skill.content().items())

    stale = {s.name for s in desired if s.partial and not same(s)}
    if not stale:
        return desired
    out = []
    for skill in desired:
        if skill.name in stale:
            root, path = locate(config, skill.source)
            loaded = load_file(root, path, Inside(root)).skill
            if loaded is not None and skill.origin is not None:
                loaded = replace(loaded, origin=skill.origin)
            if loaded is None or loaded.name != skill.name:
                raise ValidationFailed(
                    f"{skill.source} changed while the plan was being made",
                    hint="plan again",
                )
            skill = remote.project(loaded)
        out.append(skill)
    return out


def refuse_if_unsafe(plan: Plan, force: bool) -> None:
    """Errors always refuse; unsafe reasons refuse unless --force."""
    if plan.errors:
        raise UnsafePlan(
            "the plan breaks the repository's policy:\n" + "\n".join(f"  {e}" for e in plan.errors),
            hint="fix the skill files (or policy.version_bump in skillsync.yaml)",
        )
    if plan.unsafe and not force:
        raise UnsafePlan(
            "the plan is unsafe:\n" + "\n".join(f"  {reason}" for reason in plan.unsafe),
            hint="review it; rerun with --force to go ahead anyway",
        )
