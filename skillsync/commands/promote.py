"""``skillsync promote``: make the latest versions the default (``promote: manual``).

The staged rollout: ``apply`` uploads new versions as not default, the team tests
one by pinning its number, then ``promote`` moves the default pointer of those
skills to their latest version. Only a skill of the repository whose latest
version holds exactly the repository's files is promoted: a version someone else
uploaded is never made the default by this command.
"""

from __future__ import annotations

from dataclasses import dataclass

import click

from skillsync import config as config_mod
from skillsync import dialects
from skillsync.errors import PlanError, TargetError
from skillsync.options import OneTarget
from skillsync.planning import plan_target
from skillsync.remote import open_remote


@dataclass(frozen=True)
class Arguments(OneTarget):
    """What the command line gave ``promote``."""

    names: tuple[str, ...]


def run(args: Arguments) -> int:
    config = config_mod.load_or_fail(args.directory)
    target = config.target(args.target_name)
    if not target.dialect.default_pointer:
        promotable = [d.name for d in dialects.DIALECTS.values() if d.default_pointer]
        raise TargetError(
            f"target '{target.name}' speaks api: {target.api}, which has no default "
            "version to promote (every upload is live)",
            hint=f"promote is for targets with api: {' or '.join(promotable)}",
        )
    with open_remote(config, target, args.options) as remote:
        plan, skills, current = plan_target(config, target, remote, alone=True, quiet=True)
        unknown = sorted(set(args.names) - set(skills))
        if unknown:
            raise PlanError(
                f"not skills of this repository: {', '.join(unknown)}",
                hint="name skills defined in the repository, or none for all of them",
            )
        wanted = set(args.names) or set(skills)
        conflicted = {name: ids for name, ids in plan.conflicts if name in wanted}
        if conflicted:  # which of them is ours cannot be told: never promote a stranger's
            raise PlanError(
                "several remote skills share the name of "
                + ", ".join(f"'{n}' ({', '.join(ids)})" for n, ids in sorted(conflicted.items())),
                hint="delete the skill that is not the repository's, then promote",
            )
        pending = {
            c.name
            for c in plan.changes
            if c.action != "delete" and c.changed != ("default_version",)
        }
        lagging = sorted(
            (s for s in current if s.name in wanted and s.default_lags), key=lambda s: s.name
        )
        stale = [s.name for s in lagging if s.name in pending]
        if stale:
            raise PlanError(
                "the latest version of these skills is not what the repository holds: "
                + ", ".join(stale),
                hint="apply first (plan shows the difference), then promote",
            )
        for skill in lagging:
            assert skill.version_id is not None
            remote.point(skill.id, skill.version_id)
            click.echo(
                f"~ promoted '{skill.name}' ({skill.id}): default_version "
                f"{skill.default_version} -> {skill.version_id}"
            )
    if lagging:
        click.echo(f"Promote complete: {len(lagging)} skill(s) now serve their latest version.")
    else:
        click.echo("Nothing to promote: every default version is the latest.")
    return 0
