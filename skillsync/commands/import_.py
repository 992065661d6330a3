"""``skillsync import``: write remote skills as skill files, so the next plan is empty.

The dialect decides the files: a SKILL.md folder with every file of the latest
version (anthropic), or a YAML skill file (seed).
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import click

from skillsync import config as config_mod
from skillsync.errors import ApiError, ImportRefused, SkillsyncError, UnsafeRemoteContent
from skillsync.importer import SkillFiles, write_skill
from skillsync.lint.trust import SECURITY_RULES
from skillsync.loader import SkillFile
from skillsync.model import RemoteSkill
from skillsync.options import OneTarget
from skillsync.plan import matches
from skillsync.remote import open_remote
from skillsync.remote.base import Remote
from skillsync.render.read_progress import ReadProgress
from skillsync.repo_paths import discover
from skillsync.schemas import is_valid_name
from skillsync.snapshot import read_remote
from skillsync.validation import validate_repository


@dataclass(frozen=True)
class Arguments(OneTarget):
    """What the command line gave ``import``."""

    names: tuple[str, ...]
    import_all: bool
    into: str
    overwrite: bool


def run(args: Arguments) -> int:
    if not args.names and not args.import_all:
        raise SkillsyncError("name the skills to import, or pass --all")
    if args.names and args.import_all:
        raise SkillsyncError("pass skill names or --all, not both")
    config = config_mod.load_or_fail(args.directory)
    into = _checked_dir(config.root, args.into)
    target = config.target(args.target_name)
    files = validate_repository(config, [], keep_instructions=False, use_cache=True).files
    defined = {f.name: f.path for f in files if f.name is not None}
    owned = _owned_files(config.root, files)
    with open_remote(config, target, args.options) as remote:
        listed = read_remote(remote, (), progress=ReadProgress.on_terminal(sys.stderr))
        counts = Counter(s.name for s in listed)
        if args.import_all:
            chosen = [s for s in listed if target.manage is None or matches(s.name, target.manage)]
        else:
            by_name = {s.name: s for s in listed}
            chosen = [by_name[n] for n in dict.fromkeys(args.names) if n in by_name]
        missing = sorted(set(args.names) - {s.name for s in listed})
        skipped: list[tuple[str, str]] = [(n, "no remote skill has this name") for n in missing]
        todo = []
        for skill in sorted(chosen, key=lambda s: s.name):
            reason = skill.foreign or _skip_reason(
                config.root, remote, skill.name, into, defined, counts, args.overwrite
            )
            reason = reason or _holds_others(config.root, remote, skill.name, into, owned)
            if reason:
                skipped.append((skill.name, reason))
            else:
                todo.append(skill)
        outcomes = remote.map(lambda s: _export(remote, s, into), todo)
    exported = [o for o in outcomes if isinstance(o, SkillFiles)]
    skipped += [o for o in outcomes if isinstance(o, tuple)]
    for rendered in exported:
        _refuse_links(config.root, rendered)
        write_skill(config.root, rendered)
        extra = [p for p in rendered.files if p != rendered.main_path]
        shown = f" (+ {', '.join(extra)})" if 0 < len(extra) <= 3 else ""
        shown = shown or (f" (+ {len(extra)} more files)" if extra else "")
        click.echo(f"wrote {rendered.main_path}{shown}")
        if rendered.left_out:
            click.echo(
                f"  not written (hidden or __pycache__: plan never uploads them): "
                f"{', '.join(rendered.left_out)}"
            )
    for name, reason in sorted(skipped):
        click.echo(f"skipped {name}: {reason}")
    found = discover(config.root, config.skills)
    for rendered in exported:
        if config.root / rendered.main_path not in found:
            click.echo(
                f"warning: {rendered.main_path} is not matched by the skills globs of "
                "skillsync.yaml; plan will not see it",
                err=True,
            )
    click.echo(f"Imported {len(exported)} skill(s), skipped {len(skipped)}.")
    _scan_written(config, exported)
    if missing:
        raise ImportRefused(f"no remote skill named {', '.join(missing)}")
    refused = sorted({name for name, _ in skipped if name in args.names})
    if refused:  # a skill asked for by name and not written: the command did not do its job
        raise ImportRefused(f"not imported: {', '.join(refused)} (the reasons are above)")
    return 0


def _scan_written(config: config_mod.Config, exported: list[SkillFiles]) -> None:
    """The trust gate over what import wrote: its findings are printed, the files stay
    written (so they can be reviewed and fixed before the next plan, which refuses them)."""
    if not exported:
        return
    written = [config.root / rendered.main_path for rendered in exported]
    result = validate_repository(config, [], written, keep_instructions=False, use_cache=True)
    findings = [p for p in result.problems if p.rule in SECURITY_RULES]
    for problem in findings:
        click.echo(str(problem), err=True)
    if findings:
        click.echo(
            f"warning: the imported files have {len(findings)} finding(s) of the trust gate; "
            "review and fix them before the next plan (skillsync validate lists them)",
            err=True,
        )


def _checked_dir(root: Path, into: str) -> str:
    """--dir: a folder inside the repository, reached without a symlink, not hidden."""
    relative = into.strip().strip("/")
    parts = Path(relative).parts
    if (
        not relative
        or Path(into).is_absolute()
        or ".." in parts
        or any(part.startswith(".") for part in parts)
    ):
        raise SkillsyncError(
            f"--dir {into!r} must be a folder inside the repository (relative, without '..', "
            "not hidden)",
            hint="for example --dir skills",
        )
    here = root
    for part in parts:
        here = here / part
        if here.is_symlink() or (here.exists() and not here.is_dir()):
            raise SkillsyncError(
                f"--dir {into!r}: {here.relative_to(root)} is a symlink or not a folder; "
                "import writes only into real folders of the repository"
            )
    return Path(relative).as_posix()


def _export(remote: Remote, skill: RemoteSkill, into: str) -> SkillFiles | tuple[str, str]:
    """The files of one skill, or (name, why it is skipped): one odd skill never stops the
    import of the others."""
    try:
        return remote.export(skill, into)
    except (UnsafeRemoteContent, ApiError) as exc:
        return skill.name, exc.message
    except (KeyError, TypeError, ValueError) as exc:  # the API's answer is not what it says
        return skill.name, f"the API's answer for it is malformed ({type(exc).__name__}: {exc})"


def _refuse_links(root: Path, rendered: SkillFiles) -> None:
    """Never write through a symlink: every folder on the way must be a real one."""
    for relative in rendered.files:
        here = root
        for part in Path(relative).parts[:-1]:
            here = here / part
            if here.is_symlink():
                raise ImportRefused(
                    f"{here.relative_to(root)} is a symlink; import does not write through it",
                    hint="replace the link with a folder, or import elsewhere with --dir",
                )
        if (root / relative).is_symlink():
            raise ImportRefused(f"{relative} is a symlink; import does not write through it")


def _owned_files(root: Path, files: list[SkillFile]) -> list[tuple[Path, str, str | None]]:
    """Every file a skill of the repository is defined by or reads (its skill file, an
    instructions_file): (path, the skill file, the skill's name)."""
    owned = []
    for skill_file in files:
        owned.append((root / skill_file.path, skill_file.path, skill_file.name))
        owned += [(Path(d), skill_file.path, skill_file.name) for d in skill_file.depends]
    return owned


def _holds_others(
    root: Path, remote: Remote, name: str, into: str, owned: list[tuple[Path, str, str | None]]
) -> str | None:
    """Why import may not write skill ``name``: a path it would write or replace (with
    --overwrite, a whole SKILL.md folder) is, or holds, a file of another skill (its
    skill file, a nested SKILL.md, an instructions_file another skill reads)."""
    for written in remote.export_paths(name, into):
        target = root / written
        for path, owner, owner_name in owned:
            if owner_name != name and path.is_relative_to(target):
                shown = path.relative_to(root).as_posix()
                whose = "is another skill" if shown == owner else f"is read by {owner}"
                inside = "" if path == target else f"{written}/ holds {shown}, which "
                return (
                    f"{inside or shown + ' '}{whose}; import it elsewhere with --dir, or move "
                    "that file out first"
                )
    return None


def _skip_reason(
    root: Path,
    remote: Remote,
    name: str,
    into: str,
    defined: dict[str, str],
    counts: Counter[str],
    overwrite: bool,
) -> str | None:
    if not is_valid_name(name):
        return "not a valid skill name (a-z, 0-9, single inner hyphens); not written"
    if counts[name] > 1:
        return f"{counts[name]} remote skills share this name; resolve the conflict first"
    paths = remote.export_paths(name, into)
    if name in defined and defined[name] != paths[0]:
        return f"already defined in {defined[name]}"
    if overwrite:
        return None
    if name in defined:
        return f"already defined in {defined[name]} (pass --overwrite to replace it)"
    for path in paths:
        if (root / path).exists():
            return f"{path} exists (pass --overwrite to replace it)"
    return None
