"""``api: directory``: the skills of a repository kept in sync in coding agents' folders.

The folder is the remote: each skill a subfolder holding what the anthropic dialect
uploads. These tests run the CLI on real folders; the contract scenarios shared with
the API dialects are in test_contract.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Emulator, run_cli, skill_yaml, target_config, write_tree
from tests.helpers.folders import FOLDER, UPLOADED, folder_md, folder_state, state


def folder_config(path: str, manage: str = '["*"]', extra: str = "") -> str:
    return (
        "version: 1\ntargets:\n  agent:\n    api: directory\n"
        f"    path: {path}\n    manage: {manage}\n{extra}"
    )


@pytest.fixture
def agent(tmp_path: Path) -> Path:
    return tmp_path / "home" / ".claude" / "skills"


@pytest.fixture
def repo(tmp_path: Path, agent: Path) -> Callable[..., Path]:
    def make(files: dict[str, str | bytes], manage: str = '["*"]') -> Path:
        config = folder_config(str(agent), manage)
        return write_tree(tmp_path / "repo", {"skillsync.yaml": config, **files})

    return make


def apply(root: Path, *args: str) -> int:
    result = run_cli("-C", str(root), "apply", "--auto-approve", *args)
    assert "Traceback" not in result.output
    return result.exit_code


def test_the_folder_holds_what_the_anthropic_dialect_uploads(
    corpus: Path, tmp_path: Path, agent: Path, emulator_factory: Callable[..., Emulator]
) -> None:
    claude = emulator_factory(api="anthropic")
    os.environ["SKILLSYNC_TEST_KEY"] = "emulator-key"
    config = folder_config(str(agent)) + (
        f"  claude:\n    base_url: {claude.url}\n    api_key_env: SKILLSYNC_TEST_KEY\n"
    )
    root = write_tree(tmp_path / "both", {"skillsync.yaml": config})
    for folder in sorted(corpus.iterdir()):
        if folder.is_dir() and folder.name != "claude-api":  # its description is too long
            shutil.copytree(folder, root / "skills" / folder.name)
    (root / "skills/team-notes.yaml").write_text(skill_yaml("team-notes"))
    try:
        result = run_cli("-C", str(root), "apply", "--all-targets", "--auto-approve")
    finally:
        del os.environ["SKILLSYNC_TEST_KEY"]
    assert result.exit_code == 0, result.output[-2000:]
    installed = folder_state(agent)
    uploaded = state(claude)
    assert len(installed) == 12
    assert {n: s["files"] for n, s in installed.items()} == {
        n: s["files"] for n, s in uploaded.items()
    }


def test_a_hand_edit_is_drift_with_its_diff_and_apply_restores_it(
    repo: Callable[..., Path], agent: Path
) -> None:
    root = repo(dict(FOLDER))
    assert apply(root) == 0
    (agent / "pdf-notes/SKILL.md").write_text(folder_md("pdf-notes") + "Also this.\n")
    (agent / "pdf-notes/notes.txt").write_text("mine\n")
    (agent / "pdf-notes/scripts/extract.py").unlink()
    drift = run_cli("-C", str(root), "plan", "--detailed-exitcode")
    assert drift.exit_code == 2, drift.output
    assert "~ update skill 'pdf-notes' (pdf-notes, skills/pdf-notes/SKILL.md)" in drift.stdout
    assert "              -Also this.\n" in drift.stdout
    assert "          + scripts/extract.py (17 bytes)\n" in drift.stdout
    assert "          - notes.txt (5 bytes)\n" in drift.stdout
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in drift.stdout
    assert apply(root) == 0
    assert folder_state(agent)["pdf-notes"]["files"] == UPLOADED
    assert run_cli("-C", str(root), "plan", "--detailed-exitcode").exit_code == 0


def test_what_the_folder_holds_besides_managed_skills_is_never_touched(
    repo: Callable[..., Path], agent: Path, tmp_path: Path
) -> None:
    elsewhere = write_tree(tmp_path / "vendor", {"team-linked/SKILL.md": folder_md("x")})
    agent.mkdir(parents=True)
    write_tree(
        agent,
        {
            "README.md": "my notes\n",
            ".hidden/SKILL.md": "not a skill\n",
            "personal/SKILL.md": folder_md("personal"),
            "team-gone/SKILL.md": folder_md("team-gone"),
        },
    )
    (agent / "team-linked").symlink_to(elsewhere / "team-linked")
    (agent / "team-a").symlink_to(elsewhere / "team-linked")
    before = {p: p.read_bytes() for p in elsewhere.rglob("*") if p.is_file()}
    root = repo(
        {"skills/team-a.yaml": skill_yaml("team-a"), "skills/team-b.yaml": skill_yaml("team-b")},
        manage='["team-*"]',
    )
    plan = json.loads(run_cli("-C", str(root), "plan", "--format", "json").stdout)
    assert [(c["action"], c["name"]) for c in plan["changes"]] == [
        ("create", "team-b"),
        ("delete", "team-gone"),
    ]
    assert plan["summary"]["unmanaged"] == 2  # personal, team-linked
    assert "'team-a' is a symlink (installed by another tool)" in " ".join(plan["warnings"])
    assert apply(root) == 0
    assert sorted(p.name for p in agent.iterdir()) == [
        ".hidden",
        ".skillsync.lock",
        "README.md",
        "personal",
        "team-a",
        "team-b",
        "team-linked",
    ]
    assert (agent / "team-a").is_symlink() and (agent / "team-linked").is_symlink()
    assert (agent / "README.md").read_text() == "my notes\n"
    assert {p: p.read_bytes() for p in elsewhere.rglob("*") if p.is_file()} == before


def test_a_deleted_skill_shows_its_description_and_a_linked_skill_md_is_not_read(
    repo: Callable[..., Path], agent: Path, tmp_path: Path
) -> None:
    secret = write_tree(tmp_path / "private", {"notes.md": folder_md("private-notes")})
    write_tree(agent, {"team-gone/SKILL.md": folder_md("team-gone"), "team-link/x": ""})
    (agent / "team-link/SKILL.md").symlink_to(secret / "notes.md")
    root = repo({}, manage='["team-*"]')
    plan = json.loads(run_cli("-C", str(root), "plan", "--format", "json").stdout)
    assert [(c["name"], c["before"]["description"]) for c in plan["changes"]] == [
        ("team-gone", "A folder skill. Use when testing."),
        ("team-link", ""),
    ]
    text = run_cli("-C", str(root), "plan").stdout
    assert "  - delete skill 'team-gone' (team-gone)\n" in text
    assert '      - description: "A folder skill. Use when testing."\n' in text


def test_an_update_keeps_what_an_agent_left_in_the_skill_folder(
    repo: Callable[..., Path], agent: Path
) -> None:
    root = repo(dict(FOLDER))
    assert apply(root) == 0
    write_tree(
        agent / "pdf-notes",
        {".env": "TOKEN=local\n", "scripts/__pycache__/extract.pyc": b"\0cache"},
    )
    (root / "skills/pdf-notes/SKILL.md").write_text(folder_md("pdf-notes", "2.0.0"))
    assert apply(root) == 0
    assert (agent / "pdf-notes/SKILL.md").read_text() == folder_md("pdf-notes", "2.0.0")
    assert (agent / "pdf-notes/.env").read_text() == "TOKEN=local\n"
    assert (agent / "pdf-notes/scripts/__pycache__/extract.pyc").read_bytes() == b"\0cache"
    assert not any(p.name.endswith(".skillsync-old") for p in agent.iterdir())
    assert run_cli("-C", str(root), "plan", "--detailed-exitcode").exit_code == 0


def test_scripts_keep_their_executable_bit(repo: Callable[..., Path], agent: Path) -> None:
    root = repo({"skills/tool/SKILL.md": folder_md("tool"), "skills/tool/run.sh": "echo hi\n"})
    (root / "skills/tool/run.sh").chmod(0o755)
    assert apply(root) == 0
    assert os.stat(agent / "tool/run.sh").st_mode & 0o111 == 0o111
    assert os.stat(agent / "tool/SKILL.md").st_mode & 0o111 == 0


def test_an_execute_bit_changed_on_either_side_is_a_change(
    repo: Callable[..., Path], agent: Path, tmp_path: Path
) -> None:
    root = repo({"skills/tool/SKILL.md": folder_md("tool"), "skills/tool/run.sh": "echo hi\n"})
    assert apply(root) == 0
    (root / "skills/tool/run.sh").chmod(0o755)  # made executable after the first install
    plan = run_cli("-C", str(root), "plan", "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    assert (
        "          ~ run.sh (8 -> 8 bytes)\n"
        "              (same content; its execute bit is set)\n" in plan.stdout
    )
    assert apply(root) == 0
    assert os.stat(agent / "tool/run.sh").st_mode & 0o111 == 0o111
    assert run_cli("-C", str(root), "plan", "--detailed-exitcode").exit_code == 0
    (agent / "tool/run.sh").chmod(0o644)  # drift: the installed copy lost it
    drift = run_cli("-C", str(root), "plan", "--detailed-exitcode")
    assert drift.exit_code == 2
    assert "(same content; its execute bit is set)" in drift.stdout
    assert apply(root) == 0
    assert os.stat(agent / "tool/run.sh").st_mode & 0o111 == 0o111
    # import brings the bit into a repository, so that its first plan is empty
    other = write_tree(tmp_path / "other", {"skillsync.yaml": folder_config(str(agent))})
    assert run_cli("-C", str(other), "import", "--all").exit_code == 0
    assert os.stat(other / "skills/tool/run.sh").st_mode & 0o111 == 0o111
    assert os.stat(other / "skills/tool/SKILL.md").st_mode & 0o111 == 0
    assert run_cli("-C", str(other), "plan", "--detailed-exitcode").exit_code == 0


def test_a_skill_left_hidden_by_an_interrupted_swap_is_put_back(
    repo: Callable[..., Path], agent: Path
) -> None:
    root = repo({"skills/a.yaml": skill_yaml("a")})
    assert apply(root) == 0
    (agent / "a").rename(agent / ".a.skillsync-old")  # killed between the two renames
    write_tree(agent, {".a.skillsync-new/SKILL.md": "half\n"})
    assert run_cli("-C", str(root), "plan", "--detailed-exitcode").exit_code == 0
    assert sorted(folder_state(agent)) == ["a"]


def _any_new(agent: Path, names: list[str]) -> bool:
    """Whether a skill's SKILL.md says 2.0.0 yet; read while an apply renames folders, so a
    file that is not there at this instant counts as not new."""
    for name in names:
        with contextlib.suppress(OSError):
            if b'"2.0.0"' in (agent / name / "SKILL.md").read_bytes():
                return True
    return False


def test_a_killed_apply_leaves_every_skill_old_or_new(
    repo: Callable[..., Path], agent: Path
) -> None:
    names = [f"s-{i:03d}" for i in range(150)]
    body = "x" * 20_000 + "\n"
    root = repo({f"skills/{n}.yaml": skill_yaml(n, instructions=body) for n in names})
    assert apply(root) == 0
    old = folder_state(agent)
    for n in names:
        (root / f"skills/{n}.yaml").write_text(skill_yaml(n, version="2.0.0", instructions=body))
    process = subprocess.Popen(
        [sys.executable, "-m", "skillsync", "-C", str(root), "apply", "--auto-approve"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (agent / ".skillsync.lock").stat().st_mtime_ns:
        time.sleep(0.01)
    while time.monotonic() < deadline and not _any_new(agent, names):
        time.sleep(0.005)  # kill it once some skills are new, not all
    process.send_signal(signal.SIGKILL)
    process.wait()
    plan = json.loads(run_cli("-C", str(root), "plan", "--format", "json").stdout)
    after = folder_state(agent)
    assert sorted(after) == names
    updated = {c["name"] for c in plan["changes"]}
    for n in names:  # each skill is whole: the old files or the new ones
        if n in updated:
            assert after[n] == old[n]
        else:
            assert b'version: "2.0.0"' in after[n]["files"][f"{n}/SKILL.md"]
    assert {c["action"] for c in plan["changes"]} <= {"update"}
    assert apply(root) == 0
    assert run_cli("-C", str(root), "plan", "--detailed-exitcode").exit_code == 0


def test_a_concurrent_apply_is_refused_by_the_folder_lock(
    repo: Callable[..., Path], agent: Path
) -> None:
    root = repo({"skills/a.yaml": skill_yaml("a")})
    agent.mkdir(parents=True)
    with open(agent / ".skillsync.lock", "ab") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        result = run_cli("-C", str(root), "apply", "--auto-approve")
    assert result.exit_code == 1
    assert f"another skillsync apply is writing to {agent}" in result.output
    assert "Apply incomplete: 0 done, 1 failed." in result.output
    assert folder_state(agent) == {}
    assert apply(root) == 0  # the lock let go
    assert sorted(folder_state(agent)) == ["a"]


def test_home_and_relative_paths_and_no_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    for name in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "SKILLSYNC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    config = (
        "version: 1\ntargets:\n"
        "  user:\n    api: directory\n    path: ~/.claude/skills\n"
        "  project:\n    api: directory\n    path: .agents/skills\n"
        "  copilot:\n    api: directory\n    path: ../elsewhere/.github/skills\n"
    )
    root = write_tree(tmp_path / "repo", {"skillsync.yaml": config, **FOLDER})
    monkeypatch.chdir(tmp_path)
    result = run_cli("-C", str(root), "apply", "--all-targets", "--auto-approve")
    assert result.exit_code == 0, result.output
    for folder in (
        home / ".claude/skills",
        root / ".agents/skills",
        tmp_path / "elsewhere/.github/skills",
    ):
        assert folder_state(folder)["pdf-notes"]["files"] == UPLOADED
    assert "on target 'user' (~/.claude/skills)" in result.stdout
    again = run_cli("-C", str(root), "plan", "--all-targets", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    # the repository's own walk never reads the installed copies (hidden folders)
    assert run_cli("-C", str(root), "validate").exit_code == 0
    output = run_cli("-C", str(root), "output", "--target", "copilot")
    [skill] = json.loads(output.stdout)["skills"]
    assert skill["installed"] == str(tmp_path / "elsewhere/.github/skills/pdf-notes")


def test_output_names_the_installed_folder(repo: Callable[..., Path], agent: Path) -> None:
    root = repo(dict(FOLDER))
    assert apply(root) == 0
    result = run_cli("-C", str(root), "output")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "format_version": "1",
        "target": "agent",
        "api": "directory",
        "skills": [
            {
                "name": "pdf-notes",
                "id": "pdf-notes",
                "version": "1.0.0",
                "default_version": None,
                "path": "skills/pdf-notes/SKILL.md",
                "installed": str(agent / "pdf-notes"),
                "in_sync": True,
            }
        ],
    }
    env = run_cli("-C", str(root), "output", "--format", "env")
    assert env.stdout == "SKILLSYNC_PDF_NOTES_ID=pdf-notes\nSKILLSYNC_PDF_NOTES_VERSION=1.0.0\n"
    for fragment in ("anthropic-container", "openai-skills"):
        refused = run_cli("-C", str(root), "output", "--format", fragment)
        assert refused.exit_code == 1
        assert refused.stdout == ""
        assert f"Error: --format {fragment} is a request fragment of a Skills API" in (
            refused.stderr
        )


def test_import_onboards_skills_installed_by_hand(repo: Callable[..., Path], agent: Path) -> None:
    write_tree(
        agent,
        {
            "by-hand/SKILL.md": folder_md("by-hand"),
            "by-hand/scripts/go.py": "print('go')\n",
            "by-hand/__pycache__/go.pyc": b"\0cache",
        },
    )
    root = repo({})
    result = run_cli("-C", str(root), "import", "--all")
    assert result.exit_code == 0, result.output
    assert (root / "skills/by-hand/SKILL.md").read_text() == folder_md("by-hand")
    assert (root / "skills/by-hand/scripts/go.py").read_text() == "print('go')\n"
    assert not (root / "skills/by-hand/__pycache__").exists()
    assert run_cli("-C", str(root), "plan", "--detailed-exitcode").exit_code == 0


def test_import_never_follows_a_symlinked_skill_folder(
    repo: Callable[..., Path], agent: Path, tmp_path: Path
) -> None:
    elsewhere = write_tree(tmp_path / "vendor", {"linked/SKILL.md": folder_md("linked")})
    write_tree(agent, {"by-hand/SKILL.md": folder_md("by-hand")})
    (agent / "linked").symlink_to(elsewhere / "linked")
    root = repo({})
    every = run_cli("-C", str(root), "import", "--all")
    assert every.exit_code == 0, every.output
    why = "skipped linked: a symlink (installed by another tool); never followed or changed\n"
    assert why in every.stdout
    assert "Imported 1 skill(s), skipped 1." in every.stdout
    assert sorted(p.name for p in (root / "skills").iterdir()) == ["by-hand"]
    named = run_cli("-C", str(root), "import", "linked")
    assert named.exit_code == 1
    assert why in named.stdout
    assert not (root / "skills/linked").exists()


def test_api_keys_on_a_folder_are_errors_at_their_line(tmp_path: Path) -> None:
    config = (
        "version: 1\ntargets:\n  agent:\n    api: directory\n    path: skills-out\n"
        "    base_url: https://api.anthropic.com\n    workspace_id: w\n"
        "  bare:\n    api: directory\n"
    )
    root = write_tree(tmp_path / "repo", {"skillsync.yaml": config})
    result = run_cli("-C", str(root), "validate")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "skillsync.yaml:6:15: error: targets.agent.base_url: only targets with api: anthropic "
        "or openai or seed read it (this one has api: directory) [schema]",
        "skillsync.yaml:7:19: error: targets.agent.workspace_id: only targets with api: "
        "anthropic read it (this one has api: directory) [schema]",
        "skillsync.yaml:9:5: error: targets.bare: api: directory needs 'path' (The folder: "
        "one subfolder per skill. Relative to skillsync.yaml; ~ is expanded.) [schema]",
        "3 errors, 0 warnings in 0 skill files.",
    ]


def test_a_folder_where_the_skills_globs_look_is_refused(tmp_path: Path) -> None:
    config = (
        "version: 1\ntargets:\n"
        "  own:\n    api: directory\n    path: skills\n"
        "  inner:\n    api: directory\n    path: ./skills/../skills/installed\n"
        "  claude:\n    api: directory\n    path: .claude/skills\n"
        "  build:\n    api: directory\n    path: build/skills\n"
        "  cache:\n    api: directory\n    path: skills/__pycache__/x\n"
    )
    root = write_tree(tmp_path / "repo", {"skillsync.yaml": config, **FOLDER})
    result = run_cli("-C", str(root), "validate")
    assert result.exit_code == 1
    why = (
        ": the skills glob 'skills/**/*.yaml' looks in that folder, so after an apply the "
        "repository would read the installed skills as its own; install them outside the "
        "globs (a hidden folder such as .claude/skills is never read) [schema]"
    )
    assert result.stdout.splitlines()[:2] == [
        f"skillsync.yaml:5:11: error: targets.own.path{why}",
        f"skillsync.yaml:8:11: error: targets.inner.path{why}",
    ]
    assert result.stdout.count("looks in that folder") == 2  # not claude, build nor cache
    (root / "skillsync.yaml").write_text(
        config.replace("version: 1", 'version: 1\nskills: ["x/*"]')
    )
    assert run_cli("-C", str(root), "validate").exit_code == 0
    # a hidden folder is walked when a glob names it: the skills kept in .claude/skills
    kept = 'version: 1\nskills: [".claude/skills/**/SKILL.md"]'
    (root / "skillsync.yaml").write_text(config.replace("version: 1", kept))
    named = run_cli("-C", str(root), "validate")
    assert named.exit_code == 1
    assert named.stdout.count("looks in that folder") == 1
    assert "skillsync.yaml:12:11: error: targets.claude.path: the skills glob " in named.stdout


def test_two_targets_on_one_folder_are_refused(tmp_path: Path) -> None:
    config = (
        "version: 1\ntargets:\n"
        "  a:\n    api: directory\n    path: out\n"
        f"  b:\n    api: directory\n    path: {tmp_path / 'repo' / 'out'}\n"
    )
    root = write_tree(tmp_path / "repo", {"skillsync.yaml": config, **FOLDER})
    result = run_cli("-C", str(root), "apply", "--all-targets", "--auto-approve")
    assert result.exit_code == 1
    assert "targets 'a' and 'b' reach the same workspace" in result.output
    assert not (root / "out").exists()


def test_an_api_target_and_a_folder_in_one_run(
    tmp_path: Path, emulator_factory: Callable[..., Emulator], monkeypatch: pytest.MonkeyPatch
) -> None:
    claude = emulator_factory(api="anthropic")
    monkeypatch.setenv("SKILLSYNC_TEST_KEY", "emulator-key")
    config = target_config(claude.url, api="anthropic").replace("default_target: test\n", "") + (
        "  agents:\n    api: directory\n    path: .agents/skills\n"
    )
    root = write_tree(tmp_path / "repo", {"skillsync.yaml": config, **FOLDER})
    result = run_cli("-C", str(root), "plan", "--all-targets", "--format", "json")
    assert result.exit_code == 0, result.output
    plans = json.loads(result.stdout)["plans"]
    assert [(p["target"]["name"], p["summary"]["create"]) for p in plans] == [
        ("test", 1),
        ("agents", 1),
    ]
    assert plans[1]["target"]["base_url"] == ".agents/skills"
