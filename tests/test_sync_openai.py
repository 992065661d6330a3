"""What only the openai dialect has: the default pointer, promotion, its headers and errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from skillsync import planning
from skillsync.config import load_or_fail
from skillsync.dialects import openai_reset_in
from skillsync.emulator.app import Faults
from skillsync.emulator.folder_store import VersionContent
from skillsync.emulator.uploads import OPENAI_RULES, check_upload
from skillsync.loading import load_projected, without_texts
from skillsync.options import ClientOptions
from skillsync.remote import open_remote
from skillsync.snapshot import name_all, read_for_plan
from tests.conftest import (
    KEY_ENV,
    Emulator,
    run_cli,
    skill_yaml,
    target_config,
    write_tree,
)
from tests.helpers.folders import WS, requests, reset, state, writes
from tests.helpers.loading import LoadingApart, held_until_killed


@pytest.fixture
def remote(emulator_factory: Callable[..., Emulator]) -> Emulator:
    """The openai emulator."""
    return emulator_factory(api="openai")


@pytest.fixture
def make_repo(
    tmp_path: Path, remote: Emulator, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Path]:
    monkeypatch.setenv(KEY_ENV, "emulator-key")
    monkeypatch.delenv("SKILLSYNC_BASE_URL", raising=False)

    def make(files: dict[str, str | bytes], extra: str = "") -> Path:
        config = target_config(remote.url, api="openai", extra=extra)
        return write_tree(tmp_path / "repo", {"skillsync.yaml": config, **files})

    return make


def cli(root: Path, *args: str) -> Any:
    return run_cli("-C", str(root), *args)


def pointer(remote: Emulator, name: str) -> tuple[str, str]:
    skill = remote.store.get(WS, state(remote)[name]["id"])
    return skill["default_version"], skill["latest_version"]


def version_of(name: str, text: str) -> VersionContent:
    md = f"---\nname: {name}\ndescription: {text}\n---\nBody.\n".encode()
    return check_upload([(f"{name}/SKILL.md", md)], OPENAI_RULES)


def test_a_pointer_moved_behind_our_back_is_moved_back_and_nothing_uploaded(
    make_repo: Callable[..., Path], remote: Emulator
) -> None:
    root = make_repo({"skills/a.yaml": skill_yaml("a")})
    assert cli(root, "apply", "--auto-approve").exit_code == 0
    (root / "skills/a.yaml").write_text(skill_yaml("a", version="1.1.0"))
    assert cli(root, "apply", "--auto-approve").exit_code == 0
    assert pointer(remote, "a") == ("2", "2")  # promote: auto uploads as the default
    skill_id = state(remote)["a"]["id"]
    remote.store.set_default(WS, skill_id, 1)  # a rollback in the console
    plan = cli(root, "plan", "--detailed-exitcode")
    assert plan.exit_code == 2
    assert (
        f"  ~ update skill 'a' ({skill_id}, skills/a.yaml)\n      ~ default_version 1 -> 2\n"
        in plan.stdout
    )
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in plan.stdout
    [change] = json.loads(cli(root, "plan", "--format", "json").stdout)["changes"]
    assert (change["changed"], change["before"], change["after"]) == (
        ["default_version"],
        {"default_version": "1"},
        {"default_version": "2"},
    )
    reset(remote)
    assert cli(root, "apply", "--auto-approve").exit_code == 0
    assert writes(remote) == {"POST /v1/skills/{id}": 1}  # the pointer only
    assert pointer(remote, "a") == ("2", "2")
    assert state(remote)["a"]["versions"] == 2
    assert cli(root, "plan", "--detailed-exitcode").exit_code == 0


def test_manual_promotion_stages_new_versions(
    make_repo: Callable[..., Path], remote: Emulator
) -> None:
    root = make_repo(
        {"skills/a.yaml": skill_yaml("a"), "skills/b.yaml": skill_yaml("b")},
        extra="    promote: manual\n",
    )
    assert cli(root, "apply", "--auto-approve").exit_code == 0
    assert pointer(remote, "a") == ("1", "1")  # a first upload is the default anyway
    for name in ("a", "b"):
        (root / f"skills/{name}.yaml").write_text(skill_yaml(name, version="2.0.0"))
    assert cli(root, "apply", "--auto-approve").exit_code == 0
    assert pointer(remote, "a") == ("1", "2")  # uploaded, not served
    plan = cli(root, "plan", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output  # the repository is deployed; only staged
    assert "'a': the default version is 1, the latest 2 (promote: manual)" in plan.stdout
    output = json.loads(cli(root, "output", "--format", "json").stdout)["skills"]
    assert [(s["name"], s["version"], s["default_version"]) for s in output] == [
        ("a", "2", "1"),
        ("b", "2", "1"),
    ]
    # applications get what is served: the default version, never a staged one
    pinned = json.loads(cli(root, "output", "--format", "openai-skills", "--pin").stdout)
    assert [s["version"] for s in pinned["skills"]] == ["1", "1"]
    served = json.loads(cli(root, "output", "--format", "openai-skills").stdout)
    assert ["version" in s for s in served["skills"]] == [False, False]
    reset(remote)
    promoted = cli(root, "promote", "a")
    assert promoted.exit_code == 0, promoted.output
    assert "~ promoted 'a'" in promoted.stdout and "default_version 1 -> 2" in promoted.stdout
    assert writes(remote) == {"POST /v1/skills/{id}": 1}
    assert (pointer(remote, "a"), pointer(remote, "b")) == (("2", "2"), ("1", "2"))
    assert cli(root, "promote").exit_code == 0
    assert pointer(remote, "b") == ("2", "2")
    again = cli(root, "promote")
    assert again.stdout == "Nothing to promote: every default version is the latest.\n"


def test_promote_refuses_a_latest_version_the_repository_does_not_hold(
    make_repo: Callable[..., Path], remote: Emulator
) -> None:
    root = make_repo({"skills/a.yaml": skill_yaml("a")}, extra="    promote: manual\n")
    assert cli(root, "apply", "--auto-approve").exit_code == 0
    remote.store.add_version(WS, state(remote)["a"]["id"], version_of("a", "hand"), default=False)
    result = cli(root, "promote", "a")
    assert result.exit_code == 1
    assert "the latest version of these skills is not what the repository holds: a" in (
        result.stderr
    )
    assert pointer(remote, "a") == ("1", "2")
    unknown = cli(root, "promote", "zzz")
    assert (unknown.exit_code, "not skills of this repository: zzz" in unknown.stderr) == (1, True)


def test_promote_refuses_a_name_two_remote_skills_share(
    make_repo: Callable[..., Path], remote: Emulator
) -> None:
    root = make_repo({"skills/a.yaml": skill_yaml("a")}, extra="    promote: manual\n")
    assert cli(root, "apply", "--auto-approve").exit_code == 0
    ours = state(remote)["a"]["id"]
    stranger = remote.store.create(WS, version_of("a", "A stranger's. Use when never."))["id"]
    remote.store.add_version(
        WS, stranger, version_of("a", "Staged. Use when never."), default=False
    )
    reset(remote)
    result = cli(root, "promote", "a")
    assert result.exit_code == 1
    ids = ", ".join(sorted([ours, stranger]))
    assert f"several remote skills share the name of 'a' ({ids})" in result.stderr
    assert writes(remote) == {}
    assert remote.store.get(WS, stranger)["default_version"] == "1"
    assert cli(root, "promote").exit_code == 1  # all of them: 'a' is among them


def test_a_skill_larger_than_anthropic_accepts_plans_again_from_a_cold_cache(
    make_repo: Callable[..., Path], remote: Emulator
) -> None:
    large = os.urandom(17 * 1024 * 1024)  # over anthropic's bounds, within openai's 25 MB a file
    md = "---\nname: big\ndescription: Holds a large model. Use when testing.\n---\nBody.\n"
    root = make_repo({"skills/big/SKILL.md": md, "skills/big/model.bin": large})
    assert cli(root, "apply", "--auto-approve").exit_code == 0
    again = cli(root, "plan", "--no-cache", "--detailed-exitcode")
    assert again.exit_code == 0, again.output


def test_promote_is_for_openai_targets(
    anthropic_emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, "emulator-key")
    root = write_tree(
        tmp_path / "r", {"skillsync.yaml": target_config(anthropic_emulator.url, api="anthropic")}
    )
    result = cli(root, "promote")
    assert result.exit_code == 1
    assert "speaks api: anthropic, which has no default version to promote" in result.stderr


def test_retain_versions_never_deletes_the_default(
    make_repo: Callable[..., Path], remote: Emulator
) -> None:
    root = make_repo(
        {"skills/a.yaml": skill_yaml("a")}, extra="    promote: manual\n    retain_versions: 1\n"
    )
    assert cli(root, "apply", "--auto-approve").exit_code == 0
    for version in ("1.1.0", "1.2.0"):
        (root / "skills/a.yaml").write_text(skill_yaml("a", version=version))
        assert cli(root, "apply", "--auto-approve").exit_code == 0
    skill_id = state(remote)["a"]["id"]
    versions = remote.store.versions(WS, skill_id, 100, None, True)[0]
    assert [v["version"] for v in versions] == ["1", "3"]  # 2 pruned, the default 1 kept
    assert pointer(remote, "a") == ("1", "3")


def test_a_promote_key_on_an_anthropic_target_is_an_error_where_it_is_written(
    repo: Callable[..., Path],
) -> None:
    config = (
        "version: 1\ntargets:\n  prod:\n    base_url: https://api.anthropic.com\n"
        "    promote: manual\n"
    )
    root = repo({}, config=config)
    result = run_cli("-C", str(root), "validate")
    assert result.exit_code == 1
    assert (
        "skillsync.yaml:5:14: error: targets.prod.promote: only targets with api: openai read "
        "it (this one has api: anthropic) [schema]"
    ) in result.output


def test_retain_versions_on_a_seed_target_names_the_dialects_that_read_it(
    repo: Callable[..., Path],
) -> None:
    config = "version: 1\ntargets:\n  old:\n    api: seed\n    retain_versions: 3\n"
    result = run_cli("-C", str(repo({}, config=config)), "validate")
    assert result.exit_code == 1
    assert (
        "targets.old.retain_versions: only targets with api: anthropic or openai read it "
        "(this one has api: seed)"
    ) in result.output


def test_output_hands_openai_skill_references_to_applications(
    make_repo: Callable[..., Path], remote: Emulator
) -> None:
    root = make_repo({"skills/a.yaml": skill_yaml("a")})
    assert cli(root, "apply", "--auto-approve").exit_code == 0
    (root / "skills/a.yaml").write_text(skill_yaml("a", version="1.1.0"))
    assert cli(root, "apply", "--auto-approve").exit_code == 0
    skill_id = state(remote)["a"]["id"]
    pinned = json.loads(cli(root, "output", "--format", "openai-skills", "--pin").stdout)
    assert pinned == {"skills": [{"type": "skill_reference", "skill_id": skill_id, "version": "2"}]}
    served = json.loads(cli(root, "output", "--format", "openai-skills").stdout)
    assert served == {"skills": [{"type": "skill_reference", "skill_id": skill_id}]}
    env = cli(root, "output", "--format", "env").stdout
    assert env == f"SKILLSYNC_A_ID={skill_id}\nSKILLSYNC_A_VERSION=2\n"


def test_defaults_headers_and_errors_of_an_openai_target(
    repo: Callable[..., Path], remote: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = repo(
        {},
        config="version: 1\ntargets:\n  oa:\n    api: openai\n"
        "    organization: org-1\n    project: proj_2\n",
    )
    [target] = load_or_fail(root).targets
    assert (target.base_url, target.api_key_env) == ("https://api.openai.com", "OPENAI_API_KEY")

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    with open_remote(load_or_fail(root), target, ClientOptions(use_cache=False)) as client:
        headers = client.http.headers
        assert (headers["authorization"], headers["openai-organization"]) == (
            "Bearer sk-test",
            "org-1",
        )
        assert headers["openai-project"] == "proj_2"
        assert "anthropic-version" not in headers
    monkeypatch.setenv(KEY_ENV, "wrong-key")
    bad = write_tree(
        root.parent / "bad", {"skillsync.yaml": target_config(remote.url, api="openai")}
    )
    result = run_cli("-C", str(bad), "plan")
    assert result.exit_code == 1
    assert "401 invalid_request_error: invalid bearer token" in result.stderr
    assert "(request-id req_" in result.stderr  # from x-request-id
    assert "check the key in $SKILLSYNC_TEST_KEY" in result.stderr


@pytest.mark.parametrize(
    ("remaining", "reset", "seconds"),
    [
        ("0", "1s", 1.0),
        ("0", "6m0s", 60.0),  # capped
        ("0", "20ms", 0.02),
        ("0", "1.5s", 1.5),
        ("0", "", 8.0),
        ("0", "soon", 8.0),
        ("3", "1s", None),
    ],
)
def test_openai_rate_limit_headers(remaining: str, reset: str, seconds: float | None) -> None:
    headers = httpx.Headers(
        {"x-ratelimit-remaining-requests": remaining, "x-ratelimit-reset-requests": reset}
    )
    assert openai_reset_in(headers) == seconds


def test_each_remote_skill_is_read_as_soon_as_its_desired_skill_arrives(
    make_repo: Callable[..., Path], remote: Emulator
) -> None:
    names = ["a", "b", "c", "d"]
    root = make_repo({f"skills/{n}.yaml": skill_yaml(n) for n in names})
    assert cli(root, "apply", "--auto-approve").exit_code == 0
    (root / "skills/d.yaml").unlink()  # d: on the remote only, never read in full
    config = load_or_fail(root)
    content = "GET /v1/skills/{id}/versions/{version}/content"
    with open_remote(config, config.target(None), ClientOptions(use_cache=False)) as client:
        skills = {
            s.name: without_texts(s) for s in load_projected(config, client, trees=True, quiet=True)
        }
        listed = name_all(client, client.list_skills())
        reset(remote)
        seen: list[int] = []

        def arriving() -> Any:  # as the loading process sends them
            yield [skills["a"]]
            seen.append(requests(remote).get(content, 0))
            yield [skills["b"], skills["a"]]  # a name sent again is not read again
            seen.append(requests(remote).get(content, 0))
            yield [skills["c"]]

        desired, current = read_for_plan(client, listed, arriving(), only={"a", "b", "d"})
    assert seen == [1, 2]  # each read before the next chunk came
    assert requests(remote) == {content: 2}  # c: not in --skill; d: not in the repository
    assert sorted(desired) == ["a", "b", "c"]
    full = {s.name: s.is_full for s in current}
    assert full == {"a": True, "b": True, "c": False, "d": False}
    by_name = {s.name: s for s in current}
    assert by_name["a"].files == skills["a"].files  # the desired entries, shared
    assert by_name["a"].files is not None and by_name["a"].files[0] is skills["a"].files[0]


def test_a_loading_process_that_dies_midway_is_replaced_by_a_load_in_the_plan(
    make_repo: Callable[..., Path],
    remote: Emulator,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    root = make_repo({f"skills/{n}.yaml": skill_yaml(n) for n in "abc"})
    assert cli(root, "apply", "--auto-approve").exit_code == 0
    (root / "skills/c.yaml").write_text(skill_yaml("c", version="1.1.0", instructions="C2.\n"))
    apart = LoadingApart(monkeypatch, tmp_path / "loads", chunk=1)
    apart.when_sent["b"] = lambda: os._exit(1)  # a sent, then the loading process is gone
    reset(remote)
    result = cli(root, "plan", "--no-cache", "--format", "json")
    assert result.exit_code == 0, result.stderr
    [change] = json.loads(result.stdout)["changes"]
    assert (change["action"], change["name"]) == ("update", "c")
    assert "+C2." in change["files"][0]["diff"]
    content = "GET /v1/skills/{id}/versions/{version}/content"
    assert requests(remote)[content] == 3  # a, sent before the process died, read once


def test_the_loading_process_leaves_a_ctrl_c_to_the_plan(
    make_repo: Callable[..., Path],
    remote: Emulator,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    root = make_repo({f"skills/{n}.yaml": skill_yaml(n) for n in "ab"})
    apart = LoadingApart(monkeypatch, tmp_path / "loaders")
    # what a Ctrl-C sends the whole process group
    apart.when_sent["a"] = lambda: os.kill(os.getpid(), signal.SIGINT)
    result = cli(root, "plan", "--no-cache", "--format", "json")
    assert result.exit_code == 0
    changes = json.loads(result.stdout)["changes"]
    assert [(c["action"], c["name"]) for c in changes] == [("create", "a"), ("create", "b")]
    [loader] = apart.loads()
    assert loader != os.getpid()  # the loading process finished: no second load in the plan
    assert "Traceback" not in capfd.readouterr().err


def test_a_ctrl_c_before_the_plan_hears_its_loading_process_ends_that_process(
    make_repo: Callable[..., Path],
    remote: Emulator,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    root = make_repo({f"skills/{n}.yaml": skill_yaml(n) for n in "abc"})
    apart = LoadingApart(monkeypatch, tmp_path / "loads")
    apart.when_sent["b"] = held_until_killed  # the loading process is at work when it comes

    class Interrupted(planning.ThreadPoolExecutor):  # the plan's receiving thread
        def submit(self, *args: Any, **kwargs: Any) -> Any:
            raise KeyboardInterrupt  # Ctrl-C, before the receiving thread runs

    monkeypatch.setattr(planning, "ThreadPoolExecutor", Interrupted)
    result = cli(root, "plan")
    assert (result.exit_code, result.stderr) == (130, "Interrupted.\n")
    assert apart.loads() == []  # the loading process was ended, not waited for


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads children from /proc")
def test_ctrl_c_stops_a_plan_and_its_loading_process_without_a_traceback(
    tmp_path: Path, emulator_factory: Callable[..., Emulator]
) -> None:
    emulator = emulator_factory(api="openai", faults=Faults(latency_ms=3000))
    files = {f"skills/s-{i:04d}.yaml": skill_yaml(f"s-{i:04d}") for i in range(1000)}
    files["skillsync.yaml"] = target_config(emulator.url, api="openai")
    root = write_tree(tmp_path / "big", files)  # 1,000 files: a loading process
    process = subprocess.Popen(
        [sys.executable, "-m", "skillsync", "-C", str(root), "plan"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, KEY_ENV: "emulator-key"},
        start_new_session=True,  # a process group of its own, as a terminal's job
    )

    def children() -> list[int]:
        found = []
        for task in Path(f"/proc/{process.pid}/task").glob("*/children"):
            found += [int(pid) for pid in task.read_text().split()]
        return found

    deadline = time.monotonic() + 20
    while not children() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    [loader] = children()  # forked; the plan now waits 3 s for the list
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C sends: the whole group
    _, err = process.communicate(timeout=30)
    assert (process.returncode, err) == (130, "Interrupted.\n")
    assert not Path(f"/proc/{loader}").exists()  # ended and waited for
