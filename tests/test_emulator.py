"""The emulator over real HTTP: every call and error of the seed dialect."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from skillsync.emulator.app import EmulatorApp, Faults
from skillsync.emulator.store import SkillStore
from skillsync.emulator.transport import EmulatorTransport
from tests.conftest import API_HEADERS, Emulator, spawn_emulator

SKILL = {
    "name": "code-reviewer",
    "description": "Reviews code.",
    "instructions": "Check for bugs.\n",
    "version": "1.0.0",
}


def client(url: str, key: str = "emulator-key", **kwargs: Any) -> httpx.Client:
    headers = {**API_HEADERS, "x-api-key": key}
    return httpx.Client(base_url=url, headers=headers, **kwargs)


def error_of(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    assert body["type"] == "error"
    return response.status_code, body["error"]["type"], body["error"]["message"]


def test_create_get_patch_delete(emulator: Emulator) -> None:
    with client(emulator.url) as api:
        created = api.post("/v1/skills", json=SKILL)
        assert created.status_code == 200
        skill = created.json()
        assert set(skill) == {
            "id",
            "type",
            "name",
            "description",
            "instructions",
            "version",
            "created_at",
            "updated_at",
        }
        assert skill["type"] == "skill" and skill["id"].startswith("skill_")
        assert {k: skill[k] for k in SKILL} == SKILL
        assert api.get(f"/v1/skills/{skill['id']}").json() == skill

        patched = api.patch(f"/v1/skills/{skill['id']}", json={"version": "1.1.0"}).json()
        assert patched["id"] == skill["id"] and patched["version"] == "1.1.0"
        assert patched["instructions"] == SKILL["instructions"]
        assert patched["created_at"] == skill["created_at"]
        assert patched["updated_at"] > skill["updated_at"]

        deleted = api.delete(f"/v1/skills/{skill['id']}")
        assert deleted.json() == {"id": skill["id"], "type": "skill_deleted"}
        assert error_of(api.get(f"/v1/skills/{skill['id']}")) == (
            404,
            "not_found_error",
            f"skill {skill['id']} not found",
        )
        assert api.delete(f"/v1/skills/{skill['id']}").status_code == 404


def test_duplicate_name_is_409(emulator: Emulator) -> None:
    with client(emulator.url) as api:
        api.post("/v1/skills", json=SKILL)
        assert error_of(api.post("/v1/skills", json=SKILL)) == (
            409,
            "conflict_error",
            "name: a skill named 'code-reviewer' already exists",
        )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({**SKILL, "name": "Bad_Name"}, "name: must be 1-64 characters"),
        ({**SKILL, "name": "a" * 65}, "name: must be 1-64 characters"),
        ({**SKILL, "description": "x" * 1025}, "description: must be 1-1024 characters"),
        ({**SKILL, "description": "<b>"}, "description: must not contain < or >"),
        ({**SKILL, "version": "1.0"}, "version: must be a semantic version"),
        ({**SKILL, "instructions": ""}, "instructions: must not be empty"),
        ({**SKILL, "instructions": 5}, "instructions: must be a string"),
        ({**SKILL, "model": "x"}, "model: unknown field"),
        ({k: v for k, v in SKILL.items() if k != "version"}, "version: field required"),
        ([SKILL], "request body must be a JSON object"),
    ],
)
def test_create_validation_names_the_field(emulator: Emulator, body: Any, message: str) -> None:
    with client(emulator.url) as api:
        status, kind, text = error_of(api.post("/v1/skills", json=body))
    assert (status, kind) == (400, "invalid_request_error")
    assert text.startswith(message)


def test_malformed_json_wrong_content_type_and_size(emulator: Emulator) -> None:
    with client(emulator.url) as api:
        bad_json = api.post(
            "/v1/skills", content=b"{nope", headers={"content-type": "application/json"}
        )
        assert error_of(bad_json)[:2] == (400, "invalid_request_error")
        assert "not valid JSON" in error_of(bad_json)[2]
        form = api.post(
            "/v1/skills", content=json.dumps(SKILL).encode(), headers={"content-type": "text/plain"}
        )
        assert error_of(form) == (
            400,
            "invalid_request_error",
            "content-type must be application/json (got 'text/plain')",
        )
        big = api.post("/v1/skills", json={**SKILL, "instructions": "x" * (1024 * 1024)})
        assert error_of(big) == (413, "request_too_large", "request body is larger than 1 MiB")
        assert big.headers["connection"] == "close"


def test_patch_rules(emulator: Emulator) -> None:
    with client(emulator.url) as api:
        skill_id = api.post("/v1/skills", json=SKILL).json()["id"]
        assert error_of(api.patch(f"/v1/skills/{skill_id}", json={"name": "other"})) == (
            400,
            "invalid_request_error",
            "name: is immutable; create a new skill to rename",
        )
        assert error_of(api.patch(f"/v1/skills/{skill_id}", json={}))[0] == 400
        assert error_of(api.patch(f"/v1/skills/{skill_id}", json={"version": "x"}))[2] == (
            "version: must be a semantic version such as 1.2.0"
        )
        assert error_of(api.patch("/v1/skills/skill_nope", json={"version": "2.0.0"}))[:2] == (
            404,
            "not_found_error",
        )


def test_auth_and_version_headers(emulator: Emulator) -> None:
    with httpx.Client(base_url=emulator.url) as api:
        missing = api.get("/v1/skills", headers={"anthropic-version": "2023-06-01"})
        assert error_of(missing) == (401, "authentication_error", "x-api-key header is required")
        unknown = api.get("/v1/skills", headers={**API_HEADERS, "x-api-key": "wrong"})
        assert error_of(unknown) == (401, "authentication_error", "invalid x-api-key")
        no_version = api.get("/v1/skills", headers={"x-api-key": "emulator-key"})
        assert error_of(no_version)[:2] == (400, "invalid_request_error")
        assert "anthropic-version" in error_of(no_version)[2]
        for response in (missing, unknown, no_version):
            assert response.headers["request-id"].startswith("req_")


def test_every_answer_has_request_id_and_ratelimit_headers(emulator: Emulator) -> None:
    with client(emulator.url) as api:
        answers = [
            api.post("/v1/skills", json=SKILL),
            api.post("/v1/skills", json=SKILL),
            api.get("/v1/skills"),
            api.get("/v1/skills/skill_x"),
        ]
    ids = {a.headers["request-id"] for a in answers}
    assert len(ids) == 4
    for answer in answers:
        assert int(answer.headers["anthropic-ratelimit-requests-limit"]) > 0
        assert "anthropic-ratelimit-requests-remaining" in answer.headers
        assert answer.headers["anthropic-ratelimit-requests-reset"].endswith("Z")


def test_rpm_limit_answers_429_with_retry_after(emulator_factory: Callable[..., Emulator]) -> None:
    emulator = emulator_factory(rpm=3)
    with client(emulator.url) as api:
        remaining = [
            api.get("/v1/skills").headers["anthropic-ratelimit-requests-remaining"]
            for _ in range(3)
        ]
        limited = api.get("/v1/skills")
    assert remaining == ["2", "1", "0"]
    assert error_of(limited)[:2] == (429, "rate_limit_error")
    assert 1 <= int(limited.headers["retry-after"]) <= 60


def test_pagination_across_250_skills(emulator: Emulator) -> None:
    names = [f"skill-{i:03d}" for i in range(250)]
    for name in names:
        emulator.store.create("default", {**SKILL, "name": name})
    with client(emulator.url) as api:
        default_page = api.get("/v1/skills").json()
        assert len(default_page["data"]) == 20 and default_page["has_more"] is True
        seen: list[str] = []
        pages = 0
        after: str | None = None
        while True:
            params: dict[str, Any] = {"limit": 100}
            if after:
                params["after_id"] = after
            page = api.get("/v1/skills", params=params).json()
            pages += 1
            seen += [item["name"] for item in page["data"]]
            assert page["first_id"] == page["data"][0]["id"]
            assert page["last_id"] == page["data"][-1]["id"]
            assert set(page["data"][0]) == {"id", "name", "description"}
            if not page["has_more"]:
                break
            after = page["last_id"]
        assert (pages, seen) == (3, names)
        for bad in ("0", "101", "x"):
            assert error_of(api.get("/v1/skills", params={"limit": bad}))[:2] == (
                400,
                "invalid_request_error",
            )
        assert error_of(api.get("/v1/skills", params={"after_id": "skill_zz"}))[0] == 400


def test_empty_list(emulator: Emulator) -> None:
    with client(emulator.url) as api:
        assert api.get("/v1/skills").json() == {
            "data": [],
            "has_more": False,
            "first_id": None,
            "last_id": None,
        }


def test_workspaces_are_isolated(emulator_factory: Callable[..., Emulator]) -> None:
    emulator = emulator_factory(keys={"key-a": "alpha", "key-b": "beta"})
    with client(emulator.url, "key-a") as a, client(emulator.url, "key-b") as b:
        mine = a.post("/v1/skills", json=SKILL).json()
        assert b.post("/v1/skills", json=SKILL).status_code == 200  # same name, other space
        assert [s["id"] for s in a.get("/v1/skills").json()["data"]] == [mine["id"]]
        assert len(b.get("/v1/skills").json()["data"]) == 1
        for response in (
            b.get(f"/v1/skills/{mine['id']}"),
            b.patch(f"/v1/skills/{mine['id']}", json={"version": "9.9.9"}),
            b.delete(f"/v1/skills/{mine['id']}"),
        ):
            assert error_of(response) == (404, "not_found_error", f"skill {mine['id']} not found")
        assert a.get(f"/v1/skills/{mine['id']}").json()["version"] == "1.0.0"
        assert error_of(client(emulator.url, "emulator-key").get("/v1/skills"))[0] == 401


def test_fifty_concurrent_writers_lose_and_duplicate_nothing(emulator: Emulator) -> None:
    outcomes: list[int] = []
    lock = threading.Lock()

    def writer(index: int) -> None:
        with client(emulator.url) as api:
            for n in range(4):
                status = api.post("/v1/skills", json={**SKILL, "name": f"w{index}-{n}"})
                race = api.post("/v1/skills", json={**SKILL, "name": f"race-{n}"})
                with lock:
                    outcomes.extend([status.status_code, race.status_code])

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    names = []
    page = emulator.store.list("default", 100)
    after = None
    while True:
        items, more = emulator.store.list("default", 100, after)
        names += [s["name"] for s in items]
        if not more:
            break
        after = items[-1]["id"]
    assert sorted(names) == sorted(
        [f"w{i}-{n}" for i in range(50) for n in range(4)] + [f"race-{n}" for n in range(4)]
    )
    assert outcomes.count(200) == 204 and outcomes.count(409) == 196
    assert page is not None


def _drive(app: EmulatorApp, count: int) -> list[int]:
    statuses = []
    for i in range(count):
        method, path, body = (
            ("GET", "/v1/skills", b"")
            if i % 2
            else ("POST", "/v1/skills", json.dumps({**SKILL, "name": f"s-{i}"}).encode())
        )
        headers = {**API_HEADERS, "content-type": "application/json"}
        response = app.handle(method, path, {}, headers, body)
        statuses.append(-1 if response.drop_connection else response.status)
    return statuses


def test_fault_injection_rate_and_repeatability(tmp_path: Path) -> None:
    runs = []
    for n in range(2):
        app = EmulatorApp(SkillStore(tmp_path / f"f{n}.db"), faults=Faults(rate=0.3, seed=42))
        runs.append(_drive(app, 2000))
        app.store.close()
    assert runs[0] == runs[1]
    statuses = runs[0]
    faults = [s for s in statuses if s in (429, 500, 529, -1)]
    assert 0.26 <= len(faults) / len(statuses) <= 0.34
    for kind in (429, 500, 529, -1):
        assert statuses.count(kind) > 60
    assert all(s in (200, 429, 500, 529, -1) for s in statuses)


def test_dropped_write_is_committed(emulator_factory: Callable[..., Emulator]) -> None:
    emulator = emulator_factory(faults=Faults(rate=1.0, seed=3))
    dropped = 0
    with client(emulator.url) as api:
        for i in range(40):
            try:
                api.post("/v1/skills", json={**SKILL, "name": f"d-{i}"})
            except httpx.RemoteProtocolError:
                dropped += 1
                assert emulator.store.list("default", 100)[0][-1]["name"] == f"d-{i}"
    assert dropped == emulator.app.fault_stats["drop_after_write"] > 0
    assert emulator.store.count("default") == dropped


def test_latency_is_applied_to_every_answer(tmp_path: Path) -> None:
    slept: list[float] = []
    app = EmulatorApp(
        SkillStore(tmp_path / "l.db"), faults=Faults(latency_ms=20), sleep=slept.append
    )
    _drive(app, 3)
    assert slept == [0.02, 0.02, 0.02]


def _script(api: httpx.Client) -> list[tuple[int, Any]]:
    def shape(response: httpx.Response) -> tuple[int, Any]:
        body = response.json()
        if isinstance(body, dict):
            body = {
                k: v
                for k, v in body.items()
                if k not in ("id", "created_at", "updated_at", "first_id", "last_id")
            }
            if "data" in body:
                body["data"] = [{k: v for k, v in s.items() if k != "id"} for s in body["data"]]
        return response.status_code, json.loads(
            re.sub(r"skill_[0-9a-f]{24}", "skill_X", json.dumps(body))
        )

    created = api.post("/v1/skills", json=SKILL)
    skill_id = created.json()["id"]
    return [
        shape(r)
        for r in (
            created,
            api.post("/v1/skills", json=SKILL),
            api.get("/v1/skills", params={"limit": 5}),
            api.get(f"/v1/skills/{skill_id}"),
            api.patch(f"/v1/skills/{skill_id}", json={"description": "New."}),
            api.patch(f"/v1/skills/{skill_id}", json={"name": "x"}),
            api.post("/v1/skills", json={**SKILL, "name": "BAD"}),
            api.get("/v1/skills", params={"limit": 500}),
            api.delete(f"/v1/skills/{skill_id}"),
            api.get(f"/v1/skills/{skill_id}"),
            api.get("/v1/nothing"),
        )
    ]


def test_in_process_transport_answers_like_http(tmp_path: Path, emulator: Emulator) -> None:
    app = EmulatorApp(SkillStore(tmp_path / "inproc.db"))
    with (
        client(emulator.url) as over_http,
        httpx.Client(
            transport=EmulatorTransport(app), base_url="http://emulator", headers=API_HEADERS
        ) as in_process,
    ):
        assert _script(over_http) == _script(in_process)


def test_emulator_command_serves_until_interrupted(tmp_path: Path) -> None:
    import signal

    process = spawn_emulator(tmp_path / "cli.db", "--key", "k1=alpha")
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("Skills API emulator listening on http://127.0.0.1:")
        url = first.split()[-1]
        assert process.stdout.readline() == "  key k1 -> workspace alpha\n"
        with client(url, "k1") as api:
            assert api.post("/v1/skills", json=SKILL).status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 130
    assert out.endswith("Stopped.\n") and "Traceback" not in err


def test_bad_key_option_is_a_usage_error(cli) -> None:
    result = cli("emulator", "--key", "nokey")
    assert result.exit_code == 1
    assert "--key 'nokey' is not KEY=WORKSPACE" in result.stderr
