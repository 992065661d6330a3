"""``skillsync import``: write remote skills as skill files, so the next plan is empty."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click

from skillsync import config as config_mod
from skillsync.atomic import write_atomically
from skillsync.errors import ImportRefused, SkillsyncError
from skillsync.importer import render_skill
from skillsync.loader import discover
from skillsync.options import ClientOptions
from skillsync.plan import matches
from skillsync.remote import open_client
from skillsync.validation import validate_repository


def run(
    directory: Path | None,
    names: tuple[str, ...],
    *,
    import_all: bool,
    target_name: str | None,
    into: str,
    overwrite: bool,
    options: ClientOptions,
) -> int:
    if not names and not import_all:
        raise SkillsyncError("name the skills to import, or pass --all")
    if names and import_all:
        raise SkillsyncError("pass skill names or --all, not both")
    into = into.strip("/")
    if Path(into).is_absolute() or ".." in Path(into).parts:
        raise SkillsyncError(f"--dir {into!r} must be a folder inside the repository")
    config = config_mod.load_or_fail(directory)
    target = config.target(target_name)
    defined = {
        f.name: f.path
        for f in validate_repository(config, [], keep_instructions=False).files
        if f.name is not None
    }
    with open_client(config, target, options) as client:
        listed = client.list_skills()
        counts = Counter(s.name for s in listed)
        if import_all:
            chosen = [s for s in listed if target.manage is None or matches(s.name, target.manage)]
        else:
            by_name = {s.name: s for s in listed}
            chosen = [by_name[n] for n in dict.fromkeys(names) if n in by_name]
        missing = sorted(set(names) - {s.name for s in listed})
        skipped: list[tuple[str, str]] = [(n, "no remote skill has this name") for n in missing]
        todo = []
        for skill in sorted(chosen, key=lambda s: s.name):
            reason = _skip_reason(config.root, skill.name, into, defined, counts, overwrite)
            if reason:
                skipped.append((skill.name, reason))
            else:
                todo.append(skill)
        full = client.map(lambda s: client.get_skill(s.id), todo)
    written = []
    for skill in full:
        rendered = render_skill(skill, into)
        for relative, text in rendered.files.items():
            write_atomically(config.root / relative, text)
        written.append(rendered)
        extra = [p for p in rendered.files if p != rendered.yaml_path]
        click.echo(f"wrote {rendered.yaml_path}" + (f" (+ {', '.join(extra)})" if extra else ""))
    for name, reason in sorted(skipped):
        click.echo(f"skipped {name}: {reason}")
    found = discover(config.root, config.skills)
    unmatched = [w.yaml_path for w in written if config.root / w.yaml_path not in found]
    for path in unmatched:
        click.echo(
            f"warning: {path} is not matched by the skills globs of skillsync.yaml; "
            "plan will not see it",
            err=True,
        )
    click.echo(f"Imported {len(written)} skill(s), skipped {len(skipped)}.")
    if missing:
        raise ImportRefused(f"no remote skill named {', '.join(missing)}")
    return 0


def _skip_reason(
    root: Path,
    name: str,
    into: str,
    defined: dict[str, str],
    counts: Counter[str],
    overwrite: bool,
) -> str | None:
    if counts[name] > 1:
        return f"{counts[name]} remote skills share this name; resolve the conflict first"
    target = f"{into}/{name}.yaml"
    if name in defined and defined[name] != target:
        return f"already defined in {defined[name]}"
    if overwrite:
        return None
    if name in defined:
        return f"already defined in {defined[name]} (pass --overwrite to replace it)"
    for path in (target, f"{into}/{name}.md"):
        if (root / path).exists():
            return f"{path} exists (pass --overwrite to replace it)"
    return None
