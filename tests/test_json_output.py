"""Every command with --format json prints exactly one JSON document on stdout, in every path."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Emulator, Result, content, run_cli, seed, skill_yaml
from tests.helpers.faults import refuse_creating


def document(result: Result) -> Any:
    """stdout parses as one JSON document (json.loads refuses anything around it)."""
    return json.loads(result.stdout)


def error_of(result: Result) -> dict[str, Any]:
    data = document(result)
    assert data["ok"] is False and data["exit_code"] == result.exit_code
    error: dict[str, Any] = data["error"]
    return error


@pytest.fixture
def synced(http_repo: Callable[..., Path], emulator: Emulator) -> Path:
    seed(emulator, content("a"))
    return http_repo({"skills/a.yaml": skill_yaml("a")})


def test_validate_json_in_every_path(repo: Callable[..., Path], tmp_path: Path) -> None:
    good = repo({"skills/a.yaml": skill_yaml("a")})
    ok = run_cli("-C", str(good), "validate", "--format", "json")
    assert (ok.exit_code, document(ok)["valid"]) == (0, True)
    (good / "skills/b.yaml").write_text("name: B\n")
    bad = run_cli("-C", str(good), "validate", "--format", "json")
    assert (bad.exit_code, document(bad)["valid"], document(bad)["errors"]) == (1, False, 4)
    empty = tmp_path / "no-config"
    empty.mkdir()
    missing = run_cli("-C", str(empty), "validate", "--format", "json")
    assert missing.exit_code == 1
    assert error_of(missing)["kind"] == "ConfigError"
    assert "no skillsync.yaml" in missing.stderr


def test_plan_json_in_every_path(synced: Path, emulator: Emulator) -> None:
    clean = run_cli("-C", str(synced), "plan", "--format", "json")
    assert (clean.exit_code, document(clean)["changes"]) == (0, [])
    (synced / "skills/b.yaml").write_text(skill_yaml("b"))
    changes = run_cli("-C", str(synced), "plan", "--format", "json", "--detailed-exitcode")
    assert changes.exit_code == 2
    assert [c["name"] for c in document(changes)["changes"]] == ["b"]
    (synced / "skills/c.yaml").write_text("name: c\n")
    invalid = run_cli("-C", str(synced), "plan", "--format", "json")
    assert invalid.exit_code == 1 and error_of(invalid)["kind"] == "ValidationFailed"
    (synced / "skills/c.yaml").unlink()
    emulator.stop()
    down = run_cli("-C", str(synced), "plan", "--format", "json", "--max-retries", "0")
    assert down.exit_code == 1 and error_of(down)["kind"] == "TransportError"


def test_apply_json_in_every_path(synced: Path, tmp_path: Path) -> None:
    none = run_cli("-C", str(synced), "apply", "--auto-approve", "--format", "json")
    assert none.exit_code == 0
    assert document(none)["summary"]["done"] == 0
    (synced / "skills/b.yaml").write_text(skill_yaml("b"))
    done = run_cli("-C", str(synced), "apply", "--auto-approve", "--format", "json")
    assert done.exit_code == 0
    assert [o["name"] for o in document(done)["outcomes"]] == ["b"]
    assert "Plan: 1 to add, 0 to change, 0 to destroy." in done.stderr  # the plan, for people
    assert "Apply complete: 1 added" in done.stderr
    (synced / "skills/c.yaml").write_text(skill_yaml("c"))
    unconfirmed = run_cli("-C", str(synced), "apply", "--format", "json")
    assert unconfirmed.exit_code == 1 and error_of(unconfirmed)["kind"] == "Cancelled"
    stale = tmp_path / "plan.json"
    stale.write_text("{}")
    refused = run_cli("-C", str(synced), "apply", str(stale), "--format", "json")
    assert refused.exit_code == 1 and error_of(refused)["kind"] == "StalePlan"


def test_apply_json_when_a_change_fails(
    http_repo: Callable[..., Path], emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    refuse_creating(emulator, "b", monkeypatch)
    root = http_repo({"skills/a.yaml": skill_yaml("a"), "skills/b.yaml": skill_yaml("b")})
    result = run_cli("-C", str(root), "apply", "--auto-approve", "--format", "json")
    assert result.exit_code == 1
    data = document(result)  # the outcomes, not an error report: the apply ran
    assert data["complete"] is False
    assert [(o["name"], o["status"]) for o in data["outcomes"]] == [("a", "done"), ("b", "failed")]
    assert "Apply incomplete: 1 done, 1 failed." in result.stderr
