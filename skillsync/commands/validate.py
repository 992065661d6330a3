"""``skillsync validate``: offline checks of the config and every skill file."""

from __future__ import annotations

import sys
from pathlib import Path

from skillsync import config as config_mod
from skillsync.render import json_output
from skillsync.render import problems as render
from skillsync.validation import validate_repository


def run(
    directory: Path | None,
    files: list[Path],
    *,
    output_format: str = "text",
    strict: bool = False,
    color: bool = False,
    use_cache: bool = True,
) -> int:
    if output_format in ("json", "sarif"):
        json_output.expect(sys.stdout)
    config, config_problems = config_mod.load(directory)
    result = validate_repository(
        config, config_problems, only=files or None, keep_instructions=False, use_cache=use_cache
    )
    render.FORMATS[output_format](result, sys.stdout, color)
    failed = bool(result.errors) or (strict and bool(result.warnings))
    return 1 if failed else 0
