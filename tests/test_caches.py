"""The version cache and the verdict cache: they save work and never change an answer."""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skillsync.cache.payload import decode, encode
from skillsync.cache.versions import VersionCache, VersionRecord, scope_of
from skillsync.checking import load_for_report
from skillsync.emulator.uploads import check_upload
from skillsync.model import FileEntry, Skill
from skillsync.render.read_progress import ReadProgress
from tests.conftest import (
    KEY_ENV,
    ROOT,
    Emulator,
    run_cli,
    skill_yaml,
    target_config,
    write_tree,
)
from tests.helpers.cli import plan_json
from tests.helpers.folders import requests

BAD_INPUTS = sorted(p for p in (ROOT / "tests" / "bad_inputs").iterdir() if p.is_dir())


def cache_dir() -> Path:
    return Path(os.environ["SKILLSYNC_CACHE_DIR"])


def since(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}


def comparable(plan: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in plan.items() if k not in ("created_at", "checksum")}


# -- the version cache ------------------------------------------------------------------------
@pytest.fixture
def synced(anthropic_emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Ten skills applied: the apply recorded every version it created."""
    monkeypatch.setenv(KEY_ENV, "emulator-key")
    files: dict[str, str | bytes] = {
        f"skills/s-{i}.yaml": skill_yaml(f"s-{i}", instructions=f"Step {i}.\nThen stop.\n")
        for i in range(10)
    }
    files["skills/tool/SKILL.md"] = "---\nname: tool\ndescription: d\n---\nbody\n"
    files["skills/tool/run.py"] = "print('run')\n"
    config = target_config(anthropic_emulator.url, api="anthropic")
    root = write_tree(tmp_path / "repo", {"skillsync.yaml": config, **files})
    assert run_cli("-C", str(root), "apply", "--auto-approve").exit_code == 0
    return root


def test_a_warm_plan_sends_only_the_list(synced: Path, anthropic_emulator: Emulator) -> None:
    before = requests(anthropic_emulator)
    warm = run_cli("-C", str(synced), "-v", "plan", "--detailed-exitcode")
    assert warm.exit_code == 0, warm.output
    assert since(before, requests(anthropic_emulator)) == {"GET /v1/skills": 1}
    assert "version cache: 11 of 11 latest versions known (11 with their files)" in warm.stderr
    before = requests(anthropic_emulator)
    cold = run_cli("-C", str(synced), "plan", "--detailed-exitcode", "--no-cache")
    assert cold.exit_code == 0
    # The cold floor: the list, then one download per skill (its SKILL.md names it).
    assert since(before, requests(anthropic_emulator)) == {
        "GET /v1/skills": 1,
        "GET /v1/skills/{id}/versions/{version}/content": 11,
    }


def test_a_change_costs_only_what_changed(synced: Path, anthropic_emulator: Emulator) -> None:
    (synced / "skills/s-3.yaml").write_text(
        skill_yaml("s-3", version="1.1.0", instructions="Step 3.\nThen rest.\n")
    )
    before = requests(anthropic_emulator)
    result = run_cli("-C", str(synced), "plan")
    # The diff needs the remote text: it came from the cache too.
    assert since(before, requests(anthropic_emulator)) == {"GET /v1/skills": 1}
    assert "              -Then stop.\n              +Then rest.\n" in result.stdout


def test_a_version_made_behind_our_back_is_read(synced: Path, anthropic_emulator: Emulator) -> None:
    rows, _ = anthropic_emulator.store.page("default", 100)
    target = next(r for r in rows if r["display_name"] == "s-0")
    drift = check_upload([("s-0/SKILL.md", b"---\nname: s-0\ndescription: new\n---\nx\n")])
    anthropic_emulator.store.add_version("default", target["id"], drift)
    before = requests(anthropic_emulator)
    plan = plan_json(synced)
    assert [c["name"] for c in plan["changes"]] == ["s-0"]
    assert since(before, requests(anthropic_emulator)) == {
        "GET /v1/skills": 1,
        "GET /v1/skills/{id}/versions/{version}/content": 1,
    }
    assert comparable(plan) == comparable(plan_json(synced, "--no-cache"))


def test_a_warm_plan_takes_unchanged_skills_from_the_verdict_cache(
    synced: Path, anthropic_emulator: Emulator
) -> None:
    """Their upload trees too: no file is loaded, rendered or hashed; a changed file is
    loaded in full, and every plan is the plan made with no cache at all."""
    warm = run_cli("-C", str(synced), "-v", "plan", "--detailed-exitcode")
    assert warm.exit_code == 0, warm.output
    assert "verdict cache: 11 of 11 files unchanged, 0 loaded" in warm.stderr
    (synced / "skills/s-4.yaml").write_text(
        skill_yaml("s-4", version="1.1.0", instructions="Step 4.\nThen more.\n")
    )
    (synced / "skills/tool/run.py").write_text("print('run faster')\n")
    changed = run_cli("-C", str(synced), "-v", "plan", "--format", "json")
    assert "verdict cache: 9 of 11 files unchanged, 2 loaded" in changed.stderr
    plan = json.loads(changed.stdout)
    assert comparable(plan) == comparable(plan_json(synced, "--no-cache"))
    diffs = {c["name"]: [f.get("diff") for f in c["files"]] for c in plan["changes"]}
    assert "+Then more." in diffs["s-4"][0] and "+print('run faster')" in diffs["tool"][0]
    assert run_cli("-C", str(synced), "apply", "--auto-approve").exit_code == 0
    again = run_cli("-C", str(synced), "-v", "plan", "--detailed-exitcode")
    assert again.exit_code == 0 and "11 of 11 files unchanged, 0 loaded" in again.stderr


def test_a_damaged_tree_in_the_verdict_cache_is_never_trusted(
    synced: Path, anthropic_emulator: Emulator
) -> None:
    expected = comparable(plan_json(synced, "--no-cache"))
    db = sqlite3.connect(cache_dir() / "verdicts.db")
    changed = db.execute("UPDATE trees SET payload = replace(payload, '\"SKILL.md\"', '\"x.md\"')")
    assert changed.rowcount == 11
    db.commit()
    db.close()
    again = run_cli("-C", str(synced), "-v", "plan", "--format", "json")
    assert "11 of 11 files unchanged, 11 loaded" in again.stderr
    assert comparable(json.loads(again.stdout)) == expected


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "bad-row"])
def test_a_damaged_cache_is_never_trusted_and_repairs_itself(
    synced: Path, anthropic_emulator: Emulator, damage: str
) -> None:
    rows, _ = anthropic_emulator.store.page("default", 100)
    target = next(r for r in rows if r["display_name"] == "s-0")
    drift = check_upload([("s-0/SKILL.md", b"---\nname: s-0\ndescription: new\n---\nx\n")])
    anthropic_emulator.store.add_version("default", target["id"], drift)
    expected = comparable(plan_json(synced, "--no-cache"))
    path = cache_dir() / "versions.db"
    if damage == "garbage":
        path.write_bytes(b"this is not a database" * 100)
    elif damage == "truncated":
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 3])
    elif damage == "empty":
        path.write_bytes(b"")
    else:  # a row changed under our feet: its checksum no longer matches
        db = sqlite3.connect(path)
        db.execute("UPDATE versions SET payload = replace(payload, '\"s-1\"', '\"s-9\"')")
        db.commit()
        db.close()
    assert comparable(plan_json(synced)) == expected
    assert comparable(plan_json(synced)) == expected  # and again, from the repaired cache
    db = sqlite3.connect(path)
    assert db.execute("SELECT count(*) FROM versions").fetchone()[0] >= 1
    db.close()


def test_two_plans_at_once_share_one_cache(synced: Path, anthropic_emulator: Emulator) -> None:
    shutil.rmtree(cache_dir())
    command = [sys.executable, "-m", "skillsync", "-C", str(synced), "plan", "--format", "json"]
    env = {**os.environ, KEY_ENV: "emulator-key"}
    processes = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=60) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    plans = [comparable(json.loads(out)) for out, _ in outputs]
    assert plans[0] == plans[1] and plans[0]["changes"] == []
    before = requests(anthropic_emulator)
    assert plan_json(synced)["changes"] == []
    assert since(before, requests(anthropic_emulator)) == {"GET /v1/skills": 1}


def test_a_cache_answers_only_for_its_endpoint_workspace_and_key(tmp_path: Path) -> None:
    record = VersionRecord("a", "d", "1.0.0", (FileEntry("SKILL.md", "sha256:x", 3, "abc"),))
    mine = scope_of("https://api.anthropic.com", None, "key-one")
    cache = VersionCache.open(mine, tmp_path)
    assert cache is not None
    cache.put("skillver_1", record)
    cache.close()
    for endpoint, workspace, key, answers in [
        ("https://api.anthropic.com", None, "key-one", True),
        ("https://other.example.com", None, "key-one", False),
        ("https://api.anthropic.com", "wrkspc_2", "key-one", False),
        ("https://api.anthropic.com", None, "key-two", False),
    ]:
        other = VersionCache.open(scope_of(endpoint, workspace, key), tmp_path)
        assert other is not None
        assert other.get_many(["skillver_1"]) == ({"skillver_1": record} if answers else {})
        other.close()
    raw = (tmp_path / "versions.db").read_bytes()
    assert b"key-one" not in raw and b"key-two" not in raw  # never the key itself


_ops = st.lists(
    st.tuples(
        st.sampled_from(["new-version", "delete", "recreate", "unrelated", "edit-file"]),
        st.integers(0, 3),
        st.sampled_from(["alpha", "beta", "gamma"]),
    ),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=_ops)
def test_a_plan_with_the_cache_equals_a_plan_without_it(
    tmp_path_factory: pytest.TempPathFactory, ops: list[tuple[str, int, str]]
) -> None:
    from skillsync.emulator.folder_store import FolderStore

    tmp = tmp_path_factory.mktemp("prop")
    os.environ["SKILLSYNC_CACHE_DIR"] = str(tmp / "cache")
    files: dict[str, str | bytes] = {
        f"skills/k-{i}.yaml": skill_yaml(f"k-{i}", instructions=f"Line {i}.\n") for i in range(4)
    }
    config = "version: 1\ntargets:\n  l:\n    base_url: local:e.db\n    manage: ['*']\n"
    root = write_tree(tmp / "repo", {"skillsync.yaml": config, **files})
    assert run_cli("-C", str(root), "apply", "--auto-approve").exit_code == 0
    for op, index, word in ops:
        name = f"k-{index}"
        store = FolderStore(root / "e.db")
        rows, _ = store.page("default", 100)
        ids = {store.version("default", r["id"], "latest")["name"]: r["id"] for r in rows}
        text = f"---\nname: {name}\ndescription: {word}\n---\n{word}\n".encode()
        if op == "new-version" and name in ids:
            store.add_version("default", ids[name], check_upload([(f"{name}/SKILL.md", text)]))
        elif op == "delete" and name in ids:
            store.delete("default", ids[name], refuse_with_versions=False)
        elif op == "recreate":
            if name in ids:
                store.delete("default", ids[name], refuse_with_versions=False)
            store.create("default", check_upload([(f"{name}/SKILL.md", text)]), None)
        elif op == "unrelated":
            other = f"u-{word}"
            store.create(
                "default",
                check_upload([(f"{other}/SKILL.md", text.replace(name.encode(), other.encode()))]),
                None,
            )
        elif op == "edit-file":
            (root / f"skills/{name}.yaml").write_text(skill_yaml(name, instructions=f"{word}\n"))
        store.close()
        warm = comparable(plan_json(root))
        cold = comparable(plan_json(root, "--no-cache"))
        assert warm == cold, (op, index, word)


def test_progress_is_shown_on_a_terminal_only() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert ReadProgress.on_terminal(io.StringIO()) is None
    out = Terminal()
    ticks = iter(range(0, 1000))
    progress = ReadProgress(out, clock=lambda: next(ticks) * 0.5)
    progress.start("skills", 100)
    for _ in range(100):
        progress.step()
    progress.close()
    text = out.getvalue()
    assert "\r\x1b[2Kreading 100/100 skills (" in text
    assert text.endswith("\r\x1b[2K")


# -- the verdict cache ------------------------------------------------------------------------
def validate(root: Path, *args: str) -> tuple[int, str]:
    result = run_cli("-C", str(root), "validate", "--format", "json", *args)
    return result.exit_code, result.stdout


@pytest.mark.parametrize("case", BAD_INPUTS, ids=[p.name for p in BAD_INPUTS])
def test_cached_verdicts_equal_a_cold_run_on_every_bad_input(case: Path, tmp_path: Path) -> None:
    root = tmp_path / case.name
    shutil.copytree(case, root, symlinks=True)
    cold = validate(root, "--no-cache")
    assert validate(root) == cold  # fills the cache
    assert validate(root) == cold  # answered from it
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            os.utime(path)  # a new mtime alone changes nothing
    assert validate(root) == cold


def test_cached_verdicts_follow_edits_and_cross_file_rules(repo: Callable[..., Path]) -> None:
    root = repo(
        {
            "skills/a.yaml": skill_yaml("a"),
            "skills/b.yaml": "name: b\ndescription: d\nversion: 1.0.0\ninstructions_file: b.md\n",
            "skills/b.md": "Body.\n",
            "skills/c/SKILL.md": (
                "---\nname: c\ndescription: d\nmetadata:\n  version: 1.0.0\n---\nx\n"
            ),
        }
    )
    steps: list[Callable[[], object]] = [
        lambda: (root / "skills/b.yaml").write_text(
            "name: a\ndescription: d\nversion: 1.0.0\ninstructions_file: b.md\n"
        ),  # a duplicate name: the other file is unchanged, the rule still fires
        lambda: (root / "skills/b.yaml").write_text(
            "name: b\ndescription: d\nversion: 1.0.0\ninstructions_file: b.md\n"
        ),  # fixed
        lambda: (root / "skills/b.md").write_text(""),  # only the dependency changed
        lambda: (root / "skills/b.md").unlink(),
        lambda: (root / "skills/b.md").write_text("Back.\n"),
        lambda: (root / "skills/c/big.bin").write_bytes(b"\0" * (8 * 1024 * 1024 + 1)),
        lambda: (root / "skills/c/big.bin").unlink(),
        lambda: (root / "skills/a.yaml").write_text(skill_yaml("a") + "renamed_from: [c]\n"),
        lambda: (root / "skills/a.yaml").write_text(skill_yaml("a")),
    ]
    seen = set()
    for step in steps:
        step()
        cold = validate(root, "--no-cache")
        assert validate(root) == cold
        assert validate(root) == cold
        seen.add(cold[0])
    assert seen == {0, 1}
    touched = run_cli("-C", str(root), "-v", "validate")
    assert "verdict cache: 3 of 3 files unchanged, 0 validated" in touched.stderr
    (root / "skills/a.yaml").write_text(skill_yaml("a", version="2.0.0"))
    changed = run_cli("-C", str(root), "-v", "validate")
    assert "verdict cache: 2 of 3 files unchanged, 1 validated" in changed.stderr


def test_a_verdict_comes_back_from_its_record_exactly_as_validate_kept_it(
    tmp_path: Path,
) -> None:
    """decode restores a Skill without its __init__: every field must come back, and a
    field added to Skill without a place in the record must fail here."""
    root = write_tree(
        tmp_path / "repo",
        {
            "skills/a.yaml": (
                "name: a\ndescription: d\nversion: 1.0.0\ninstructions_file: a.md\n"
                "renamed_from: [old-a]\ndisplay_name: A\n"
            ),
            "skills/a.md": "Body.\n",
            "skills/b/SKILL.md": "---\nname: b\ndescription: Does b.\n---\nBody [x](gone.md)\n",
            "skills/b/run.py": "print()\n",
            "skills/c.yaml": "name: c\n",
        },
    )
    yaml_files = sorted((root / "skills").rglob("*.yaml"))
    loaded = load_for_report(root, yaml_files, frozenset({"anthropic"}))
    loaded += load_for_report(root, [root / "skills/b/SKILL.md"], frozenset({"anthropic"}))
    assert [f.skill is None for f in loaded] == [False, True, False]
    assert loaded[1].problems and loaded[2].problems  # c lacks fields; b links to gone.md
    for kept in loaded:
        back = decode(kept.path, encode(kept))
        skill = kept.skill
        if skill is not None:  # what validate keeps: no instructions, no texts, no files
            kept.skill = replace(skill, skill_md=None, instructions="")
            assert back.skill is not None
            assert vars(back.skill) == vars(kept.skill)
            assert set(vars(back.skill)) == {f.name for f in fields(Skill)}
        assert back == kept


def test_an_unusable_cache_folder_only_means_no_cache(
    synced: Path, anthropic_emulator: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder\n")
    monkeypatch.setenv("SKILLSYNC_CACHE_DIR", str(blocker / "cache"))
    assert run_cli("-C", str(synced), "validate").exit_code == 0
    before = requests(anthropic_emulator)
    result = run_cli("-C", str(synced), "plan", "--detailed-exitcode")
    assert result.exit_code == 0, result.output
    assert since(before, requests(anthropic_emulator)) == {
        "GET /v1/skills": 1,
        "GET /v1/skills/{id}/versions/{version}/content": 11,
    }


@pytest.mark.parametrize("api", ["anthropic", "openai", "seed"])
def test_a_saved_plan_is_not_stale_for_what_a_cache_held(tmp_path: Path, api: str) -> None:
    """Plan and apply in separate CI jobs: one with a warm version cache, one without."""
    from tests.conftest import run_cli, write_tree

    config = f"version: 1\ntargets:\n  t:\n    base_url: local:emu.db\n    api: {api}\n"
    md = "---\nname: NAME\ndescription: >\n  Does NAME.\n  Use when NAME.\n---\nBody.\n"
    files = {f"skills/{n}/SKILL.md": md.replace("NAME", n) for n in ("a", "b")}
    root = write_tree(tmp_path / "repo", {"skillsync.yaml": config, **files})
    assert run_cli("-C", str(root), "apply", "--auto-approve").exit_code == 0
    for plan_flags, apply_flags in (((), ("--no-cache",)), (("--no-cache",), ())):
        with (root / "skills/b/SKILL.md").open("a") as handle:
            handle.write("More.\n")
        saved = tmp_path / "plan.json"
        assert run_cli("-C", str(root), "plan", *plan_flags, "--out", str(saved)).exit_code == 0
        applied = run_cli("-C", str(root), "apply", str(saved), *apply_flags)
        assert applied.exit_code == 0, applied.output
