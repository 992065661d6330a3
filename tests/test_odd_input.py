"""Odd files and races: the walk, file names, conflicts, vanished files, signals, locks,
malformed saved plans and servers that page forever."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from skillsync.plan import sha256
from tests.conftest import KEY_ENV, ROOT, Emulator, run_cli, skill_yaml, target_config, write_tree

FOLDER_MD = "---\nname: NAME\ndescription: Does NAME. Use when NAME.\n---\nBody.\n"


def folder(name: str) -> str:
    return FOLDER_MD.replace("NAME", name)


def validate_json(root: Path, timeout: float = 30) -> tuple[int, dict[str, object]]:
    process = subprocess.run(
        [sys.executable, "-m", "skillsync", "-C", str(root), "validate", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )
    return process.returncode, json.loads(process.stdout)


# -- the walk -----------------------------------------------------------------------------------
def test_symlink_loops_and_fifos_never_hang_validate(repo) -> None:  # type: ignore[no-untyped-def]
    root = repo({"skills/a/SKILL.md": folder("a"), "skills/b.yaml": skill_yaml("b")})
    (root / "skills/a/loop1").symlink_to(root / "skills/a")
    (root / "skills/a/loop2").symlink_to(root / "skills")
    (root / "skills/up").symlink_to(root)  # ln -s .. up: every skill again, through it
    os.mkfifo(root / "skills/a/pipe")
    code, report = validate_json(root)  # a hang fails by the timeout
    assert code == 1
    assert report["skills"] == ["b"]  # no phantom second b through skills/up
    problems = {(p["path"], p["rule"]) for p in report["problems"]}  # type: ignore[attr-defined]
    assert problems == {
        ("skills/a/loop1", "unreadable"),
        ("skills/a/loop2", "unreadable"),
        ("skills/a/pipe", "unreadable"),
    }


def test_the_walk_resolves_every_file_as_realpath_does(tmp_path: Path) -> None:
    """The loader takes a found file's real path from the walk (no realpath per file):
    the same answer, through a repository root that is itself a symlink, file symlinks
    inside and outside, and paths the walk did not find."""
    from skillsync.repo_paths import RepoPaths
    from skillsync.walk import Found, Tree

    real = tmp_path / "real-repo"
    write_tree(
        real,
        {
            "skills/a/SKILL.md": folder("a"),
            "skills/a/ref/notes.md": "x",
            "skills/b.yaml": skill_yaml("b"),
            "shared/text.md": "x",
        },
    )
    (tmp_path / "outside.md").write_text("x")
    (real / "skills/a/ref/link.md").symlink_to(real / "shared/text.md")
    (real / "skills/a/ref/relative.md").symlink_to("../../../shared/text.md")
    (real / "skills/a/away.md").symlink_to(tmp_path / "outside.md")
    root = tmp_path / "repo"
    root.symlink_to(real)  # a checkout reached through a symlink (macOS /tmp, a mount)
    tree = Tree.of(str(root))
    inside = RepoPaths(root, tree)
    files = [f for f in tree.found if f.kind == "file"]
    assert len(files) == 7
    plain = f"{root}/skills/b.yaml"  # made without Found.__new__: every field still there
    assert tree.get(plain) == Found("skills/b.yaml", plain, plain)
    for found in files:
        assert inside.resolve(found.path) == os.path.realpath(found.path), found.rel
    assert inside.holds(inside.resolve(f"{root}/skills/a/ref/link.md"))
    assert not inside.holds(inside.resolve(f"{root}/skills/a/away.md"))
    for path in (f"{root}/skills/../skills/b.yaml", f"{root}/skills/a/missing.md"):
        assert inside.resolve(path) == os.path.realpath(path)  # not found by the walk


def test_a_fifo_where_a_skill_file_belongs_is_an_error_not_a_hang(repo) -> None:  # type: ignore[no-untyped-def]
    root = repo(
        {"skills/a/SKILL.md": folder("a"), "skills/c.yaml": skill_yaml("c")},
        config='version: 1\nskills: ["skills/**/SKILL.md", "skills/*.yaml"]\n',
    )
    os.mkfifo(root / "skills/b.yaml")
    (root / "skills/d").mkdir()
    os.mkfifo(root / "skills/d/SKILL.md")
    for _ in range(2):  # a cold run, then one with the verdicts it cached
        code, report = validate_json(root)  # a hang fails by the timeout
        assert code == 1
        assert report["skills"] == ["a", "c"]
        problems = [(p["path"], p["rule"], p["message"]) for p in report["problems"]]  # type: ignore[attr-defined]
        special = "is not a regular file (a FIFO, socket or device); remove it from the folder"
        assert problems == [
            ("skills/b.yaml", "unreadable", special),
            ("skills/d/SKILL.md", "unreadable", special),
        ]


def test_file_times_beyond_64_bit_nanoseconds_are_cached_like_any_other(repo) -> None:  # type: ignore[no-untyped-def]
    """The verdict cache packs stat times as 64-bit nanoseconds; `touch -d 2300-01-01`
    makes one that does not fit (nor does a time before 1678)."""
    root = repo({"skills/a/SKILL.md": folder("a"), "skills/a/ref.md": "Ref.\n"})
    year_2300 = 10_413_792_000
    for path in ("skills/a/SKILL.md", "skills/a/ref.md"):
        os.utime(root / path, (year_2300, year_2300))
    assert os.stat(root / "skills/a/ref.md").st_mtime_ns >= 2**63  # the filesystem kept it
    runs = [validate_json(root) for _ in range(3)]  # cold, cached, cached again
    assert runs[0][0] == 0
    assert runs[0][1]["skills"] == ["a"]
    assert runs[1] == runs[2] == runs[0]


def test_what_cannot_be_read_is_an_error_never_a_crash_or_a_deletion(
    repo, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """Root reads every file, so the tests' root cannot meet a permission denial for
    real: os.open and os.scandir refuse the chosen paths as the kernel would for others."""
    root = repo(
        {
            "skills/a/SKILL.md": folder("a"),
            "skills/b/SKILL.md": folder("b"),
            "skills/c/SKILL.md": folder("c"),
            "skills/d.yaml": skill_yaml("d").split("instructions:")[0]
            + "instructions_file: d.md\n",
            "skills/d.md": "Do d.\n",
        },
        config='version: 1\nskills: ["skills/**/SKILL.md", "skills/*.yaml"]\n'
        "targets:\n  t:\n    base_url: local:state.db\n    api: anthropic\n",
    )
    refused = {str(root / "skills/b/SKILL.md"), str(root / "skills/d.md")}
    real_open, real_scandir = os.open, os.scandir

    def open_(path, flags, *args, **kwargs):  # type: ignore[no-untyped-def]
        if str(path) in refused:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    def scandir(path=".", *args, **kwargs):  # type: ignore[no-untyped-def]
        if str(path) == str(root / "skills/c"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", open_)
    monkeypatch.setattr(os, "scandir", scandir)
    result = run_cli("-C", str(root), "validate", "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["skills"] == ["a"]  # c is not taken for deleted: its folder is an error
    assert [(p["path"], p["message"]) for p in report["problems"]] == [
        ("skills/b/SKILL.md", "cannot be read (permission denied); make it readable or remove it"),
        (
            "skills/c",
            "is a folder that cannot be listed (permission denied?); skillsync cannot tell "
            "which files it holds: make it readable or remove it",
        ),
        (
            "skills/d.yaml",
            "instructions_file: 'd.md' cannot be read (permission denied); make it readable "
            "or remove it",
        ),
    ]
    plan = run_cli("-C", str(root), "plan", "--target", "t")
    assert plan.exit_code == 1 and "have 3 error(s)" in plan.stderr  # nothing planned
    refused.add(str(root / "skillsync.yaml"))
    broken = run_cli("-C", str(root), "validate")
    assert broken.exit_code == 1
    assert "skillsync.yaml cannot be read (Permission denied)" in broken.stderr


def test_a_file_matched_by_two_spellings_of_a_glob_is_one_file(repo) -> None:  # type: ignore[no-untyped-def]
    root = repo(
        {"skills/a.yaml": skill_yaml("a")},
        config='version: 1\nskills: ["./skills/*.yaml", "skills/*.yaml", "skills/**/*.yaml"]\n',
    )
    result = run_cli("-C", str(root), "validate")
    assert (result.exit_code, result.stdout) == (0, "1 skill file valid.\n")


def test_file_names_an_upload_cannot_carry_are_refused(repo) -> None:  # type: ignore[no-untyped-def]
    root = repo(
        {
            "skills/a/SKILL.md": folder("a"),
            'skills/a/say "hi".txt': "x",
            "skills/a/tab\there.txt": "x",
            "skills/a/fine name.txt": "x",
        }
    )
    code, report = validate_json(root)
    assert code == 1
    found = sorted((p["path"], p["rule"]) for p in report["problems"])  # type: ignore[attr-defined]
    assert found == [
        ('skills/a/say "hi".txt', "file-name"),
        ("skills/a/tab\there.txt", "file-name"),
    ]


@pytest.mark.parametrize("cache", [True, False])
def test_file_names_that_are_not_utf8_are_file_name_errors(repo, cache: bool) -> None:  # type: ignore[no-untyped-def]
    root = repo({"skills/a/SKILL.md": folder("a"), "skills/b.yaml": skill_yaml("b")})
    with open(os.fsencode(root / "skills/a") + b"/bad\xff.txt", "wb") as handle:
        handle.write(b"x")
    os.mkdir(os.fsencode(root / "skills") + b"/c\xfe")
    with open(os.fsencode(root / "skills") + b"/c\xfe/SKILL.md", "w") as handle:
        handle.write(folder("c"))
    args = () if cache else ("--no-cache",)
    for _ in range(2):  # the second run reads the verdict cache
        for fmt in ("text", "json", "github", "sarif"):
            result = run_cli("-C", str(root), "validate", "--format", fmt, *args)
            assert result.exit_code == 1, result.output
            assert "internal error" not in result.output
    text = run_cli("-C", str(root), "validate", *args).stdout.splitlines()
    assert text[:2] == [
        "skills/a/bad\\xff.txt:1:1: error: the file name 'bad\\xff.txt' holds a double quote, a "
        "control character or bytes that are not UTF-8, which an upload cannot carry as it "
        "is; rename the file [file-name]",
        "skills/c\\xfe/SKILL.md:1:1: error: the path holds bytes that are not UTF-8; rename it "
        "[file-name]",
    ]
    planned = run_cli("-C", str(root), "plan")
    assert planned.exit_code == 1 and "internal error" not in planned.output


# -- conflicts, vanished files, signals, locks ------------------------------------------------
def test_a_name_conflict_is_drift_and_says_so(
    tmp_path: Path, anthropic_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two skills with one name (what two concurrent applies on a remote API leave)."""
    from skillsync.emulator.uploads import check_upload

    monkeypatch.setenv(KEY_ENV, "emulator-key")
    root = write_tree(
        tmp_path / "repo",
        {
            "skillsync.yaml": target_config(anthropic_emulator.url, api="anthropic"),
            "skills/a/SKILL.md": folder("a"),
        },
    )
    for _ in range(2):
        upload = check_upload([("a/SKILL.md", folder("a").encode())])
        anthropic_emulator.store.create("default", upload, None)
    result = run_cli("-C", str(root), "plan", "--detailed-exitcode")
    assert result.exit_code == 2
    assert "2 remote skills are named 'a'" in result.stdout
    assert result.stdout.rstrip().endswith(
        "No changes can be applied, but 1 name conflict need attention: the remote does "
        "not match the repository."
    )
    output = run_cli("-C", str(root), "output", "--allow-missing")
    assert output.exit_code == 1
    assert output.stderr.startswith(
        "Error: on target 'test', several remote skills share the name of 'a' (2 remote skills)"
    )
    assert "apply first" not in output.stderr
    assert json.loads(output.stdout)["skills"][0]["id"] is None


def test_a_file_that_vanishes_during_apply_is_one_failure_in_the_summary(
    tmp_path: Path, anthropic_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, "emulator-key")
    root = write_tree(
        tmp_path / "repo",
        {
            "skillsync.yaml": target_config(anthropic_emulator.url, api="anthropic"),
            "skills/a/SKILL.md": folder("a"),
            "skills/a/data.txt": "x\n",
            "skills/b.yaml": skill_yaml("b"),
        },
    )
    from skillsync import tree

    real = tree.desired_files
    reads: list[str] = []

    def vanishing(skill):  # type: ignore[no-untyped-def]
        reads.append(skill.name)
        if reads.count("a") == 2:  # read once to plan; gone when it is uploaded
            (root / "skills/a/data.txt").unlink(missing_ok=True)
        return real(skill)

    monkeypatch.setattr(tree, "desired_files", vanishing)
    monkeypatch.setattr("skillsync.remote.folders.desired_files", vanishing)
    result = run_cli("-C", str(root), "apply", "--auto-approve")
    assert result.exit_code == 1
    assert "! failed to create 'a': file_error: " in result.stdout
    assert "+ created 'b'" in result.stdout
    assert result.stderr.startswith("Error: Apply incomplete: 1 done, 1 failed.")


def test_concurrent_applies_on_a_local_target_create_each_skill_once(tmp_path: Path) -> None:
    files = {f"skills/s{i:02d}.yaml": skill_yaml(f"s{i:02d}") for i in range(15)}
    config = "version: 1\ntargets:\n  local:\n    base_url: local:state.db\n    api: seed\n"
    root = write_tree(tmp_path / "repo", {"skillsync.yaml": config, **files})
    command = [sys.executable, "-m", "skillsync", "-C", str(root), "apply", "--auto-approve"]
    runs = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    created = sum(out.count("+ created") for out, _ in outputs)
    assert created == 15
    assert run_cli("-C", str(root), "plan", "--detailed-exitcode").exit_code == 0


# -- saved plans and servers ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.__setitem__("changes", {"a": 1}),
        lambda d: d.__setitem__("scope", [1]),
        lambda d: d["summary"].__setitem__("unchanged", "many"),
        lambda d: d["changes"][0].__setitem__("after", "x"),
    ],
)
def test_a_malformed_saved_plan_with_a_valid_checksum_is_refused(tmp_path: Path, mutate) -> None:  # type: ignore[no-untyped-def]
    root = write_tree(
        tmp_path / "repo",
        {
            "skillsync.yaml": "version: 1\ntargets:\n  t:\n    base_url: local:e.db\n",
            "skills/a.yaml": skill_yaml("a"),
        },
    )
    saved = tmp_path / "plan.json"
    assert run_cli("-C", str(root), "plan", "--out", str(saved)).exit_code == 0
    document = json.loads(saved.read_text())
    mutate(document)
    document.pop("checksum")
    document["checksum"] = sha256(document)
    saved.write_text(json.dumps(document))
    result = run_cli("-C", str(root), "apply", str(saved))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: saved plan is malformed")


class _Looping(BaseHTTPRequestHandler):
    """A Skills API whose list hands out the same cursor forever."""

    def do_GET(self) -> None:
        if "/versions/" in self.path:
            self.send_error(404)
            return
        body = json.dumps(
            {
                "data": [
                    {
                        "id": "skill_1",
                        "name": "a",
                        "description": "d",
                        "type": "custom",
                        "source": {"type": "custom"},
                        "latest_version_id": "v1",
                    }
                ],
                "has_more": True,
                "last_id": "skill_1",
                "next_page": "same-token",
            }
        ).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def looping() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Looping)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("api", ["seed", "anthropic"])
def test_a_repeated_page_cursor_stops_the_list(
    tmp_path: Path, looping: str, api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, "emulator-key")
    root = write_tree(tmp_path / "repo", {"skillsync.yaml": target_config(looping, api=api)})
    result = run_cli("-C", str(root), "plan")
    assert result.exit_code == 1
    assert "repeated the page cursor" in result.stderr


def test_forked_loaders_end_quietly(tmp_path: Path) -> None:
    """validate loads a large repository in forked workers, which the pool stops with
    SIGTERM: they must not inherit the CLI's SIGTERM-as-interrupt handler."""
    files = {f"skills/s{i:04d}.yaml": skill_yaml(f"s{i:04d}") for i in range(1000)}
    root = write_tree(tmp_path / "big", {"skillsync.yaml": "version: 1\n", **files})
    result = subprocess.run(
        [sys.executable, "-m", "skillsync", "-C", str(root), "validate", "--no-cache"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "1000 skill files valid.\n"


def test_a_usage_error_under_format_json_is_a_json_document(tmp_path: Path) -> None:
    result = run_cli("-C", str(tmp_path), "plan", "--format", "json", "--bogus")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["ok"] is False and document["error"]["kind"] == "UsageError"
    assert "--bogus" in document["error"]["message"]


def test_control_characters_in_file_names_never_reach_the_terminal(repo) -> None:  # type: ignore[no-untyped-def]
    root = repo({"skills/\x1b[31mred.yaml": "name: Bad\n"})
    result = run_cli("-C", str(root), "validate")
    assert result.exit_code == 1
    assert "\x1b" not in result.stdout
    assert result.stdout.startswith("skills/\\x1b[31mred.yaml:1:1: error: ")


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_standard_output_is_an_error_not_a_crash(tmp_path: Path) -> None:
    config = "version: 1\ntargets:\n  t:\n    base_url: local:emu.db\n"
    root = write_tree(
        tmp_path / "repo", {"skillsync.yaml": config, "skills/a.yaml": skill_yaml("a")}
    )
    env = {k: v for k, v in os.environ.items() if k != "SKILLSYNC_BASE_URL"}
    for command in (
        ["validate"],
        ["rules"],
        ["plan", "--format", "json"],
        ["apply", "--auto-approve"],
    ):
        with open("/dev/full", "w") as full:
            done = subprocess.run(
                [sys.executable, "-m", "skillsync", "-C", str(root), *command],
                stdout=full,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
                timeout=60,
            )
        assert done.returncode == 1, (command, done.stderr)
        assert done.stderr.startswith(
            "Error: the output could not be written to standard output (No space left on "
            "device)\n  hint: if the command changed a target, run plan to see where it stands"
        ), done.stderr
    # the apply was not cut short by its own report
    assert run_cli("-C", str(root), "plan", "--detailed-exitcode").exit_code == 0


def test_apply_output_is_checked_before_anything_is_sent_and_never_hides_the_apply(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = "version: 1\ntargets:\n  t:\n    base_url: local:emu.db\n"
    root = write_tree(
        tmp_path / "repo", {"skillsync.yaml": config, "skills/a.yaml": skill_yaml("a")}
    )
    for bad in ("/dev/full", str(tmp_path / "no/such/folder/out.json"), str(tmp_path)):
        refused = run_cli("-C", str(root), "apply", "--auto-approve", "--output", bad)
        assert refused.exit_code == 1 and refused.stdout == "", refused.output
        assert not (root / "emu.db").exists()  # nothing opened, nothing sent
    from skillsync.commands import apply as apply_command
    from skillsync.errors import SkillsyncError

    def fails(path: Path, *args: object) -> None:
        raise SkillsyncError(f"cannot write {path}: No space left on device")

    monkeypatch.setattr(apply_command, "write_output", fails)
    out = tmp_path / "out.json"
    result = run_cli("-C", str(root), "apply", "--auto-approve", "--output", str(out))
    assert result.exit_code == 1
    assert "Apply complete: 1 added, 0 changed, 0 destroyed." in result.stdout
    assert result.stderr == f"Error: --output: cannot write {out}: No space left on device\n"
    assert run_cli("-C", str(root), "plan", "--detailed-exitcode").exit_code == 0


def test_the_validate_arguments_report_their_own_problems_and_folders(repo) -> None:  # type: ignore[no-untyped-def]
    root = repo(
        {
            "skills/a/SKILL.md": folder("a").replace("NAME", "a"),
            "skills/b/SKILL.md": folder("b").replace(" Use when b.", ""),  # a warning
            "skills/a/ref.md": "[x](nowhere\x1b[31m.md)\n",
        }
    )
    missing = run_cli("-C", str(root), "validate", str(root / "no/such/path"))
    assert missing.exit_code == 1
    assert missing.stdout.startswith(
        "no/such/path:1:1: error: not found; name a skill file or a folder of the repository"
    )
    folder_only = run_cli("-C", str(root), "validate", str(root / "skills/a"))
    lines = folder_only.stdout.splitlines()
    assert len(lines) == 2 and lines[0].startswith("skills/a/ref.md:1:5: error: ")
    assert "\x1b" not in folder_only.stdout
    assert "link to 'nowhere\\x1b[31m.md'" in folder_only.stdout
    github = run_cli("-C", str(root), "validate", "--format", "github").stdout
    assert "\x1b" not in github
    everything = run_cli("-C", str(root), "validate", str(root)).stdout.splitlines()
    assert [line.split(":")[0] for line in everything[:-1]] == [
        "skills/a/ref.md",
        "skills/b/SKILL.md",
    ]


def test_debug_after_the_command_name_and_odd_emulator_databases(tmp_path: Path) -> None:
    result = run_cli(
        "emulator", "--db", "/etc/passwd" if os.path.exists("/etc/passwd") else __file__
    )
    assert result.exit_code == 1
    assert "not a SQLite database the emulator can use" in result.stderr
    bogus = run_cli("-C", str(tmp_path), "output", "--bogus")
    assert bogus.exit_code == 1
    assert json.loads(bogus.stdout)["error"]["kind"] == "UsageError"


def test_ctrl_c_while_the_cli_is_imported_is_never_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The Ctrl-C lands while the command line's modules load (the first tenth of a second
    of every run), before the CLI's own error boundary exists."""
    import importlib.abc

    from skillsync.__main__ import entry

    class Interrupting(importlib.abc.MetaPathFinder):
        def find_spec(self, name: str, *args: object) -> None:
            if name == "skillsync.cli":
                raise KeyboardInterrupt

    monkeypatch.delitem(sys.modules, "skillsync.cli")
    monkeypatch.setattr(sys, "meta_path", [Interrupting(), *sys.meta_path])
    assert entry() == 130
    assert capsys.readouterr().err == "Interrupted.\n"


def test_debug_after_the_command_name_shows_the_traceback(
    repo,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    from skillsync.commands import validate

    def broken(*args: object, **kwargs: object) -> int:
        raise RuntimeError("a bug")

    monkeypatch.setattr(validate, "run", broken)
    root = repo({})
    plain = run_cli("-C", str(root), "validate")
    assert plain.exit_code == 3 and "Traceback" not in plain.stderr
    for args in (("--debug", "validate"), ("validate", "--debug")):
        result = run_cli("-C", str(root), *args)
        assert result.exit_code == 3
        assert "Traceback (most recent call last)" in result.stderr, args
