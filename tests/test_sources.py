"""Skills from other repositories (SPEC 14): pinned by skillsync.lock, fetched with the
system git from local bare repositories (file:// URLs) built here; no network."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from skillsync.sources.git import reachable
from tests.conftest import Emulator, run_cli, skill_yaml, target_config, write_tree
from tests.helpers.folders import state

ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def md(name: str, body: str = "Do it.\n") -> str:
    return f"---\nname: {name}\ndescription: The {name} skill. Use when testing.\n---\n{body}"


class Upstream:
    """A work tree and the bare repository skillsync fetches from (its file:// URL)."""

    def __init__(self, base: Path) -> None:
        self.work, self.bare = base / "upstream", base / "upstream.git"
        self.work.mkdir(parents=True)
        self.git("init", "-q", "-b", "main")
        subprocess.run(["git", "init", "-q", "--bare", str(self.bare)], check=True, env=_env())
        self.url = self.bare.as_uri()

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=self.work, env=_env(), check=True, capture_output=True
        )
        return done.stdout.decode().strip()

    def commit(
        self,
        files: dict[str, str | bytes],
        message: str,
        tag: str | None = None,
        executable: tuple[str, ...] = (),
    ) -> str:
        write_tree(self.work, files)
        for path in executable:
            (self.work / path).chmod(0o755)
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        if tag:
            self.git("tag", "-f", tag)
        self.git("push", "-q", "-f", str(self.bare), "main", "--tags")
        return self.git("rev-parse", "HEAD")


def _env() -> dict[str, str]:
    return {**os.environ, **ENV}


@pytest.fixture
def upstream(tmp_path: Path) -> Upstream:
    up = Upstream(tmp_path)
    up.commit(
        {
            "skills/pdf/SKILL.md": md("pdf"),
            "skills/pdf/scripts/run.py": "print('pdf')\n",
            "skills/docx/SKILL.md": md("docx"),
            "skills/other/SKILL.md": md("other"),
            "README.md": "not a skill\n",
        },
        "one",
        tag="v1.2.0",
        executable=("skills/pdf/scripts/run.py",),
    )
    return up


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("SKILLSYNC_CACHE_DIR", str(folder))
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    return folder


@pytest.fixture
def repo(
    tmp_path: Path,
    upstream: Upstream,
    cache: Path,
    anthropic_emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[..., Path]:
    monkeypatch.setenv("SKILLSYNC_TEST_KEY", "emulator-key")

    def make(
        source: str = '    ref: v1.2.0\n    path: skills\n    skills: [pdf, "doc*"]\n',
        files: dict[str, str | bytes] | None = None,
        extra: str = "",
    ) -> Path:
        config = (
            target_config(anthropic_emulator.url, api="anthropic")
            + f"sources:\n  vendor:\n    git: {upstream.url}\n{source}{extra}"
        )
        return write_tree(
            tmp_path / "repo",
            {"skillsync.yaml": config, "skills/mine.yaml": skill_yaml("mine"), **(files or {})},
        )

    return make


def cli(root: Path, *args: str) -> tuple[int, str]:
    result = run_cli("-C", str(root), *args)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_lock_pins_the_selected_skills_in_deterministic_bytes(
    repo: Callable[..., Path], upstream: Upstream
) -> None:
    root = repo()
    code, out = cli(root, "lock")
    assert code == 0, out
    commit = upstream.git("rev-parse", "v1.2.0^{commit}")
    assert f"vendor: locked vendor@v1.2.0 ({commit[:7]}), 2 skill(s): docx, pdf" in out
    written = (root / "skillsync.lock").read_bytes()
    lock = json.loads(written)
    entry = lock["sources"]["vendor"]
    assert (entry["url"], entry["ref"], entry["path"], entry["commit"]) == (
        upstream.url,
        "v1.2.0",
        "skills",
        commit,
    )
    assert [(s["name"], s["folder"]) for s in entry["skills"]] == [
        ("docx", "skills/docx"),
        ("pdf", "skills/pdf"),
    ]
    assert all(s["digest"].startswith("sha256:") for s in entry["skills"])
    assert written == (json.dumps(lock, indent=2, sort_keys=True) + "\n").encode()
    code, out = cli(root, "lock")  # current: nothing resolved, nothing written
    assert (code, "skillsync.lock is up to date." in out) == (0, True)
    assert (root / "skillsync.lock").read_bytes() == written
    (root / "skillsync.lock").unlink()
    assert cli(root, "lock")[0] == 0
    assert (root / "skillsync.lock").read_bytes() == written


def test_sourced_skills_deploy_byte_for_byte_with_their_origin(
    repo: Callable[..., Path], upstream: Upstream, anthropic_emulator: Emulator
) -> None:
    root = repo()
    assert cli(root, "lock")[0] == 0
    code, out = cli(root, "plan")
    commit = upstream.git("rev-parse", "HEAD")
    assert code == 0, out
    assert (
        "  + create skill 'pdf' (sources/vendor/skills/pdf/SKILL.md)\n"
        f"      from vendor@v1.2.0 ({commit[:7]}) skills/pdf\n"
    ) in out
    plan = json.loads(cli(root, "plan", "--format", "json")[1])
    pdf = next(c for c in plan["changes"] if c["name"] == "pdf")
    assert pdf["origin"] == f"vendor@v1.2.0 ({commit[:7]}) skills/pdf"
    assert cli(root, "apply", "--auto-approve")[0] == 0
    now = state(anthropic_emulator)
    assert sorted(now) == ["docx", "mine", "pdf"]
    for name in ("pdf", "docx"):
        tracked = upstream.git("ls-tree", "-r", "--name-only", "v1.2.0", f"skills/{name}")
        expected = {
            f"{name}/{path.removeprefix(f'skills/{name}/')}": subprocess.run(
                ["git", "show", f"v1.2.0:{path}"], cwd=upstream.work, capture_output=True
            ).stdout
            for path in tracked.splitlines()
        }
        assert now[name]["files"] == expected
    assert cli(root, "plan", "--detailed-exitcode")[0] == 0


def test_no_command_but_lock_and_update_resolves_a_ref_or_needs_the_network(
    repo: Callable[..., Path], upstream: Upstream
) -> None:
    root = repo()
    assert cli(root, "lock")[0] == 0
    assert cli(root, "apply", "--auto-approve")[0] == 0
    locked = (root / "skillsync.lock").read_bytes()
    upstream.commit({"skills/pdf/SKILL.md": md("pdf", "Changed upstream.\n")}, "two", "v1.2.0")
    assert cli(root, "plan", "--detailed-exitcode")[0] == 0  # still the locked commit
    shutil.rmtree(upstream.bare)  # the upstream is gone: the warm cache serves
    for command in (["validate"], ["plan", "--detailed-exitcode"], ["output"]):
        code, out = cli(root, *command)
        assert code == 0, out
    assert (root / "skillsync.lock").read_bytes() == locked


def test_a_relative_path_is_relative_to_the_config_wherever_git_runs(
    repo: Callable[..., Path], upstream: Upstream, cache: Path
) -> None:
    root = repo()
    config = (root / "skillsync.yaml").read_text().replace(upstream.url, "../upstream.git")
    (root / "skillsync.yaml").write_text(config)
    code, out = cli(root, "lock")
    assert code == 0, out
    assert json.loads((root / "skillsync.lock").read_text())["sources"]["vendor"]["url"] == (
        "../upstream.git"  # as written: the lock holds no machine's path
    )
    shutil.rmtree(cache)  # the locked commit is fetched again, from the same place
    code, out = cli(root, "plan", "--detailed-exitcode")
    assert code == 2, out
    assert "from vendor@v1.2.0" in out


@pytest.mark.parametrize(
    ("written", "given"),
    [
        ("https://github.com/org/skills", "https://github.com/org/skills"),
        ("file:///srv/skills.git", "file:///srv/skills.git"),
        ("git@github.com:org/skills.git", "git@github.com:org/skills.git"),
        ("host:skills.git", "host:skills.git"),
        ("/srv/skills.git", "/srv/skills.git"),
        ("../skills.git", "/repo/../skills.git"),
        ("vendor/skills", "/repo/vendor/skills"),
        ("./a:b", "/repo/a:b"),
        ("~/skills.git", os.path.expanduser("~/skills.git")),
    ],
)
def test_what_git_is_given_for_each_way_of_writing_a_source(written: str, given: str) -> None:
    assert reachable(written, Path("/repo")) == given


def test_update_shows_what_changed_and_dry_run_leaves_the_lock(
    repo: Callable[..., Path], upstream: Upstream
) -> None:
    root = repo()
    assert cli(root, "lock")[0] == 0
    locked = (root / "skillsync.lock").read_bytes()
    before = upstream.git("rev-parse", "HEAD")
    (upstream.work / "skills/pdf/scripts/run.py").unlink()
    after = upstream.commit(
        {
            "skills/pdf/SKILL.md": md("pdf", "New body.\n"),
            "skills/pdf/notes.md": "notes\n",
            "skills/doc-extra/SKILL.md": md("doc-extra"),
        },
        "two",
        tag="v1.2.0",
    )
    code, out = cli(root, "update", "--dry-run")
    assert code == 0, out
    assert out.splitlines() == [
        f"vendor: vendor@v1.2.0 ({before[:7]}) -> vendor@v1.2.0 ({after[:7]})",
        "  + skill doc-extra (skills/doc-extra)",
        "  ~ skill pdf (skills/pdf)",
        "      ~ SKILL.md",
        "      + notes.md",
        "      - scripts/run.py",
        "Dry run: skillsync.lock was left as it was.",
    ]
    assert (root / "skillsync.lock").read_bytes() == locked
    code, out = cli(root, "update", "vendor")
    assert (code, out.splitlines()[-1]) == (0, "Wrote skillsync.lock.")
    assert json.loads((root / "skillsync.lock").read_text())["sources"]["vendor"]["commit"] == after
    code, out = cli(root, "plan")
    assert "  + create skill 'doc-extra' (sources/vendor/skills/doc-extra/SKILL.md)\n" in out
    assert "Plan: 4 to add, 0 to change, 0 to destroy." in out


def test_a_tampered_cache_is_refused_never_deployed(
    repo: Callable[..., Path], cache: Path, anthropic_emulator: Emulator
) -> None:
    root = repo()
    assert cli(root, "lock")[0] == 0
    [script] = cache.glob("sources/trees/vendor-*/sources/vendor/skills/pdf/scripts/run.py")
    script.write_text("print('evil')\n")
    for command in (["validate"], ["apply", "--auto-approve"]):
        code, out = cli(root, *command)
        assert code == 1
        assert "sources/vendor/skills/pdf: its files do not match skillsync.lock" in out
    assert state(anthropic_emulator) == {}


def test_a_source_not_locked_or_declared_otherwise_is_an_error_at_its_line(
    repo: Callable[..., Path],
) -> None:
    root = repo()
    code, out = cli(root, "plan")
    assert code == 1
    assert "skillsync.yaml:11:5: source 'vendor' is not in skillsync.lock" in out
    assert "hint: run skillsync lock" in out
    assert cli(root, "lock")[0] == 0
    config = root / "skillsync.yaml"
    config.write_text(config.read_text().replace('"doc*"', '"do*"'))
    code, out = cli(root, "validate")
    assert code == 1
    assert "skillsync.yaml:11:5: source 'vendor' changed since it was locked" in out


def test_a_ref_that_does_not_exist(repo: Callable[..., Path], upstream: Upstream) -> None:
    root = repo(source="    ref: v9.9.9\n")
    code, out = cli(root, "lock")
    assert code == 1
    assert f"source 'vendor': ref 'v9.9.9' does not exist in {upstream.url}" in out
    assert not (root / "skillsync.lock").exists()


def test_a_locked_commit_gone_after_a_force_push(
    repo: Callable[..., Path], upstream: Upstream, cache: Path
) -> None:
    root = repo(source="    ref: main\n    path: skills\n")
    assert cli(root, "lock")[0] == 0
    gone = upstream.git("rev-parse", "HEAD")
    upstream.git("commit", "-q", "--amend", "-m", "rewritten")
    upstream.git("push", "-q", "-f", str(upstream.bare), "main")
    upstream.git("push", "-q", "-f", str(upstream.bare), "--delete", "refs/tags/v1.2.0")
    subprocess.run(["git", "reflog", "expire", "--expire=now", "--all"], cwd=upstream.bare)
    subprocess.run(["git", "gc", "-q", "--prune=now"], cwd=upstream.bare, check=True)
    shutil.rmtree(cache)  # another machine: nothing fetched yet
    code, out = cli(root, "plan")
    assert code == 1
    assert f"the locked commit {gone[:12]} cannot be fetched" in out
    assert "hint: run skillsync update vendor" in out


def test_a_name_defined_twice_names_both_places(repo: Callable[..., Path]) -> None:
    root = repo(files={"skills/pdf/SKILL.md": md("pdf")})
    assert cli(root, "lock")[0] == 0
    code, out = cli(root, "validate")
    assert code == 1
    assert "duplicate-name" in out
    assert "skills/pdf/SKILL.md" in out and "sources/vendor/skills/pdf/SKILL.md" in out


def test_sourced_files_meet_the_trust_gate_under_their_source_path(
    repo: Callable[..., Path], upstream: Upstream
) -> None:
    key = "sk-ant-api03-" + "Zq7Xw2Lr9Tb4Nc8Vd1Hs6Jm3Kp5Fy0Ga" * 2 + "AA"
    upstream.commit({"skills/pdf/scripts/run.py": f"KEY = '{key}'\n"}, "a key", "v1.2.0")
    root = repo()
    assert cli(root, "lock")[0] == 0
    code, out = cli(root, "validate")
    assert code == 1
    assert "sources/vendor/skills/pdf/scripts/run.py:1:8: error:" in out
    assert "[secret]" in out and key not in out
    root = repo(extra="lint:\n  per_file_ignores:\n    'sources/vendor/**': [secret]\n")
    assert cli(root, "validate")[0] == 0


def test_git_missing_too_old_or_failing_with_credentials(
    repo: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = repo()
    monkeypatch.setenv("PATH", str(tmp_path / "no-git"))
    code, out = cli(root, "lock")
    assert code == 1
    assert "git is not installed, and skillsync.yaml declares sources" in out
    old = write_tree(tmp_path / "old-git", {"git": "#!/bin/sh\necho 'git version 2.20.1'\n"})
    (old / "git").chmod(0o755)
    monkeypatch.setenv("PATH", str(old))
    code, out = cli(root, "lock")
    assert code == 1
    assert "sources need git 2.30 or newer; found 'git version 2.20.1'" in out
    monkeypatch.undo()
    monkeypatch.setenv("SKILLSYNC_CACHE_DIR", str(tmp_path / "cache2"))
    secret_url = "https://someone:hunter2-secret@127.0.0.1:9/vendor.git"
    root = write_tree(
        tmp_path / "private",
        {"skillsync.yaml": f"version: 1\nsources:\n  private:\n    git: {secret_url}\n"},
    )
    code, out = cli(root, "lock")
    assert code == 1
    assert "source 'private' (https://***@127.0.0.1:9/vendor.git): git failed:" in out
    assert "hint: check the source's git: in skillsync.yaml" in out
    assert "hunter2" not in out
