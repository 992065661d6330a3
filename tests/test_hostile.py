"""Hostile remotes and odd input: nothing written outside the repository, never exit 3.

A hostile remote is the real emulator whose store was filled behind the API's back (the
store takes any name and any zip bytes), as a compromised or buggy server would answer.
"""

from __future__ import annotations

import io
import json
import os
import stat
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skillsync.emulator.folder_store import VersionContent
from skillsync.errors import UnsafeRemoteContent
from skillsync.tree import unzip
from tests.conftest import (
    KEY_ENV,
    Emulator,
    run_cli,
    skill_yaml,
    target_config,
    write_tree,
)
from tests.helpers.folders import zipped
from tests.helpers.loading import LoadingApart, held_until_killed

WS = "default"
SKILL_MD = b"---\nname: NAME\ndescription: Hostile. Use when testing.\n---\nBody.\n"


def plant(remote: Emulator, name: str, files: dict[str, bytes] | bytes) -> str:
    """A skill in the anthropic emulator's store, its content taken as given."""
    data = files if isinstance(files, bytes) else zipped(files)
    return str(remote.store.create(WS, VersionContent(name, "Hostile.", data), None)["id"])


def md(name: str) -> bytes:
    return SKILL_MD.replace(b"NAME", name.encode())


@pytest.fixture
def remote(anthropic_emulator: Emulator) -> Emulator:
    return anthropic_emulator


@pytest.fixture
def repo(tmp_path: Path, remote: Emulator, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(KEY_ENV, "emulator-key")
    monkeypatch.delenv("SKILLSYNC_BASE_URL", raising=False)
    return write_tree(
        tmp_path / "repo", {"skillsync.yaml": target_config(remote.url, api="anthropic")}
    )


def outside_files(tmp_path: Path, repo: Path) -> set[str]:
    return {
        str(p.relative_to(tmp_path))
        for p in tmp_path.rglob("*")
        if p.is_file() and repo not in p.parents and "emulator" not in p.name
    }


# -- import ----------------------------------------------------------------------------------
def test_import_refuses_unsafe_names_and_paths_per_skill(
    repo: Path, remote: Emulator, tmp_path: Path
) -> None:
    before = outside_files(tmp_path, repo)
    plant(remote, "../../victim", {"../../victim/SKILL.md": md("x")})
    plant(remote, "climbs", {"climbs/SKILL.md": md("climbs"), "climbs/../../x.txt": b"x"})
    plant(remote, "absolute", {"absolute/SKILL.md": md("absolute"), "/etc/x": b"x"})
    plant(remote, "not-a-zip", b"this is not a zip at all")
    plant(remote, "fine", {"fine/SKILL.md": md("fine")})
    result = run_cli("-C", str(repo), "import", "--all")
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert "wrote skills/fine/SKILL.md" in result.stdout
    lines = result.stdout.splitlines()
    assert any(line.startswith("skipped ../../victim: not a valid skill name") for line in lines)
    assert any(
        line.startswith("skipped climbs: remote skill 'climbs': holds a file with an unsafe path")
        for line in lines
    )
    assert any(
        line.startswith(
            "skipped absolute: remote skill 'absolute': holds a file with an unsafe path"
        )
        for line in lines
    )
    assert any(
        line.startswith("skipped not-a-zip: remote skill 'not-a-zip': its content is not a zip")
        for line in lines
    )
    assert result.stdout.endswith("Imported 1 skill(s), skipped 4.\n")
    assert outside_files(tmp_path, repo) == before
    assert sorted(p.name for p in (repo / "skills").iterdir()) == ["fine"]


def test_a_zip_bomb_is_refused_before_it_inflates(repo: Path, remote: Emulator) -> None:
    bomb = zipped({"bomb/SKILL.md": md("bomb"), "bomb/zeros.bin": b"\0" * (40 * 1024 * 1024)})
    assert len(bomb) < 100_000
    plant(remote, "bomb", bomb)
    (repo / "skills").mkdir()
    (repo / "skills/bomb.yaml").write_text(skill_yaml("bomb"))
    plan = run_cli("-C", str(repo), "plan")
    assert plan.exit_code == 1
    assert "remote skill 'bomb': its files inflate to 41,943,1" in plan.stderr
    (repo / "skills/bomb.yaml").unlink()
    imported = run_cli("-C", str(repo), "import", "bomb")
    assert "skipped bomb: remote skill 'bomb': its files inflate to" in imported.stdout
    assert not (repo / "skills/bomb").exists()


def test_a_read_failing_while_the_repository_loads_ends_the_loading_process(
    repo: Path, remote: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    apart = LoadingApart(monkeypatch, tmp_path / "loaded", chunk=1)
    apart.when_sent["c"] = held_until_killed  # b's read fails while c still loads
    names = ["a", "b", "c", "d"]
    write_tree(repo, {f"skills/{n}.yaml": skill_yaml(n) for n in names})
    for name in names:
        plant(remote, name, {f"{name}/SKILL.md": md(name)} if name != "b" else b"not a zip")
    plan = run_cli("-C", str(repo), "plan", "--no-cache")
    assert plan.exit_code == 1
    assert plan.stderr.startswith("Error: remote skill 'b': its content is not a zip")
    assert apart.loads() == []  # the loading process was ended, not waited for


def test_unzip_bounds_what_a_lying_zip_inflates() -> None:
    data = zipped({"s/SKILL.md": b"x", "s/big.bin": b"\0" * 5000})
    with pytest.raises(UnsafeRemoteContent, match="inflate"):
        unzip("s", data, limit=4000)
    assert unzip("s", data, limit=6000)[0] == ("SKILL.md", b"x")


def test_hidden_files_and_git_folders_are_never_written(repo: Path, remote: Emulator) -> None:
    plant(
        remote,
        "sneaky",
        {
            "sneaky/SKILL.md": md("sneaky"),
            "sneaky/.git/config": b"[core]\n\tfsmonitor = touch /tmp/pwned\n",
            "sneaky/.env": b"SECRET=1\n",
            "sneaky/__pycache__/x.pyc": b"\0",
            "sneaky/scripts/run.py": b"print()\n",
        },
    )
    result = run_cli("-C", str(repo), "import", "sneaky")
    assert result.exit_code == 0, result.output
    assert "not written (hidden or __pycache__: plan never uploads them): " in result.stdout
    written = sorted(
        str(p.relative_to(repo / "skills")) for p in (repo / "skills").rglob("*") if p.is_file()
    )
    assert written == ["sneaky/SKILL.md", "sneaky/scripts/run.py"]
    mode = stat.S_IMODE((repo / "skills/sneaky/SKILL.md").stat().st_mode)
    assert mode == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.mark.parametrize("into", ["/", "", "../up", ".git/x", "/tmp/elsewhere"])
def test_import_dir_must_be_a_folder_of_the_repository(
    repo: Path, remote: Emulator, into: str
) -> None:
    plant(remote, "fine", {"fine/SKILL.md": md("fine")})
    result = run_cli("-C", str(repo), "import", "--all", "--dir", into)
    assert result.exit_code == 1
    assert "must be a folder inside the repository" in result.stderr
    assert not (repo / "fine").exists()


def test_import_never_writes_or_deletes_through_a_symlinked_folder(
    repo: Path, remote: Emulator, tmp_path: Path
) -> None:
    plant(remote, "fine", {"fine/SKILL.md": md("fine")})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "precious.txt").write_text("keep me\n")
    (repo / "skills").mkdir()
    (repo / "skills/fine").symlink_to(elsewhere)
    result = run_cli("-C", str(repo), "import", "fine", "--overwrite")
    assert result.exit_code == 1
    assert "skills/fine is a symlink; import does not write through it" in result.stderr
    assert sorted(p.name for p in elsewhere.iterdir()) == ["precious.txt"]
    (repo / "skills/fine").unlink()
    (repo / "linked").symlink_to(elsewhere)
    linked = run_cli("-C", str(repo), "import", "fine", "--dir", "linked/skills")
    assert linked.exit_code == 1 and "is a symlink or not a folder" in linked.stderr


def test_one_odd_seed_skill_does_not_stop_import_all(
    tmp_path: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, "emulator-key")
    root = write_tree(tmp_path / "seedrepo", {"skillsync.yaml": target_config(emulator.url)})
    emulator.store.create(
        WS, {"name": "../evil", "description": "d", "instructions": "i", "version": "1.0.0"}
    )
    emulator.store.create(
        WS,
        {
            "name": "good",
            "description": "Good. Use when good.",
            "instructions": "i\n",
            "version": "1.0.0",
        },
    )
    result = run_cli("-C", str(root), "import", "--all")
    assert result.exit_code == 0, result.output
    assert "wrote skills/good.yaml" in result.stdout
    assert "skipped ../evil: not a valid skill name" in result.stdout
    assert sorted(p.name for p in (root / "skills").iterdir()) == ["good.yaml"]


@given(
    names=st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=3),
    paths=st.lists(st.text(min_size=1, max_size=20), max_size=3),
    raw=st.binary(max_size=64),
)
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_remote_answer_writes_outside_or_exits_3(
    tmp_path_factory: pytest.TempPathFactory,
    emulator_factory: Callable[..., Emulator],
    names: list[str],
    paths: list[str],
    raw: bytes,
) -> None:
    base = tmp_path_factory.mktemp("prop")
    remote = emulator_factory(base / "remote.db", api="anthropic")
    repo = write_tree(base / "repo", {"skillsync.yaml": target_config(remote.url, api="anthropic")})
    for index, name in enumerate(names):
        files = {f"{name}/SKILL.md": md(name), **{f"{name}/{p}": b"x" for p in paths}}
        try:
            content: bytes = zipped(files) if index % 2 == 0 else raw
        except (ValueError, UnicodeEncodeError, IndexError):  # zipfile refuses the name
            content = raw
        plant(remote, name, content)
    os.environ[KEY_ENV] = "emulator-key"
    try:
        result = run_cli("-C", str(repo), "import", "--all", "--overwrite")
        plan = run_cli("-C", str(repo), "plan")
    finally:
        del os.environ[KEY_ENV]
    assert result.exit_code in (0, 1), result.output
    assert plan.exit_code in (0, 1, 2), plan.output
    outside = [p for p in base.rglob("*") if p.is_file() and repo not in p.parents]
    assert all(p.name.startswith("remote.db") for p in outside), outside


# -- saved plans, keys, endpoints, config values ----------------------------------------------
def test_a_saved_plan_is_checked_against_protect_added_since(
    repo: Path, remote: Emulator, tmp_path: Path
) -> None:
    plant(remote, "billing-old", {"billing-old/SKILL.md": md("billing-old")})
    saved = tmp_path / "plan.json"
    assert run_cli("-C", str(repo), "plan", "--force", "--out", str(saved)).exit_code == 0
    assert [c["action"] for c in json.loads(saved.read_text())["changes"]] == ["delete"]
    config = repo / "skillsync.yaml"
    config.write_text(config.read_text() + '    protect: ["billing-*"]\n')
    result = run_cli("-C", str(repo), "apply", str(saved))
    assert result.exit_code == 1
    assert "'billing-old' is protected by skillsync.yaml; the plan would delete it" in result.stderr
    assert remote.store.count(WS) == 1


@pytest.mark.parametrize(
    ("key", "says"),
    [
        ("sk-ant-real-key-0123456789\n", "has leading or trailing white space"),
        ("sk-ant-réal-key-0123456789", "holds characters an API key never has"),
    ],
)
def test_a_malformed_key_is_refused_without_echoing_it(
    repo: Path, monkeypatch: pytest.MonkeyPatch, key: str, says: str
) -> None:
    monkeypatch.setenv(KEY_ENV, key)
    result = run_cli("-C", str(repo), "-v", "plan")
    assert result.exit_code == 1
    assert says in result.stderr
    assert "real-key" not in result.output and "réal" not in result.output


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://[::1", "is not a URL"),
        ("https://user:secret@api.example.com", "base_url holds credentials"),
    ],
)
def test_odd_base_urls_are_clear_errors(repo: Path, url: str, says: str) -> None:
    result = run_cli("-C", str(repo), "plan", "--base-url", url)
    assert result.exit_code == 1, result.output
    assert says in result.stderr
    assert "secret" not in result.output


def test_local_targets_at_a_folder_or_a_non_database(tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    (tmp_path / "junk.db").write_bytes(b"not sqlite at all, " * 100)
    for where, says in (("folder", "is not a file"), ("junk.db", "is not a SQLite database")):
        (tmp_path / "skillsync.yaml").write_text(
            f"version: 1\ntargets:\n  t:\n    base_url: local:{where}\n"
        )
        result = run_cli("-C", str(tmp_path), "plan")
        assert result.exit_code == 1, result.output
        assert says in result.stderr


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_timeouts_must_be_finite(repo: Path, value: str) -> None:
    result = run_cli("-C", str(repo), "plan", "--timeout", value)
    assert result.exit_code == 1
    assert "must be a finite number of seconds" in result.stderr


def test_header_values_in_the_config_must_be_ascii(repo: Path, remote: Emulator) -> None:
    (repo / "skillsync.yaml").write_text(
        target_config(remote.url, api="anthropic", extra="    workspace_id: wrkspc_ü\n")
    )
    result = run_cli("-C", str(repo), "validate")
    assert result.exit_code == 1
    assert "workspace_id: must be printable ASCII without spaces" in result.stdout


def test_a_date_version_is_a_clear_error(repo: Path) -> None:
    write_tree(
        repo,
        {
            "skills/x.yaml": (
                "name: x\ndescription: Use for x.\nversion: 2024-01-01\ninstructions: i\n"
            ),
            "skills/a/SKILL.md": "---\nname: a\ndescription: Use for a.\nmetadata:\n"
            "  version: 2024-01-01\n---\nbody\n",
        },
    )
    result = run_cli("-C", str(repo), "validate")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[:2] == [
        "skills/a/SKILL.md:5:12: error: metadata.version: must be a semantic version such as "
        "1.2.0 (got '2024-01-01') [schema]",
        "skills/x.yaml:3:10: error: version: must be a semantic version such as 1.2.0 (got "
        "'2024-01-01') [schema]",
    ]


def test_instructions_are_never_read_from_git(repo: Path) -> None:
    write_tree(
        repo,
        {
            ".git/config": "[remote]\n\turl = https://token:ghp_secret@github.com/x\n",
            "skills/x.yaml": "name: x\ndescription: Use for x.\nversion: 1.0.0\n"
            "instructions_file: ../.git/config\n",
        },
    )
    result = run_cli("-C", str(repo), "validate")
    assert result.exit_code == 1
    assert (
        "skills/x.yaml:4:20: error: instructions_file: '../.git/config' leads to '.git/config'"
        in result.stdout
    )
    assert result.stdout.splitlines()[0].endswith("[sensitive-path]")
    assert "ghp_secret" not in result.output


def test_plans_are_written_only_to_regular_files(repo: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    result = run_cli("-C", str(repo), "plan", "--out", str(fifo))
    assert result.exit_code == 1
    assert "is not a regular file" in result.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    out = tmp_path / "plan.json"
    assert run_cli("-C", str(repo), "plan", "--out", str(out)).exit_code == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~_umask()


def test_a_zip_holding_one_path_twice_is_an_error_for_that_skill(
    repo: Path, remote: Emulator
) -> None:
    body = b"---\nname: twice\ndescription: Hostile. Use when testing.\n---\nBody.\n"
    entries = [
        ("twice/SKILL.md", b"---\nname: twice\ndescription: Other.\n---\nX\n"),
        ("twice/SKILL.md", body),
    ]
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w") as archive:
        warnings.simplefilter("ignore")
        for path, data in entries:
            archive.writestr(path, data)
    plant(remote, "twice", buffer.getvalue())
    write_tree(repo, {"skills/twice/SKILL.md": body.decode()})
    result = run_cli("-C", str(repo), "plan", "--no-cache")
    assert result.exit_code == 1
    assert (
        "Error: remote skill 'twice': its zip holds 'twice/SKILL.md' twice; upload the skill "
        "again to repair it" in result.stderr
    )
