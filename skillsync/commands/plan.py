"""``skillsync plan``: validate, read the remote, print the plan, optionally save it.

With several targets (``--target`` repeated, ``--all-targets``) the plans are made in
parallel and printed one section per target; JSON and a saved plan hold
``{"format_version": "1", "plans": [...]}``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from skillsync import config as config_mod
from skillsync.atomic import write_atomically
from skillsync.options import ClientOptions
from skillsync.plan import FORMAT_VERSION, Plan
from skillsync.planning import refuse_if_unsafe
from skillsync.render import json_output
from skillsync.render.plan_markdown import render_markdown_many
from skillsync.render.plan_text import render_texts
from skillsync.targets import open_remotes, plan_all

EXIT_CHANGES = 2


def document(plans: list[Plan]) -> dict[str, Any]:
    """What ``--out`` saves and ``--format json`` prints: one plan, or several."""
    if len(plans) == 1:
        return plans[0].to_dict()
    return {"format_version": FORMAT_VERSION, "plans": [plan.to_dict() for plan in plans]}


def render(plans: list[Plan], output_format: str, color: bool, doc: dict[str, Any]) -> None:
    if output_format == "json":
        json_output.emit(doc, sys.stdout)
    elif output_format == "markdown":
        sys.stdout.write(render_markdown_many(plans))
    else:
        render_texts(plans, sys.stdout, color)


@dataclass(frozen=True)
class Arguments:
    """What the command line gave ``plan``."""

    directory: Path | None
    color: bool
    target_names: tuple[str, ...]
    all_targets: bool
    options: ClientOptions
    only: tuple[str, ...]
    out: Path | None
    output_format: str
    detailed_exitcode: bool
    force: bool


def run(args: Arguments) -> int:
    if args.output_format == "json":
        json_output.expect(sys.stdout)
    config = config_mod.load_or_fail(args.directory)
    targets = config.chosen(args.target_names, args.all_targets)
    config_mod.refuse_shared_workspaces(config, targets, args.options.base_url)
    with open_remotes(config, targets, args.options) as remotes:
        plans = [planned.plan for planned in plan_all(config, targets, remotes, args.only)]
    doc = document(plans) if args.output_format == "json" or args.out is not None else {}
    render(plans, args.output_format, args.color, doc)
    if args.out is not None:
        write_atomically(args.out, json_output.dumps(doc))
        if args.output_format == "text":
            click.echo(
                f"\nSaved the plan to {args.out}. Apply exactly it with: skillsync apply {args.out}"
            )
    for plan in plans:
        refuse_if_unsafe(plan, args.force)
    drifted = any(plan.drifted for plan in plans)  # name conflicts count: a person must act
    return EXIT_CHANGES if args.detailed_exitcode and drifted else 0
