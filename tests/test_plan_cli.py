"""`skillsync plan` against the emulator over HTTP: every flag and exit code."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import (
    EXAMPLE_REPO,
    KEY_ENV,
    Emulator,
    content,
    run_cli,
    seed,
    skill_yaml,
    target_config,
)

TWO = {"skills/a.yaml": skill_yaml("a"), "skills/b.yaml": skill_yaml("b", version="2.0.0")}


def test_plan_against_an_empty_workspace(http_repo, emulator: Emulator) -> None:
    root = http_repo(TWO)
    result = run_cli("-C", str(root), "plan")
    assert result.exit_code == 0, result.output
    assert "  + create skill 'a' (skills/a.yaml)\n" in result.stdout
    assert "  + create skill 'b' (skills/b.yaml)\n" in result.stdout
    assert result.stdout.endswith("Plan: 2 to add, 0 to change, 0 to destroy.\n")
    assert emulator.store.count() == 0  # plan never writes


def test_detailed_exitcode(http_repo, emulator: Emulator) -> None:
    root = http_repo(TWO)
    assert run_cli("-C", str(root), "plan", "--detailed-exitcode").exit_code == 2
    seed(emulator, content("a"), content("b", "2.0.0"))
    result = run_cli("-C", str(root), "plan", "--detailed-exitcode")
    assert result.exit_code == 0
    assert result.stdout == "No changes. Remote skills match the repository.\n"


def test_update_and_delete_and_request_count(http_repo, emulator: Emulator) -> None:
    seed(emulator, content("a", instructions="Old.\n"), content("b", "2.0.0"), content("zz"))
    root = http_repo(TWO)
    result = run_cli("-C", str(root), "plan")
    assert result.exit_code == 0, result.output
    assert "  ~ update skill 'a' (skill_" in result.stdout
    assert "          -Old.\n          +Do it well.\n" in result.stdout
    assert "  - delete skill 'zz' (skill_" in result.stdout
    assert "Warning: 'a': instructions changed but version stayed 1.0.0" in result.stdout
    assert result.stdout.endswith("Plan: 0 to add, 1 to change, 1 to destroy.\n")
    # the list page, plus one read for each skill on both sides (a, b); none for zz
    assert dict(emulator.app.stats) == {"GET /v1/skills": 1, "GET /v1/skills/{id}": 2}


def test_json_format_is_the_plan_document(http_repo, emulator: Emulator) -> None:
    seed(emulator, content("a"))
    root = http_repo(TWO)
    result = run_cli("-C", str(root), "plan", "--format", "json")
    document = json.loads(result.stdout)
    assert document["target"] == {"name": "test", "base_url": emulator.url}
    assert document["summary"]["create"] == 1 and document["summary"]["unchanged"] == 1
    assert document["changes"][0]["after"] == content("b", "2.0.0")
    assert document["checksum"].startswith("sha256:")


def test_markdown_format(http_repo) -> None:
    result = run_cli("-C", str(http_repo(TWO)), "plan", "--format", "markdown")
    assert result.stdout.startswith("### skillsync plan for `test`\n")
    assert result.stdout.count("<details>") == 2


def test_out_saves_the_plan(http_repo, tmp_path: Path) -> None:
    out = tmp_path / "plans" / "plan.json"
    result = run_cli("-C", str(http_repo(TWO)), "plan", "--out", str(out))
    assert result.exit_code == 0
    assert f"Saved the plan to {out}. Apply exactly it with: skillsync apply {out}" in result.stdout
    assert json.loads(out.read_text())["summary"]["create"] == 2
    assert [p.name for p in out.parent.iterdir()] == ["plan.json"]  # no temp file left


def test_skill_filter(http_repo, emulator: Emulator) -> None:
    seed(emulator, content("zz"))
    result = run_cli("-C", str(http_repo(TWO)), "plan", "--skill", "a", "--skill", "nope")
    assert "create skill 'a'" in result.stdout and "'b'" not in result.stdout
    assert "zz" not in result.stdout
    assert "warning: --skill nope: no such skill in the repository or remote" in result.stderr


def test_unsafe_plan_renders_then_exits_1_unless_forced(http_repo, emulator: Emulator) -> None:
    seed(emulator, *[content(f"s-{i}") for i in range(10)])
    root = http_repo({"skills/s-0.yaml": skill_yaml("s-0")})
    result = run_cli("-C", str(root), "plan")
    assert result.exit_code == 1
    assert "Plan: 0 to add, 0 to change, 9 to destroy." in result.stdout
    assert "Error: the plan is unsafe:\n  the plan deletes 9 of 10 managed skills (90%)" in (
        result.stderr
    )
    assert "rerun with --force" in result.stderr
    assert run_cli("-C", str(root), "plan", "--force").exit_code == 0
    assert run_cli("-C", str(root), "plan", "--force", "--detailed-exitcode").exit_code == 2


def test_protected_delete_fails_naming_the_skill(http_repo, emulator: Emulator) -> None:
    seed(emulator, content("billing-faq"))
    root = http_repo({}, extra='    protect: ["billing-*"]\n')
    result = run_cli("-C", str(root), "plan")
    assert result.exit_code == 1
    assert "protected skill 'billing-faq' has no file; protect forbids deleting it" in result.stderr


def test_version_policy_error(http_repo, emulator: Emulator) -> None:
    seed(emulator, content("a", instructions="Old.\n"))
    root = http_repo({"skills/a.yaml": skill_yaml("a")}, extra="policy:\n  version_bump: error\n")
    result = run_cli("-C", str(root), "plan", "--force")
    assert result.exit_code == 1
    assert "the plan breaks the repository's policy:\n  'a': instructions changed" in result.stderr


def test_invalid_skill_files_stop_the_plan(http_repo, emulator: Emulator) -> None:
    root = http_repo({"skills/a.yaml": "name: A\n"})
    result = run_cli("-C", str(root), "plan")
    assert result.exit_code == 1
    assert (
        "the skill files have 4 error(s):\n  skills/a.yaml:1:1: error: missing required field"
        in (result.stderr)
    )
    # the list is read while the files load; no skill is read in full, none written
    assert set(emulator.app.stats) <= {"GET /v1/skills"}


def test_unknown_target_and_missing_key(http_repo, monkeypatch: pytest.MonkeyPatch) -> None:
    root = http_repo(TWO)
    result = run_cli("-C", str(root), "plan", "--target", "prod")
    assert result.exit_code == 1
    assert "unknown target 'prod' (targets in skillsync.yaml: test)" in result.stderr
    monkeypatch.delenv(KEY_ENV)
    result = run_cli("-C", str(root), "plan")
    assert result.exit_code == 1
    assert f"the environment variable {KEY_ENV} is not set (target 'test'" in result.stderr


def test_wrong_key_is_an_api_error_naming_the_variable(http_repo, monkeypatch) -> None:
    root = http_repo(TWO)
    monkeypatch.setenv(KEY_ENV, "sk-this-is-wrong-123")
    result = run_cli("-C", str(root), "plan")
    assert result.exit_code == 1
    assert "401 authentication_error: invalid x-api-key (request-id req_" in result.stderr
    assert f"check the key in ${KEY_ENV}" in result.stderr
    assert "sk-this-is-wrong-123" not in result.output


def test_base_url_precedence(tmp_path: Path, emulator: Emulator, monkeypatch) -> None:
    monkeypatch.setenv(KEY_ENV, "emulator-key")
    root = tmp_path / "r"
    (root / "skills").mkdir(parents=True)
    (root / "skills/a.yaml").write_text(skill_yaml("a"))
    (root / "skillsync.yaml").write_text(target_config("http://127.0.0.1:9"))
    assert run_cli("-C", str(root), "plan", "--max-retries", "0").exit_code == 1
    monkeypatch.setenv("SKILLSYNC_BASE_URL", emulator.url)
    assert run_cli("-C", str(root), "plan").exit_code == 0
    monkeypatch.setenv("SKILLSYNC_BASE_URL", "http://127.0.0.1:9")
    result = run_cli("-C", str(root), "plan", "--base-url", emulator.url, "--parallelism", "3")
    assert result.exit_code == 0, result.output


def test_unreachable_endpoint_is_one_clear_line(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(KEY_ENV, "emulator-key")
    root = tmp_path / "r"
    root.mkdir()
    (root / "skillsync.yaml").write_text(target_config("http://127.0.0.1:9"))
    result = run_cli("-C", str(root), "plan", "--max-retries", "0")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: cannot connect to 127.0.0.1:")
    assert "Traceback" not in result.output


def test_color_flag_and_no_color(http_repo, monkeypatch) -> None:
    root = http_repo(TWO)
    assert "\x1b[" in run_cli("--color", "always", "-C", str(root), "plan").stdout
    assert "\x1b[" in run_cli("-C", str(root), "plan", "--color", "always").stdout
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in run_cli("-C", str(root), "plan").stdout


def test_corpus_planned_against_an_empty_workspace(http_repo, corpus: Path) -> None:
    root = http_repo({})
    shutil.copytree(corpus, root / "skills", ignore=shutil.ignore_patterns("claude-api"))
    result = run_cli("-C", str(root), "plan", "--format", "json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["summary"]["create"] == 11
    assert [c["name"] for c in document["changes"]] == sorted(
        p.name for p in corpus.iterdir() if p.is_dir() and p.name != "claude-api"
    )


def test_example_repo_plans_against_the_embedded_emulator(tmp_path: Path) -> None:
    root = tmp_path / "example"
    shutil.copytree(EXAMPLE_REPO, root, ignore=shutil.ignore_patterns(".skillsync"))
    result = run_cli("-C", str(root), "plan", "--detailed-exitcode")
    assert result.exit_code == 2, result.output
    assert result.stdout.startswith(
        "skillsync will perform these actions on target 'local' (local:.skillsync/emulator.db):"
    )
    assert result.stdout.endswith("Plan: 7 to add, 0 to change, 0 to destroy.\n")
    assert (root / ".skillsync" / "emulator.db").is_file()
