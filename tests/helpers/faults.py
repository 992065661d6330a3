"""Refusals the emulator cannot be asked for over HTTP, made in a test."""

from __future__ import annotations

import pytest

from tests.conftest import Emulator


def refuse_creating(emulator: Emulator, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the emulator refuse one create, as a real API refuses what validate cannot
    foresee (a billing or permission rule)."""
    from skillsync.emulator.answers import ApiFailure

    front = emulator.app.front  # type: ignore[attr-defined]
    create = front._create

    def refusing(workspace: str, body: dict[str, str]) -> object:
        if body.get("name") == name:
            raise ApiFailure(403, "permission_error", f"creating {name} is not allowed")
        return create(workspace, body)

    monkeypatch.setattr(front, "_create", refusing)
