"""Deployed skills handed to applications (skillsync output, apply --output), and several
targets in one run (plan and apply with --target repeated or --all-targets)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from skillsync.deployed import Deployed
from skillsync.errors import UnsafeRemoteContent
from skillsync.render.deployed import as_env, env_name
from tests.conftest import KEY_ENV, Emulator, run_cli, skill_yaml, write_tree
from tests.helpers.folders import write_count

WS = "default"


def two_targets(staging: Emulator, production: Emulator, extra: str = "") -> str:
    """staging: the anthropic dialect; production: the seed dialect."""
    return (
        "version: 1\ndefault_target: staging\ntargets:\n"
        f"  staging:\n    base_url: {staging.url}\n    api: anthropic\n"
        f'    api_key_env: {KEY_ENV}\n    manage: ["*"]\n'
        f"  production:\n    base_url: {production.url}\n    api: seed\n"
        f'    api_key_env: {KEY_ENV}\n    manage: ["*"]\n{extra}'
    )


@pytest.fixture
def staging(emulator_factory: Callable[..., Emulator]) -> Emulator:
    return emulator_factory(api="anthropic")


@pytest.fixture
def production(emulator_factory: Callable[..., Emulator]) -> Emulator:
    return emulator_factory(api="seed")


@pytest.fixture
def repo2(
    tmp_path: Path, staging: Emulator, production: Emulator, monkeypatch: pytest.MonkeyPatch
) -> Path:
    monkeypatch.setenv(KEY_ENV, "emulator-key")
    monkeypatch.delenv("SKILLSYNC_BASE_URL", raising=False)
    return write_tree(
        tmp_path / "repo",
        {
            "skillsync.yaml": two_targets(staging, production),
            "skills/alpha.yaml": skill_yaml("alpha"),
            "skills/beta-notes/SKILL.md": (
                "---\nname: beta-notes\ndescription: Takes notes. Use when asked for notes.\n"
                "metadata:\n  version: 2.0.0\n---\nTake notes.\n"
            ),
        },
    )


def anthropic_state(emulator: Emulator) -> dict[str, dict[str, Any]]:
    """name -> {id, latest version id} of every custom skill of the anthropic emulator."""
    out = {}
    rows, _ = emulator.store.page(WS, 1000)
    for row in rows:
        name, _ = emulator.store.content(WS, row["id"], "latest")
        out[name] = {"id": row["id"], "version": row["latest_version_id"]}
    return out


def seed_state(emulator: Emulator) -> dict[str, dict[str, Any]]:
    rows = emulator.store.list(WS, 100, None)[0]
    return {r["name"]: {"id": r["id"], "version": r["version"]} for r in rows}


# -- skillsync output --------------------------------------------------------------------------
def test_output_documents_equal_the_remote(repo2: Path, staging: Emulator) -> None:
    assert run_cli("-C", str(repo2), "apply", "--auto-approve").exit_code == 0
    result = run_cli("-C", str(repo2), "output")
    assert result.exit_code == 0, result.output
    remote = anthropic_state(staging)
    assert json.loads(result.stdout) == {
        "format_version": "1",
        "target": "staging",
        "api": "anthropic",
        "skills": [
            {
                "name": "alpha",
                "id": remote["alpha"]["id"],
                "version": remote["alpha"]["version"],
                "default_version": None,
                "path": "skills/alpha.yaml",
                "in_sync": True,
            },
            {
                "name": "beta-notes",
                "id": remote["beta-notes"]["id"],
                "version": remote["beta-notes"]["version"],
                "default_version": None,
                "path": "skills/beta-notes/SKILL.md",
                "in_sync": True,
            },
        ],
    }
    env = run_cli("-C", str(repo2), "output", "--format", "env")
    assert env.stdout == (
        f"SKILLSYNC_ALPHA_ID={remote['alpha']['id']}\n"
        f"SKILLSYNC_ALPHA_VERSION={remote['alpha']['version']}\n"
        f"SKILLSYNC_BETA_NOTES_ID={remote['beta-notes']['id']}\n"
        f"SKILLSYNC_BETA_NOTES_VERSION={remote['beta-notes']['version']}\n"
    )


def test_output_fragments_latest_and_pinned(repo2: Path, staging: Emulator) -> None:
    assert run_cli("-C", str(repo2), "apply", "--auto-approve").exit_code == 0
    remote = anthropic_state(staging)
    latest = json.loads(
        run_cli("-C", str(repo2), "output", "--format", "anthropic-container").stdout
    )
    assert latest == {
        "skills": [
            {"type": "custom", "skill_id": remote["alpha"]["id"], "version": "latest"},
            {"type": "custom", "skill_id": remote["beta-notes"]["id"], "version": "latest"},
        ]
    }
    pinned = run_cli("-C", str(repo2), "output", "--format", "anthropic-container", "--pin")
    assert [s["version"] for s in json.loads(pinned.stdout)["skills"]] == [
        remote["alpha"]["version"],
        remote["beta-notes"]["version"],
    ]
    openai = run_cli("-C", str(repo2), "output", "--format", "openai-skills", "--pin")
    assert json.loads(openai.stdout)["skills"][0] == {
        "type": "skill_reference",
        "skill_id": remote["alpha"]["id"],
        "version": remote["alpha"]["version"],
    }


def test_output_of_the_seed_dialect_and_a_skill_out_of_sync(
    repo2: Path, production: Emulator
) -> None:
    assert (
        run_cli("-C", str(repo2), "apply", "--target", "production", "--auto-approve").exit_code
        == 0
    )
    (repo2 / "skills/alpha.yaml").write_text(skill_yaml("alpha", instructions="Changed.\n"))
    result = run_cli("-C", str(repo2), "output", "--target", "production")
    assert result.exit_code == 0
    remote = seed_state(production)
    skills = {s["name"]: s for s in json.loads(result.stdout)["skills"]}
    assert skills["alpha"]["id"] == remote["alpha"]["id"]
    assert (skills["alpha"]["version"], skills["alpha"]["in_sync"]) == ("1.0.0", False)
    assert (skills["beta-notes"]["version"], skills["beta-notes"]["in_sync"]) == ("2.0.0", True)


def test_env_lines_refuse_what_a_server_could_inject(repo2: Path, production: Emulator) -> None:
    applied = run_cli("-C", str(repo2), "apply", "--target", "production", "--auto-approve")
    assert applied.exit_code == 0
    hostile = "1.0.0\nBASH_ENV=/tmp/x"
    production.store._db().execute("UPDATE skills SET version = ? WHERE name = 'alpha'", (hostile,))
    result = run_cli("-C", str(repo2), "output", "--target", "production", "--format", "env")
    assert (result.exit_code, result.stdout) == (1, "")
    assert (
        "Error: skill 'alpha': the remote's version '1.0.0\\nBASH_ENV=/tmp/x' is not the shape "
        "of an id or a version" in result.stderr
    )
    document = run_cli("-C", str(repo2), "output", "--target", "production")
    assert hostile in [s["version"] for s in json.loads(document.stdout)["skills"]]  # quoted


@pytest.mark.parametrize("skill_id", ["skill_$(touch pwned)", "a b", "x`id`", "q'"])
def test_env_values_hold_only_the_shapes_of_ids_and_versions(skill_id: str) -> None:
    hostile = Deployed("a", skill_id, "1", None, "skills/a.yaml", True)
    with pytest.raises(UnsafeRemoteContent, match="the remote's id"):
        as_env("t", "seed", [hostile], False)
    fine = Deployed("a", "skill_01AbC-9.x:y+z", "1759178010641129", None, "skills/a.yaml", True)
    assert as_env("t", "anthropic", [fine], False) == (
        "SKILLSYNC_A_ID=skill_01AbC-9.x:y+z\nSKILLSYNC_A_VERSION=1759178010641129\n"
    )


def test_a_missing_skill_is_null_and_exits_1_unless_allowed(repo2: Path) -> None:
    result = run_cli("-C", str(repo2), "output")
    assert result.exit_code == 1
    document = json.loads(result.stdout)  # the document, then the error on stderr
    assert [(s["name"], s["id"], s["in_sync"]) for s in document["skills"]] == [
        ("alpha", None, False),
        ("beta-notes", None, False),
    ]
    assert "2 skill(s) of the repository are not on target 'staging'" in result.stderr
    allowed = run_cli("-C", str(repo2), "output", "--allow-missing", "--format", "env")
    assert (allowed.exit_code, allowed.stdout.splitlines()[0]) == (0, "SKILLSYNC_ALPHA_ID=")
    fragment = run_cli("-C", str(repo2), "output", "--allow-missing", "--format", "openai-skills")
    assert json.loads(fragment.stdout) == {"skills": []}


def test_a_warm_output_sends_only_list_requests(repo2: Path, staging: Emulator) -> None:
    assert run_cli("-C", str(repo2), "apply", "--auto-approve").exit_code == 0
    assert run_cli("-C", str(repo2), "output").exit_code == 0  # learns the versions
    before = dict(staging.app.stats)
    assert run_cli("-C", str(repo2), "output").exit_code == 0
    sent = {k: v - before.get(k, 0) for k, v in staging.app.stats.items() if v != before.get(k, 0)}
    assert sent == {"GET /v1/skills": 1}


def test_apply_output_writes_the_document_also_after_a_partial_apply(
    repo2: Path, staging: Emulator, tmp_path: Path
) -> None:
    out = tmp_path / "skills.json"
    result = run_cli("-C", str(repo2), "apply", "--auto-approve", "--output", str(out))
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    remote = anthropic_state(staging)
    assert [(s["name"], s["id"], s["in_sync"]) for s in document["skills"]] == [
        ("alpha", remote["alpha"]["id"], True),
        ("beta-notes", remote["beta-notes"]["id"], True),
    ]
    # a partial apply: the API refuses one upload (a reserved name, its check turned off)
    config = repo2 / "skillsync.yaml"
    config.write_text(config.read_text() + "lint:\n  rules: {reserved-name: off}\n")
    (repo2 / "skills/claude-gamma.yaml").write_text(skill_yaml("claude-gamma"))
    out.unlink()
    (repo2 / "skills/alpha.yaml").write_text(skill_yaml("alpha", instructions="Two.\n"))
    partial = run_cli("-C", str(repo2), "apply", "--auto-approve", "--output", str(out))
    assert partial.exit_code == 1
    assert "Apply incomplete: 1 done, 1 failed." in partial.stderr
    document = json.loads(out.read_text())
    by_name = {s["name"]: s for s in document["skills"]}
    assert by_name["claude-gamma"]["id"] is None and not by_name["claude-gamma"]["in_sync"]
    assert by_name["alpha"]["version"] == anthropic_state(staging)["alpha"]["version"]
    assert by_name["alpha"]["in_sync"]


def test_env_names() -> None:
    assert env_name("pdf-forms") == "SKILLSYNC_PDF_FORMS"
    assert Deployed("a", None, None, None, "p", False).to_dict()["id"] is None


# -- several targets ---------------------------------------------------------------------------
def test_plan_of_several_targets(repo2: Path) -> None:
    text = run_cli("-C", str(repo2), "plan", "--all-targets", "--detailed-exitcode")
    assert text.exit_code == 2
    sections = text.stdout.split("== Target ")
    assert [s.split("'")[1] for s in sections[1:]] == ["staging", "production"]
    assert all("Plan: 2 to add, 0 to change, 0 to destroy." in s for s in sections[1:])
    as_json = json.loads(
        run_cli("-C", str(repo2), "plan", "--all-targets", "--format", "json").stdout
    )
    assert as_json["format_version"] == "1"
    assert [p["target"]["name"] for p in as_json["plans"]] == ["staging", "production"]
    markdown = run_cli(
        "-C",
        str(repo2),
        "plan",
        "--target",
        "production",
        "--target",
        "staging",
        "--format",
        "markdown",
    ).stdout
    assert markdown.index("plan for `production`") < markdown.index("plan for `staging`")
    assert run_cli("-C", str(repo2), "plan", "--all-targets", "--target", "x").exit_code == 1


def test_a_target_that_cannot_be_reached_is_named(repo2: Path, production: Emulator) -> None:
    """With several remotes, "cannot connect to 127.0.0.1" alone does not say which."""
    config = repo2 / "skillsync.yaml"
    config.write_text(config.read_text().replace(production.url, "http://127.0.0.1:9"))
    for command in ("plan", "apply"):
        result = run_cli("-C", str(repo2), command, "--all-targets", "--max-retries", "0")
        assert result.exit_code == 1
        assert "Error: target 'production': cannot connect to 127.0.0.1: " in result.stderr
    alone = run_cli("-C", str(repo2), "plan", "--target", "production", "--max-retries", "0")
    assert "Error: cannot connect to 127.0.0.1: " in alone.stderr


def test_apply_of_several_targets_in_order_then_clean(
    repo2: Path, staging: Emulator, production: Emulator
) -> None:
    result = run_cli("-C", str(repo2), "apply", "--all-targets", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert result.stdout.index("staging: Apply complete: 2 added") < result.stdout.index(
        "production: Apply complete: 2 added"
    )
    assert sorted(anthropic_state(staging)) == ["alpha", "beta-notes"]
    assert sorted(seed_state(production)) == ["alpha", "beta-notes"]
    again = run_cli("-C", str(repo2), "plan", "--all-targets", "--detailed-exitcode")
    assert again.exit_code == 0, again.stdout


def test_a_failing_target_stops_before_the_next(
    repo2: Path, staging: Emulator, production: Emulator
) -> None:
    config = repo2 / "skillsync.yaml"  # staging's API refuses the name; validate lets it by
    config.write_text(config.read_text() + "lint:\n  rules: {reserved-name: off}\n")
    (repo2 / "skills/claude-gamma.yaml").write_text(skill_yaml("claude-gamma"))
    result = run_cli(
        "-C", str(repo2), "apply", "--all-targets", "--auto-approve", "--format", "json"
    )
    assert result.exit_code == 1
    assert write_count(production) == 0
    document = json.loads(result.stdout)
    assert document["complete"] is False and document["not_started"] == ["production"]
    assert [t["target"] for t in document["targets"]] == ["staging"]
    assert "Not started: production." in result.stderr


def test_a_stale_saved_plan_of_several_targets_sends_nothing(
    repo2: Path, staging: Emulator, production: Emulator, tmp_path: Path
) -> None:
    saved = tmp_path / "plan.json"
    assert run_cli("-C", str(repo2), "plan", "--all-targets", "--out", str(saved)).exit_code == 0
    assert [p["target"]["name"] for p in json.loads(saved.read_text())["plans"]] == [
        "staging",
        "production",
    ]
    production.store.create(
        WS, {"name": "intruder", "description": "d", "instructions": "i", "version": "1.0.0"}
    )
    before = write_count(staging), write_count(production)
    result = run_cli("-C", str(repo2), "apply", str(saved))
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "Error: target 'production': Saved plan is stale: the remote skills changed after the "
        "plan was made. Run plan again."
    )
    assert (write_count(staging), write_count(production)) == before  # nothing sent to either
    # a fresh saved plan applies to both, in order (the intruder is managed: deleted)
    assert run_cli("-C", str(repo2), "plan", "--all-targets", "--out", str(saved)).exit_code == 0
    applied = run_cli("-C", str(repo2), "apply", str(saved))
    assert applied.exit_code == 0, applied.output
    assert sorted(seed_state(production)) == ["alpha", "beta-notes"]
    assert sorted(anthropic_state(staging)) == ["alpha", "beta-notes"]


def test_targets_that_reach_one_workspace_are_refused_before_anything_is_sent(
    tmp_path: Path, staging: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = (
        "version: 1\ntargets:\n  one:\n    base_url: local:.skillsync/emu.db\n"
        "  two:\n    base_url: local:./.skillsync/../.skillsync/emu.db\n"
    )
    root = write_tree(
        tmp_path / "repo", {"skillsync.yaml": config, "skills/a.yaml": skill_yaml("a")}
    )
    result = run_cli("-C", str(root), "apply", "--all-targets", "--auto-approve")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "Error: targets 'one' and 'two' reach the same workspace (local:"
    )
    assert "one run would apply every change to it twice" in result.stderr
    assert not (root / ".skillsync/emu.db").exists()  # never opened
    monkeypatch.setenv(KEY_ENV, "emulator-key")
    api = two_targets(staging, staging).replace("api: seed", "api: anthropic")
    write_tree(root, {"skillsync.yaml": api})
    flag = run_cli("-C", str(root), "plan", "--all-targets", "--base-url", staging.url)
    assert flag.exit_code == 1
    assert f"reach the same workspace ({staging.url})" in flag.stderr
    assert sum(staging.app.stats.values()) == 0  # type: ignore[attr-defined]


def test_ctrl_c_stops_a_plan_of_several_targets_without_waiting_for_the_others(
    tmp_path: Path, emulator_factory: Callable[..., Emulator]
) -> None:
    import os
    import signal
    import subprocess
    import sys

    from skillsync.emulator.app import Faults
    from tests.conftest import content, seed

    names = [f"s-{i:02d}" for i in range(15)]
    slow = [emulator_factory(faults=Faults(latency_ms=1000)) for _ in range(2)]
    for emulator in slow:
        seed(emulator, *(content(name) for name in names))
    config = "version: 1\ntargets:\n" + "".join(
        f"  t{i}:\n    base_url: {e.url}\n    api: seed\n    api_key_env: {KEY_ENV}\n"
        "    parallelism: 1\n"
        for i, e in enumerate(slow)
    )
    files = {f"skills/{name}.yaml": skill_yaml(name) for name in names}
    root = write_tree(tmp_path / "repo", {"skillsync.yaml": config, **files})
    process = subprocess.Popen(
        [sys.executable, "-m", "skillsync", "-C", str(root), "plan", "--all-targets"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, KEY_ENV: "emulator-key"},
    )
    while not all(e.app.stats["GET /v1/skills/{id}"] for e in slow):  # type: ignore[attr-defined]
        pass  # both targets are reading their skills, one a second
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=10)  # waiting for every read would take 15 s
    assert process.returncode == 130, err
    assert err.endswith("Interrupted.\n") and "Traceback" not in err


def test_an_interrupted_apply_of_several_targets_names_those_not_started(
    repo2: Path, production: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from skillsync.applier import ApplyResult
    from skillsync.commands import apply as apply_command

    def interrupted(*args: object) -> ApplyResult:
        return ApplyResult(interrupted=True)  # Ctrl-C before any change of staging finished

    monkeypatch.setattr(apply_command, "_apply_one", interrupted)
    result = run_cli("-C", str(repo2), "apply", "--all-targets", "--auto-approve")
    assert result.exit_code == 130
    assert result.stderr.splitlines()[-1].endswith("Not started: production.")
    assert write_count(production) == 0
