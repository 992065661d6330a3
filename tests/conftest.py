"""Shared fixtures: CLI runner, repositories in tmp folders, emulator servers."""

from __future__ import annotations

import io
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest

from skillsync.cli import main

if (
    signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    and threading.current_thread() is threading.main_thread()
):
    # The tests that interrupt a subprocess need SIGINT to reach it. A run started as a
    # background job of a non-interactive shell inherits SIGINT ignored, which stays
    # ignored across exec; a handler is reset to the default there instead.
    signal.signal(signal.SIGINT, signal.default_int_handler)

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "agent-skills"
EXAMPLE_REPO = ROOT / "example-repo"


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_cli(*args: str, input: str | None = None) -> Result:
    """Run skillsync in-process, as the console script would, capturing output."""
    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    sys.stdin = io.StringIO(input or "")
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = main(list(args))
    finally:
        sys.stdin = old_stdin
    return Result(code, out.getvalue(), err.getvalue())


@pytest.fixture(autouse=True)
def _own_cache_dir(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each test its own (empty) cache: no test sees another's, nor the user's."""
    monkeypatch.setenv("SKILLSYNC_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def cli() -> Callable[..., Result]:
    return run_cli


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
    return root


def fine_description(name: str) -> str:
    """A description no lint rule objects to, distinct for each name."""
    return f"Handles {name} for the tests. Use when testing {name}."


def skill_yaml(
    name: str,
    *,
    description: str | None = None,
    version: str = "1.0.0",
    instructions: str = "Do it well.\n",
) -> str:
    description = description or fine_description(name)
    body = "".join(f"  {line}\n" if line else "\n" for line in instructions.splitlines())
    return f"name: {name}\ndescription: {description}\nversion: {version}\ninstructions: |\n{body}"


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Callable[..., Path]]:
    def make(files: dict[str, str | bytes], config: str = "version: 1\n") -> Path:
        return write_tree(tmp_path / "repo", {"skillsync.yaml": config, **files})

    yield make


CORPUS_LAYOUT = Path(__file__).parent / "data" / "corpus-layout.txt"


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real skills of shared/corpus, laid out as in their public repository: the
    corpus keeps only SKILL.md, so the other files (tests/data/corpus-layout.txt) are
    placeholders, and the links and paths of the real SKILL.md files meet the real layout."""
    if not CORPUS.is_dir():
        pytest.skip("shared/corpus is not beside this checkout")
    copy = tmp_path_factory.mktemp("corpus") / "agent-skills"
    shutil.copytree(CORPUS, copy)
    for line in CORPUS_LAYOUT.read_text().splitlines():
        if line and not line.startswith("#"):
            (copy / line).parent.mkdir(parents=True, exist_ok=True)
            (copy / line).write_text(f"Placeholder for {line} of the public repository.\n")
    return copy


@dataclass
class Emulator:
    """A real emulator server on a loopback port, with its app and store at hand."""

    url: str
    app: object
    server: object

    @property
    def store(self):  # type: ignore[no-untyped-def]
        return self.app.store  # type: ignore[attr-defined]

    @property
    def api(self) -> str:
        return str(self.app.front.api)  # type: ignore[attr-defined]

    def stop(self) -> None:
        self.server.shutdown()  # type: ignore[attr-defined]
        self.server.server_close()  # type: ignore[attr-defined]


def start_emulator(db: Path, api: str = "seed", **kwargs: object) -> Emulator:
    from skillsync.emulator.app import EmulatorApp, open_store
    from skillsync.emulator.server import EmulatorServer

    app = EmulatorApp(open_store(db, api), **kwargs)  # type: ignore[arg-type]
    server = EmulatorServer(app, "127.0.0.1", 0)
    server.start_background()
    return Emulator(server.url, app, server)


@pytest.fixture
def emulator_factory(tmp_path: Path) -> Iterator[Callable[..., Emulator]]:
    started: list[Emulator] = []

    def make(db: Path | None = None, **kwargs: object) -> Emulator:
        emulator = start_emulator(db or tmp_path / f"emulator{len(started)}.db", **kwargs)
        started.append(emulator)
        return emulator

    yield make
    for emulator in started:
        emulator.stop()
        emulator.store.close()


@pytest.fixture
def emulator(emulator_factory: Callable[..., Emulator]) -> Emulator:
    """The seed dialect over HTTP."""
    return emulator_factory()


@pytest.fixture
def anthropic_emulator(emulator_factory: Callable[..., Emulator]) -> Emulator:
    """The anthropic dialect over HTTP."""
    return emulator_factory(api="anthropic")


API_HEADERS = {"x-api-key": "emulator-key", "anthropic-version": "2023-06-01"}


KEY_ENV = "SKILLSYNC_TEST_KEY"


def target_config(url: str, *, manage: str = '["*"]', extra: str = "", api: str = "seed") -> str:
    return (
        "version: 1\ndefault_target: test\ntargets:\n  test:\n"
        f"    base_url: {url}\n    api: {api}\n    api_key_env: {KEY_ENV}\n"
        f"    manage: {manage}\n{extra}"
    )


@pytest.fixture
def http_repo(
    tmp_path: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Path]:
    """A skills repository whose default target is the HTTP emulator fixture."""
    monkeypatch.setenv(KEY_ENV, "emulator-key")
    monkeypatch.delenv("SKILLSYNC_BASE_URL", raising=False)

    def make(files: dict[str, str | bytes], **config: str) -> Path:
        root = tmp_path / "http-repo"
        return write_tree(root, {"skillsync.yaml": target_config(emulator.url, **config), **files})

    return make


def seed(emulator: Emulator, *skills: dict[str, str], workspace: str = "default") -> list[str]:
    return [emulator.store.create(workspace, s)["id"] for s in skills]


def content(
    name: str,
    version: str = "1.0.0",
    instructions: str = "Do it well.\n",
    description: str | None = None,
) -> dict[str, str]:
    return {
        "name": name,
        "description": description or fine_description(name),
        "instructions": instructions,
        "version": version,
    }


def spawn_emulator(db: Path, *options: str, api: str = "seed") -> subprocess.Popen[str]:
    """`skillsync emulator` as its own process on a free port; stop it with SIGINT."""
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "skillsync", "emulator", "--api", api),
            *("--port", "0", "--db", str(db), *options),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


class AppTransport(httpx2.BaseTransport):
    """The SDK's HTTP client straight into the emulator's app, as local: serves it."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        headers = {k.lower(): v for k, v in request.headers.items()}
        query = dict(request.url.params.multi_items())
        answer = self.app.handle(request.method, request.url.path, query, headers, request.read())
        return httpx2.Response(answer.status, headers=answer.headers, content=answer.body)
