"""Running the command line on a repository, as several test modules do."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import run_cli


def apply(root: Path, *args: str) -> Any:
    return run_cli("-C", str(root), "apply", "--auto-approve", *args)


def plan_json(root: Path, *args: str) -> dict[str, Any]:
    """The plan document; the plan must succeed."""
    result = run_cli("-C", str(root), "plan", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def clean(root: Path) -> bool:
    """Whether the remote matches the repository (plan --detailed-exitcode exits 0)."""
    return bool(run_cli("-C", str(root), "plan", "--detailed-exitcode").exit_code == 0)
