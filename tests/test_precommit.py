"""The pre-commit hook: its manifest, and a real run through pre-commit."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import EXAMPLE_REPO, ROOT

PRE_COMMIT = [sys.executable, "-m", "pre_commit"]


def test_hook_manifest_validates() -> None:
    result = subprocess.run(
        [*PRE_COMMIT, "validate-manifest", str(ROOT / ".pre-commit-hooks.yaml")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "path",
    [
        "skillsync.yaml",
        "skillsync.lock",  # a source pinned elsewhere changes what validate checks
        "skills/pdf/SKILL.md",
        "skills/pdf/reference/forms.md",
        "skills/pdf/scripts/fill.py",  # the trust gate reads scripts: a pasted key
        "skills/pdf/scripts/setup",
    ],
)
def test_the_hook_runs_for_every_file_a_skill_may_carry(path: str) -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert re.search(hooks[0].get("files", ""), path) is not None


def test_example_config_validates() -> None:
    result = subprocess.run(
        [*PRE_COMMIT, "validate-config", str(EXAMPLE_REPO / ".pre-commit-config.yaml")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


@pytest.mark.slow
def test_hook_runs_on_example_repo_through_pre_commit(tmp_path: Path) -> None:
    """pre-commit installs skillsync from this checkout into its own venv and runs the hook."""
    hook_repo = tmp_path / "skillsync"
    shutil.copytree(
        ROOT,
        hook_repo,
        ignore=shutil.ignore_patterns(".git", ".venv", "*.egg-info", "__pycache__", ".skillsync"),
    )
    _git(hook_repo, "init", "-q")
    _git(hook_repo, "add", "-A")
    _git(hook_repo, "commit", "-q", "-m", "snapshot")
    skills = tmp_path / "skills-repo"
    shutil.copytree(EXAMPLE_REPO, skills, ignore=shutil.ignore_patterns(".skillsync"))
    _git(skills, "init", "-q")
    _git(skills, "add", "-A")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache")}
    command = [*PRE_COMMIT, "try-repo", str(hook_repo), "skillsync-validate", "--all-files"]
    good = subprocess.run(command, cwd=skills, capture_output=True, text=True, env=env)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "skillsync validate" in good.stdout and "Passed" in good.stdout

    (skills / "skills" / "broken.yaml").write_text("name: Broken\n")
    _git(skills, "add", "-A")
    bad = subprocess.run(command, cwd=skills, capture_output=True, text=True, env=env)
    assert bad.returncode == 1
    assert "skills/broken.yaml:1:7: error: name: must be 1-64 characters" in bad.stdout
