"""Validate a whole repository: config, every skill file, and the cross-file rules."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from skillsync.checking import checked, load_for_report, sourced_files
from skillsync.config import CONFIG_NAME, Config, leaves_repository
from skillsync.lint import credentials
from skillsync.lint.cross_file import cross_file
from skillsync.lint.overlap import Described, digest_of, overlapping
from skillsync.lint.rules import finding
from skillsync.loader import SkillFile
from skillsync.model import Location, Problem, Skill
from skillsync.repo_paths import matched, rel, unlistable_folders, walk_for
from skillsync.walk import Tree, fixed_folder

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
) -> ValidationResult:
    """Load and check every skill file of the repository (see RepositoryCheck)."""
    return RepositoryCheck(
        config, config_problems, only, keep_instructions=keep_instructions, use_cache=use_cache
    ).run()


class RepositoryCheck:
    """A repository's skill files, loaded and checked one by one.

    Iterating yields each skill file as soon as it is checked, before the next file is
    read: with the verdict cache, the unchanged files first (their skills ``partial``,
    without instructions), then each file loaded, then the locked sources' files. A
    consumer may replace a yielded file's ``skill``: a plan's loading process lets each
    skill's texts go as it sends it on, so 10,000 skills' texts are never held at once.
    Once the last file is yielded the cross-file rules run, and ``result()`` gives the
    verdict.

    With ``only``, those files are loaded too (matched by the globs or not) and just
    their problems are reported; the cross-file rules still see the whole repository.
    Without ``keep_instructions`` (validate only reports), large repositories are loaded
    by several processes and the skills come back with empty instructions. With it (plan
    and apply), overlapping-descriptions runs only when the repository made it an error:
    as a warning it cannot change a plan, and validate reports it.

    ``project`` (plans): each skill is projected as soon as it is loaded (the folder
    dialects: with its upload tree); with ``use_cache``, an unchanged file's verdict and
    tree come from the verdict cache. ``tree``: the repository's walk for the config's
    globs, when the caller made it.
    """

    def __init__(
        self,
        config: Config,
        config_problems: list[Problem],
        only: list[Path] | None = None,
        *,
        keep_instructions: bool = True,
        use_cache: bool = False,
        project: Callable[[Skill], Skill] | None = None,
        tree: Tree | None = None,
    ) -> None:
        self.config, self.project, self.keep_instructions = config, project, keep_instructions
        self.use_cache = use_cache and (project is not None or not keep_instructions)
        self.tree = walk_for(config.root, config.skills) if tree is None else tree
        self.found = matched(config.root, config.skills, self.tree)
        self.problems = [*config_problems, *unlistable_folders(self.tree)]
        self.problems += _unmatched_globs(config, self.tree, len(self.found))
        self.selected = None if only is None else self._select(only)
        self.dialects = config.dialects()
        self.files: list[SkillFile] = []

    def _select(self, only: list[Path]) -> set[str]:
        """The files whose problems are reported; those the globs miss join ``found``."""
        root = self.config.root
        selected = {CONFIG_NAME}
        shown = {display for display, _ in self.found}
        for given in only:
            path = given if given.is_absolute() else Path.cwd() / given
            display = rel(root, path.absolute())
            selected.add(display)  # its own problems are reported too
            if not path.resolve().is_relative_to(root.resolve()):
                self.problems.append(
                    Problem(
                        Location(display), "is outside the repository", rule="outside-repository"
                    )
                )
            elif path.is_dir():  # every skill file the globs find below it
                inside = path.resolve().relative_to(root.resolve()).as_posix()
                below = "" if inside == "." else inside + "/"
                selected.update(d for d in shown if d.startswith(below))
            elif not path.is_file():
                self.problems.append(
                    Problem(
                        Location(display),
                        "not found; name a skill file or a folder of the repository",
                        rule="unreadable",
                    )
                )
            elif display not in shown:
                shown.add(display)
                self.found.append((display, str(path.absolute())))
        return selected

    def __iter__(self) -> Iterator[SkillFile]:
        root = self.config.root
        trees = self.project is not None
        cache = _open_cache(root, self.dialects, self.tree, trees=trees) if self.use_cache else None
        in_order: list[SkillFile | None] = [None] * len(self.found)
        try:
            for index, skill_file in self._loaded(cache):
                in_order[index] = skill_file
                if not skill_file.not_a_file:
                    yield skill_file
            self.files = [f for f in in_order if f is not None and not f.not_a_file]
            for skill_file in sourced_files(self.config, self.dialects, self.project):
                self.files.append(skill_file)
                yield skill_file
            for skill_file in self.files:
                self.problems.extend(skill_file.problems)
            self.problems.extend(cross_file(self.files))
            level = self.config.lint.level("overlapping-descriptions")
            if not self.keep_instructions or level == "error":
                # plan and apply run the checks that can stop them; a warnings-only
                # cross-skill check is validate's (it holds every description's shingles:
                # time and memory)
                self.problems.extend(_overlaps(self.files, cache))
        finally:
            if cache is not None:
                cache.close()

    def _loaded(self, cache: VerdictCache | None) -> Iterator[tuple[int, SkillFile]]:
        """Each file of ``found`` checked, with its index there."""
        root, dialects = self.config.root, self.dialects
        if cache is not None and self.project is not None:
            return _projected(cache, root, self.found, dialects, self.tree, self.project)
        if cache is not None:
            return enumerate(_with_cache(cache, root, self.found, dialects, self.tree))
        paths = [Path(absolute) for _, absolute in self.found]
        if self.keep_instructions:  # project, if any: no cache, or it could not be opened
            return enumerate(checked(root, paths, dialects, self.tree, self.project))
        return enumerate(load_for_report(root, paths, dialects, self.tree))

    def run(self) -> ValidationResult:
        """Every file checked, then the verdict (for a caller that needs no file early)."""
        for _ in self:
            pass
        return self.result()

    def result(self) -> ValidationResult:
        """The verdict, once every file was yielded: a file with any error yields no
        skill, so planning never sees half-valid input."""
        problems = [_without_secrets(p) for p in self.config.lint.apply(self.problems)]
        if self.selected is not None:
            selected = self.selected
            folders = tuple(s.removesuffix("SKILL.md") for s in selected if s.endswith("/SKILL.md"))
            problems = [
                p
                for p in problems
                if p.location.path in selected or p.location.path.startswith(folders)
            ]
        result = ValidationResult(self.config, self.files, sorted(set(problems)))
        bad = {p.location.path for p in result.errors}
        for skill_file in result.files:
            if skill_file.path in bad:
                skill_file.skill = None
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


def _open_cache(
    root: Path, dialects: frozenset[str], tree: Tree, *, trees: bool = False
) -> VerdictCache | None:
    from skillsync.cache.verdicts import VerdictCache, salt
    from skillsync.schemas import SCHEMA_FILES, load_schema

    texts = [json.dumps(load_schema(name), sort_keys=True) for name in SCHEMA_FILES]
    return VerdictCache.open(root, salt(texts, dialects), tree=tree, trees=trees)


def _projected(
    cache: VerdictCache,
    root: Path,
    paths: list[tuple[str, str]],
    dialects: frozenset[str],
    tree: Tree,
    project: Callable[[Skill], Skill],
) -> Iterator[tuple[int, SkillFile]]:
    """Verdicts and upload trees from the cache where the file did not change (partial
    skills), then the other files loaded in full and projected one by one; with the index
    of each in ``paths``. What was loaded is recorded for the next run at the end."""
    found = cache.lookup_all(paths)
    stale = []
    for index, hit in enumerate(found):
        if hit is None:
            stale.append(index)
        elif hit.skill is None:
            yield index, hit
        elif (files := cache.tree(hit.path)) is None:
            stale.append(index)  # a verdict without a tree: validate recorded it
        else:
            hit.skill = replace(hit.skill, files=files, partial=True)
            yield index, hit
    loaded = []
    fresh = checked(root, [Path(paths[i][1]) for i in stale], dialects, tree, project)
    for index, skill_file in zip(stale, fresh, strict=True):
        loaded.append((paths[index][1], skill_file))
        yield index, skill_file
    cache.store(loaded + cache.refresh)
    stored = [f for _, f in loaded + cache.refresh]  # the refreshed: their trees go with them
    cache.store_trees([(f.path, f.skill.files) for f in stored if f.skill and f.skill.files])
    log.info(
        "verdict cache: %d of %d files unchanged, %d loaded", cache.hits, len(paths), len(stale)
    )


def _with_cache(
    cache: VerdictCache,
    root: Path,
    paths: list[tuple[str, str]],
    dialects: frozenset[str],
    tree: Tree,
) -> list[SkillFile]:
    """Verdicts only, taken from the verdict cache for the files that did not change
    (``paths``: the path shown and the absolute path of each file)."""
    found = cache.lookup_all(paths)
    misses = [index for index, hit in enumerate(found) if hit is None]
    loaded = load_for_report(root, [Path(paths[i][1]) for i in misses], dialects, tree)
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
