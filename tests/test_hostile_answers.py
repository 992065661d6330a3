"""What a server answers is input: odd pages, bodies and headers are clear errors (exit
1, naming the request), never exit 3 or a traceback, never a write outside the
repository. The server here is a small loopback one that answers whatever a test says."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import KEY_ENV, run_cli, skill_yaml, write_tree

Answer = tuple[int, dict[str, str], bytes]
NOT_FOUND: Answer = (
    404,
    {"content-type": "application/json"},
    b'{"type":"error","error":{"type":"not_found_error","message":"no such thing"}}',
)


def answer(body: Any, status: int = 200, **headers: str) -> Answer:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return status, {"content-type": "application/json", **headers}, data


@dataclass
class Hostile:
    url: str
    answers: dict[tuple[str, str], Answer | Callable[[bytes], Answer]] = field(default_factory=dict)
    writes: list[str] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    server: Any

    def _answer(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        hostile: Hostile = self.server.hostile
        path = self.path.split("?", 1)[0]
        if self.command != "GET":
            hostile.writes.append(f"{self.command} {path}")
        found = hostile.answers.get((self.command, path), NOT_FOUND)
        status, headers, data = found(body) if callable(found) else found
        self.send_response(status)
        length = {} if "x-no-length" in headers else {"content-length": str(len(data))}
        for name, value in {**headers, **length}.items():  # no length: read until closed
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_DELETE = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hostile() -> Iterator[Hostile]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.hostile = Hostile(f"http://127.0.0.1:{server.server_address[1]}")  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.hostile  # type: ignore[attr-defined]
    server.shutdown()
    server.server_close()


def repository(root: Path, url: str, api: str, names: tuple[str, ...] = ("a",)) -> Path:
    config = (
        f"version: 1\ndefault_target: t\ntargets:\n  t:\n    base_url: {url}\n    api: {api}\n"
        f"    api_key_env: {KEY_ENV}\n    manage: ['*']\n"
    )
    return write_tree(
        root, {"skillsync.yaml": config, **{f"skills/{n}.yaml": skill_yaml(n) for n in names}}
    )


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "k-hostile-test")
    monkeypatch.delenv("SKILLSYNC_BASE_URL", raising=False)


LISTED = {
    "seed": {"id": "skill_1", "name": "a", "description": "d"},
    "anthropic": {"id": "skill_1", "source": {"type": "custom"}, "latest_version_id": "v1"},
    "openai": {"id": "skill_1", "name": "a", "latest_version": "1", "default_version": "1"},
}
DIALECTS = sorted(LISTED)


def _without(item: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k != key}


ODD_LISTS: list[tuple[str, Callable[[str], Answer], str]] = [
    (
        "html",
        lambda api: (200, {"content-type": "text/html"}, b"<html>Sign in</html>"),
        "GET /v1/skills: the API answered something that is not JSON (text/html: "
        "'<html>Sign in</html>')",
    ),
    ("data-object", lambda api: answer({"data": {"id": "x"}}), "'data' is not a list of objects"),
    ("page-list", lambda api: answer([LISTED[api]]), "a JSON list where an object belongs"),
    ("no-id", lambda api: answer({"data": [_without(LISTED[api], "id")]}), "'id' is missing"),
    (
        "id-newline",
        lambda api: answer({"data": [{**LISTED[api], "id": "skill_1\nX-Injected: 1"}]}),
        "'id' 'skill_1\\nX-Injected: 1' is not the shape of an id",
    ),
    (
        "name-object",
        lambda api: answer({"data": [{**LISTED[api], "name": {"x": 1}}]}),
        "'name' is a dict, not text",
    ),
    (
        "error-string",
        lambda api: answer({"error": "the gateway says no"}, 400),
        "400 api_error: the gateway says no",
    ),
]


@pytest.mark.parametrize("api", DIALECTS)
@pytest.mark.parametrize(("case", "make", "says"), ODD_LISTS, ids=[c[0] for c in ODD_LISTS])
def test_an_odd_list_answer_is_a_clear_error(
    hostile: Hostile,
    tmp_path: Path,
    api: str,
    case: str,
    make: Callable[[str], Answer],
    says: str,
) -> None:
    if case == "name-object" and api == "anthropic":
        pytest.skip("the anthropic list carries no name")
    hostile.answers[("GET", "/v1/skills")] = make(api)
    root = repository(tmp_path / "repo", hostile.url, api)
    result = run_cli("-C", str(root), "plan", "--max-retries", "0")
    assert result.exit_code == 1, result.output
    assert "internal error" not in result.output and "Traceback" not in result.output
    assert says in result.stderr, result.stderr
    assert result.stderr.startswith("Error: ")


@pytest.mark.parametrize(
    "headers",
    [
        {"retry-after": "soon"},
        {"retry-after": "Wed, 02 Dec 2026 07:28:00"},  # a date without its zone
        {"retry-after-ms": "NaN"},
    ],
)
def test_odd_retry_headers_fall_back_to_the_backoff(
    hostile: Hostile, tmp_path: Path, headers: dict[str, str]
) -> None:
    error = {"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}}
    hostile.answers[("GET", "/v1/skills")] = answer(error, 429, **headers)
    root = repository(tmp_path / "repo", hostile.url, "seed")
    result = run_cli("-C", str(root), "plan", "--max-retries", "1")
    assert result.exit_code == 1, result.output
    assert "Error: 429 rate_limit_error: slow down" in result.stderr


def test_a_rate_limit_reset_without_a_zone_is_read_as_utc(hostile: Hostile, tmp_path: Path) -> None:
    hostile.answers[("GET", "/v1/skills")] = answer(
        {"data": [], "next_page": None},
        **{
            "anthropic-ratelimit-requests-remaining": "0",
            "anthropic-ratelimit-requests-reset": "2026-01-01T00:00:00",  # past: no wait
        },
    )
    root = repository(tmp_path / "repo", hostile.url, "anthropic")
    result = run_cli("-C", str(root), "plan")
    assert result.exit_code == 0, result.output
    assert "Plan: 1 to add, 0 to change, 0 to destroy." in result.stdout


def test_a_malformed_create_answer_is_one_failed_change(hostile: Hostile, tmp_path: Path) -> None:
    hostile.answers[("GET", "/v1/skills")] = answer({"data": [], "has_more": False})

    def create(body: bytes) -> Answer:
        name = json.loads(body)["name"]
        if name == "b":
            return answer({})
        return answer({"id": f"skill_{name}", "name": name, "description": "d"})

    hostile.answers[("POST", "/v1/skills")] = create
    root = repository(tmp_path / "repo", hostile.url, "seed", names=("a", "b", "c"))
    result = run_cli("-C", str(root), "apply", "--auto-approve", "--format", "json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    outcomes = {o["name"]: o["status"] for o in report["outcomes"]}
    assert outcomes == {"a": "done", "b": "failed", "c": "done"}
    [failed] = [o for o in report["outcomes"] if o["name"] == "b"]
    assert failed["error"] == {
        "type": "malformed_answer",
        "message": "POST /v1/skills: the answer's 'id' is missing",
        "request_id": None,
    }
    assert hostile.writes == ["POST /v1/skills"] * 3  # nothing sent twice


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
ITEM_KEYS = ["id", "name", "description", "latest_version_id", "latest_version", "source"]
ITEMS = st.dictionaries(st.sampled_from(ITEM_KEYS), JSON | st.text(max_size=10), max_size=6)
PAGES = st.fixed_dictionaries(
    {},
    optional={
        "data": st.lists(ITEMS, max_size=3) | JSON,
        "has_more": JSON,
        "next_page": JSON,
        "last_id": JSON,
    },
)
HEADERS = st.dictionaries(
    st.sampled_from(
        [
            "retry-after",
            "retry-after-ms",
            "anthropic-ratelimit-requests-remaining",
            "anthropic-ratelimit-requests-reset",
            "x-ratelimit-remaining-requests",
            "x-ratelimit-reset-requests",
            "content-type",
        ]
    ),
    st.sampled_from(["0", "1", "soon", "2026-01-01T00:00:00", "1s", "-5", "text/html", ""]),
    max_size=4,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    api=st.sampled_from(DIALECTS),
    status=st.sampled_from([200, 200, 200, 400, 404, 409, 429, 500]),
    body=PAGES | JSON,
    headers=HEADERS,
)
def test_no_answer_exits_3_or_writes_outside_the_repository(
    hostile: Hostile,
    tmp_path_factory: pytest.TempPathFactory,
    api: str,
    status: int,
    body: Any,
    headers: dict[str, str],
) -> None:
    hostile.answers.clear()
    hostile.answers[("GET", "/v1/skills")] = answer(body, status, **headers)
    around = tmp_path_factory.mktemp("around")
    root = repository(around / "repo", hostile.url, api)
    for command in (["plan"], ["import", "--all"], ["output", "--allow-missing"]):
        result = run_cli("-C", str(root), *command, "--max-retries", "0")
        assert result.exit_code in (0, 1), (command, result.output)
        assert "Traceback" not in result.output and "internal error" not in result.output
    assert sorted(p.name for p in around.iterdir()) == ["repo"]


@pytest.mark.parametrize("key", ["k-hostile-test", "k7"])
def test_an_echoed_key_is_redacted_before_a_long_error_is_cut(
    hostile: Hostile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    monkeypatch.setenv(KEY_ENV, key)
    # the key straddles where the text is cut: cut first, its first characters would show
    echoed = f"ok7 and {key}x are other words; " + "x" * 460 + f" {key} " + "y" * 600
    hostile.answers[("GET", "/v1/skills")] = answer({"error": echoed}, 401)
    root = repository(tmp_path / "repo", hostile.url, "seed")
    result = run_cli("-C", str(root), "plan")
    assert result.exit_code == 1
    first = result.stderr.splitlines()[0]
    word = f"{key}x" if len(key) < 8 else "[REDACTED]x"  # a short key: whole tokens only
    assert first.startswith(f"Error: 401 api_error: ok7 and {word} are other words; xxx")
    assert first.endswith("…") and len(first) < 600  # cut after the key was replaced
    assert f" {key} " not in result.stderr and f" {key[:2]}…" not in result.stderr


@pytest.mark.parametrize("declared", [True, False])
def test_a_huge_answer_is_refused_as_it_streams_in(
    hostile: Hostile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, declared: bool
) -> None:
    from skillsync.remote import http

    monkeypatch.setattr(http, "MAX_ANSWER_BYTES", 10_000)
    body = json.dumps({"data": [], "padding": "x" * 50_000}).encode()

    def huge(request: bytes) -> Answer:
        headers = {"content-type": "application/json"}
        if not declared:
            headers["x-no-length"] = "1"
        return 200, headers, body

    hostile.answers[("GET", "/v1/skills")] = huge
    root = repository(tmp_path / "repo", hostile.url, "seed")
    result = run_cli("-C", str(root), "plan")
    assert result.exit_code == 1, result.output
    said = "the answer is 50," if declared else "the answer runs past 10,000 bytes; not read on"
    assert said in result.stderr and result.stderr.startswith("Error: GET /v1/skills: ")


def test_a_list_that_never_ends_is_stopped(
    hostile: Hostile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from skillsync.remote import base

    monkeypatch.setattr(base, "MAX_PAGES", 50)
    pages = iter(range(10**6))

    def endless(request: bytes) -> Answer:
        n = next(pages)
        item = {**LISTED["openai"], "id": f"skill_{n}", "name": f"s{n}"}
        return answer({"data": [item], "has_more": True, "last_id": f"skill_{n}"})

    hostile.answers[("GET", "/v1/skills")] = endless
    root = repository(tmp_path / "repo", hostile.url, "openai")
    result = run_cli("-C", str(root), "plan")
    assert result.exit_code == 1
    assert "listed more than 50 pages of skills; refusing to read on" in result.stderr
    assert next(pages) == 51  # it stopped there
