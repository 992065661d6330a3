"""plan, apply and import against the anthropic dialect over HTTP: exact remote states."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from skillsync.emulator.uploads import check_upload
from tests.conftest import (
    KEY_ENV,
    Emulator,
    run_cli,
    skill_yaml,
    target_config,
    write_tree,
)
from tests.helpers.cli import apply, plan_json
from tests.helpers.folders import WS, state, writes
from tests.helpers.loading import LoadingApart


@pytest.fixture
def remote(anthropic_emulator: Emulator) -> Emulator:
    return anthropic_emulator


@pytest.fixture
def make_repo(
    tmp_path: Path, remote: Emulator, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Path]:
    monkeypatch.setenv(KEY_ENV, "emulator-key")
    monkeypatch.delenv("SKILLSYNC_BASE_URL", raising=False)

    def make(files: dict[str, str | bytes], extra: str = "", manage: str = '["*"]') -> Path:
        config = target_config(remote.url, api="anthropic", extra=extra, manage=manage)
        return write_tree(tmp_path / "repo", {"skillsync.yaml": config, **files})

    return make


def folder_md(
    name: str, description: str = "A folder skill. Use when testing.", version: str = "1.0.0"
) -> str:
    return (
        f"---\nname: {name}\ndescription: {description}\nmetadata:\n  version: {version}\n---\n"
        "Use the script.\n"
    )


def upload(emulator: Emulator, files: list[tuple[str, bytes]], display: str | None = None) -> str:
    skill: dict[str, Any] = emulator.store.create(WS, check_upload(files), display)
    return str(skill["id"])


FOLDER = {
    "skills/pdf-notes/SKILL.md": folder_md("pdf-notes"),
    "skills/pdf-notes/scripts/extract.py": "print('extract')\n",
    "skills/pdf-notes/reference/format.md": "# Format\r\nCRLF kept\r\n",
    "skills/pdf-notes/assets/logo.png": bytes(range(256)),
    "skills/pdf-notes/.secret": "hidden files stay home\n",
    "skills/pdf-notes/.git/config": "hidden folders too\n",
    "skills/pdf-notes/scripts/__pycache__/extract.cpython-311.pyc": b"\0compiled",
}


def test_create_uploads_the_folder_and_the_rendered_yaml_skill(
    make_repo: Callable[..., Path], remote: Emulator
) -> None:
    root = make_repo({**FOLDER, "skills/a.yaml": skill_yaml("a", description="'Say \"hi\": #1 ü'")})
    result = apply(root)
    assert result.exit_code == 0, result.output
    now = state(remote)
    assert sorted(now) == ["a", "pdf-notes"]
    assert now["pdf-notes"]["files"] == {
        "pdf-notes/SKILL.md": folder_md("pdf-notes").encode(),
        "pdf-notes/scripts/extract.py": b"print('extract')\n",
        "pdf-notes/reference/format.md": b"# Format\r\nCRLF kept\r\n",
        "pdf-notes/assets/logo.png": bytes(range(256)),
    }
    assert now["a"]["files"] == {
        "a/SKILL.md": (
            '---\nname: a\ndescription: "Say \\"hi\\": #1 ü"\nmetadata:\n  version: "1.0.0"\n'
            "---\nDo it well.\n"
        ).encode()
    }
    assert writes(remote) == {"POST /v1/skills": 2}  # one write per change
    assert plan_json(root)["summary"]["create"] == 0
    assert run_cli("-C", str(root), "plan", "--detailed-exitcode").exit_code == 0


def test_file_names_beyond_the_basic_multilingual_plane_are_uploaded(
    make_repo: Callable[..., Path], remote: Emulator
) -> None:
    """A name with a code point above U+FFFF sorts after every other name of its folder:
    a folder's files are found up to the last of them, not up to an upper-bound key."""
    files = {
        "skills/emoji/SKILL.md": folder_md("emoji"),
        "skills/emoji/\U0001f600.md": "smile\n",
        "skills/emoji/\U0001d4b3/notes.md": "script x\n",
        "skills/emoji/\uffff.md": "last of the plane\n",
    }
    root = make_repo(files)
    assert apply(root).exit_code == 0
    assert sorted(state(remote)["emoji"]["files"]) == [
        "emoji/SKILL.md",
        "emoji/\uffff.md",
        "emoji/\U0001d4b3/notes.md",
        "emoji/\U0001f600.md",
    ]
    (root / "skills/emoji/\U0001f600.md").write_text("grin\n")  # a change there is seen
    [change] = plan_json(root)["changes"]
    assert [(f["action"], f["path"]) for f in change["files"]] == [("change", "\U0001f600.md")]


def test_update_is_a_new_version_of_the_same_skill(
    make_repo: Callable[..., Path], remote: Emulator
) -> None:
    root = make_repo(dict(FOLDER))
    assert apply(root).exit_code == 0
    before = state(remote)["pdf-notes"]
    (root / "skills/pdf-notes/SKILL.md").write_text(folder_md("pdf-notes", version="1.1.0"))
    (root / "skills/pdf-notes/scripts/extract.py").write_text("print('extract v2')\n")
    (root / "skills/pdf-notes/reference/format.md").unlink()
    (root / "skills/pdf-notes/scripts/new.sh").write_text("echo new\n")
    plan = plan_json(root)
    [change] = plan["changes"]
    assert (change["action"], change["changed"]) == ("update", ["version", "files"])
    assert [(f["action"], f["path"]) for f in change["files"]] == [
        ("change", "SKILL.md"),
        ("remove", "reference/format.md"),
        ("change", "scripts/extract.py"),
        ("add", "scripts/new.sh"),
    ]
    assert change["files"][2]["diff"][-2:] == ["-print('extract')", "+print('extract v2')"]
    text = run_cli("-C", str(root), "plan").stdout
    assert "          - reference/format.md (21 bytes)\n" in text
    assert "          + scripts/new.sh (9 bytes)\n" in text
    mark = len(writes(remote))
    assert apply(root).exit_code == 0
    after = state(remote)["pdf-notes"]
    assert after["id"] == before["id"] and after["versions"] == 2
    assert sorted(after["files"]) == [
        "pdf-notes/SKILL.md",
        "pdf-notes/assets/logo.png",
        "pdf-notes/scripts/extract.py",
        "pdf-notes/scripts/new.sh",
    ]
    assert mark == 1 and writes(remote) == {
        "POST /v1/skills": 1,
        "POST /v1/skills/{id}/versions": 1,
    }
    assert plan_json(root)["changes"] == []


def test_delete_rename_and_anthropics_skills_untouched(
    make_repo: Callable[..., Path], remote: Emulator
) -> None:
    gone = upload(remote, [("gone/SKILL.md", folder_md("gone").encode())])
    old = upload(remote, [("old-name/SKILL.md", folder_md("old-name").encode())])
    root = make_repo(
        {"skills/new-name.yaml": skill_yaml("new-name") + "renamed_from: [old-name]\n"}
    )
    plan = plan_json(root)
    assert [(c["action"], c["name"], c.get("id")) for c in plan["changes"]] == [
        ("delete", "gone", gone),
        ("replace", "new-name", old),
    ]
    assert plan["summary"]["unmanaged"] == 0  # pptx, xlsx, docx, pdf are not even listed
    assert apply(root).exit_code == 0
    assert sorted(state(remote)) == ["new-name"]
    stats = remote.app.stats  # type: ignore[attr-defined]
    assert stats["DELETE /v1/skills/{id}"] == 2
    assert not any("pptx" in key for key in stats)


def test_drift_from_a_version_uploaded_behind_our_back(
    make_repo: Callable[..., Path], remote: Emulator
) -> None:
    root = make_repo({"skills/a.yaml": skill_yaml("a")})
    assert apply(root).exit_code == 0
    skill_id = state(remote)["a"]["id"]
    remote.store.add_version(WS, skill_id, check_upload([("a/SKILL.md", folder_md("a").encode())]))
    result = run_cli("-C", str(root), "plan", "--detailed-exitcode")
    assert result.exit_code == 2
    assert "~ update skill 'a'" in result.stdout
    assert (
        '~ description: "A folder skill. Use when testing." -> '
        '"Handles a for the tests. Use when testing a."' in result.stdout
    )
    assert apply(root).exit_code == 0
    assert state(remote)["a"]["versions"] == 3
    assert run_cli("-C", str(root), "plan", "--detailed-exitcode").exit_code == 0


def test_retain_versions_prunes_after_an_update(
    make_repo: Callable[..., Path], remote: Emulator
) -> None:
    root = make_repo({"skills/a.yaml": skill_yaml("a")}, extra="    retain_versions: 2\n")
    assert apply(root).exit_code == 0
    for version in ("1.1.0", "1.2.0", "1.3.0"):
        (root / "skills/a.yaml").write_text(skill_yaml("a", version=version))
        assert apply(root).exit_code == 0
    skill_id = state(remote)["a"]["id"]
    versions, _ = remote.store.versions(WS, skill_id, 100)
    assert len(versions) == 2
    assert state(remote)["a"]["files"]["a/SKILL.md"].count(b'version: "1.3.0"') == 1


def test_versions_first_delete_on_an_older_server(
    emulator_factory: Callable[..., Emulator], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    legacy = emulator_factory(api="anthropic", refuse_delete_with_versions=True)
    monkeypatch.setenv(KEY_ENV, "emulator-key")
    skill_id = upload(legacy, [("gone/SKILL.md", folder_md("gone").encode())])
    legacy.store.add_version(
        WS,
        skill_id,
        check_upload([("gone/SKILL.md", b"---\nname: gone\ndescription: v2\n---\nx\n")]),
    )
    root = write_tree(
        tmp_path / "r", {"skillsync.yaml": target_config(legacy.url, api="anthropic")}
    )
    result = apply(root, "--force")  # the repository holds no skill: deleting all is unsafe
    assert result.exit_code == 0, result.output
    assert legacy.store.count() == 0 and legacy.store.version_count(skill_id) == 0
    stats = legacy.app.stats  # type: ignore[attr-defined]
    assert stats["DELETE /v1/skills/{id}"] == 2
    assert stats["DELETE /v1/skills/{id}/versions/{version}"] == 2


def test_display_name_is_sent_at_creation_and_only_warned_about_later(
    make_repo: Callable[..., Path], remote: Emulator
) -> None:
    root = make_repo({"skills/a.yaml": skill_yaml("a") + "display_name: Team A helper\n"})
    assert apply(root).exit_code == 0
    assert state(remote)["a"]["display_name"] == "Team A helper"
    (root / "skills/a.yaml").write_text(skill_yaml("a") + "display_name: Renamed\n")
    result = run_cli("-C", str(root), "plan", "--detailed-exitcode")
    assert result.exit_code == 0, result.output
    assert "Warning: 'a': display_name is 'Team A helper' on the remote and 'Renamed'" in (
        result.stdout
    )
    assert "No changes." in result.stdout


def test_a_saved_plan_is_refused_when_a_file_changed_on_disk(
    make_repo: Callable[..., Path], remote: Emulator, tmp_path: Path
) -> None:
    root = make_repo(dict(FOLDER))
    saved = tmp_path / "plan.json"
    assert run_cli("-C", str(root), "plan", "--out", str(saved)).exit_code == 0
    data = json.loads(saved.read_text())
    [change] = data["changes"]
    assert change["after"]["files"]["scripts/extract.py"].startswith("sha256:")
    (root / "skills/pdf-notes/scripts/extract.py").write_text("print('edited')\n")
    before = dict(remote.app.stats)  # type: ignore[attr-defined]
    result = run_cli("-C", str(root), "apply", str(saved))
    assert result.exit_code == 1
    assert "the files of skill 'pdf-notes' changed after the plan was made" in result.stderr
    assert dict(remote.app.stats) == before  # type: ignore[attr-defined]  # nothing sent
    (root / "skills/pdf-notes/scripts/extract.py").write_text("print('extract')\n")
    assert run_cli("-C", str(root), "apply", str(saved)).exit_code == 0
    assert sorted(state(remote)) == ["pdf-notes"]


def test_a_lost_create_and_a_lost_version_are_resolved_by_reading(
    make_repo: Callable[..., Path], remote: Emulator
) -> None:
    """Every write's answer is dropped after it committed: nothing is sent twice."""
    from skillsync.emulator.app import Faults

    root = make_repo({"skills/a.yaml": skill_yaml("a")})
    app = remote.app
    app.faults = Faults(rate=1.0, seed=1)  # type: ignore[attr-defined]
    app._draw_fault = lambda method: "drop_after_write" if method == "POST" else None  # type: ignore[attr-defined]
    assert apply(root).exit_code == 0
    (root / "skills/a.yaml").write_text(skill_yaml("a", version="2.0.0"))
    assert apply(root).exit_code == 0
    app.faults = Faults()  # type: ignore[attr-defined]
    now = state(remote)
    assert list(now) == ["a"] and now["a"]["versions"] == 2
    assert writes(remote) == {"POST /v1/skills": 1, "POST /v1/skills/{id}/versions": 1}
    assert run_cli("-C", str(root), "plan", "--detailed-exitcode").exit_code == 0


def test_import_writes_folders_byte_for_byte_and_the_next_plan_is_clean(
    make_repo: Callable[..., Path], remote: Emulator
) -> None:
    files = [
        ("toolbox/SKILL.md", folder_md("toolbox").replace("\n", "\r\n").encode()),
        ("toolbox/bin/data.bin", bytes(range(256)) * 3),
        ("toolbox/notes.txt", b"no final newline"),
    ]
    upload(remote, files)
    upload(
        remote,
        [("yaml-made/SKILL.md", folder_md("yaml-made", "Made in YAML. Use if asked.").encode())],
    )
    root = make_repo({})
    result = run_cli("-C", str(root), "import", "--all")
    assert result.exit_code == 0, result.output
    assert (
        "wrote skills/toolbox/SKILL.md (+ skills/toolbox/bin/data.bin, skills/toolbox/notes.txt)"
        in (result.stdout)
    )
    for path, data in files:
        assert (root / "skills" / path).read_bytes() == data
    assert run_cli("-C", str(root), "validate", "--strict").exit_code == 0
    assert run_cli("-C", str(root), "plan", "--detailed-exitcode").exit_code == 0
    again = run_cli("-C", str(root), "import", "toolbox")
    assert "skipped toolbox: already defined in skills/toolbox/SKILL.md" in again.stdout
    # --overwrite makes the folder exactly the remote skill again: extra files go.
    (root / "skills/toolbox/extra.txt").write_text("local only\n")
    (root / "skills/toolbox/.keep").write_text("hidden: never uploaded, kept\n")
    assert run_cli("-C", str(root), "import", "toolbox", "--overwrite").exit_code == 0
    assert not (root / "skills/toolbox/extra.txt").exists()
    assert (root / "skills/toolbox/.keep").exists()
    assert run_cli("-C", str(root), "plan", "--detailed-exitcode").exit_code == 0


def test_validate_reports_oversized_uploads_and_escaping_files(
    tmp_path: Path, repo: Callable[..., Path]
) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("secret\n")
    root = repo(
        {
            "skills/big/SKILL.md": folder_md("big"),
            "skills/big/data.bin": b"\0" * (8 * 1024 * 1024),
            "skills/leaky/SKILL.md": folder_md("leaky"),
        }
    )
    (root / "skills/leaky/link.txt").symlink_to(outside)
    result = run_cli("-C", str(root), "validate")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[:2] == [
        "skills/big/SKILL.md:1:1: error: the skill's folder uploads 8,388,716 bytes, over the "
        "Anthropic API's limit of 8,388,608 (8 MB) in all; move large files out of the folder "
        "[upload-limits]",
        "skills/leaky/link.txt:1:1: error: resolves outside the repository (symlink); keep a "
        "skill's files inside it [sensitive-path]",
    ]


def test_validate_reports_a_seed_json_body_over_1_mib(repo: Callable[..., Path]) -> None:
    config = "version: 1\ntargets:\n  t:\n    base_url: https://example.com\n    api: seed\n"
    root = repo(
        {
            "skills/big.yaml": (
                "name: big\ndescription: Use for d.\nversion: 1.0.0\ninstructions_file: big.md\n"
            ),
            "skills/big.md": '"' * 600_000 + "\n",
        },
        config=config,
    )
    result = run_cli("-C", str(root), "validate")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == (
        "skills/big.yaml:1:1: error: the seed API's JSON body for this skill is 1,200,079 bytes, "
        "over its limit of 1,048,576 (1 MiB); shorten the instructions [upload-limits]"
    )
    # The same repository aimed at the anthropic dialect uploads 600 KB: fine.
    (root / "skillsync.yaml").write_text(config.replace("seed", "anthropic"))
    assert run_cli("-C", str(root), "validate").exit_code == 0


def test_a_saved_plan_is_stale_after_a_version_made_behind_its_back(
    make_repo: Callable[..., Path], remote: Emulator, tmp_path: Path
) -> None:
    root = make_repo({"skills/a.yaml": skill_yaml("a")})
    assert apply(root).exit_code == 0
    (root / "skills/a.yaml").write_text(skill_yaml("a", version="2.0.0"))
    saved = tmp_path / "plan.json"
    assert run_cli("-C", str(root), "plan", "--out", str(saved)).exit_code == 0
    skill_id = state(remote)["a"]["id"]
    remote.store.add_version(WS, skill_id, check_upload([("a/SKILL.md", folder_md("a").encode())]))
    result = run_cli("-C", str(root), "apply", str(saved))
    assert (result.exit_code, result.stderr) == (
        1,
        "Error: Saved plan is stale: the remote skills changed after the plan was made. "
        "Run plan again.\n",
    )
    assert state(remote)["a"]["versions"] == 2  # nothing written


def test_a_large_repository_loads_in_a_second_process(
    make_repo: Callable[..., Path],
    remote: Emulator,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    import os

    apart = LoadingApart(monkeypatch, tmp_path / "pids", chunk=1)  # several messages
    root = make_repo({**FOLDER, "skills/a.yaml": skill_yaml("a"), "skills/b.yaml": skill_yaml("b")})
    plan = plan_json(root)
    assert [(c["action"], c["name"]) for c in plan["changes"]] == [
        ("create", "a"),
        ("create", "b"),
        ("create", "pdf-notes"),
    ]
    loaders = apart.loads()
    assert loaders and os.getpid() not in loaders  # loaded in a child process
    assert apply(root).exit_code == 0
    assert sorted(state(remote)) == ["a", "b", "pdf-notes"]
    assert plan_json(root)["changes"] == []
    # Skills on the remote come back partial; the one the plan changes is loaded in full.
    (root / "skills/a.yaml").write_text(
        skill_yaml("a", version="1.1.0", instructions="New words.\n")
    )
    [change] = plan_json(root)["changes"]
    assert "+New words." in change["files"][0]["diff"]
    assert apply(root).exit_code == 0
    assert b"\nNew words.\n" in state(remote)["a"]["files"]["a/SKILL.md"]
    # Without the caches the loading process projects each file as it loads it and lets
    # its texts go; a skill the remote lacks is whole (loaded again if let go too early).
    (root / "skills/b.yaml").write_text(skill_yaml("b", version="1.1.0", instructions="B2.\n"))
    (root / "skills/c.yaml").write_text(skill_yaml("c", instructions="Brand new.\n"))
    changes = plan_json(root, "--no-cache")["changes"]
    assert [(c["action"], c["name"]) for c in changes] == [("update", "b"), ("create", "c")]
    assert "+B2." in changes[0]["files"][0]["diff"]
    assert apply(root, "--no-cache").exit_code == 0
    assert b"\nBrand new.\n" in state(remote)["c"]["files"]["c/SKILL.md"]
    assert plan_json(root, "--no-cache")["changes"] == []
    monkeypatch.setenv(KEY_ENV, "not-the-key")  # the list fails: the loading process ends
    refused = run_cli("-C", str(root), "plan")
    assert refused.exit_code == 1 and "401" in refused.stderr
    monkeypatch.setenv(KEY_ENV, "emulator-key")
    (root / "skills/b.yaml").write_text("name: b\n")
    result = run_cli("-C", str(root), "plan")
    assert result.exit_code == 1
    assert "skills/b.yaml:1:1: error: missing required field 'description'" in result.stderr
    assert "hint: fix them (skillsync validate lists them all)" in result.stderr


def test_import_overwrite_refuses_a_folder_holding_another_skill(
    make_repo: Callable[..., Path], remote: Emulator
) -> None:
    upload(remote, [("team/SKILL.md", folder_md("team").encode())])
    root = make_repo({"skills/team/sub/SKILL.md": folder_md("sub")})
    result = run_cli("-C", str(root), "import", "team", "--overwrite")
    assert result.exit_code == 1
    assert (
        "skipped team: skills/team/ holds skills/team/sub/SKILL.md, which is another skill; "
        "import it elsewhere with --dir, or move that file out first" in result.stdout
    )
    assert (root / "skills/team/sub/SKILL.md").read_text() == folder_md("sub")
    assert not (root / "skills/team/SKILL.md").exists()
    elsewhere = run_cli("-C", str(root), "import", "team", "--dir", "vendor")
    assert elsewhere.exit_code == 0, elsewhere.output
    assert (root / "vendor/team/SKILL.md").read_text() == folder_md("team")


def test_import_skips_a_skill_whose_file_names_no_upload_can_carry(
    make_repo: Callable[..., Path], remote: Emulator
) -> None:
    upload(remote, [("odd/SKILL.md", folder_md("odd").encode()), ('odd/we"ird.txt', b"x")])
    upload(remote, [("fine/SKILL.md", folder_md("fine").encode())])
    root = make_repo({})
    result = run_cli("-C", str(root), "import", "odd", "fine")
    assert result.exit_code == 1
    assert (
        "skipped odd: remote skill 'odd' holds a file whose name no upload can carry as it is "
        "(a double quote or a control character): 'we\"ird.txt'" in result.stdout
    )
    assert "wrote skills/fine/SKILL.md" in result.stdout
    assert not (root / "skills/odd").exists()
    assert run_cli("-C", str(root), "validate").exit_code == 0


def test_import_overwrite_swaps_a_whole_folder_in_or_leaves_the_old_one(
    make_repo: Callable[..., Path], remote: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from skillsync import importer
    from skillsync.errors import SkillsyncError

    new = [("kit/SKILL.md", folder_md("kit", version="2.0.0").encode()), ("kit/a.sh", b"new a")]
    upload(remote, [*new, ("kit/b.txt", b"new b")])
    root = make_repo({"skills/kit/SKILL.md": folder_md("kit"), "skills/kit/a.sh": "old a\n"})
    write_tree(root, {"skills/kit/sub/.keep": "mine", "skills/kit/.env.example": "X=1\n"})
    (root / "skills/kit/a.sh").chmod(0o755)
    before = {p: p.read_bytes() for p in (root / "skills/kit").rglob("*") if p.is_file()}
    real_write = importer.write_atomically
    calls: list[Path] = []

    def failing(path: Path, content: str | bytes) -> None:
        calls.append(path)
        if len(calls) == 2:  # as write_atomically reports a full disk
            raise SkillsyncError(f"cannot write {path}: No space left on device")
        real_write(path, content)

    monkeypatch.setattr(importer, "write_atomically", failing)
    failed = run_cli("-C", str(root), "import", "kit", "--overwrite")
    assert (failed.exit_code, failed.stdout) == (1, ""), failed.output
    assert "No space left on device" in failed.stderr
    after = {p: p.read_bytes() for p in (root / "skills/kit").rglob("*") if p.is_file()}
    assert after == before  # the old folder, whole
    assert sorted(p.name for p in (root / "skills").iterdir()) == ["kit"]  # nothing beside it
    monkeypatch.setattr(importer, "write_atomically", real_write)
    done = run_cli("-C", str(root), "import", "kit", "--overwrite")
    assert done.exit_code == 0, done.output
    assert (root / "skills/kit/a.sh").read_bytes() == b"new a"
    assert (root / "skills/kit/a.sh").stat().st_mode & 0o777 == 0o755
    assert (root / "skills/kit/sub/.keep").read_text() == "mine"
    assert (root / "skills/kit/.env.example").read_text() == "X=1\n"
    assert sorted(p.name for p in (root / "skills").iterdir()) == ["kit"]
