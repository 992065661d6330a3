"""``skillsync lock`` and ``skillsync update``: pin other repositories' skills, and move
the pins with what changed shown (SPEC 14).

``lock`` resolves only what is missing or declared otherwise since it was locked;
``update`` re-resolves the refs of the sources named (all: none named) and prints per
skill the files added, removed and changed, then writes the lock unless
``--dry-run``. No other command resolves a ref or writes the lock.
"""

from __future__ import annotations

from pathlib import Path

import click

from skillsync import config as config_mod
from skillsync.sources import lock as lockfile
from skillsync.sources import store
from skillsync.sources.git import SourceError
from skillsync.sources.lock import LockedSource


def _skills(entry: LockedSource) -> str:
    names = [s.name for s in entry.skills]
    return f"{len(names)} skill(s): {', '.join(names)}"


def run_lock(directory: Path | None) -> int:
    config = config_mod.load_or_fail(directory)
    old = lockfile.read(config.root)
    new: dict[str, LockedSource] = {}
    for source in config.sources:
        entry = old.get(source.name)
        if entry is not None and entry.declared_as(source):
            new[source.name] = entry
            click.echo(f"{source.name}: {entry.shown(source.name)}, as locked")
            continue
        new[source.name] = entry = store.resolve(source, config.root)
        click.echo(f"{source.name}: locked {entry.shown(source.name)}, {_skills(entry)}")
    for name in sorted(set(old) - set(new)):
        click.echo(f"{name}: no longer declared; removed from {lockfile.LOCK_NAME}")
    if not config.sources and not old:
        click.echo(f"{config_mod.CONFIG_NAME} declares no sources; nothing to lock.")
        return 0
    _save(config.root, old, new)
    return 0


def _save(root: Path, old: dict[str, LockedSource], new: dict[str, LockedSource]) -> None:
    if new != old:
        lockfile.write(root, new)
        click.echo(f"Wrote {lockfile.LOCK_NAME}.")
    else:
        click.echo(f"{lockfile.LOCK_NAME} is up to date.")


def run_update(directory: Path | None, names: tuple[str, ...], dry_run: bool) -> int:
    config = config_mod.load_or_fail(directory)
    declared = {s.name: s for s in config.sources}
    unknown = sorted(set(names) - set(declared))
    if unknown:
        raise SourceError(
            f"not sources of {config_mod.CONFIG_NAME}: {', '.join(unknown)}",
            hint=f"name one of: {', '.join(declared) or 'none declared'}",
        )
    old = lockfile.read(config.root)
    new = dict(old)
    for name in names or tuple(declared):
        before = old.get(name)
        after = store.resolve(declared[name], config.root)
        new[name] = after
        _show(name, before, after, config.root)
    if dry_run:
        click.echo(f"Dry run: {lockfile.LOCK_NAME} was left as it was.")
    else:
        _save(config.root, old, new)
    return 0


def _show(name: str, before: LockedSource | None, after: LockedSource, root: Path) -> None:
    """What moved: the commit, then per skill its files added (+), removed (-) and
    changed (~)."""
    if before is None:
        click.echo(f"{name}: locked {after.shown(name)}, {_skills(after)}")
        return
    if before == after:
        click.echo(f"{name}: {after.shown(name)}, unchanged")
        return
    click.echo(f"{name}: {before.shown(name)} -> {after.shown(name)}")
    if before.commit != after.commit or before.skills != after.skills:
        store.mount(name, before, root)  # its files, to compare (fetched if the cache lacks them)
    old = {s.name: s for s in before.skills}
    new = {s.name: s for s in after.skills}
    for skill in sorted(old.keys() | new.keys()):
        if skill not in old:
            click.echo(f"  + skill {skill} ({new[skill].folder})")
        elif skill not in new:
            click.echo(f"  - skill {skill} ({old[skill].folder})")
        elif old[skill].digest != new[skill].digest:
            click.echo(f"  ~ skill {skill} ({new[skill].folder})")
            was = store.files_of(name, before, old[skill])
            now = store.files_of(name, after, new[skill])
            for path in sorted(was.keys() | now.keys()):
                if path not in was:
                    click.echo(f"      + {path}")
                elif path not in now:
                    click.echo(f"      - {path}")
                elif was[path] != now[path]:
                    click.echo(f"      ~ {path}")
