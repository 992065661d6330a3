"""The Skills API client against the emulator: retries, pagination, ambiguity, secrets."""

from __future__ import annotations

import io
import json
import logging
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from skillsync import secrets
from skillsync.emulator.app import EmulatorApp, Faults
from skillsync.emulator.store import SkillStore
from skillsync.emulator.transport import EmulatorTransport
from skillsync.errors import (
    ApiError,
    AuthenticationError,
    ConflictError,
    HTTPStatusError,
    NotFoundError,
    TargetError,
    TransportError,
)
from skillsync.remote.seed import SeedRemote as SkillsClient
from tests.conftest import Emulator, spawn_emulator

CONTENT = {"name": "a", "description": "A.", "instructions": "Do A.\n", "version": "1.0.0"}


def content(name: str) -> dict[str, str]:
    return {**CONTENT, "name": name}


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def make_client(url: str, key: str = "emulator-key", **kwargs: Any) -> tuple[SkillsClient, Sleeps]:
    sleeps = Sleeps()
    kwargs.setdefault("jitter", lambda: 1.0)
    return SkillsClient(url, key, sleep=sleeps, **kwargs), sleeps


class Scripted(httpx.BaseTransport):
    """The real emulator app behind a script of network faults, one per request:
    None passes through, an int answers that status, "drop" commits then drops."""

    def __init__(self, app: EmulatorApp, script: list[Any], headers: dict[str, str] | None = None):
        self.inner = EmulatorTransport(app)
        self.script = list(script)
        self.headers = headers or {}
        self.seen: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(f"{request.method} {request.url.path}")
        step = self.script.pop(0) if self.script else None
        if isinstance(step, int):
            body = {"type": "error", "error": {"type": "api_error", "message": f"scripted {step}"}}
            return httpx.Response(
                step, json=body, headers={"request-id": "req_s", **self.headers}, request=request
            )
        response = self.inner.handle_request(request)
        if step == "drop":
            raise httpx.RemoteProtocolError("Server disconnected", request=request)
        return response


@pytest.fixture
def app(tmp_path: Path) -> EmulatorApp:
    return EmulatorApp(SkillStore(tmp_path / "app.db"))


def scripted_client(app: EmulatorApp, script: list[Any], **kwargs: Any):
    transport = Scripted(app, script, kwargs.pop("headers", None))
    client, sleeps = make_client("http://emulator", transport=transport, **kwargs)
    return client, sleeps, transport


def test_crud_returns_typed_skills(emulator: Emulator) -> None:
    client, sleeps = make_client(emulator.url)
    created = client.create_skill(content("a"))
    assert created.id.startswith("skill_") and created.content() == content("a")
    assert client.get_skill(created.id) == created
    updated = client.update_skill(created.id, {"version": "1.1.0"})
    assert (updated.id, updated.version) == (created.id, "1.1.0")
    assert [s.name for s in client.list_skills()] == ["a"]
    client.delete_skill(created.id)
    assert client.list_skills() == []
    assert sleeps == []


def test_pagination_over_250_skills(emulator: Emulator) -> None:
    for i in range(250):
        emulator.store.create("default", content(f"s-{i:03d}"))
    client, _ = make_client(emulator.url)
    skills = client.list_skills()
    assert [s.name for s in skills] == [f"s-{i:03d}" for i in range(250)]
    assert emulator.app.stats["GET /v1/skills"] == 3


def test_a_list_without_has_more_is_one_page() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json={
                "data": [
                    {
                        "id": "skill_1",
                        "name": "x",
                        "description": "d",
                        "version": "2.0.0",
                        "instructions": "i",
                    }
                ]
            },
        )

    client = SkillsClient("https://api.example.com", "k", transport=httpx.MockTransport(answer))
    [skill] = client.list_skills()
    assert (skill.name, skill.version, skill.is_full) == ("x", "2.0.0", True)


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504, 529])
def test_retryable_statuses_recover(app: EmulatorApp, status: int) -> None:
    client, sleeps, transport = scripted_client(app, [status, status])
    assert client.list_skills() == []
    assert sleeps == [0.5, 1.0]
    assert len(transport.seen) == 3


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, HTTPStatusError),
        (401, AuthenticationError),
        (402, HTTPStatusError),
        (403, HTTPStatusError),
        (404, NotFoundError),
        (409, ConflictError),
        (413, HTTPStatusError),
    ],
)
def test_non_retryable_statuses_fail_at_once(app: EmulatorApp, status: int, cls: type) -> None:
    client, sleeps, transport = scripted_client(app, [status])
    with pytest.raises(cls) as caught:
        client.list_skills()
    assert type(caught.value) is cls
    assert (caught.value.status, caught.value.request_id) == (status, "req_s")
    assert str(caught.value).startswith(f"{status} api_error: scripted {status} (request-id req_s)")
    assert sleeps == [] and len(transport.seen) == 1


def test_backoff_doubles_to_the_cap_and_gives_up(app: EmulatorApp) -> None:
    client, sleeps, transport = scripted_client(app, [529] * 10, max_retries=6)
    with pytest.raises(HTTPStatusError) as caught:
        client.list_skills()
    assert caught.value.status == 529
    assert sleeps == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert len(transport.seen) == 7


def test_backoff_has_jitter(app: EmulatorApp) -> None:
    client, sleeps, _ = scripted_client(app, [500, 500], jitter=lambda: 0.0)
    client.list_skills()
    assert sleeps == [0.25, 0.5]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "3"}, 3.0),
        ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),
        ({"retry-after": "600"}, 60.0),
    ],
)
def test_retry_after_is_honoured_and_capped(
    app: EmulatorApp, headers: dict[str, str], expected: float
) -> None:
    client, sleeps, _ = scripted_client(app, [429], headers=headers)
    client.list_skills()
    assert sleeps == [expected]


def test_rate_limit_remaining_zero_pauses_until_reset(
    emulator_factory: Callable[..., Emulator],
) -> None:
    emulator = emulator_factory(rpm=2)
    client, sleeps = make_client(emulator.url, max_retries=0)
    client.list_skills()
    assert sleeps == []
    client.list_skills()  # the answer says remaining 0
    with pytest.raises(HTTPStatusError) as caught:
        client.list_skills()
    assert 55 <= sleeps[0] <= 60
    assert caught.value.status == 429


def test_emulator_retry_after_fault_is_honoured(emulator_factory: Callable[..., Emulator]) -> None:
    emulator = emulator_factory(faults=Faults(rate=0.5, seed=11))
    client, sleeps = make_client(emulator.url, max_retries=10)
    for i in range(30):
        client.create_skill(content(f"r-{i}"))
    assert emulator.app.fault_stats["rate_limited"] > 0
    assert sleeps.count(1.0) >= emulator.app.fault_stats["rate_limited"]
    assert sorted(s.name for s in client.list_skills()) == sorted(f"r-{i}" for i in range(30))


def test_lost_create_answer_adopts_the_skill(app: EmulatorApp) -> None:
    client, _, transport = scripted_client(app, ["drop"])
    created = client.create_skill(content("a"))
    assert created.content() == content("a")
    assert app.store.count() == 1
    assert transport.seen == ["POST /v1/skills", "GET /v1/skills", f"GET /v1/skills/{created.id}"]


def test_create_after_5xx_looks_up_before_resending(app: EmulatorApp) -> None:
    client, _, transport = scripted_client(app, [500])
    client.create_skill(content("a"))
    assert app.store.count() == 1
    assert transport.seen[:3] == ["POST /v1/skills", "GET /v1/skills", "POST /v1/skills"]


def test_lost_create_with_other_content_is_an_error(app: EmulatorApp) -> None:
    app.store.create("default", {**content("a"), "version": "9.9.9"})
    client, _, _ = scripted_client(app, [503])
    with pytest.raises(ApiError, match="now exists with other content"):
        client.create_skill(content("a"))


def test_lost_delete_answer_counts_as_done(app: EmulatorApp) -> None:
    skill = app.store.create("default", content("a"))
    client, _, transport = scripted_client(app, ["drop"])
    client.delete_skill(skill["id"])
    assert app.store.count() == 0 and len(transport.seen) == 2


def test_fault_rate_run_of_300_creates_is_exact(emulator_factory: Callable[..., Emulator]) -> None:
    emulator = emulator_factory(faults=Faults(rate=0.3, seed=5))
    client, _ = make_client(emulator.url, max_retries=12, parallelism=10)
    names = [f"f-{i:03d}" for i in range(300)]
    created = client.map(lambda n: client.create_skill(content(n)), names)
    assert [c.name for c in created] == names
    remote = [s.name for s in SkillsClient(emulator.url, "emulator-key").list_skills()]
    assert sorted(remote) == names
    assert emulator.app.fault_stats["drop_after_write"] > 10


def test_map_bounds_concurrency() -> None:
    client = SkillsClient("https://api.example.com", "k", parallelism=3)
    active, peak, lock = [0], [0], threading.Lock()

    def work(item: int) -> int:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        threading.Event().wait(0.01)
        with lock:
            active[0] -= 1
        return item * 2

    assert client.map(work, range(20)) == [i * 2 for i in range(20)]
    assert peak[0] == 3


def test_unreachable_host_is_a_clear_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client, sleeps = make_client(f"http://127.0.0.1:{port}", max_retries=2)
    with pytest.raises(TransportError) as caught:
        client.list_skills()
    assert str(caught.value).startswith("cannot connect to 127.0.0.1:")
    assert "hint: check base_url" in str(caught.value)
    assert len(sleeps) == 2


def test_read_timeout_is_a_clear_error(emulator_factory: Callable[..., Emulator]) -> None:
    emulator = emulator_factory(faults=Faults(latency_ms=300))
    client, _ = make_client(emulator.url, max_retries=0, read_timeout=0.05)
    with pytest.raises(TransportError, match=r"no answer from 127.0.0.1 in time \(ReadTimeout\)"):
        client.list_skills()


def test_plain_http_to_a_remote_host_is_refused() -> None:
    with pytest.raises(TargetError, match="refusing to send the API key over plain http://"):
        SkillsClient("http://api.example.com", "k")
    SkillsClient("http://localhost:1", "k")
    SkillsClient("http://[::1]:1", "k")


def test_401_names_the_variable_never_the_key(emulator: Emulator) -> None:
    client, _ = make_client(emulator.url, "sk-wrong-key-1234", key_source="$TEAM_KEY")
    with pytest.raises(AuthenticationError) as caught:
        client.list_skills()
    text = str(caught.value)
    assert text.startswith("401 authentication_error: invalid x-api-key (request-id req_")
    assert "check the key in $TEAM_KEY" in text and "sk-wrong-key-1234" not in text


def test_404_message(emulator: Emulator) -> None:
    client, _ = make_client(emulator.url)
    with pytest.raises(NotFoundError, match=r"^404 not_found_error: skill skill_x not found"):
        client.get_skill("skill_x")


def test_canary_key_never_leaks(emulator_factory: Callable[..., Emulator]) -> None:
    canary = "sk-ant-canary-7f3a9c1e5b"
    emulator = emulator_factory(keys={canary: "ws"}, faults=Faults(rate=0.4, seed=2))
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(secrets.RedactingFilter())
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    keeper = Keep()
    root.addHandler(keeper)
    root.setLevel(logging.DEBUG)
    texts: list[str] = []
    try:
        client, _ = make_client(emulator.url, canary, max_retries=8)
        texts.append(repr(client))
        created = client.create_skill(content("a"))
        client.update_skill(created.id, {"version": "2.0.0"})
        for bad in (
            lambda: client.get_skill("skill_nope"),
            lambda: client.create_skill({**content("b"), "name": "BAD"}),
        ):
            try:
                bad()
            except ApiError as exc:
                texts += [str(exc), repr(exc)]
        client.close()
    finally:
        root.removeHandler(handler)
        root.removeHandler(keeper)
        root.setLevel(old_level)
    texts.append(stream.getvalue())
    texts += [record.getMessage() for record in records]
    assert len(stream.getvalue()) > 500  # debug logging did run
    assert not [t for t in texts if canary in t]


def test_request_headers(app: EmulatorApp) -> None:
    seen: list[httpx.Headers] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers)
        return httpx.Response(200, json={"data": [], "has_more": False})

    SkillsClient(
        "https://api.example.com", "k1", transport=httpx.MockTransport(answer)
    ).list_skills()
    from skillsync import __version__

    assert seen[0]["x-api-key"] == "k1"
    assert seen[0]["anthropic-version"] == "2023-06-01"
    assert seen[0]["user-agent"].startswith(f"skillsync/{__version__} ")
    assert "authorization" not in seen[0]
    assert json.dumps(dict(seen[0]))  # plain strings only


@pytest.mark.slow
def test_300_operations_against_the_emulator_command_with_faults(tmp_path: Path) -> None:
    """The issue's acceptance run: `skillsync emulator --fault-rate 0.3`, real sleeps."""
    import signal

    process = spawn_emulator(tmp_path / "soak.db", "--fault-rate", "0.3", "--seed", "9")
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split()[-1]
        client = SkillsClient(url, "emulator-key", max_retries=12, parallelism=10)
        names = [f"op-{i:03d}" for i in range(150)]
        created = client.map(lambda n: client.create_skill(content(n)), names)
        client.map(lambda s: client.update_skill(s.id, {"version": "2.0.0"}), created[:75])
        client.map(lambda s: client.delete_skill(s.id), created[75:])
        clean = SkillsClient(url, "emulator-key", max_retries=12)
        remote = {s.name: clean.get_skill(s.id) for s in clean.list_skills()}
        assert sorted(remote) == names[:75]
        assert all(s.version == "2.0.0" for s in remote.values())
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=10)


def test_tls_failure_is_a_clear_error(emulator: Emulator) -> None:
    """https:// to a server that speaks plain HTTP fails the TLS handshake."""
    client, _ = make_client(emulator.url.replace("http://", "https://"), max_retries=0)
    with pytest.raises(TransportError) as caught:
        client.list_skills()
    assert str(caught.value).startswith("TLS handshake with 127.0.0.1 failed: ")
    assert "hint: check the base URL and the system's CA certificates" in str(caught.value)


def test_timeouts_from_the_command_line_reach_the_http_client(tmp_path: Path, monkeypatch) -> None:
    from skillsync import config as config_mod
    from skillsync.options import ClientOptions
    from skillsync.remote import open_remote
    from tests.conftest import KEY_ENV, target_config

    (tmp_path / "skillsync.yaml").write_text(target_config("http://127.0.0.1:9"))
    monkeypatch.setenv(KEY_ENV, "emulator-key")
    config = config_mod.load_or_fail(tmp_path)
    options = ClientOptions(read_timeout=7.0, connect_timeout=2.5, parallelism=3)
    with open_remote(config, config.target(None), options) as client:
        assert client.http.timeout == httpx.Timeout(7.0, connect=2.5)
        assert client.parallelism == 3


def test_a_closed_connection_sends_nothing(emulator: Emulator) -> None:
    """What a worker not waited for (Ctrl-C, another target failed) meets: an error at
    once, not a new connection."""
    from skillsync.errors import ConnectionClosed

    client, _ = make_client(emulator.url)
    client.close()
    before = dict(emulator.app.stats)  # type: ignore[attr-defined]
    with pytest.raises(ConnectionClosed, match="is closed; GET /v1/skills not sent"):
        client.http.request("GET", "/v1/skills")
    assert dict(emulator.app.stats) == before  # type: ignore[attr-defined]


def test_a_gzipped_answer_is_read_and_bounded_once_decoded() -> None:
    """The client asks for gzip; a gzipped answer reads as its JSON, and one that
    inflates past the bound is refused however small it was on the wire."""
    import gzip

    from skillsync.errors import MalformedAnswer

    asked: list[str | None] = []
    page = {"data": [{"id": "skill_01", "name": "a", "description": "A."}], "has_more": False}

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request.headers.get("accept-encoding"))
        body = json.dumps(page).encode() if request.url.path == "/v1/skills" else b" " * 4096
        return httpx.Response(
            200, headers={"content-encoding": "gzip"}, content=gzip.compress(body)
        )

    client = SkillsClient("https://api.example.com", "k", transport=httpx.MockTransport(answer))
    assert [s.name for s in client.list_skills()] == ["a"]
    with pytest.raises(MalformedAnswer, match="runs past 1,000 bytes"):
        client.http.request("GET", "/v1/big", limit=1000)
    assert asked == ["gzip, deflate", "gzip, deflate"]
