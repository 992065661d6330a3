"""``skillsync plan``: validate, read the remote, print the plan, optionally save it.

With several targets (``--target`` repeated, ``--all-targets``) the plans are made in
parallel and printed one section per target; JSON and a saved plan hold
``{"format_version": "1", "plans": [...]}``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, TextIO

import click

from skillsync import config as config_mod
from skillsync.atomic import write_atomically
from skillsync.config import Config, TargetConfig
from skillsync.options import ClientOptions
from skillsync.plan import FORMAT_VERSION, Plan
from skillsync.planning import Planned, plan_target, refuse_if_unsafe
from skillsync.remote import open_remote
from skillsync.remote.base import Remote
from skillsync.render import json_output
from skillsync.render.plan_markdown import LIMIT, render_markdown
from skillsync.render.plan_text import render_text

EXIT_CHANGES = 2


@contextmanager
def open_remotes(
    config: Config, targets: list[TargetConfig], options: ClientOptions
) -> Iterator[list[Remote]]:
    """A remote per target, all open (and every one closed afterwards)."""
    with ExitStack() as stack:
        yield [stack.enter_context(open_remote(config, t, options)) for t in targets]


def plan_all(
    config: Config, targets: list[TargetConfig], remotes: list[Remote], only: tuple[str, ...]
) -> list[Planned]:
    """One plan per target, made in parallel when there are several; in the targets' order."""
    if len(targets) == 1:
        return [plan_target(config, targets[0], remotes[0], only=only)]
    pool = ThreadPoolExecutor(max_workers=len(targets), thread_name_prefix="target")
    futures = [
        pool.submit(plan_target, config, target, remote, only=only, alone=False)
        for target, remote in zip(targets, remotes, strict=True)
    ]
    try:
        return [future.result() for future in futures]
    except BaseException:
        # a Ctrl-C or a failed target: the others are not waited for; closing their
        # remotes (the caller's) ends the requests they still have in flight
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=False)


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


def render_texts(plans: list[Plan], out: TextIO, color: bool) -> None:
    """The text plans, one section per target when there are several."""
    for index, plan in enumerate(plans):
        if len(plans) > 1:
            heading = f"== Target '{plan.target}' ({plan.base_url}) =="
            click.echo(("\n" if index else "") + click.style(heading, bold=True), out, color=color)
        render_text(plan, out, color)


def render_markdown_many(plans: list[Plan]) -> str:
    """One document for every target (one pull-request comment), within the size limit."""
    share = LIMIT // len(plans) - 200
    return "\n".join(render_markdown(plan, share if len(plans) > 1 else LIMIT) for plan in plans)


def run(
    directory: Path | None,
    *,
    target_names: tuple[str, ...],
    all_targets: bool = False,
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
    targets = config.chosen(target_names, all_targets)
    config_mod.refuse_shared_workspaces(config, targets, options.base_url)
    with open_remotes(config, targets, options) as remotes:
        plans = [planned.plan for planned in plan_all(config, targets, remotes, only)]
    doc = document(plans) if output_format == "json" or out is not None else {}
    render(plans, output_format, color, doc)
    if out is not None:
        write_atomically(out, json_output.dumps(doc))
        if output_format == "text":
            click.echo(f"\nSaved the plan to {out}. Apply exactly it with: skillsync apply {out}")
    for plan in plans:
        refuse_if_unsafe(plan, force)
    drifted = any(plan.drifted for plan in plans)  # name conflicts count: a person must act
    return EXIT_CHANGES if detailed_exitcode and drifted else 0
