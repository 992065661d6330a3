"""The anthropic dialect: properties (rendering, import round trips), secrets, the corpus,
and convergence under faults."""

from __future__ import annotations

import shutil
import string
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skillsync.emulator.uploads import check_upload
from skillsync.model import Skill
from skillsync.tree import render_skill_md
from tests.conftest import KEY_ENV, Emulator, run_cli, spawn_emulator, target_config, write_tree

descriptions = st.text(
    st.characters(blacklist_characters="<>", blacklist_categories=("Cs",)), min_size=1, max_size=200
)


@given(description=descriptions, instructions=st.text(min_size=1, max_size=200))
def test_a_rendered_skill_md_reads_back_exactly(description: str, instructions: str) -> None:
    skill = Skill("x", description, instructions, "1.2.3-rc.1+build.5")
    text = render_skill_md(skill)
    assert text == render_skill_md(skill)  # deterministic
    front, _, body = text[4:].partition("\n---\n")
    data = yaml.safe_load(front)
    assert data == {
        "name": "x",
        "description": description,
        "metadata": {"version": "1.2.3-rc.1+build.5"},
    }
    assert body == instructions


_VISIBLE = st.characters(exclude_categories=("Cs", "Cf", "Co", "Cn")).filter(
    lambda c: not ("\ufe00" <= c <= "\ufe0f" or "\U000e0100" <= c <= "\U000e01ef")
)
"""Text a reviewer can read: the trust gate refuses format characters (tags, bidi
controls, zero-width) and variation selectors by design (rule hidden-unicode), so a
round trip cannot carry them."""


def _remote_file_trees() -> st.SearchStrategy[dict[str, bytes]]:
    part = st.text(string.ascii_lowercase + string.digits + "-_", min_size=1, max_size=8)
    path = (
        st.lists(part, min_size=1, max_size=3)
        .map("/".join)
        .filter(lambda p: p != "SKILL.md" and not p.startswith("__pycache__"))
    )
    content = st.one_of(
        st.binary(max_size=300),
        st.text(_VISIBLE, max_size=300).map(lambda t: t.encode("utf-8")),
        st.text(_VISIBLE, max_size=100).map(lambda t: t.replace("\n", "\r\n").encode("utf-8")),
    )
    return st.dictionaries(path, content, max_size=5)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    files=_remote_file_trees(),
    body=st.text(_VISIBLE, min_size=1, max_size=300).filter(lambda t: t.strip() != ""),
    crlf=st.booleans(),
)
def test_import_round_trips_any_file_tree(
    tmp_path_factory: pytest.TempPathFactory,
    files: dict[str, bytes],
    body: str,
    crlf: bool,
) -> None:
    """Whatever a skill holds, import writes it so that plan and apply change nothing."""
    from skillsync.emulator.app import EmulatorApp, open_store

    # Paths that are prefixes of others (a file and a folder of one name) cannot both exist.
    names = sorted(files)
    files = {p: d for p, d in files.items() if not any(o.startswith(p + "/") for o in names)}
    tmp = tmp_path_factory.mktemp("import")
    head = "---\nname: tool\ndescription: A tool.\nmetadata:\n  version: 2.0.0\n---\n"
    skill_md = (head + body).replace("\n", "\r\n") if crlf else head + body
    store = open_store(tmp / "e.db", "anthropic")
    upload = [("tool/SKILL.md", skill_md.encode()), *((f"tool/{p}", d) for p, d in files.items())]
    store.create("default", check_upload(upload), None)  # type: ignore[call-arg, arg-type]
    store.close()
    root = write_tree(
        tmp / "repo",
        {"skillsync.yaml": "version: 1\ntargets:\n  l:\n    base_url: local:../e.db\n"},
    )
    EmulatorApp  # noqa: B018 - the local: target runs this app in-process
    result = run_cli("-C", str(root), "import", "--all")
    assert result.exit_code == 0, result.output
    for path, data in files.items():
        assert (root / "skills/tool" / path).read_bytes() == data
    assert (root / "skills/tool/SKILL.md").read_bytes() == skill_md.encode()
    plan = run_cli("-C", str(root), "plan", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output


def test_the_corpus_applies_and_then_plans_clean(
    corpus: Path, tmp_path: Path, anthropic_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, "emulator-key")
    root = write_tree(
        tmp_path / "corpus",
        {"skillsync.yaml": target_config(anthropic_emulator.url, api="anthropic")},
    )
    for folder in sorted(corpus.iterdir()):
        if folder.is_dir() and folder.name != "claude-api":  # its description is too long
            shutil.copytree(folder, root / "skills" / folder.name)
    result = run_cli("-C", str(root), "apply", "--auto-approve")
    assert result.exit_code == 0, result.output[-2000:]
    assert "Apply complete: 11 added, 0 changed, 0 destroyed." in result.stdout
    again = run_cli("-C", str(root), "plan", "--detailed-exitcode")
    assert again.exit_code == 0, again.output


def test_verbose_logs_each_request_once_with_its_request_id(
    emulator_factory: Callable[..., Emulator], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """-v is "more output (log requests)": a line per request, none without it, and none
    of the HTTP libraries' own lines (those are --debug's)."""
    emulator = emulator_factory(api="anthropic")
    monkeypatch.setenv(KEY_ENV, "emulator-key")
    root = write_tree(
        tmp_path / "r",
        {
            "skillsync.yaml": target_config(emulator.url, api="anthropic"),
            "skills/a/SKILL.md": "---\nname: a\ndescription: d\n---\nbody\n",
        },
    )
    quiet = run_cli("-C", str(root), "plan")
    assert "skillsync.client" not in quiet.stderr
    verbose = run_cli("-C", str(root), "-v", "plan")
    lines = [line for line in verbose.stderr.splitlines() if "skillsync.client" in line]
    assert len(lines) == 1
    assert lines[0].startswith("INFO skillsync.client: GET /v1/skills -> 200 (request-id req_")
    assert "httpcore" not in verbose.stderr and "httpx" not in verbose.stderr


def test_the_key_never_leaks_under_verbose_and_debug(
    emulator_factory: Callable[..., Emulator], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from skillsync.emulator.app import Faults

    canary = "sk-ant-canary-anthropic-91c2"
    emulator = emulator_factory(
        api="anthropic", keys={canary: "ws"}, faults=Faults(rate=0.3, seed=5)
    )
    monkeypatch.setenv(KEY_ENV, canary)
    root = write_tree(
        tmp_path / "r",
        {
            "skillsync.yaml": target_config(emulator.url, api="anthropic"),
            "skills/a/SKILL.md": "---\nname: a\ndescription: d\n---\nbody\n",
            "skills/a/run.py": "print(1)\n",
        },
    )
    outputs = [
        run_cli("-C", str(root), "-v", "--debug", "apply", "--auto-approve", "--max-retries", "10"),
        run_cli("-C", str(root), "-v", "--debug", "plan", "--format", "json"),
        run_cli("-C", str(root), "--debug", "import", "nope"),
    ]
    assert outputs[0].exit_code == 0, outputs[0].output[-2000:]
    # The CLI's own log handler writes to the captured stderr: debug logging did run.
    assert "INFO skillsync.client: POST /v1/skills -> " in outputs[0].stderr
    assert "DEBUG httpcore.http11: send_request_headers.started" in outputs[0].stderr
    texts = [o.output for o in outputs]
    assert not [t for t in texts if canary in t]


@pytest.mark.slow
def test_300_skills_converge_under_faults_with_lost_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`skillsync emulator --api anthropic --fault-rate 0.3`: creates, then updates, whose
    answers are often lost after the write committed. No skill twice, no version twice."""
    import json
    import signal
    import urllib.request

    process = spawn_emulator(
        tmp_path / "soak.db", "--fault-rate", "0.3", "--seed", "11", api="anthropic"
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split()[-1]
        monkeypatch.setenv(KEY_ENV, "emulator-key")
        root = tmp_path / "many"
        names = [f"s-{i:03d}" for i in range(300)]
        write_tree(root, {"skillsync.yaml": target_config(url, api="anthropic")})
        (root / "skills").mkdir()
        for name in names:
            (root / "skills" / f"{name}.yaml").write_text(
                f"name: {name}\ndescription: d\nversion: 1.0.0\ninstructions: |\n  v1\n"
            )
        first = run_cli("-C", str(root), "apply", "--auto-approve", "--max-retries", "12")
        assert first.exit_code == 0, first.output[-2000:]
        for name in names[:100]:
            (root / "skills" / f"{name}.yaml").write_text(
                f"name: {name}\ndescription: d\nversion: 1.1.0\ninstructions: |\n  v2\n"
            )
        second = run_cli("-C", str(root), "apply", "--auto-approve", "--max-retries", "12")
        assert second.exit_code == 0, second.output[-2000:]
        again = run_cli("-C", str(root), "plan", "--detailed-exitcode", "--max-retries", "12")
        assert again.exit_code == 0, again.output[-2000:]
        with urllib.request.urlopen(f"{url}/_emulator/stats") as answer:
            stats = json.load(answer)
        assert stats["faults"]["drop_after_write"] > 10
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=10)
    from skillsync.emulator.folder_store import FolderStore

    store = FolderStore(tmp_path / "soak.db")
    rows, _ = store.page("default", 1000)
    found = [store.version(s["id"] and "default", s["id"], "latest")["name"] for s in rows]
    assert sorted(found) == names  # each skill once
    counts = sorted(store.version_count(s["id"]) for s in rows)
    assert counts == [1] * 200 + [2] * 100  # each update one version
    store.close()
