"""The README stays honest: every command documented, its commands real."""

from __future__ import annotations

import re

from skillsync.cli import cli
from tests.conftest import EXAMPLE_REPO, ROOT, run_cli

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_command_is_documented() -> None:
    for name in cli.commands:
        assert f"### `skillsync {name}" in README, name


def test_ci_runs_the_readme_test_command() -> None:
    blocks = re.findall(r"```sh\n(.+?)\n```", README, re.S)
    assert len(blocks) >= 2
    test_command = blocks[1].split(" && ", 3)[-1]
    assert test_command == "python -m pytest -n 2 && python -m pytest -m slow"
    assert test_command in (ROOT / ".ci" / "run").read_text()
    assert "-C example-repo plan" in blocks[0] and "apply --auto-approve" in blocks[0]


def test_validate_output_shown_is_real() -> None:
    result = run_cli("-C", str(EXAMPLE_REPO), "validate")
    assert f"$ skillsync -C example-repo validate\n{result.stdout}" in README


def test_rules_output_shown_is_real() -> None:
    result = run_cli("rules")
    rules_page = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert f"$ skillsync rules\n{result.stdout}```" in rules_page


def test_the_version_is_one_and_the_changelog_has_it() -> None:
    from skillsync import __version__
    from skillsync.plan import Plan

    result = run_cli("--version")
    assert result.stdout == f"skillsync, version {__version__}\n"
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert re.search(r"^## \[(\d+\.\d+\.\d+)\]", changelog, re.M)[1] == __version__  # type: ignore[index]
    assert Plan(target="t", base_url="x").skillsync_version == __version__
