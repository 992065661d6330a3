"""Skill files loaded and checked by every per-file rule: one at a time (``checked``),
or for a report on every core (``load_for_report``)."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

from skillsync.config import Config
from skillsync.lint.skill_rules import check_skill
from skillsync.lint.upload_limits import upload_limits
from skillsync.loader import SkillFile, load_file
from skillsync.model import Skill
from skillsync.repo_paths import RepoPaths
from skillsync.walk import Tree
from skillsync.workers import default_signals, signals_held

PARALLEL_MIN_FILES = 1000
"""Below this, forking workers costs more than it saves."""


def checked(
    root: Path,
    paths: list[Path],
    dialects: frozenset[str],
    tree: Tree | None,
    project: Callable[[Skill], Skill] | None = None,
) -> Iterator[SkillFile]:
    """Each file loaded and checked (and its skill projected), one at a time: only one
    file's texts are read at once."""
    inside = RepoPaths(root, tree)  # shared, so each folder is resolved and listed once
    for path in paths:
        yield _check(load_file(root, path, inside), dialects, project)


def _check(
    skill_file: SkillFile, dialects: frozenset[str], project: Callable[[Skill], Skill] | None
) -> SkillFile:
    skill_file.problems.extend(upload_limits(skill_file, dialects))
    if skill_file.text is not None:
        skill_file.problems.extend(check_skill(skill_file.text, dialects))
        skill_file.text = None  # read by the rules; too large to carry further
    if project is not None and skill_file.skill is not None:
        skill_file.skill = project(skill_file.skill)
    return skill_file


def sourced_files(
    config: Config, dialects: frozenset[str], project: Callable[[Skill], Skill] | None
) -> Iterator[SkillFile]:
    """The locked skills of other repositories, checked by every rule like the
    repository's own, their files named ``sources/<source>/<path in the source>``."""
    if not config.sources:
        return
    from skillsync.sources.reading import sourced  # git and the lock: only for sources

    for found in sourced(config):
        skill_file = load_file(found.root, found.path, RepoPaths(found.root))
        if skill_file.skill is not None:
            skill_file.skill = replace(skill_file.skill, origin=found.origin)
        yield _check(skill_file, dialects, project)


_tree: Tree | None = None
"""The repository's walk while _load_for_report's workers fork: they inherit it (a
module global, so it is never pickled for them)."""


def _load_stripped(root: Path, paths: list[Path], dialects: frozenset[str]) -> list[SkillFile]:
    files = list(checked(root, paths, dialects, _tree))
    for skill_file in files:  # only the verdict travels back: not the texts nor the files
        skill = skill_file.skill
        if skill is not None:
            skill_md = None if skill.skill_md is None else ""
            skill_file.skill = replace(skill, instructions="", skill_md=skill_md, assets=())
    return files


def load_for_report(
    root: Path, paths: list[Path], dialects: frozenset[str], tree: Tree | None = None
) -> list[SkillFile]:
    """Load files on every core (fork workers), in the order given."""
    global _tree
    _tree = tree
    try:
        return _load_in_workers(root, paths, dialects)
    finally:
        _tree = None


def _load_in_workers(root: Path, paths: list[Path], dialects: frozenset[str]) -> list[SkillFile]:
    workers = min(os.cpu_count() or 1, 8)
    if workers < 2 or len(paths) < PARALLEL_MIN_FILES:
        return _load_stripped(root, paths, dialects)
    import multiprocessing  # only here: a warm validate, which forks nothing, is spared it

    if "fork" not in multiprocessing.get_all_start_methods():
        return _load_stripped(root, paths, dialects)
    size = -(-len(paths) // workers)
    chunks = [paths[i : i + size] for i in range(0, len(paths), size)]
    context = multiprocessing.get_context("fork")
    with signals_held():  # the workers fork here
        pool = context.Pool(len(chunks) - 1, initializer=default_signals)
    with pool:
        pending = pool.map_async(
            functools.partial(_load_stripped, root, dialects=dialects), chunks[1:]
        )
        mine = _load_stripped(root, chunks[0], dialects)
        rest = pending.get()
    return [*mine, *(f for chunk in rest for f in chunk)]
