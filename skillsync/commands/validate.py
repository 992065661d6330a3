"""``skillsync validate``: offline checks of the config and every skill file."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from skillsync import config as config_mod
from skillsync.render import json_output
from skillsync.render import problems as render
from skillsync.validation import validate_repository


@dataclass(frozen=True)
class Arguments:
    """What the command line gave ``validate``."""

    directory: Path | None
    color: bool
    files: tuple[Path, ...]
    output_format: str
    strict: bool
    no_cache: bool


def run(args: Arguments) -> int:
    if args.output_format in ("json", "sarif"):
        json_output.expect(sys.stdout)
    config, config_problems = config_mod.load(args.directory)
    result = validate_repository(
        config,
        config_problems,
        only=list(args.files) or None,
        keep_instructions=False,
        use_cache=not args.no_cache,
    )
    render.FORMATS[args.output_format](result, sys.stdout, args.color)
    failed = bool(result.errors) or (args.strict and bool(result.warnings))
    return 1 if failed else 0
