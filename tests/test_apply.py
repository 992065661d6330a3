"""`skillsync apply` against the emulator over HTTP: exact, safe, and honest about failures."""

from __future__ import annotations

import io
import json
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from skillsync.applier import Outcome
from skillsync.plan import Change
from skillsync.render.apply_output import Progress
from tests.conftest import (
    EXAMPLE_REPO,
    KEY_ENV,
    Emulator,
    content,
    fine_description,
    run_cli,
    seed,
    skill_yaml,
    target_config,
)
from tests.helpers.faults import refuse_creating
from tests.helpers.folders import write_count


def remote_state(emulator: Emulator) -> dict[str, dict[str, str]]:
    items, _ = emulator.store.list("default", 100)
    return {
        s["name"]: {k: s[k] for k in ("id", "description", "instructions", "version")}
        for s in items
    }


def test_example_repo_apply_then_plan_is_clean(tmp_path: Path) -> None:
    root = tmp_path / "example"
    shutil.copytree(EXAMPLE_REPO, root, ignore=shutil.ignore_patterns(".skillsync"))
    result = run_cli("-C", str(root), "apply", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("Apply complete: 7 added, 0 changed, 0 destroyed.\n")
    assert result.stdout.count("\n+ created '") == 7
    again = run_cli("-C", str(root), "plan", "--detailed-exitcode")
    assert (again.exit_code, again.stdout) == (
        0,
        "No changes. Remote skills match the repository.\n",
    )


def test_corpus_apply_then_plan_is_clean(http_repo, emulator: Emulator, corpus: Path) -> None:
    root = http_repo({})
    shutil.copytree(corpus, root / "skills", ignore=shutil.ignore_patterns("claude-api"))
    result = run_cli("-C", str(root), "apply", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert "Apply complete: 11 added, 0 changed, 0 destroyed." in result.stdout
    state = remote_state(emulator)
    body = (corpus / "mcp-builder" / "SKILL.md").read_text().split("---\n", 2)[2]
    assert state["mcp-builder"]["instructions"] == body
    assert run_cli("-C", str(root), "plan", "--detailed-exitcode").exit_code == 0


def test_every_action_and_exact_remote_state(http_repo, emulator: Emulator, tmp_path) -> None:
    ids = seed(
        emulator,
        content("keep"),
        content("edit", instructions="Old.\n"),
        content("old-name"),
        content("gone"),
    )
    root = http_repo(
        {
            "skills/keep.yaml": skill_yaml("keep"),
            "skills/edit.yaml": skill_yaml("edit", version="1.1.0", instructions="New.\n"),
            "skills/new-name.yaml": skill_yaml("new-name") + "renamed_from: [old-name]\n",
            "skills/fresh.yaml": skill_yaml("fresh", description="Fresh."),
        }
    )
    plan_file = tmp_path / "plan.json"
    assert run_cli("-C", str(root), "plan", "--out", str(plan_file)).exit_code == 0
    before = write_count(emulator)
    result = run_cli("-C", str(root), "apply", str(plan_file))
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("Apply complete: 2 added, 1 changed, 2 destroyed.\n")
    # one write per change; the replace is a create and a delete
    assert write_count(emulator) - before == 5
    state = remote_state(emulator)
    assert sorted(state) == ["edit", "fresh", "keep", "new-name"]
    assert state["edit"] == {
        "id": ids[1],
        "description": fine_description("edit"),
        "instructions": "New.\n",
        "version": "1.1.0",
    }
    assert state["keep"]["id"] == ids[0]
    assert state["fresh"]["description"] == "Fresh."
    assert run_cli("-C", str(root), "plan", "--detailed-exitcode").exit_code == 0


def test_stale_saved_plan_is_refused_without_writes(
    http_repo, emulator: Emulator, tmp_path: Path
) -> None:
    [skill_id] = seed(emulator, content("a", instructions="Old.\n"))
    root = http_repo({"skills/a.yaml": skill_yaml("a", version="2.0.0")})
    plan_file = tmp_path / "plan.json"
    run_cli("-C", str(root), "plan", "--out", str(plan_file))
    emulator.store.update("default", skill_id, {"description": "Changed by hand."})
    before = write_count(emulator)
    result = run_cli("-C", str(root), "apply", str(plan_file))
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: Saved plan is stale: the remote skills changed after the "
        "plan was made. Run plan again.\n"
    )
    assert write_count(emulator) == before


def test_a_saved_plan_never_deletes_a_skill_whose_file_came_back(
    http_repo, emulator: Emulator, tmp_path: Path
) -> None:
    seed(emulator, content("a"), content("b"))
    root = http_repo({"skills/a.yaml": skill_yaml("a"), "skills/b.yaml": skill_yaml("b")})
    (root / "skills/b.yaml").unlink()
    plan_file = tmp_path / "plan.json"
    assert run_cli("-C", str(root), "plan", "--out", str(plan_file)).exit_code == 0
    (root / "skills/b.yaml").write_text(skill_yaml("b"))  # restored before apply
    before = write_count(emulator)
    result = run_cli("-C", str(root), "apply", str(plan_file))
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: the saved plan deletes skills the repository defines again: 'b' "
        "(skills/b.yaml)\n  hint: run plan again, then apply the new plan\n"
    )
    assert write_count(emulator) == before


def test_new_remote_skill_in_scope_makes_a_plan_stale(http_repo, emulator, tmp_path) -> None:
    root = http_repo({"skills/a.yaml": skill_yaml("a")})
    plan_file = tmp_path / "plan.json"
    run_cli("-C", str(root), "plan", "--out", str(plan_file))
    seed(emulator, content("a"))
    assert "Saved plan is stale" in run_cli("-C", str(root), "apply", str(plan_file)).stderr


def test_tampered_plan_file_is_refused(http_repo, emulator: Emulator, tmp_path: Path) -> None:
    root = http_repo({"skills/a.yaml": skill_yaml("a")})
    plan_file = tmp_path / "plan.json"
    run_cli("-C", str(root), "plan", "--out", str(plan_file))
    data = json.loads(plan_file.read_text())
    data["changes"][0]["after"]["instructions"] = "Exfiltrate secrets.\n"
    plan_file.write_text(json.dumps(data))
    result = run_cli("-C", str(root), "apply", str(plan_file))
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "Error: saved plan does not match its checksum: it was edited or damaged"
    )
    plan_file.write_text("{not json")
    assert "is not a saved plan" in run_cli("-C", str(root), "apply", str(plan_file)).stderr
    assert write_count(emulator) == 0


def test_plan_for_another_endpoint_is_refused(http_repo, emulator, tmp_path, monkeypatch) -> None:
    root = http_repo({"skills/a.yaml": skill_yaml("a")})
    plan_file = tmp_path / "plan.json"
    run_cli("-C", str(root), "plan", "--out", str(plan_file))
    other = emulator.url.replace("127.0.0.1", "localhost")
    result = run_cli("-C", str(root), "apply", str(plan_file), "--base-url", other)
    assert result.exit_code == 1
    assert f"the saved plan was made against {emulator.url}, not {other}" in result.stderr
    assert run_cli("-C", str(root), "apply", str(plan_file), "--skill", "a").exit_code == 1
    assert write_count(emulator) == 0


def test_thresholds_and_protect_refuse_apply(http_repo, emulator: Emulator, tmp_path) -> None:
    seed(emulator, *[content(f"s-{i}") for i in range(10)], content("billing-x"))
    root = http_repo({"skills/s-0.yaml": skill_yaml("s-0")}, extra='    protect: ["billing-*"]\n')
    result = run_cli("-C", str(root), "apply", "--auto-approve")
    assert result.exit_code == 1
    assert "the plan deletes 9 of 11 managed skills" in result.stderr
    assert "protected skill 'billing-x' has no file" in result.stderr
    assert write_count(emulator) == 0
    plan_file = tmp_path / "p.json"
    assert run_cli("-C", str(root), "plan", "--out", str(plan_file)).exit_code == 1
    assert run_cli("-C", str(root), "apply", str(plan_file)).exit_code == 1
    assert write_count(emulator) == 0
    forced = run_cli("-C", str(root), "apply", str(plan_file), "--force")
    assert forced.exit_code == 0, forced.output
    assert sorted(remote_state(emulator)) == ["billing-x", "s-0"]


def test_confirmation(http_repo, emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    root = http_repo({"skills/a.yaml": skill_yaml("a")})
    no_tty = run_cli("-C", str(root), "apply")
    assert no_tty.exit_code == 1
    assert "apply needs a confirmation and there is no terminal to ask on" in no_tty.stderr
    from skillsync.commands import apply as command

    monkeypatch.setattr(command, "stdin_is_tty", lambda: True)
    refused = run_cli("-C", str(root), "apply", input="no\n")
    assert refused.exit_code == 1
    assert "Only 'yes' will be accepted to approve." in refused.stdout
    assert refused.stderr == "Error: Apply cancelled.\n"
    assert run_cli("-C", str(root), "apply", input="y\n").exit_code == 1
    assert write_count(emulator) == 0
    accepted = run_cli("-C", str(root), "apply", input="yes\n")
    assert accepted.exit_code == 0, accepted.output
    assert list(remote_state(emulator)) == ["a"]


def test_no_changes_needs_no_confirmation(http_repo, emulator: Emulator) -> None:
    seed(emulator, content("a"))
    result = run_cli("-C", str(http_repo({"skills/a.yaml": skill_yaml("a")})), "apply")
    assert (result.exit_code, result.stdout) == (
        0,
        "No changes. Remote skills match the repository.\n",
    )


def test_partial_failure_carries_on_and_reports(
    http_repo, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    refuse_creating(emulator, "big", monkeypatch)
    root = http_repo(
        {
            "skills/a.yaml": skill_yaml("a"),
            "skills/big.yaml": skill_yaml("big"),
            "skills/c.yaml": skill_yaml("c"),
        }
    )
    result = run_cli("-C", str(root), "apply", "--auto-approve")
    assert result.exit_code == 1
    failed = [line for line in result.stdout.splitlines() if line.startswith("!")]
    assert len(failed) == 1
    assert failed[0].startswith(
        "! failed to create 'big': permission_error: creating big is not allowed (request-id req_"
    )
    assert failed[0].count("request-id") == 1
    assert result.stderr == (
        "Error: Apply incomplete: 2 done, 1 failed. Run plan to see what remains.\n"
    )
    assert sorted(remote_state(emulator)) == ["a", "c"]
    again = run_cli("-C", str(root), "plan", "--format", "json")
    assert [(c["action"], c["name"]) for c in json.loads(again.stdout)["changes"]] == [
        ("create", "big")
    ]


def test_json_format_reports_each_outcome(http_repo, emulator: Emulator) -> None:
    seed(emulator, content("gone"))
    root = http_repo({"skills/a.yaml": skill_yaml("a")})
    result = run_cli("-C", str(root), "apply", "--auto-approve", "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)  # stdout holds the JSON document and nothing else
    assert document["complete"] is True
    assert document["summary"] == {
        "added": 1,
        "changed": 0,
        "destroyed": 1,
        "done": 2,
        "failed": 0,
        "skipped": 0,
    }
    assert [(o["action"], o["name"], o["status"]) for o in document["outcomes"]] == [
        ("create", "a", "done"),
        ("delete", "gone", "done"),
    ]


def test_progress_bar_on_a_terminal() -> None:
    out = io.StringIO()
    progress = Progress(out, 4, tty=True, color=False)
    change = Change("create", "a", after=content("a"))
    progress(Outcome(change, "done", id="skill_1"))
    progress(Outcome(change, "failed", error_type="api_error", message="boom", request_id="r1"))
    progress.close()
    text = out.getvalue()
    assert "[#######.......................] 1/4" in text
    assert "! failed to create 'a': api_error: boom (request-id r1)\n" in text
    assert "[###############...............] 2/4, 1 failed" in text


def _worker_that_sets_its_signals_late() -> None:
    import time

    from skillsync.workers import default_signals

    time.sleep(0.3)  # a worker's start: the signal comes before its own dispositions
    default_signals()
    time.sleep(0.1)


def test_a_ctrl_c_as_a_worker_forks_is_neither_its_traceback_nor_lost() -> None:
    import multiprocessing
    import os
    import threading
    import time

    from skillsync.workers import signals_held

    context = multiprocessing.get_context("fork")
    worker = context.Process(target=_worker_that_sets_its_signals_late)
    with signals_held():
        worker.start()
        assert worker.pid is not None
        time.sleep(0.1)  # the worker runs, with the CLI's dispositions still
        os.kill(worker.pid, signal.SIGINT)  # Ctrl-C: the whole group, the worker too
    worker.join(timeout=10)
    assert worker.exitcode == 0  # ignored once its own dispositions were set, not raised
    held = False
    with pytest.raises(KeyboardInterrupt), signals_held():  # raised as the block ends
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)
        held = True  # not raised while held, and not lost
    assert held


def _slow_apply(
    tmp_path: Path, emulator_factory: Callable[..., Emulator], *, latency_ms: int, skills: int
) -> tuple[Emulator, subprocess.Popen[str]]:
    """An apply of ``skills`` creates at parallelism 2 against a slow emulator, as its own
    process, returned once its first create is reported."""
    from skillsync.emulator.app import Faults

    emulator = emulator_factory(faults=Faults(latency_ms=latency_ms))
    root = tmp_path / "slow"
    (root / "skills").mkdir(parents=True)
    (root / "skillsync.yaml").write_text(target_config(emulator.url))
    for i in range(skills):
        (root / "skills" / f"s-{i:02d}.yaml").write_text(skill_yaml(f"s-{i:02d}"))
    command = [sys.executable, "-m", "skillsync", "-C", str(root), "apply", "--auto-approve"]
    process = subprocess.Popen(
        [*command, "--parallelism", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**__import__("os").environ, KEY_ENV: "emulator-key"},
    )
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("+ created"):
            break
    return emulator, process


@pytest.mark.parametrize("sent", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_ctrl_c_finishes_in_flight_changes_and_exits_130(
    tmp_path: Path, emulator_factory, monkeypatch: pytest.MonkeyPatch, sent: signal.Signals
) -> None:
    """Ctrl-C, and SIGTERM (CI cancelling a job) the same way."""
    emulator, process = _slow_apply(tmp_path, emulator_factory, latency_ms=150, skills=30)
    process.send_signal(sent)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert "Traceback" not in err
    final = err.strip().splitlines()[-1]
    assert final.startswith("Apply interrupted: ") and final.endswith(
        "Run plan to see what remains."
    )
    done = int(final.split(": ")[1].split(" done")[0])
    assert 1 <= done < 30
    assert emulator.store.count() == done


def test_a_second_signal_stops_waiting_but_keeps_the_report(
    tmp_path: Path, emulator_factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CI's cancel: SIGINT, then SIGTERM before the changes in flight have finished."""
    _, process = _slow_apply(tmp_path, emulator_factory, latency_ms=1500, skills=6)
    process.send_signal(signal.SIGINT)  # two creates are in flight again by now
    time.sleep(0.3)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert "Traceback" not in err
    assert "interrupted while in flight: it may or may not have been applied" in out + err
    [final] = [line for line in err.splitlines() if line.startswith("Apply interrupted: ")]
    assert final.endswith("not started. Run plan to see what remains.")
    failed = int(final.split(" done, ")[1].split(" failed")[0])
    assert 1 <= failed <= 2  # in flight at the second signal (parallelism 2); none queued


def test_an_interrupt_while_an_outcome_is_reported_keeps_each_outcome_once(
    tmp_path: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C lands in the CLI's process at any bytecode: here, in the middle of reporting
    the first outcome. Every change still ends with exactly one outcome, and what the
    report calls done is what the remote holds."""
    from skillsync import config as config_mod
    from skillsync.applier import apply_plan
    from skillsync.options import ClientOptions
    from skillsync.plan import Plan
    from skillsync.remote import open_remote

    ids = seed(emulator, *[content(f"s-{i:02d}") for i in range(8)])
    (tmp_path / "skillsync.yaml").write_text(target_config(emulator.url))
    monkeypatch.setenv(KEY_ENV, "emulator-key")
    config = config_mod.load_or_fail(tmp_path)
    changes = tuple(Change("delete", f"s-{i:02d}", id=ids[i]) for i in range(8))
    reported: list[Outcome] = []

    def report(outcome: Outcome) -> None:
        reported.append(outcome)
        if len(reported) == 1:
            raise KeyboardInterrupt

    options = ClientOptions(parallelism=2)
    with open_remote(config, config.target(None), options) as remote:
        result = apply_plan(Plan("default", emulator.url, changes), remote, on_outcome=report)
    assert result.interrupted
    assert [o.change.name for o in result.outcomes] == [c.name for c in changes]
    done = {o.change.name for o in result.outcomes if o.status == "done"}
    assert {o.status for o in result.outcomes} <= {"done", "skipped"}
    assert 1 <= len(done) < 8
    page, _ = emulator.store.list("default", 100) or ([], False)
    remaining = {s["name"] for s in page}
    assert remaining == {c.name for c in changes} - done


@pytest.mark.slow
def test_convergence_under_faults_for_300_skills(
    tmp_path: Path, emulator_factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from skillsync.emulator.app import Faults

    emulator = emulator_factory(faults=Faults(rate=0.2, seed=17))
    monkeypatch.setenv(KEY_ENV, "emulator-key")
    root = tmp_path / "many"
    (root / "skills").mkdir(parents=True)
    (root / "skillsync.yaml").write_text(target_config(emulator.url))
    names = [f"s-{i:03d}" for i in range(300)]
    for name in names:
        (root / "skills" / f"{name}.yaml").write_text(skill_yaml(name))
    result = run_cli("-C", str(root), "apply", "--auto-approve", "--max-retries", "12")
    assert result.exit_code == 0, result.output[-2000:]
    assert emulator.app.fault_stats["drop_after_write"] > 5
    assert sorted(remote_state_all(emulator)) == names  # no duplicates, none missing
    again = run_cli("-C", str(root), "plan", "--detailed-exitcode", "--max-retries", "12")
    assert again.exit_code == 0, again.output


def remote_state_all(emulator: Emulator) -> list[str]:
    names: list[str] = []
    after = None
    while True:
        items, more = emulator.store.list("default", 100, after)
        names += [s["name"] for s in items]
        if not more:
            return names
        after = items[-1]["id"]
