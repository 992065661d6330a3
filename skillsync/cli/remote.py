"""The commands that reach a target: plan, apply, output, promote, import. Each imports
its module in ``commands/`` only when it runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from skillsync import dialects
from skillsync.cli.options import Globals, client_options, command, format_option


@command()
@client_options(many_targets=True)
@click.option(
    "--skill", "only", multiple=True, metavar="NAME", help="Plan only this skill (repeatable)."
)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Save the plan (JSON) for apply."
)
@format_option("text", "json", "markdown")
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 2 when there are changes, 0 when there are none.",
)
@click.option("--force", is_flag=True, help="Accept an unsafe plan (thresholds, protect).")
def plan(g: Globals, **given: Any) -> int:
    """Show what apply would change in the target's workspace.

    Validates the repository, reads the remote skills and prints the plan.
    With several targets, plans them in parallel, one section each.

    \b
    Examples:
      skillsync plan
      skillsync plan --target prod --out plan.json
      skillsync plan --detailed-exitcode      # 0 no changes, 2 changes (drift check)
      skillsync plan --target staging --target production --out plan.json
    """
    from skillsync.commands import plan as command

    return command.run(command.Arguments(directory=g.directory, color=g.color, **given))


@command()
@client_options(many_targets=True)
@click.argument("plan_file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--skill",
    "only",
    multiple=True,
    metavar="NAME",
    help="Apply only this skill's changes (repeatable; not with PLAN_FILE).",
)
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option("--force", is_flag=True, help="Accept an unsafe plan (thresholds, protect).")
@format_option("text", "json", help="json prints each change's outcome.")
@click.option(
    "--output",
    "output_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="After the apply (also a partial one), write the deployed skills' ids and versions "
    "(the json document of skillsync output) to this file.",
)
def apply(g: Globals, **given: Any) -> int:
    """Apply the changes of a plan to the target's workspace.

    Without PLAN_FILE: plan, show it, ask for 'yes', apply. With PLAN_FILE
    (from plan --out): check it still holds, then apply exactly it. With
    several targets: every plan is checked (and shown) first, then the targets
    are applied in the order given, stopping before the next one when one fails.

    \b
    Examples:
      skillsync apply
      skillsync apply --auto-approve          # CI
      skillsync plan --out plan.json && skillsync apply plan.json
      skillsync apply --target staging --target production --auto-approve
    """
    from skillsync.commands import apply as command

    return command.run(command.Arguments(directory=g.directory, color=g.color, **given))


@command()
@client_options
@format_option(
    "json",
    "env",
    *(d.fragment[0] for d in dialects.DIALECTS.values() if d.fragment),
    help="json: the document; env: SKILLSYNC_<NAME>_ID/_VERSION lines; the last two: the "
    "fragment an application pastes into its request.",
)
@click.option("--pin", is_flag=True, help="Fragments name the exact versions, not 'latest'.")
@click.option(
    "--allow-missing",
    is_flag=True,
    help="Exit 0 when skills of the repository are not on the remote yet (id null).",
)
def output(g: Globals, **given: Any) -> int:
    """Print the deployed skills' ids and versions, for the applications that use them.

    For every skill the repository defines: name, id, latest version, file and
    whether the remote matches the repository. Costs a warm plan (the list
    requests only, once the version cache knows the versions).

    \b
    Examples:
      skillsync output --target prod
      skillsync output --format env >> "$GITHUB_ENV"
      skillsync output --format anthropic-container --pin
    """
    from skillsync.commands import output as command

    return command.run(command.Arguments(directory=g.directory, **given))


@command()
@client_options
@click.argument("names", nargs=-1, metavar="[NAME]...")
def promote(g: Globals, **given: Any) -> int:
    """Make the latest version of skills their default (openai, promote: manual).

    With promote: manual, apply uploads new versions without making them the
    default; test one by pinning its number, then promote moves the default of
    the named skills (none: every skill of the repository) to their latest
    version. Only a latest version that holds the repository's files is promoted.

    \b
    Examples:
      skillsync promote --target openai-prod
      skillsync promote pdf-notes --target openai-prod
    """
    from skillsync.commands import promote as command

    return command.run(command.Arguments(directory=g.directory, **given))


@command("import")
@client_options
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option(
    "--all", "import_all", is_flag=True, help="Import every remote skill the target manages."
)
@click.option(
    "--dir",
    "into",
    default="skills",
    show_default=True,
    help="Folder (in the repository) to write the files into.",
)
@click.option("--overwrite", is_flag=True, help="Replace files that already exist.")
def import_(g: Globals, **given: Any) -> int:
    """Write remote skills as skill files, so the next plan shows no change.

    Dialects of SKILL.md folders (every one but seed): one SKILL.md folder per
    skill (<dir>/<name>/) with every file of its latest version, byte for byte.
    seed: one YAML file per skill (<dir>/<name>.yaml); instructions longer than
    8,000 characters go to <dir>/<name>.md as an instructions_file. Existing
    files and skills defined elsewhere are never overwritten without --overwrite.

    \b
    Examples:
      skillsync import --all
      skillsync import code-reviewer sql-queries --dir skills/imported
    """
    from skillsync.commands import import_ as command

    return command.run(command.Arguments(directory=g.directory, **given))
