"""action.yml and the example workflow: schemas, and the action's logic end to end.

The GitHub REST API is the one thing that cannot be real here: a small local
stand-in server plays it. Skills plans run against the real emulator.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from skillsync.ci import github_action
from skillsync.ci.github_comments import MAX_COMMENT, marker
from tests.conftest import (
    KEY_ENV,
    ROOT,
    Emulator,
    run_cli,
    skill_yaml,
    target_config,
    write_tree,
)

REPO = "acme/skills"
TOKEN = "ghs_test_token_0123456789"


class FakeGitHub(ThreadingHTTPServer):
    """Issue comments of one repository, with GitHub's pagination (Link: rel="next")."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _GitHubHandler)
        self.comments: list[dict[str, Any]] = []
        self.requests: list[str] = []
        self.next_id = 1000

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def add(self, body: str) -> int:
        self.next_id += 1
        self.comments.append({"id": self.next_id, "body": body})
        return self.next_id


class _GitHubHandler(BaseHTTPRequestHandler):
    server: FakeGitHub

    def _reply(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _authorised(self) -> bool:
        self.server.requests.append(f"{self.command} {self.path}")
        if self.headers.get("authorization") != f"Bearer {TOKEN}":
            self._reply(401, {"message": "Bad credentials"})
            return False
        return True

    def do_GET(self) -> None:
        if not self._authorised():
            return
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        per_page = int(query.get("per_page", ["30"])[0])
        page = int(query.get("page", ["1"])[0])
        items = self.server.comments[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(self.server.comments):
            headers["link"] = (
                f'<{self.server.url}{url.path}?per_page={per_page}&page={page + 1}>; rel="next"'
            )
        self._reply(200, items, headers)

    def do_POST(self) -> None:
        if not self._authorised():
            return
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        self._reply(201, {"id": self.server.add(body["body"]), "body": body["body"]})

    def do_PATCH(self) -> None:
        if not self._authorised():
            return
        comment_id = int(self.path.rsplit("/", 1)[1])
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        for comment in self.server.comments:
            if comment["id"] == comment_id:
                comment["body"] = body["body"]
                self._reply(200, comment)
                return
        self._reply(404, {"message": "Not Found"})

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    server = FakeGitHub()
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def action_env(
    tmp_path: Path,
    repo: Path,
    github: FakeGitHub,
    *,
    command: str = "plan",
    key: str = "emulator-key",
    fork: bool = False,
) -> dict[str, str]:
    event = {
        "pull_request": {
            "number": 7,
            "head": {"repo": {"full_name": "someone/skills" if fork else REPO}},
            "base": {"repo": {"full_name": REPO}},
        }
    }
    (tmp_path / "event.json").write_text(json.dumps(event))
    for name in ("output", "summary"):
        (tmp_path / name).write_text("")
    import os

    env = {k: v for k, v in os.environ.items() if k != KEY_ENV}
    env.update(
        {
            "SKILLSYNC_COMMAND": command,
            "SKILLSYNC_WORKDIR": str(repo),
            "SKILLSYNC_TARGET": "",
            "SKILLSYNC_API_KEY": key,
            "SKILLSYNC_COMMENT": "true",
            "GITHUB_TOKEN": TOKEN,
            "GITHUB_EVENT_NAME": "pull_request",
            "GITHUB_EVENT_PATH": str(tmp_path / "event.json"),
            "GITHUB_API_URL": github.url,
            "GITHUB_REPOSITORY": REPO,
            "GITHUB_OUTPUT": str(tmp_path / "output"),
            "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
            "RUNNER_TEMP": str(tmp_path),
        }
    )
    env.pop("SKILLSYNC_BASE_URL", None)
    return env


def outputs(tmp_path: Path) -> dict[str, str]:
    """$GITHUB_OUTPUT as GitHub reads it: name=value lines and name<<DELIMITER blocks."""
    lines = iter((tmp_path / "output").read_text().splitlines())
    result = {}
    for line in lines:
        if "<<" in line and "=" not in line.split("<<")[0]:
            name, delimiter = line.split("<<", 1)
            block = []
            for inner in lines:
                if inner == delimiter:
                    break
                block.append(inner)
            result[name] = "\n".join(block)
        else:
            name, _, value = line.partition("=")
            result[name] = value
    return result


@pytest.fixture(params=["seed", "anthropic", "openai"])
def emulator(request: pytest.FixtureRequest, emulator_factory: Callable[..., Emulator]) -> Emulator:
    """The action works the same for every dialect: every test here runs against each."""
    return emulator_factory(api=request.param)


@pytest.fixture
def repo(tmp_path: Path, emulator: Emulator) -> Path:
    config = target_config(emulator.url, api=emulator.api)
    return write_tree(
        tmp_path / "skills-repo",
        {
            "skillsync.yaml": config,
            "skills/a.yaml": skill_yaml("a"),
            "skills/b.yaml": skill_yaml("b"),
        },
    )


@pytest.mark.parametrize(
    ("schema", "path"),
    [
        ("vendor.github-actions", ROOT / "action.yml"),
        ("vendor.github-workflows", ROOT / "example-repo/.github/workflows/skillsync.yml"),
        (
            "vendor.github-workflows",
            ROOT / "example-repo/.github/workflows/staging-then-production.yml",
        ),
        ("vendor.github-workflows", ROOT / "example-repo/.github/workflows/claude-and-openai.yml"),
    ],
)
def test_action_and_workflow_match_github_schemas(schema: str, path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_action_reads_inputs_only_through_env() -> None:
    import yaml

    action = yaml.safe_load((ROOT / "action.yml").read_text())
    steps = {step["name"]: step for step in action["runs"]["steps"]}
    for step in steps.values():
        assert "${{" not in step.get("run", ""), step["name"]
    run_env = steps["Run skillsync"]["env"]
    assert run_env["SKILLSYNC_API_KEY"] == "${{ inputs.api-key }}"


def test_action_keeps_the_caches_per_target() -> None:
    import yaml

    action = yaml.safe_load((ROOT / "action.yml").read_text())
    steps = {step["name"]: step for step in action["runs"]["steps"]}
    cache = steps["Restore skillsync's caches"]
    assert cache["uses"] == "actions/cache@v4"
    assert cache["if"] == "inputs.cache == 'true'"
    path = cache["with"]["path"]
    assert steps["Run skillsync"]["env"]["SKILLSYNC_CACHE_DIR"] == path
    # A new key every run (so each run saves what it learnt), restored from the latest
    # run of the same target and folder.
    prefix = cache["with"]["restore-keys"].strip()
    assert "${{ inputs.target }}" in prefix and "${{ inputs.working-directory }}" in prefix
    assert (
        cache["with"]["key"].startswith(prefix) and "${{ github.run_id }}" in cache["with"]["key"]
    )


def test_plan_comments_then_updates_the_same_comment(
    tmp_path: Path,
    repo: Path,
    github: FakeGitHub,
    emulator: Emulator,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for i in range(120):  # the plan's comment ends up on the second page
        github.add(f"unrelated comment {i}")
    env = action_env(tmp_path, repo, github)
    assert github_action.run(env) == 0  # exit code 2 (changes) must not fail the step
    assert outputs(tmp_path) == {
        "exitcode": "2",
        "has-changes": "true",
        "summary": "Plan: 2 to add, 0 to change, 0 to destroy.",
    }
    mine = [c for c in github.comments if marker("test") in c["body"]]
    assert len(mine) == 1 and "**Plan: 2 to add, 0 to change, 0 to destroy.**" in mine[0]["body"]
    summary = (tmp_path / "summary").read_text()
    assert summary.startswith("### skillsync plan for `test`")
    assert "::add-mask::emulator-key" in capfd.readouterr().out

    monkeypatch.setenv(KEY_ENV, "emulator-key")
    assert run_cli("-C", str(repo), "apply", "--auto-approve").exit_code == 0
    (tmp_path / "output").write_text("")
    assert github_action.run(env) == 0
    assert outputs(tmp_path)["exitcode"] == "0"
    assert outputs(tmp_path)["has-changes"] == "false"
    mine_after = [c for c in github.comments if marker("test") in c["body"]]
    assert [c["id"] for c in mine_after] == [mine[0]["id"]]
    assert "No changes. Remote skills match the repository." in mine_after[0]["body"]
    assert len(github.comments) == 121
    assert sum(r.startswith("GET ") for r in github.requests) == 4  # two pages, twice


def test_fork_without_key_skips_with_a_notice(
    tmp_path: Path,
    repo: Path,
    github: FakeGitHub,
    capfd: pytest.CaptureFixture[str],
) -> None:
    env = action_env(tmp_path, repo, github, key="", fork=True)
    assert github_action.run(env) == 0
    out = capfd.readouterr().out
    assert "::notice::skillsync plan skipped: a pull request from a fork gets no secrets" in out
    assert outputs(tmp_path)["has-changes"] == "false"
    assert github.requests == []


def test_missing_key_outside_a_fork_fails(tmp_path: Path, repo: Path, github: FakeGitHub) -> None:
    env = action_env(tmp_path, repo, github, key="")
    assert github_action.run(env) == 1
    assert outputs(tmp_path)["exitcode"] == "1"


def test_oversized_plan_comment_is_cut(tmp_path: Path, repo: Path, github: FakeGitHub) -> None:
    for i in range(40):
        lines = "".join(f"Step {n} of a long procedure for skill {i}.\n" for n in range(300))
        (repo / "skills" / f"big-{i:02d}.yaml").write_text(
            skill_yaml(f"big-{i:02d}", instructions=lines)
        )
    env = action_env(tmp_path, repo, github)
    assert github_action.run(env) == 0
    [comment] = [c for c in github.comments if marker("test") in c["body"]]
    assert len(comment["body"]) <= MAX_COMMENT
    assert "Some diffs were shortened" in comment["body"]


def test_apply_and_validate_commands(
    tmp_path: Path,
    repo: Path,
    github: FakeGitHub,
    emulator: Emulator,
    capfd: pytest.CaptureFixture[str],
) -> None:
    env = action_env(tmp_path, repo, github, command="apply")
    assert github_action.run(env) == 0
    assert emulator.store.count() == 2
    (repo / "skills" / "bad.yaml").write_text("name: Bad\n")
    (tmp_path / "output").write_text("")
    env = action_env(tmp_path, repo, github, command="validate")
    assert github_action.run(env) == 1
    assert outputs(tmp_path)["exitcode"] == "1"
    assert "::error file=skills/bad.yaml,line=1,col=7,title=schema::name: must be 1-64" in (
        capfd.readouterr().out
    )
    env["SKILLSYNC_SARIF"] = str(tmp_path / "skillsync.sarif")
    assert github_action.run(env) == 1
    sarif = json.loads((tmp_path / "skillsync.sarif").read_text())
    found = [(r["ruleId"], r["level"]) for r in sarif["runs"][0]["results"]]
    assert ("schema", "error") in found
    env["SKILLSYNC_COMMAND"] = "destroy"
    assert github_action.run(env) == 1


def test_github_token_is_refused_over_plain_http_to_a_remote_host() -> None:
    from skillsync.ci.github_comments import GitHubComments
    from skillsync.errors import SkillsyncError

    with pytest.raises(SkillsyncError, match="plain http"):
        GitHubComments("http://github.example.com", TOKEN, REPO)


def test_apply_exposes_the_deployed_skills_and_what_it_changed(
    tmp_path: Path, repo: Path, github: FakeGitHub, emulator: Emulator
) -> None:
    env = action_env(tmp_path, repo, github, command="apply")
    assert github_action.run(env) == 0
    out = outputs(tmp_path)
    assert out["has-changes"] == "true"
    skills = json.loads(out["skills"])
    ids = sorted(s["id"] for s in skills["skills"])
    store = emulator.store
    rows = (
        store.list("default", 100)[0] if emulator.api == "seed" else store.page("default", 100)[0]
    )
    assert sorted(row["id"] for row in rows) == ids
    assert [s["in_sync"] for s in skills["skills"]] == [True, True]
    (tmp_path / "output").write_text("")
    assert github_action.run(env) == 0  # nothing left to do
    assert outputs(tmp_path)["has-changes"] == "false"


def test_a_plan_of_two_targets_keeps_one_comment(
    tmp_path: Path,
    repo: Path,
    github: FakeGitHub,
    emulator: Emulator,
    emulator_factory: Callable[..., Emulator],
) -> None:
    other = emulator_factory(api="openai" if emulator.api != "openai" else "anthropic")
    config = (repo / "skillsync.yaml").read_text()
    (repo / "skillsync.yaml").write_text(
        config
        + f"  other:\n    base_url: {other.url}\n    api: {other.api}\n"
        + f"    api_key_env: {KEY_ENV}\n"
    )
    env = action_env(tmp_path, repo, github)
    env["SKILLSYNC_TARGET"] = "test, other"
    assert github_action.run(env) == 0
    assert outputs(tmp_path)["summary"] == (
        "test: Plan: 2 to add, 0 to change, 0 to destroy.; "
        "other: Plan: 2 to add, 0 to change, 0 to destroy."
    )
    [comment] = github.comments
    body = comment["body"]
    assert body.index("plan for `test`") < body.index("plan for `other`")
    assert github_action.run(env) == 0
    assert len(github.comments) == 1  # updated, not added


def test_claude_and_openai_targets_take_a_key_each_from_env(
    tmp_path: Path,
    github: FakeGitHub,
    emulator_factory: Callable[..., Emulator],
    capfd: pytest.CaptureFixture[str],
) -> None:
    claude = emulator_factory(api="anthropic", keys={"sk-ant-one": "default"})
    openai = emulator_factory(api="openai", keys={"sk-openai-two": "default"})
    config = (
        "version: 1\ntargets:\n"
        f"  claude:\n    base_url: {claude.url}\n    manage: ['*']\n"
        f"  openai:\n    base_url: {openai.url}\n    api: openai\n    manage: ['*']\n"
    )
    repo = write_tree(
        tmp_path / "both", {"skillsync.yaml": config, "skills/a.yaml": skill_yaml("a")}
    )
    env = action_env(tmp_path, repo, github)
    env.pop("SKILLSYNC_API_KEY", None)
    env.update({"ANTHROPIC_API_KEY": "sk-ant-one", "OPENAI_API_KEY": "sk-openai-two"})
    env["SKILLSYNC_TARGET"] = "claude openai"
    assert github_action.run(env) == 0
    printed = capfd.readouterr().out
    assert "::add-mask::sk-ant-one" in printed and "::add-mask::sk-openai-two" in printed
    assert outputs(tmp_path)["summary"] == (
        "claude: Plan: 1 to add, 0 to change, 0 to destroy.; "
        "openai: Plan: 1 to add, 0 to change, 0 to destroy."
    )
    env["SKILLSYNC_COMMAND"] = "apply"
    assert github_action.run(env) == 0
    assert claude.store.count() == 1 and openai.store.count() == 1
