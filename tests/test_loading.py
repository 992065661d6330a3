"""The repository loaded beside a plan (skillsync.loading): typed messages, and a
failure carried back as the exception itself."""

from __future__ import annotations

import json
import os
import pickle
from collections.abc import Callable
from pathlib import Path

import pytest

from skillsync import config as config_mod
from skillsync import loading
from skillsync.errors import HTTPStatusError, SkillsyncError
from skillsync.options import ClientOptions
from skillsync.remote import open_remote
from skillsync.sources.git import SourceError
from tests.conftest import (
    Emulator,
    content,
    run_cli,
    seed,
    skill_yaml,
    target_config,
    write_tree,
)
from tests.helpers.loading import LoadingApart


def test_an_error_pickles_whole_whatever_its_constructor() -> None:
    error = HTTPStatusError(429, "rate_limit_error", "slow down", request_id="req_1", hint="h")
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is HTTPStatusError
    assert (back.status, back.request_id, back.hint, str(back)) == (429, "req_1", "h", str(error))


@pytest.mark.parametrize("apart", [False, True], ids=["in-process", "forked"])
def test_a_failure_comes_back_as_the_exception_itself(
    apart: bool,
    tmp_path: Path,
    emulator_factory: Callable[..., Emulator],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    emulator = emulator_factory(api="anthropic")
    monkeypatch.setenv("SKILLSYNC_TEST_KEY", "emulator-key")
    root = write_tree(  # a source not locked: loading fails once the files are checked
        tmp_path / "repo",
        {
            "skillsync.yaml": target_config(emulator.url, api="anthropic")
            + "sources:\n  vendor:\n    git: https://git.example/vendor.git\n",
            **{f"skills/s{i}.yaml": skill_yaml(f"s{i}") for i in range(3)},
        },
    )
    LoadingApart(monkeypatch, tmp_path / "loads")
    config = config_mod.load_or_fail(root)
    with (
        open_remote(config, config.target(None), ClientOptions()) as remote,
        loading.Loading(config, remote, trees=True, apart=apart, quiet=True) as loaded,
    ):
        assert (loaded.process is not None) == apart
        loaded.receive()
        with pytest.raises(SkillsyncError) as raised:
            list(loaded.arriving())
    assert type(raised.value) is SourceError
    assert (raised.value.message, raised.value.hint) == (
        "skillsync.yaml:11:5: source 'vendor' is not in skillsync.lock",
        "run skillsync lock (it pins the source; commit skillsync.lock)",
    )


def test_a_large_repository_of_the_seed_dialect_loads_apart_and_arrives_whole(
    tmp_path: Path,
    emulator_factory: Callable[..., Emulator],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Checking the files is CPU work for every dialect: the seed dialect's repository
    loads in a forked process too, and its skills (their texts are what a plan compares)
    come whole."""
    emulator = emulator_factory(api="seed")
    monkeypatch.setenv("SKILLSYNC_TEST_KEY", "emulator-key")
    seed(emulator, content("a", instructions="Old words.\n"), content("b"))
    root = write_tree(
        tmp_path / "repo",
        {
            "skillsync.yaml": target_config(emulator.url),
            "skills/a.yaml": skill_yaml("a", version="1.1.0", instructions="New words.\n"),
            "skills/b.yaml": skill_yaml("b"),
            "skills/c.yaml": skill_yaml("c"),
        },
    )
    apart = LoadingApart(monkeypatch, tmp_path / "loads", chunk=1)
    result = run_cli("-C", str(root), "plan", "--format", "json")
    assert result.exit_code == 0, result.output
    changes = json.loads(result.stdout)["changes"]
    assert [(c["action"], c["name"]) for c in changes] == [("update", "a"), ("create", "c")]
    assert changes[0]["after"]["instructions"] == "New words.\n"
    assert changes[1]["after"]["instructions"] == "Do it well.\n"
    [loader] = apart.loads()
    assert loader != os.getpid()  # loaded in a child process, once
