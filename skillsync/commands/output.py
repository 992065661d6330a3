"""``skillsync output``: the deployed ids and versions, for the applications that use them."""

from __future__ import annotations

import sys
from dataclasses import dataclass

from skillsync import config as config_mod
from skillsync import dialects
from skillsync.deployed import document
from skillsync.errors import SkillsMissing, TargetError
from skillsync.options import OneTarget
from skillsync.remote import open_remote
from skillsync.render import json_output
from skillsync.render.deployed import FORMATS, FRAGMENTS
from skillsync.targets import deployed


@dataclass(frozen=True)
class Arguments(OneTarget):
    """What the command line gave ``output``."""

    output_format: str
    pin: bool
    allow_missing: bool


def run(args: Arguments) -> int:
    if args.output_format == "json":
        json_output.expect(sys.stdout)
    config = config_mod.load_or_fail(args.directory)
    target = config.target(args.target_name)
    if args.output_format in FRAGMENTS and not dialects.dialect(target.api).http:
        raise TargetError(
            f"--format {args.output_format} is a request fragment of a Skills API, and target "
            f"'{target.name}' (api: {target.api}) is a folder on this machine: no request "
            "names its skills by id",
            hint="use --format json or env, or name a target of an API",
        )
    with open_remote(config, target, args.options) as remote:
        skills = deployed(config, target, remote)
    if args.output_format == "json":
        json_output.emit(document(target.name, target.api, skills), sys.stdout)
    else:
        sys.stdout.write(FORMATS[args.output_format](target.name, target.api, skills, args.pin))
    shared = [f"'{s.name}' ({s.sharing} remote skills)" for s in skills if s.sharing]
    if shared:  # a person must choose: never an id picked at random
        raise SkillsMissing(
            f"on target '{target.name}', several remote skills share the name of "
            + ", ".join(shared),
            hint="delete the one that is not the repository's (plan names their ids)",
        )
    missing = [s.name for s in skills if s.id is None]
    if missing and not args.allow_missing:
        raise SkillsMissing(
            f"{len(missing)} skill(s) of the repository are not on target '{target.name}': "
            + ", ".join(missing),
            hint="apply first, or pass --allow-missing to list them with id null",
        )
    return 0
