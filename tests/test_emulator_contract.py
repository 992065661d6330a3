"""What every dialect's emulator owes, whatever its wire format, run over each of them
(``dialects.EMULATED``): the dialect-specific calls are in test_emulator*.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from skillsync import dialects
from tests.conftest import KEY_ENV, Emulator, run_cli, skill_yaml, target_config, write_tree


@pytest.mark.parametrize("api", dialects.EMULATED)
def test_data_survives_a_restart(
    api: str,
    tmp_path: Path,
    emulator_factory: Callable[..., Emulator],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(KEY_ENV, "emulator-key")
    db = tmp_path / "persist.db"
    first = emulator_factory(db, api=api)
    skills = {f"skills/s{i}.yaml": skill_yaml(f"s{i}") for i in range(3)}
    root = write_tree(tmp_path / "repo", {"skillsync.yaml": target_config(first.url, api=api)})
    write_tree(root, skills)
    assert run_cli("-C", str(root), "apply", "--auto-approve").exit_code == 0
    first.stop()
    first.store.close()
    second = emulator_factory(db, api=api)
    (root / "skillsync.yaml").write_text(target_config(second.url, api=api))
    again = run_cli("-C", str(root), "plan", "--detailed-exitcode", "--no-cache")
    assert again.exit_code == 0, again.output
    assert second.store.count() == 3
