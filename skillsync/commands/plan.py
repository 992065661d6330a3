"""``skillsync plan``: validate, read the remote, print the plan, optionally save it."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from skillsync import config as config_mod
from skillsync.atomic import write_atomically
from skillsync.options import ClientOptions
from skillsync.plan import Plan
from skillsync.planning import plan_target, refuse_if_unsafe
from skillsync.remote import open_remote
from skillsync.render import json_output
from skillsync.render.plan_markdown import render_markdown
from skillsync.render.plan_text import render_text

EXIT_CHANGES = 2


def render(plan: Plan, output_format: str, color: bool) -> None:
    if output_format == "json":
        json_output.emit(plan.to_dict(), sys.stdout)
    elif output_format == "markdown":
        sys.stdout.write(render_markdown(plan))
    else:
        render_text(plan, sys.stdout, color)


def run(
    directory: Path | None,
    *,
    target_name: str | None,
    only: tuple[str, ...],
    out: Path | None,
    output_format: str,
    detailed_exitcode: bool,
    force: bool,
    options: ClientOptions,
    color: bool,
) -> int:
    if output_format == "json":
        json_output.expect(sys.stdout)
    config = config_mod.load_or_fail(directory)
    target = config.target(target_name)
    with open_remote(config, target, options) as remote:
        plan, _ = plan_target(config, target, remote, only=only)
    render(plan, output_format, color)
    if out is not None:
        write_atomically(out, plan.to_json())
        if output_format == "text":
            click.echo(f"\nSaved the plan to {out}. Apply exactly it with: skillsync apply {out}")
    refuse_if_unsafe(plan, force)
    return EXIT_CHANGES if detailed_exitcode and plan.has_changes else 0
