"""One contract, every dialect of SKILL.md folders: the same scenarios, the same exact
remote states.

Anthropic's and OpenAI's Skills APIs take the same SKILL.md folders, and an agent's
folder (``api: directory``) holds them as files: a repository must land as the same
files on each, with one write per change, a warm plan that only lists, lost answers
that never duplicate, and an import that round-trips byte for byte. Each scenario
runs against the emulator of each API dialect over loopback HTTP, and against a
folder; ``Place.state`` reads what the target holds directly. (The seed dialect
sends fields, not files: its contract is test_sync and test_client.)
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from skillsync.emulator.app import Faults
from tests.conftest import KEY_ENV, Emulator, run_cli, skill_yaml, target_config, write_tree
from tests.helpers.cli import apply, clean, plan_json
from tests.helpers.folders import (
    FOLDER,
    UPLOADED,
    WS,
    folder_md,
    folder_state,
    requests,
    reset,
    state,
    writes,
)

API_DIALECTS = ["anthropic", "openai"]
DIALECTS = [*API_DIALECTS, "directory"]
LIST = "GET /v1/skills"


@dataclass
class Place:
    """Where a scenario deploys: an API dialect's emulator, or an agent's folder."""

    api: str
    emulator: Emulator | None = None
    folder: Path | None = None

    def config(self, extra: str = "") -> str:
        if self.emulator is not None:
            return target_config(self.emulator.url, api=self.api, extra=extra)
        return (
            "version: 1\ndefault_target: test\ntargets:\n  test:\n"
            f'    api: directory\n    path: {self.folder}\n    manage: ["*"]\n{extra}'
        )

    def state(self) -> dict[str, dict[str, Any]]:
        if self.emulator is not None:
            return state(self.emulator)
        assert self.folder is not None
        return folder_state(self.folder)

    def writes(self, expected: dict[str, int]) -> None:
        """An API received exactly ``expected`` writes (a folder keeps no count)."""
        if self.emulator is not None:
            assert writes(self.emulator) == expected

    def reset(self) -> None:
        if self.emulator is not None:
            reset(self.emulator)

    @property
    def versioned(self) -> bool:
        return self.emulator is not None


@pytest.fixture(params=DIALECTS)
def remote(
    request: pytest.FixtureRequest, emulator_factory: Callable[..., Emulator], tmp_path: Path
) -> Place:
    if request.param == "directory":
        return Place("directory", folder=tmp_path / "agent" / "skills")
    return Place(request.param, emulator=emulator_factory(api=request.param))


@pytest.fixture
def make_repo(
    tmp_path: Path, remote: Place, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Path]:
    monkeypatch.setenv(KEY_ENV, "emulator-key")
    monkeypatch.delenv("SKILLSYNC_BASE_URL", raising=False)

    def make(files: dict[str, str | bytes], extra: str = "") -> Path:
        return write_tree(tmp_path / "repo", {"skillsync.yaml": remote.config(extra), **files})

    return make


def test_create_uploads_the_same_bytes_with_one_write_each(
    make_repo: Callable[..., Path], remote: Place
) -> None:
    root = make_repo({**FOLDER, "skills/a.yaml": skill_yaml("a", description="'Say \"hi\" ü'")})
    result = apply(root)
    assert result.exit_code == 0, result.output
    now = remote.state()
    assert now["pdf-notes"]["files"] == UPLOADED
    assert now["a"]["files"] == {
        "a/SKILL.md": (
            '---\nname: a\ndescription: "Say \\"hi\\" ü"\nmetadata:\n  version: "1.0.0"\n'
            "---\nDo it well.\n"
        ).encode()
    }
    remote.writes({"POST /v1/skills": 2})
    assert clean(root)


def test_update_is_one_new_version_of_the_same_skill(
    make_repo: Callable[..., Path], remote: Place
) -> None:
    root = make_repo(dict(FOLDER))
    assert apply(root).exit_code == 0
    before = remote.state()["pdf-notes"]
    (root / "skills/pdf-notes/SKILL.md").write_text(folder_md("pdf-notes", version="1.1.0"))
    (root / "skills/pdf-notes/reference/format.md").unlink()
    [change] = plan_json(root)["changes"]
    assert (change["action"], change["changed"]) == ("update", ["version", "files"])
    remote.reset()
    assert apply(root).exit_code == 0
    after = remote.state()["pdf-notes"]
    assert (after["id"], after["versions"]) == (before["id"], 2 if remote.versioned else None)
    assert sorted(after["files"]) == [
        "pdf-notes/SKILL.md",
        "pdf-notes/assets/logo.png",
        "pdf-notes/scripts/extract.py",
    ]
    remote.writes({"POST /v1/skills/{id}/versions": 1})
    assert clean(root)


def test_delete_and_rename(make_repo: Callable[..., Path], remote: Place) -> None:
    root = make_repo({"skills/old.yaml": skill_yaml("old"), "skills/gone.yaml": skill_yaml("gone")})
    assert apply(root).exit_code == 0
    (root / "skills/gone.yaml").unlink()
    (root / "skills/old.yaml").unlink()
    (root / "skills/new.yaml").write_text(skill_yaml("new") + "renamed_from: [old]\n")
    actions = [(c["action"], c["name"]) for c in plan_json(root)["changes"]]
    assert actions == [("delete", "gone"), ("replace", "new")]
    remote.reset()
    assert apply(root).exit_code == 0
    assert sorted(remote.state()) == ["new"]
    remote.writes({"DELETE /v1/skills/{id}": 2, "POST /v1/skills": 1})
    assert clean(root)


@pytest.fixture(params=API_DIALECTS)
def api(request: pytest.FixtureRequest, emulator_factory: Callable[..., Emulator]) -> Emulator:
    return emulator_factory(api=request.param)


@pytest.fixture
def api_repo(tmp_path: Path, api: Emulator, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    monkeypatch.setenv(KEY_ENV, "emulator-key")
    monkeypatch.delenv("SKILLSYNC_BASE_URL", raising=False)

    def make(files: dict[str, str | bytes], extra: str = "") -> Path:
        config = target_config(api.url, api=api.api, extra=extra)
        return write_tree(tmp_path / "repo", {"skillsync.yaml": config, **files})

    return make


def test_a_warm_plan_only_lists(api_repo: Callable[..., Path], api: Emulator) -> None:
    make_repo, remote = api_repo, api
    root = make_repo({**FOLDER, **{f"skills/s{i}.yaml": skill_yaml(f"s{i}") for i in range(5)}})
    assert apply(root).exit_code == 0
    reset(remote)
    assert clean(root)
    assert requests(remote) == {LIST: 1}
    reset(remote)
    output = run_cli("-C", str(root), "output", "--format", "json")
    assert output.exit_code == 0, output.output
    assert requests(remote) == {LIST: 1}
    assert all(s["in_sync"] for s in json.loads(output.stdout)["skills"])


def test_retain_versions_keeps_the_newest(api_repo: Callable[..., Path], api: Emulator) -> None:
    make_repo, remote = api_repo, api
    root = make_repo({"skills/a.yaml": skill_yaml("a")}, extra="    retain_versions: 2\n")
    assert apply(root).exit_code == 0
    for version in ("1.1.0", "1.2.0", "1.3.0"):
        (root / "skills/a.yaml").write_text(skill_yaml("a", version=version))
        assert apply(root).exit_code == 0
    assert state(remote)["a"]["versions"] == 2
    assert b'version: "1.3.0"' in state(remote)["a"]["files"]["a/SKILL.md"]
    assert clean(root)


def test_a_saved_plan_applies_exactly_and_refuses_changed_files(
    make_repo: Callable[..., Path], remote: Place, tmp_path: Path
) -> None:
    root = make_repo(dict(FOLDER))
    saved = tmp_path / "plan.json"
    assert run_cli("-C", str(root), "plan", "--out", str(saved)).exit_code == 0
    assert apply(root, str(saved)).exit_code == 0
    assert remote.state()["pdf-notes"]["files"] == UPLOADED
    (root / "skills/pdf-notes/SKILL.md").write_text(folder_md("pdf-notes", version="2.0.0"))
    assert run_cli("-C", str(root), "plan", "--out", str(saved)).exit_code == 0
    (root / "skills/pdf-notes/scripts/extract.py").write_text("print('edited after')\n")
    remote.reset()
    refused = apply(root, str(saved))
    assert refused.exit_code == 1
    assert "the files of skill 'pdf-notes' changed after the plan was made" in refused.output
    remote.writes({})
    assert remote.state()["pdf-notes"]["files"] == UPLOADED


def test_import_round_trips_byte_for_byte(
    make_repo: Callable[..., Path], remote: Place, tmp_path: Path
) -> None:
    root = make_repo(dict(FOLDER))
    assert apply(root).exit_code == 0
    other = write_tree(
        tmp_path / "other", {"skillsync.yaml": (root / "skillsync.yaml").read_text()}
    )
    result = run_cli("-C", str(other), "import", "--all")
    assert result.exit_code == 0, result.output
    written = {
        str(p.relative_to(other / "skills")): p.read_bytes()
        for p in (other / "skills").rglob("*")
        if p.is_file()
    }
    assert written == UPLOADED
    assert clean(other)


@pytest.mark.parametrize("api", API_DIALECTS)
def test_lost_answers_under_faults_duplicate_nothing_and_leak_no_key(
    api: str,
    emulator_factory: Callable[..., Emulator],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    canary = f"sk-canary-{api}-5d1e"
    emulator = emulator_factory(api=api, keys={canary: WS}, faults=Faults(rate=0.3, seed=3))
    monkeypatch.setenv(KEY_ENV, canary)
    names = [f"s-{i:02d}" for i in range(30)]
    root = write_tree(
        tmp_path / "r",
        {
            "skillsync.yaml": target_config(emulator.url, api=api),
            **{f"skills/{n}.yaml": skill_yaml(n) for n in names},
        },
    )
    retries = ("--max-retries", "12")
    outputs = [run_cli("-C", str(root), "-v", "--debug", "apply", "--auto-approve", *retries)]
    for name in names[:10]:
        (root / f"skills/{name}.yaml").write_text(skill_yaml(name, version="1.1.0"))
    outputs.append(run_cli("-C", str(root), "-v", "apply", "--auto-approve", *retries))
    outputs.append(run_cli("-C", str(root), "plan", "--detailed-exitcode", *retries))
    assert [o.exit_code for o in outputs] == [0, 0, 0], outputs[-1].output[-2000:]
    assert emulator.app.fault_stats["drop_after_write"] > 0  # type: ignore[attr-defined]
    now = state(emulator)
    assert sorted(now) == names
    assert sorted(s["versions"] for s in now.values()) == [1] * 20 + [2] * 10
    assert not [o for o in outputs if canary in o.output]


def test_one_repository_to_anthropic_and_openai_plans_clean_on_both(
    corpus: Path,
    tmp_path: Path,
    emulator_factory: Callable[..., Emulator],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    claude, openai = emulator_factory(api="anthropic"), emulator_factory(api="openai")
    monkeypatch.setenv("CLAUDE_KEY", "emulator-key")
    monkeypatch.setenv("OPENAI_KEY", "emulator-key")
    config = (
        "version: 1\ntargets:\n"
        f"  claude:\n    base_url: {claude.url}\n    api_key_env: CLAUDE_KEY\n"
        f"  openai:\n    base_url: {openai.url}\n    api: openai\n    api_key_env: OPENAI_KEY\n"
    )
    root = write_tree(tmp_path / "both", {"skillsync.yaml": config})
    for folder in sorted(corpus.iterdir()):
        if folder.is_dir() and folder.name != "claude-api":  # its description is too long
            shutil.copytree(folder, root / "skills" / folder.name)
    result = run_cli("-C", str(root), "apply", "--all-targets", "--auto-approve")
    assert result.exit_code == 0, result.output[-2000:]
    assert result.stdout.count("Apply complete: 11 added, 0 changed, 0 destroyed.") == 2
    again = run_cli("-C", str(root), "plan", "--all-targets", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    on_claude, on_openai = state(claude), state(openai)
    assert {n: s["files"] for n, s in on_claude.items()} == {
        n: s["files"] for n, s in on_openai.items()
    }
