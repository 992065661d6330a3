"""The emulator's openai dialect, driven by the official `openai` SDK as an independent client.

The SDK (`openai` >=3.51,<4) is used unmodified: if it can create, list, version,
point, download and delete skills here, and sees each refusal as its own exception
class, the emulator speaks OpenAI's wire format.
"""

from __future__ import annotations

import io
import signal
import threading
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest

from skillsync.emulator.app import EmulatorApp, open_store
from skillsync.limits import MAX_OPENAI_FILE_BYTES, MAX_OPENAI_FILES
from tests.conftest import AppTransport, Emulator, spawn_emulator
from tests.helpers.folders import zipped

SKILL_MD = b"---\nname: pdf-notes\ndescription: Takes notes from PDFs.\n---\n\nRead the PDF.\n"
BINARY = bytes(range(256)) * 4
CRLF = b"line one\r\nline two\r\n\r\n"


def files(folder: str = "pdf-notes", skill_md: bytes = SKILL_MD) -> list[Any]:
    return [
        (f"{folder}/SKILL.md", skill_md, "text/markdown"),
        (f"{folder}/scripts/run.py", b"print('hi')\n", "text/x-python"),
        (f"{folder}/assets/logo.bin", BINARY, "application/octet-stream"),
        (f"{folder}/reference/notes.txt", CRLF, "text/plain"),
    ]


def skill_md(name: str, description: str = "Does a thing.") -> bytes:
    return f"---\nname: {name}\ndescription: {description}\n---\n\nBody.\n".encode()


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def sdk(url: str, key: str = "emulator-key", **kwargs: Any) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0, **kwargs)


@pytest.fixture
def openai_emulator(emulator_factory: Callable[..., Emulator]) -> Emulator:
    return emulator_factory(api="openai")


@pytest.fixture
def api(openai_emulator: Emulator) -> Iterator[openai.OpenAI]:
    with sdk(openai_emulator.url) as client:
        yield client


def test_create_from_files_retrieve_and_the_shapes(api: openai.OpenAI) -> None:
    skill = api.skills.create(files=files())
    assert skill.object == "skill" and skill.id.startswith("skill_")
    assert (skill.name, skill.description) == ("pdf-notes", "Takes notes from PDFs.")
    assert (skill.default_version, skill.latest_version) == ("1", "1")
    assert isinstance(skill.created_at, int)
    raw = api.skills.with_raw_response.retrieve(skill.id)
    assert set(raw.http_response.json()) == {
        *("object", "id", "created_at", "name", "description"),
        *("default_version", "latest_version"),
    }
    assert raw.http_response.headers["x-request-id"].startswith("req_")
    assert api.skills.retrieve(skill.id) == skill
    version = api.skills.versions.retrieve("1", skill_id=skill.id)
    assert version.object == "skill.version"
    assert (version.skill_id, version.version, version.name) == (skill.id, "1", "pdf-notes")


def test_create_from_a_zip_keeps_its_paths(api: openai.OpenAI) -> None:
    entries = {"zipped/SKILL.md": skill_md("zipped"), "zipped/data/x.bin": BINARY}
    skill = api.skills.create(files=("zipped.zip", zipped(entries), "application/zip"))
    assert skill.name == "zipped"
    assert unzip(api.skills.content.retrieve(skill.id).read()) == entries


def test_list_auto_paginates_in_both_orders(api: openai.OpenAI) -> None:
    ids = [api.skills.create(files=[(f"s-{i}/SKILL.md", skill_md(f"s-{i}"))]).id for i in range(5)]
    assert [s.id for s in api.skills.list(limit=2, order="asc")] == ids
    assert [s.id for s in api.skills.list(limit=2)] == ids[::-1]  # desc is the default
    page = api.skills.list(limit=2, order="asc")
    assert (page.has_more, page.data[0].id, page.data[1].id) == (True, ids[0], ids[1])


def test_versions_with_and_without_default(api: openai.OpenAI) -> None:
    skill = api.skills.create(files=files())
    quiet = api.skills.versions.create(skill.id, files=files())
    assert (quiet.version, quiet.object) == ("2", "skill.version")
    after = api.skills.retrieve(skill.id)
    assert (after.default_version, after.latest_version) == ("1", "2")
    loud = api.skills.versions.create(skill.id, files=files(), default=True)
    after = api.skills.retrieve(skill.id)
    assert (after.default_version, after.latest_version) == (loud.version, "3")
    assert [v.version for v in api.skills.versions.list(skill.id, limit=1)] == ["3", "2", "1"]
    assert [v.version for v in api.skills.versions.list(skill.id, order="asc")] == ["1", "2", "3"]
    assert api.skills.versions.retrieve("2", skill_id=skill.id).id == quiet.id


def test_the_default_pointer_names_the_skill(api: openai.OpenAI) -> None:
    skill = api.skills.create(files=files())
    api.skills.versions.create(
        skill.id, files=files(skill_md=skill_md("pdf-notes", "Second words.")), default=True
    )
    assert api.skills.retrieve(skill.id).description == "Second words."
    moved = api.skills.update(skill.id, default_version="1")
    assert (moved.default_version, moved.latest_version) == ("1", "2")
    assert moved.description == "Takes notes from PDFs."
    assert unzip(api.skills.content.retrieve(skill.id).read())["pdf-notes/SKILL.md"] == SKILL_MD
    with pytest.raises(openai.BadRequestError, match="has no version 7") as raised:
        api.skills.update(skill.id, default_version="7")
    assert raised.value.param == "default_version"


def test_download_round_trips_binary_and_crlf_byte_for_byte(api: openai.OpenAI) -> None:
    skill = api.skills.create(files=files())
    content = unzip(api.skills.versions.content.retrieve("1", skill_id=skill.id).read())
    assert content == {path: data for path, data, _ in files()}


def test_deleting_versions_never_the_default(api: openai.OpenAI) -> None:
    skill = api.skills.create(files=files())
    api.skills.versions.create(skill.id, files=files())
    with pytest.raises(openai.BadRequestError, match="default version") as raised:
        api.skills.versions.delete("1", skill_id=skill.id)
    assert raised.value.request_id and raised.value.request_id.startswith("req_")
    deleted = api.skills.versions.delete("2", skill_id=skill.id)
    assert deleted.object == "skill.version.deleted"
    assert (deleted.deleted, deleted.version) == (True, "2")
    assert api.skills.retrieve(skill.id).latest_version == "1"
    third = api.skills.versions.create(skill.id, files=files())
    assert third.version == "3"  # a number is never given twice


def test_delete_removes_the_skill_and_its_versions(
    api: openai.OpenAI, openai_emulator: Emulator
) -> None:
    skill = api.skills.create(files=files())
    api.skills.versions.create(skill.id, files=files())
    deleted = api.skills.delete(skill.id)
    assert (deleted.object, deleted.deleted, deleted.id) == ("skill.deleted", True, skill.id)
    assert openai_emulator.store.version_count(skill.id) == 0
    with pytest.raises(openai.NotFoundError):
        api.skills.retrieve(skill.id)
    with pytest.raises(openai.NotFoundError):
        api.skills.versions.content.retrieve("1", skill_id=skill.id)


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        ([("SKILL.md", SKILL_MD)], "not inside a folder"),
        ([("a/SKILL.md", skill_md("a")), ("b/x.txt", b"x")], "one top-level folder"),
        ([("pdf-notes/notes.txt", b"x")], "no SKILL.md at the root of pdf-notes/"),
        ([("x/SKILL.md", b"no front matter")], "must start with YAML front matter"),
        ([("Bad_Name/SKILL.md", skill_md("Bad_Name"))], "name must be 1-64 characters"),
        ([("other/SKILL.md", SKILL_MD)], "differs from its folder"),
        ([("a/SKILL.md", skill_md("a", "x" * 1025))], "description must be 1-1024"),
        ([("a/SKILL.md", skill_md("a", "use <b>"))], "must not contain < or >"),
        ([("a/SKILL.md", skill_md("a")), ("/etc/passwd", b"x")], "absolute path"),
        ([("a/SKILL.md", skill_md("a")), ("a/../../x", b"x")], "must not climb"),
        (
            [("a/SKILL.md", skill_md("a")), *[(f"a/f{i}", b"") for i in range(MAX_OPENAI_FILES)]],
            "at most 500 are allowed",
        ),
        (("bad.zip", b"PK\x03\x04 not really a zip"), "the zip cannot be read"),
        (("a.zip", zipped({"a/SKILL.md": skill_md("a"), "../x": b"x"})), "must not climb"),
    ],
)
def test_every_refused_upload_is_a_bad_request_naming_the_rule(
    api: openai.OpenAI, upload: Any, message: str
) -> None:
    with pytest.raises(openai.BadRequestError, match=message) as raised:
        api.skills.create(files=upload)
    assert raised.value.status_code == 400
    assert raised.value.type == "invalid_request_error"


def test_size_limits_are_bad_requests(api: openai.OpenAI) -> None:
    big = b"x" * (MAX_OPENAI_FILE_BYTES + 1)
    with pytest.raises(openai.BadRequestError, match="a file may hold at most"):
        api.skills.create(files=[("a/SKILL.md", skill_md("a")), ("a/big.bin", big)])
    bomb = zipped({"a/SKILL.md": skill_md("a"), "a/big.bin": big})  # small zip, large file
    assert len(bomb) < 1024 * 1024
    with pytest.raises(openai.BadRequestError, match="a file may hold at most"):
        api.skills.create(files=("a.zip", bomb))
    halves = [(f"a/half{i}.bin", b"y" * (MAX_OPENAI_FILE_BYTES - 1)) for i in range(3)]
    with pytest.raises(openai.BadRequestError, match="must not exceed") as raised:
        api.skills.create(files=[("a/SKILL.md", skill_md("a")), *halves])
    assert raised.value.code == "upload_too_large"


def test_a_new_version_keeps_the_skills_name(api: openai.OpenAI) -> None:
    skill = api.skills.create(files=files())
    with pytest.raises(openai.BadRequestError, match="keeps the name of its first upload"):
        api.skills.versions.create(skill.id, files=[("renamed/SKILL.md", skill_md("renamed"))])


def test_auth_and_not_found(openai_emulator: Emulator) -> None:
    with (
        sdk(openai_emulator.url, key="wrong") as client,
        pytest.raises(openai.AuthenticationError) as raised,
    ):
        client.skills.list()
    assert raised.value.code == "invalid_api_key"
    import httpx

    no_key = httpx.get(f"{openai_emulator.url}/v1/skills", headers={"x-api-key": "emulator-key"})
    assert no_key.status_code == 401  # a Bearer token only, as OpenAI takes it
    assert no_key.json()["error"]["message"].startswith("You didn't provide an API key")
    with sdk(openai_emulator.url) as client:
        with pytest.raises(openai.NotFoundError):
            client.skills.retrieve("skill_nope")
        with pytest.raises(openai.NotFoundError):
            client.skills.versions.retrieve("1", skill_id="skill_nope")


def test_rate_limit_is_a_429_with_openai_headers(
    emulator_factory: Callable[..., Emulator],
) -> None:
    emulator = emulator_factory(api="openai", rpm=1)
    with sdk(emulator.url) as client:
        first = client.skills.with_raw_response.list()
        assert first.headers["x-ratelimit-remaining-requests"] == "0"
        assert first.headers["x-ratelimit-limit-requests"] == "1"
        with pytest.raises(openai.RateLimitError) as raised:
            client.skills.list()
    assert raised.value.response.headers["retry-after"]


def test_twenty_concurrent_version_uploads_lose_nothing(api: openai.OpenAI) -> None:
    skill = api.skills.create(files=files())
    errors: list[Exception] = []

    def upload() -> None:
        try:
            api.skills.versions.create(skill.id, files=files())
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=upload) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    numbers = [v.version for v in api.skills.versions.list(skill.id, limit=100)]
    assert numbers == [str(n) for n in range(21, 0, -1)]


def test_the_sdk_in_process_as_local_serves_it(tmp_path: Path) -> None:
    store = open_store(tmp_path / "local.db", "openai")
    app = EmulatorApp(store)
    http = httpx2.Client(transport=AppTransport(app))
    with openai.OpenAI(
        base_url="http://local-emulator/v1", api_key="emulator-key", http_client=http, max_retries=0
    ) as api:
        skill = api.skills.create(files=files())
        version = api.skills.versions.create(skill.id, files=files(), default=True)
        assert api.skills.retrieve(skill.id).default_version == version.version == "2"
        assert unzip(api.skills.content.retrieve(skill.id).read())["pdf-notes/assets/logo.bin"] == (
            BINARY
        )
        with pytest.raises(openai.BadRequestError):
            api.skills.create(files=[("x/SKILL.md", b"nope")])
        assert api.skills.delete(skill.id).deleted is True
    store.close()


def test_emulator_command_serves_the_openai_dialect(tmp_path: Path) -> None:
    process = spawn_emulator(tmp_path / "cli.db", api="openai")
    try:
        assert process.stdout is not None
        banner = [process.stdout.readline() for _ in range(5)]
        url = banner[0].split()[-1]
        assert banner[3:] == ["  dialect openai\n", "Press Ctrl-C to stop.\n"]
        with sdk(url) as api:
            assert api.skills.create(files=files()).latest_version == "1"
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=10)
    assert process.returncode == 130
