"""Validate a whole repository: config, every skill file, and the cross-file rules."""

from __future__ import annotations

import functools
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from skillsync.config import CONFIG_NAME, Config, leaves_repository
from skillsync.lint import credentials
from skillsync.lint.cross_file import cross_file
from skillsync.lint.overlap import Described, digest_of, overlapping
from skillsync.lint.rules import finding
from skillsync.lint.skill_rules import check_skill
from skillsync.lint.upload_limits import upload_limits
from skillsync.loader import SkillFile, load_file
from skillsync.model import Location, Problem, Skill
from skillsync.repo_paths import RepoPaths, matched, rel, unlistable_folders, walk_for
from skillsync.walk import Tree, fixed_folder
from skillsync.workers import default_signals, signals_held

if TYPE_CHECKING:
    from skillsync.cache.verdicts import VerdictCache

log = logging.getLogger("skillsync.validate")


@dataclass
class ValidationResult:
    config: Config
    files: list[SkillFile]
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def skills(self) -> list[Skill]:
        return [f.skill for f in self.files if f.skill is not None]


def validate_repository(
    config: Config,
    config_problems: list[Problem],
    only: list[Path] | None = None,
    *,
    keep_instructions: bool = True,
    use_cache: bool = False,
    project: Callable[[Skill], Skill] | None = None,
    tree: Tree | None = None,
    on_loaded: Callable[[Skill], Skill] | None = None,
) -> ValidationResult:
    """Load and check every skill file of the repository.

    With ``only``, those files are loaded too (matched by the globs or not) and
    just their problems are reported; the cross-file rules still see the whole
    repository. Without ``keep_instructions`` (validate only reports), large
    repositories are loaded by several processes and the skills come back with
    empty instructions. With it (plan and apply), overlapping-descriptions runs
    only when the repository made it an error: as a warning it cannot change a
    plan, and validate reports it.

    ``project`` (plans): the skills come back projected (the folder dialects: with their
    upload trees); with ``use_cache``, an unchanged file's verdict and tree come from the
    verdict cache, the skill marked ``partial`` (no instructions).

    ``tree``: the repository's walk for the config's globs, when the caller made it.

    ``on_loaded`` (keeping instructions): applied to each skill as soon as it is known, the
    verdict cache's partial skills first, then each skill loaded from its file (after
    ``project``) as soon as the file is checked, before the next file is read (a plan's
    loading process sends it on and lets its texts go, so 10,000 skills' texts are
    never held at once).
    """
    root = config.root
    tree = walk_for(root, config.skills) if tree is None else tree
    found = matched(root, config.skills, tree)
    problems = [*config_problems, *unlistable_folders(tree)]
    problems += _unmatched_globs(config, tree, len(found))
    selected: set[str] | None = None
    if only is not None:
        selected = {CONFIG_NAME}
        shown = {display for display, _ in found}
        for given in only:
            path = given if given.is_absolute() else Path.cwd() / given
            display = rel(root, path.absolute())
            selected.add(display)  # its own problems are reported too
            if not path.resolve().is_relative_to(root.resolve()):
                problems.append(
                    Problem(
                        Location(display), "is outside the repository", rule="outside-repository"
                    )
                )
            elif path.is_dir():  # every skill file the globs find below it
                inside = path.resolve().relative_to(root.resolve()).as_posix()
                below = "" if inside == "." else inside + "/"
                selected.update(d for d in shown if d.startswith(below))
            elif not path.is_file():
                problems.append(
                    Problem(
                        Location(display),
                        "not found; name a skill file or a folder of the repository",
                        rule="unreadable",
                    )
                )
            elif display not in shown:
                shown.add(display)
                found.append((display, str(path.absolute())))
    dialects = config.dialects()
    cached = use_cache and (project is not None or not keep_instructions)
    cache = _open_cache(root, dialects, tree, trees=project is not None) if cached else None
    global _tree
    _tree = tree
    try:
        if cache is not None and project is not None:
            files = _load_projected(cache, root, found, dialects, project, on_loaded)
        elif cache is not None:
            files = _load_with_cache(cache, root, found, dialects)
        else:
            paths = [Path(absolute) for _, absolute in found]
            if keep_instructions:  # project, if any: no cache, or it could not be opened
                files = _load(root, paths, dialects, _then(project, on_loaded))
            else:
                files = _load_for_report(root, paths, dialects)
        files = [f for f in files if not f.not_a_file]
        files += _load_sourced(config, dialects, _then(project, on_loaded))
        for skill_file in files:
            problems.extend(skill_file.problems)
        problems.extend(cross_file(files))
        if not keep_instructions or config.lint.level("overlapping-descriptions") == "error":
            # plan and apply run the checks that can stop them; a warnings-only cross-skill
            # check is validate's (it holds every description's shingles: time and memory)
            problems.extend(_overlaps(files, cache))
    finally:
        _tree = None
        if cache is not None:
            cache.close()
    problems = [_without_secrets(p) for p in config.lint.apply(problems)]
    if selected is not None:
        folders = tuple(s.removesuffix("SKILL.md") for s in selected if s.endswith("/SKILL.md"))
        problems = [
            p
            for p in problems
            if p.location.path in selected or p.location.path.startswith(folders)
        ]
    result = ValidationResult(config, files, sorted(set(problems)))
    _drop_invalid(result)
    return result


def _unmatched_globs(config: Config, tree: Tree, found: int) -> list[Problem]:
    """Rule unmatched-glob: a glob the repository wrote that matches no file, where that
    is a mistake: the folder it starts from does not exist (``skill/**`` for ``skills/``),
    or no glob matches anything. A repository listing both ``*.yaml`` and ``*.yml``
    while it uses one is not warned about."""
    problems = []
    for index, (pattern, at) in enumerate(zip(config.skills, config.skills_at, strict=False)):
        if leaves_repository(pattern) or tree.match((pattern,)):
            continue
        folder = fixed_folder(pattern)
        if folder and not (config.root / folder).is_dir():
            why = f"there is no folder '{folder}'"
        elif not found:
            why = "no glob of skills matches any file"
        else:
            continue
        problems.append(
            finding(
                "unmatched-glob",
                at,
                f"skills[{index}]: glob {pattern!r} matches no file ({why}); check its "
                "spelling: a plan would see no skill there, and delete the remote ones",
            )
        )
    return problems


def _without_secrets(problem: Problem) -> Problem:
    """A finding whose message cannot show a credential, whatever text it quotes."""
    redacted = credentials.redact(problem.message)
    return problem if redacted == problem.message else replace(problem, message=redacted)


def _then(
    first: Callable[[Skill], Skill] | None, second: Callable[[Skill], Skill] | None
) -> Callable[[Skill], Skill] | None:
    """``first``, then ``second``, either of them absent."""
    if first is None or second is None:
        return first or second
    return lambda skill: second(first(skill))


PARALLEL_MIN_FILES = 1000
"""Below this, forking workers costs more than it saves."""


_tree: Tree | None = None
"""The repository's walk while validate_repository loads: forked workers inherit it
(a module global, so it is never pickled for them)."""


def _load(
    root: Path,
    paths: list[Path],
    dialects: frozenset[str],
    on_loaded: Callable[[Skill], Skill] | None = None,
) -> list[SkillFile]:
    """Load and check each file in turn; each skill goes to ``on_loaded`` as soon as it is
    checked."""
    inside = RepoPaths(root, _tree)  # shared, so each folder is resolved and listed once
    files = []
    for path in paths:  # one at a time: only one file's texts are read at once
        skill_file = load_file(root, path, inside)
        skill_file.problems.extend(upload_limits(skill_file, dialects))
        if skill_file.text is not None:
            skill_file.problems.extend(check_skill(skill_file.text, dialects))
            skill_file.text = None  # read by the rules; too large to carry further
        if on_loaded is not None and skill_file.skill is not None:
            skill_file.skill = on_loaded(skill_file.skill)
        files.append(skill_file)
    return files


def _load_sourced(
    config: Config, dialects: frozenset[str], on_loaded: Callable[[Skill], Skill] | None
) -> list[SkillFile]:
    """The locked skills of other repositories, checked by every rule like the
    repository's own, their files named ``sources/<source>/<path in the source>``."""
    if not config.sources:
        return []
    from skillsync.sources.reading import sourced  # git and the lock: only for sources

    files = []
    for found in sourced(config):
        skill_file = load_file(found.root, found.path, RepoPaths(found.root))
        skill_file.problems.extend(upload_limits(skill_file, dialects))
        if skill_file.text is not None:
            skill_file.problems.extend(check_skill(skill_file.text, dialects))
            skill_file.text = None
        if skill_file.skill is not None:
            skill = replace(skill_file.skill, origin=found.origin)
            skill_file.skill = on_loaded(skill) if on_loaded is not None else skill
        files.append(skill_file)
    return files


def _load_stripped(root: Path, paths: list[Path], dialects: frozenset[str]) -> list[SkillFile]:
    files = _load(root, paths, dialects)
    for skill_file in files:  # only the verdict travels back: not the texts nor the files
        skill = skill_file.skill
        if skill is not None:
            skill_md = None if skill.skill_md is None else ""
            skill_file.skill = replace(skill, instructions="", skill_md=skill_md, assets=())
    return files


def _load_for_report(root: Path, paths: list[Path], dialects: frozenset[str]) -> list[SkillFile]:
    """Load files on every core (fork workers), in the order given."""
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


def _open_cache(
    root: Path, dialects: frozenset[str], tree: Tree, *, trees: bool = False
) -> VerdictCache | None:
    from skillsync.cache.verdicts import VerdictCache, salt
    from skillsync.schemas import SCHEMA_FILES, load_schema

    texts = [json.dumps(load_schema(name), sort_keys=True) for name in SCHEMA_FILES]
    return VerdictCache.open(root, salt(texts, dialects), tree=tree, trees=trees)


def _load_projected(
    cache: VerdictCache,
    root: Path,
    paths: list[tuple[str, str]],
    dialects: frozenset[str],
    project: Callable[[Skill], Skill],
    on_loaded: Callable[[Skill], Skill] | None = None,
) -> list[SkillFile]:
    """Verdicts and upload trees from the cache where the file did not change (partial
    skills); the other files loaded in full, projected (then given to ``on_loaded``) one by one,
    and
    recorded for the next run."""
    found = cache.lookup_all(paths)
    stale = {index for index, hit in enumerate(found) if hit is None}
    for index, hit in enumerate(found):
        if hit is None or hit.skill is None:
            continue
        tree = cache.tree(hit.path)
        if tree is None:
            stale.add(index)  # a verdict without a tree: validate recorded it
        else:
            hit.skill = replace(hit.skill, files=tree, partial=True)
            if on_loaded is not None:
                hit.skill = on_loaded(hit.skill)
    todo = sorted(stale)
    loaded = _load(root, [Path(paths[i][1]) for i in todo], dialects, _then(project, on_loaded))
    for index, skill_file in zip(todo, loaded, strict=True):
        found[index] = skill_file
    cache.store([(paths[i][1], f) for i, f in zip(todo, loaded, strict=True)] + cache.refresh)
    refreshed = [f for _, f in cache.refresh]  # stored again: their trees go with them
    cache.store_trees(
        [(f.path, f.skill.files) for f in (*loaded, *refreshed) if f.skill and f.skill.files]
    )
    log.info(
        "verdict cache: %d of %d files unchanged, %d loaded", cache.hits, len(paths), len(todo)
    )
    return [f for f in found if f is not None]


def _load_with_cache(
    cache: VerdictCache, root: Path, paths: list[tuple[str, str]], dialects: frozenset[str]
) -> list[SkillFile]:
    """Verdicts only, taken from the verdict cache for the files that did not change
    (``paths``: the path shown and the absolute path of each file)."""
    found = cache.lookup_all(paths)
    misses = [index for index, hit in enumerate(found) if hit is None]
    loaded = _load_for_report(root, [Path(paths[i][1]) for i in misses], dialects)
    for index, skill_file in zip(misses, loaded, strict=True):
        found[index] = skill_file
    cache.store(
        [(paths[i][1], loaded_file) for i, loaded_file in zip(misses, loaded, strict=True)]
        + cache.refresh
    )
    log.info(
        "verdict cache: %d of %d files unchanged, %d validated", cache.hits, len(paths), len(misses)
    )
    return [f for f in found if f is not None]


def _overlaps(files: list[SkillFile], cache: VerdictCache | None) -> list[Problem]:
    """Rule overlapping-descriptions; with the verdict cache, recomputed only when a
    description (or a skill's name or place) changed since the last run."""
    described = [
        Described(f.skill.name, f.skill.description, f.description_at)
        for f in files
        if f.skill is not None and f.description_at is not None
    ]
    if cache is None:
        return overlapping(described)
    key = digest_of(described)
    found = cache.overlaps(key)
    if found is None:
        found = overlapping(described)
        cache.store_overlaps(key, found)
    return found


def _drop_invalid(result: ValidationResult) -> None:
    """A file with any error yields no skill: planning never sees half-valid input."""
    bad = {p.location.path for p in result.errors}
    for skill_file in result.files:
        if skill_file.path in bad:
            skill_file.skill = None
