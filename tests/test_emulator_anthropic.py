"""The emulator's anthropic dialect, driven by the official SDK as an independent client.

The SDK (`anthropic` 2.14) is used unmodified: if it can create, list, version,
download and delete skills here, and sees each refusal as its own exception
class, the emulator speaks the wire format of the real API.
"""

from __future__ import annotations

import io
import threading
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anthropic
import httpx
import httpx2
import pytest

from skillsync.emulator.app import EmulatorApp, open_store
from skillsync.emulator.folder_store import FolderStore
from tests.conftest import AppTransport, Emulator, spawn_emulator

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


def skill_md(name: str, description: str = "Does a thing.", extra: str = "") -> bytes:
    return f"---\nname: {name}\ndescription: {description}\n{extra}---\n\nBody.\n".encode()


def sdk(url: str, key: str = "emulator-key", **kwargs: Any) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=url, api_key=key, max_retries=0, **kwargs)


@pytest.fixture
def api(anthropic_emulator: Emulator) -> Iterator[anthropic.Anthropic]:
    with sdk(anthropic_emulator.url) as client:
        yield client


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_create_retrieve_and_the_shapes(api: anthropic.Anthropic) -> None:
    skill = api.skills.create(files=files())
    assert skill.type == "skill" and skill.id.startswith("skill_")
    assert skill.display_name == "pdf-notes"
    assert skill.source.type == "custom"
    assert skill.latest_version_id
    raw = api.skills.with_raw_response.retrieve(skill.id)
    assert set(raw.http_response.json()) == {
        "type",
        "id",
        "created_at",
        "updated_at",
        "display_name",
        "latest_version_id",
        "source",
    }
    assert api.skills.retrieve(skill.id) == skill
    version = api.skills.versions.retrieve("latest", skill_id=skill.id)
    assert version.type == "skill_version" and version.id == skill.latest_version_id
    assert (version.skill_id, version.name, version.description) == (
        skill.id,
        "pdf-notes",
        "Takes notes from PDFs.",
    )
    labelled = api.skills.create(files=files(), display_name="PDF notes (team A)")
    assert labelled.display_name == "PDF notes (team A)"
    assert labelled.id != skill.id  # a name is not unique; display names never are


def test_list_auto_paginates_and_filters_by_source(api: anthropic.Anthropic) -> None:
    created = [
        api.skills.create(files=[(f"s-{i:02d}/SKILL.md", skill_md(f"s-{i:02d}"))])
        for i in range(25)
    ]
    custom = list(api.skills.list(limit=10, source="custom"))
    assert [s.id for s in custom] == [s.id for s in created]
    first = api.skills.list(limit=10, source="custom")
    assert len(first.data) == 10 and first.next_page
    every = list(api.skills.list(limit=3))
    builtin = [s for s in every if s.source.type == "anthropic"]
    assert sorted(s.id for s in builtin) == ["docx", "pdf", "pptx", "xlsx"]
    assert len(every) == 29
    assert [s.id for s in api.skills.list(source="anthropic")] == [s.id for s in builtin]
    page = api.skills.list(limit=1000, source="custom")
    assert len(page.data) == 25 and page.next_page is None


def test_versions_create_list_retrieve_delete(api: anthropic.Anthropic) -> None:
    skill = api.skills.create(files=files())
    first = skill.latest_version_id
    second = api.skills.versions.create(skill.id, files=files(skill_md=skill_md("pdf-notes", "v2")))
    assert second.type == "skill_version" and second.description == "v2"
    assert api.skills.retrieve(skill.id).latest_version_id == second.id
    listed = list(api.skills.versions.list(skill.id, limit=1))
    assert [v.id for v in listed] == [second.id, first]  # newest first, across pages
    assert api.skills.versions.retrieve(first, skill_id=skill.id).description == (
        "Takes notes from PDFs."
    )
    deleted = api.skills.versions.delete(second.id, skill_id=skill.id)
    assert (deleted.id, deleted.type) == (second.id, "skill_version_deleted")
    assert api.skills.retrieve(skill.id).latest_version_id == first
    with pytest.raises(anthropic.NotFoundError):
        api.skills.versions.retrieve(second.id, skill_id=skill.id)
    with pytest.raises(anthropic.BadRequestError, match="only version"):
        api.skills.versions.delete(first, skill_id=skill.id)


def test_download_round_trips_binary_and_crlf_byte_for_byte(api: anthropic.Anthropic) -> None:
    skill = api.skills.create(files=files())
    for version in (skill.latest_version_id, "latest"):
        response = api.beta.skills.versions.download(version, skill_id=skill.id)
        assert unzip(response.read()) == {path: data for path, data, _ in files()}


def test_delete_removes_the_skill_and_its_versions(
    api: anthropic.Anthropic, anthropic_emulator: Emulator
) -> None:
    skill = api.skills.create(files=files())
    api.skills.versions.create(skill.id, files=files())
    deleted = api.skills.delete(skill.id)
    assert (deleted.id, deleted.type) == (skill.id, "skill_deleted")
    assert anthropic_emulator.store.version_count(skill.id) == 0
    with pytest.raises(anthropic.NotFoundError):
        api.skills.retrieve(skill.id)
    with pytest.raises(anthropic.NotFoundError):
        api.skills.delete(skill.id)


REFUSALS = [
    ([], "files: at least one file is required"),
    ([("SKILL.md", SKILL_MD)], "is not inside a folder"),
    ([("a/SKILL.md", skill_md("a")), ("b/x.txt", b"x")], "one top-level folder"),
    ([("pdf-notes/README.md", b"hi")], "no SKILL.md at the root of pdf-notes/"),
    ([("pdf-notes/sub/SKILL.md", SKILL_MD)], "no SKILL.md at the root"),
    ([("pdf-notes/SKILL.md", b"no front matter\n")], "must start with YAML front matter"),
    ([("pdf-notes/SKILL.md", b"---\nname: [unclosed\n---\nx\n")], "front matter is not YAML"),
    ([("Bad_Name/SKILL.md", skill_md("Bad_Name"))], "name must be 1-64 characters"),
    ([("pdf-notes/SKILL.md", skill_md("other"))], "differs from its folder"),
    ([("claude-notes/SKILL.md", skill_md("claude-notes"))], "holds the reserved word 'claude'"),
    ([("pdf-notes/SKILL.md", skill_md("pdf-notes", "a <b> c"))], "must not contain < or >"),
    ([("pdf-notes/SKILL.md", skill_md("pdf-notes", "x" * 1025))], "description must be 1-1024"),
    ([("pdf-notes/SKILL.md", SKILL_MD), ("/etc/passwd", b"x")], "is an absolute path"),
    ([("pdf-notes/SKILL.md", SKILL_MD), ("pdf-notes/../x", b"x")], "must not climb"),
    ([("pdf-notes/SKILL.md", SKILL_MD), ("pdf-notes/SKILL.md", SKILL_MD)], "is sent twice"),
]


@pytest.mark.parametrize(("upload", "message"), REFUSALS)
def test_refused_uploads_are_bad_requests(
    api: anthropic.Anthropic, upload: list[tuple[str, bytes]], message: str
) -> None:
    with pytest.raises(anthropic.BadRequestError) as raised:
        api.skills.create(files=upload)
    error = raised.value
    assert error.type == "invalid_request_error"
    assert message in (error.api_message or "")
    assert error.request_id and error.request_id.startswith("req_")
    assert isinstance(error.body, dict) and error.body["request_id"] == error.request_id


@pytest.mark.parametrize(
    ("display_name", "message"),
    [
        ("x" * 256, "at most 255 characters"),
        ("two\nlines", "single line"),
        ("", "must not be empty"),
    ],
)
def test_display_name_rules(api: anthropic.Anthropic, display_name: str, message: str) -> None:
    with pytest.raises(anthropic.BadRequestError, match=message):
        api.skills.create(files=files(), display_name=display_name)


def test_a_new_version_keeps_the_skills_name(api: anthropic.Anthropic) -> None:
    skill = api.skills.create(files=files())
    with pytest.raises(anthropic.BadRequestError, match="fixed by its first upload"):
        api.skills.versions.create(skill.id, files=[("other/SKILL.md", skill_md("other"))])


def test_uploads_over_8_mb_are_413(api: anthropic.Anthropic, anthropic_emulator: Emulator) -> None:
    big = [("pdf-notes/SKILL.md", SKILL_MD), ("pdf-notes/big.bin", b"\0" * (8 * 1024 * 1024))]
    with pytest.raises(anthropic.APIStatusError) as raised:
        api.skills.create(files=big)
    assert raised.value.status_code == 413 and raised.value.type == "request_too_large"
    # Far over the limit: refused from its content-length, before the body is read.
    huge = [("pdf-notes/SKILL.md", SKILL_MD), ("pdf-notes/big.bin", b"\0" * (10 * 1024 * 1024))]
    with pytest.raises(anthropic.APIStatusError) as raised:
        api.skills.create(files=huge)
    assert raised.value.status_code == 413
    assert anthropic_emulator.store.count() == 0


def test_anthropic_skills_are_readable_and_read_only(api: anthropic.Anthropic) -> None:
    pptx = api.skills.retrieve("pptx")
    assert pptx.source.type == "anthropic" and pptx.display_name == "pptx"
    version = api.skills.versions.retrieve("latest", skill_id="pptx")
    assert version.name == "pptx"
    content = unzip(api.beta.skills.versions.download(version.id, skill_id="pptx").read())
    assert list(content) == ["pptx/SKILL.md"]
    with pytest.raises(anthropic.PermissionDeniedError, match="read-only"):
        api.skills.delete("pptx")
    with pytest.raises(anthropic.PermissionDeniedError):
        api.skills.versions.create("pptx", files=[("pptx/SKILL.md", skill_md("pptx"))])
    with pytest.raises(anthropic.PermissionDeniedError):
        api.skills.versions.delete(version.id, skill_id="pptx")


def test_auth_workspace_header_and_not_found(anthropic_emulator: Emulator) -> None:
    with (
        sdk(anthropic_emulator.url, "wrong-key") as bad,
        pytest.raises(anthropic.AuthenticationError),
    ):
        bad.skills.list()
    with sdk(anthropic_emulator.url) as api:
        with pytest.raises(anthropic.PermissionDeniedError, match="not the workspace"):
            api.skills.list(workspace_id="wrkspc_other")
        assert api.skills.list(workspace_id="default").data  # the key's own workspace
        with pytest.raises(anthropic.NotFoundError):
            api.skills.retrieve("skill_missing")
        with pytest.raises(anthropic.NotFoundError):
            api.beta.skills.versions.download("latest", skill_id="skill_missing")
    # The seed dialect's header works here too, and no key at all is a 401.
    with httpx.Client(base_url=anthropic_emulator.url) as raw:
        headers = {"x-api-key": "emulator-key", "anthropic-version": "2026-10-21"}
        assert raw.get("/v1/skills", headers=headers).status_code == 200
        missing = raw.get("/v1/skills", headers={"anthropic-version": "2026-10-21"})
        assert missing.status_code == 401
        assert missing.json()["request_id"] == missing.headers["request-id"]


def test_files_field_without_brackets_is_accepted(anthropic_emulator: Emulator) -> None:
    headers = {"authorization": "Bearer emulator-key", "anthropic-version": "2026-10-21"}
    with httpx.Client(base_url=anthropic_emulator.url, headers=headers) as raw:
        answer = raw.post("/v1/skills", files=[("files", ("pdf-notes/SKILL.md", SKILL_MD))])
        assert answer.status_code == 200, answer.text
        assert raw.post("/v1/skills", data={"other": "x"}).status_code == 400
        json_body = raw.post("/v1/skills", json={"name": "x"})
        assert json_body.status_code == 400 and "multipart/form-data" in json_body.text


def test_workspaces_are_isolated(emulator_factory: Callable[..., Emulator]) -> None:
    emulator = emulator_factory(api="anthropic", keys={"ka": "alpha", "kb": "beta"})
    with sdk(emulator.url, "ka") as alpha, sdk(emulator.url, "kb") as beta:
        skill = alpha.skills.create(files=files())
        assert [s.id for s in beta.skills.list(source="custom")] == []
        with pytest.raises(anthropic.NotFoundError):
            beta.skills.retrieve(skill.id)
        with pytest.raises(anthropic.NotFoundError):
            beta.skills.versions.create(skill.id, files=files())
        assert [s.id for s in alpha.skills.list(source="custom")] == [skill.id]


def test_twenty_concurrent_version_uploads_lose_nothing(
    api: anthropic.Anthropic, anthropic_emulator: Emulator
) -> None:
    skill = api.skills.create(files=files())
    made: list[str] = []
    lock = threading.Lock()

    def upload(n: int) -> None:
        version = api.skills.versions.create(
            skill.id, files=[("pdf-notes/SKILL.md", skill_md("pdf-notes", f"v{n}"))]
        )
        with lock:
            made.append(version.id)

    threads = [threading.Thread(target=upload, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    listed = [v.id for v in api.skills.versions.list(skill.id, limit=100)]
    assert len(made) == 20 and sorted(listed) == sorted([*made, skill.latest_version_id])
    assert api.skills.retrieve(skill.id).latest_version_id == listed[0]
    assert anthropic_emulator.store.version_count(skill.id) == 21


def test_legacy_delete_switch_wants_versions_deleted_first(
    emulator_factory: Callable[..., Emulator],
) -> None:
    emulator = emulator_factory(api="anthropic", refuse_delete_with_versions=True)
    with sdk(emulator.url) as api:
        skill = api.skills.create(files=files())
        with pytest.raises(anthropic.BadRequestError, match="Delete all versions first"):
            api.skills.delete(skill.id)
        api.skills.versions.delete(skill.latest_version_id, skill_id=skill.id)
        assert api.skills.delete(skill.id).type == "skill_deleted"


def test_the_sdk_in_process_as_local_serves_it(tmp_path: Path) -> None:
    store = open_store(tmp_path / "local.db", "anthropic")
    assert isinstance(store, FolderStore)
    app = EmulatorApp(store)
    http = httpx2.Client(transport=AppTransport(app))
    with anthropic.Anthropic(
        base_url="http://local-emulator", api_key="emulator-key", http_client=http, max_retries=0
    ) as api:
        skill = api.skills.create(files=files(), display_name="Notes")
        version = api.skills.versions.create(skill.id, files=files())
        assert [v.id for v in api.skills.versions.list(skill.id)] == [
            version.id,
            skill.latest_version_id,
        ]
        data = api.beta.skills.versions.download("latest", skill_id=skill.id).read()
        assert unzip(data)["pdf-notes/assets/logo.bin"] == BINARY
        with pytest.raises(anthropic.BadRequestError):
            api.skills.create(files=[("x/SKILL.md", b"nope")])
        assert api.skills.delete(skill.id).type == "skill_deleted"
    store.close()


def test_emulator_command_serves_the_anthropic_dialect(tmp_path: Path) -> None:
    import signal

    process = spawn_emulator(tmp_path / "cli.db", api="anthropic")
    try:
        assert process.stdout is not None
        banner = [process.stdout.readline() for _ in range(5)]
        url = banner[0].split()[-1]
        assert banner[3:] == ["  dialect anthropic\n", "Press Ctrl-C to stop.\n"]
        with sdk(url) as api:
            assert api.skills.create(files=files()).source.type == "custom"
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=10)
    assert process.returncode == 130
