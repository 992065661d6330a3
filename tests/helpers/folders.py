"""What a target holds, read directly (an emulator's store, an agent's folder), and the
SKILL.md folder the contract scenarios deploy."""

from __future__ import annotations

import io
import warnings
import zipfile
from pathlib import Path
from typing import Any

from tests.conftest import Emulator

WS = "default"


def state(emulator: Emulator) -> dict[str, dict[str, Any]]:
    """name -> {id, versions, files (path -> bytes) of the latest version, display_name}."""
    store = emulator.store
    latest: list[tuple[Any, Any]]
    if emulator.api == "openai":
        rows = store.page(WS, 100, None, True)[0]
        latest = [(s, int(s["latest_version"])) for s in rows]
    else:
        rows = store.page(WS, 1000)[0]
        latest = [(s, "latest") for s in rows]
    out: dict[str, dict[str, Any]] = {}
    for skill, version in latest:
        name, data = store.content(WS, skill["id"], version)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            files = {n: archive.read(n) for n in archive.namelist()}
        assert name not in out, f"two skills named {name}"
        out[name] = {
            "id": skill["id"],
            "versions": store.version_count(skill["id"]),
            "files": files,
            "display_name": skill.get("display_name"),
        }
    return out


def folder_state(folder: Path) -> dict[str, dict[str, Any]]:
    """The skills an agent's folder holds, as ``state`` shows an API's (no versions)."""
    out: dict[str, dict[str, Any]] = {}
    for skill in sorted(folder.iterdir()) if folder.is_dir() else ():
        if skill.name.startswith(".") or not skill.is_dir() or skill.is_symlink():
            continue
        files = {
            p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(skill.rglob("*"))
            if p.is_file()
        }
        out[skill.name] = {"id": skill.name, "versions": None, "files": files}
    return out


def folder_md(name: str, version: str = "1.0.0", body: str = "Use the script.\n") -> str:
    return (
        f"---\nname: {name}\ndescription: A folder skill. Use when testing.\n"
        f"metadata:\n  version: {version}\n---\n{body}"
    )


FOLDER = {
    "skills/pdf-notes/SKILL.md": folder_md("pdf-notes"),
    "skills/pdf-notes/scripts/extract.py": "print('extract')\n",
    "skills/pdf-notes/reference/format.md": "# Format\r\nCRLF kept\r\n",
    "skills/pdf-notes/assets/logo.png": bytes(range(256)),
    "skills/pdf-notes/.secret": "hidden files stay home\n",
}
UPLOADED = {
    "pdf-notes/SKILL.md": folder_md("pdf-notes").encode(),
    "pdf-notes/scripts/extract.py": b"print('extract')\n",
    "pdf-notes/reference/format.md": b"# Format\r\nCRLF kept\r\n",
    "pdf-notes/assets/logo.png": bytes(range(256)),
}


def requests(emulator: Emulator) -> dict[str, int]:
    return dict(emulator.app.stats)  # type: ignore[attr-defined]


def writes(emulator: Emulator) -> dict[str, int]:
    return {k: v for k, v in requests(emulator).items() if not k.startswith("GET")}


def reset(emulator: Emulator) -> None:
    emulator.app.stats.clear()  # type: ignore[attr-defined]


def write_count(emulator: Emulator) -> int:
    """Every write the emulator answered (any method but GET)."""
    return sum(writes(emulator).values())


def zipped(entries: dict[str, bytes]) -> bytes:
    """A zip of these files, as a version's content (a repeated name is kept: hostile
    zips need it)."""
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        warnings.simplefilter("ignore")
        for path, data in entries.items():
            archive.writestr(path, data)
    return buffer.getvalue()
