"""A skill upload (multipart/form-data) parsed and checked as the Skills APIs do.

The multipart framing is python-multipart's; this module only gathers the parts
and applies the folder dialects' upload rules: every file under one top-level
folder, whose ``SKILL.md`` has front matter with a valid ``name`` equal to the
folder's and a description of 1-1024 characters without ``<`` ``>``; relative
paths that never climb; no path twice; and each dialect's limits
(``UploadRules``: Anthropic's 8 MB in all and reserved words, OpenAI's 500 files,
25 MB a file, 50 MB in all, and its single-zip upload).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from posixpath import normpath
from typing import Any

import yaml
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from skillsync.dialects import ANTHROPIC
from skillsync.emulator.answers import ApiFailure
from skillsync.emulator.folder_store import VersionContent
from skillsync.limits import (
    MAX_DESCRIPTION,
    MAX_DISPLAY_NAME,
    MAX_OPENAI_FILE_BYTES,
    MAX_OPENAI_FILES,
    MAX_OPENAI_UPLOAD_BYTES,
    MAX_UPLOAD_BYTES,
)
from skillsync.loader import split_front_matter
from skillsync.schemas import is_valid_name

FILE_FIELDS = ("files[]", "files")
SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader where PyYAML has it: the pure-Python one was most of an upload's
CPU, and the emulator answers every upload on one interpreter."""
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
"""Every entry of a content zip carries this time, so a version's zip never varies."""


@dataclass(frozen=True)
class UploadRules:
    """One dialect's limits on an upload."""

    max_bytes: int
    too_large: str
    max_files: int | None = None
    max_file_bytes: int | None = None
    reserved_words: tuple[str, ...] = ()


ANTHROPIC_RULES = UploadRules(
    MAX_UPLOAD_BYTES,
    f"the files of an upload must not exceed {MAX_UPLOAD_BYTES:,} bytes in all",
    reserved_words=ANTHROPIC.reserved_words,
)
OPENAI_RULES = UploadRules(
    MAX_OPENAI_UPLOAD_BYTES,
    f"an upload must not exceed {MAX_OPENAI_UPLOAD_BYTES:,} bytes (50 MB)",
    max_files=MAX_OPENAI_FILES,
    max_file_bytes=MAX_OPENAI_FILE_BYTES,
)


class UploadRefused(ApiFailure):
    """The upload breaks a rule: 400, or 413 when it is too large."""

    def __init__(self, message: str, status: int = 400) -> None:
        kind = "request_too_large" if status == 413 else "invalid_request_error"
        super().__init__(status, kind, message)


@dataclass
class Form:
    files: list[tuple[str, bytes]] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)


class _Collector:
    """Callbacks for MultipartParser: each part's headers and data."""

    def __init__(self, limit: int, too_large: str) -> None:
        self.form = Form()
        self.limit = limit
        self.too_large = too_large
        self.file_bytes = 0
        self._header_name = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._data: list[bytes] = []

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self._begin,
            "on_header_field": self._field,
            "on_header_value": self._value,
            "on_header_end": self._header_end,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _begin(self) -> None:
        self._headers, self._data = {}, []

    def _field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._header_name.strip().lower()] = self._header_value.strip()
        self._header_name = self._header_value = b""

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        self._data.append(data[start:end])
        if b"filename" in self._headers.get(b"content-disposition", b""):
            self.file_bytes += end - start
            if self.file_bytes > self.limit:
                raise UploadRefused(self.too_large, 413)

    def _part_end(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = _text(options.get(b"name", b""))
        data = b"".join(self._data)
        if b"filename" in options:
            if name not in FILE_FIELDS:
                raise UploadRefused(f"{name or 'a part'}: unexpected file; send files as files[]")
            self.form.files.append((_text(options[b"filename"]), data))
        elif name in FILE_FIELDS:
            raise UploadRefused(f"{name}: each file part needs a filename (its path)")
        elif name in self.form.fields:
            raise UploadRefused(f"{name}: sent more than once")
        else:
            self.form.fields[name] = _utf8(data, name)


def _text(raw: bytes) -> str:
    """A header parameter: python-multipart hands it over as latin-1 bytes of UTF-8."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _utf8(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UploadRefused(f"{what}: is not UTF-8 text") from None


def parse_form(content_type: str, body: bytes, rules: UploadRules = ANTHROPIC_RULES) -> Form:
    kind, options = parse_options_header(content_type)
    if kind != b"multipart/form-data" or not options.get(b"boundary"):
        shown = kind.decode("latin-1") or "none"
        raise UploadRefused(f"content-type must be multipart/form-data (got {shown!r})")
    collector = _Collector(rules.max_bytes, rules.too_large)
    try:
        parser = MultipartParser(options[b"boundary"], collector.callbacks())  # type: ignore[arg-type]
        parser.write(body)
        parser.finalize()
    except MultipartParseError as exc:
        raise UploadRefused(f"the multipart body is malformed: {exc}") from None
    return collector.form


def check_display_name(value: str | None) -> str | None:
    if value is None:
        return None
    if not value.strip():
        raise UploadRefused("display_name: must not be empty")
    if len(value) > MAX_DISPLAY_NAME:
        raise UploadRefused(f"display_name: must be at most {MAX_DISPLAY_NAME} characters")
    if "\n" in value or "\r" in value:
        raise UploadRefused("display_name: must be a single line")
    return value


def _folder_of(paths: list[str]) -> str:
    folders: set[str] = set()
    seen: set[str] = set()
    for path in paths:
        if path.startswith(("/", "\\")) or (len(path) > 1 and path[1] == ":"):
            raise UploadRefused(f"files: {path!r} is an absolute path; send paths relative")
        parts = path.replace("\\", "/").split("/")
        if ".." in parts or "." in parts or "" in parts:
            raise UploadRefused(f"files: {path!r} must not climb with '..' or hold empty parts")
        if path in seen:
            raise UploadRefused(f"files: {path!r} is sent twice")
        seen.add(path)
        if len(parts) < 2:
            raise UploadRefused(
                f"files: {path!r} is not inside a folder; put every file under one "
                "top-level folder (my-skill/SKILL.md)"
            )
        folders.add(parts[0])
    if len(folders) != 1:
        raise UploadRefused(
            f"files: all files must be in one top-level folder (got {', '.join(sorted(folders))})"
        )
    return folders.pop()


def unzip_upload(data: bytes, rules: UploadRules) -> list[tuple[str, bytes]]:
    """The files of an upload sent as one zip (OpenAI's ``files`` part), inflated only
    within the rules' limits (a zip bomb is refused, never inflated)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = [i for i in archive.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise UploadRefused(f"files: the zip cannot be read ({exc})") from None
    if rules.max_files is not None and len(entries) > rules.max_files:
        raise UploadRefused(
            f"files: the zip holds {len(entries)} files; at most {rules.max_files} are allowed"
        )
    total = 0
    files = []
    for info in entries:
        _check_file_size(info.filename, info.file_size, rules)
        total += info.file_size
        if total > rules.max_bytes:
            raise UploadRefused(rules.too_large, 413)
        try:
            with archive.open(info) as handle:
                content = handle.read(info.file_size + 1)
        except (zipfile.BadZipFile, ValueError, OSError, RuntimeError) as exc:
            raise UploadRefused(f"files: {info.filename!r} cannot be read ({exc})") from None
        if len(content) != info.file_size:
            raise UploadRefused(f"files: {info.filename!r} is not the size its zip entry says")
        files.append((info.filename, content))
    return files


def _check_file_size(path: str, size: int, rules: UploadRules) -> None:
    if rules.max_file_bytes is not None and size > rules.max_file_bytes:
        raise UploadRefused(
            f"files: {path!r} is {size:,} bytes; a file may hold at most "
            f"{rules.max_file_bytes:,} (25 MB)"
        )


def check_upload(
    files: list[tuple[str, bytes]], rules: UploadRules = ANTHROPIC_RULES
) -> VersionContent:
    """The rules of one upload; the zip of its files, paths as uploaded."""
    if not files:
        raise UploadRefused("files: at least one file is required (a SKILL.md)")
    if rules.max_files is not None and len(files) > rules.max_files:
        raise UploadRefused(
            f"files: {len(files)} files sent; at most {rules.max_files} are allowed"
        )
    for path, data in files:
        _check_file_size(path, len(data), rules)
    if sum(len(data) for _, data in files) > rules.max_bytes:
        raise UploadRefused(rules.too_large, 413)
    folder = _folder_of([path for path, _ in files])
    skill_md = dict(files).get(f"{folder}/SKILL.md")
    if skill_md is None:
        raise UploadRefused(f"files: no SKILL.md at the root of {folder}/")
    name, description = _front_matter(_utf8(skill_md, "SKILL.md"))
    if not is_valid_name(name):
        raise UploadRefused(
            "SKILL.md: name must be 1-64 characters of a-z, 0-9 and single inner hyphens "
            f"(got {name!r})"
        )
    if name != folder:
        raise UploadRefused(f"SKILL.md: name {name!r} differs from its folder {folder!r}")
    reserved = next((word for word in rules.reserved_words if word in name), None)
    if reserved is not None:
        raise UploadRefused(f"SKILL.md: name {name!r} holds the reserved word {reserved!r}")
    if not 1 <= len(description) <= MAX_DESCRIPTION:
        raise UploadRefused(f"SKILL.md: description must be 1-{MAX_DESCRIPTION} characters")
    if "<" in description or ">" in description:
        raise UploadRefused("SKILL.md: description must not contain < or >")
    return VersionContent(name, description, zip_files(files))


def _front_matter(text: str) -> tuple[str, str]:
    parts = split_front_matter(text)
    if parts is None or parts[2] < 0:
        raise UploadRefused("SKILL.md: must start with YAML front matter between '---' lines")
    try:
        data = yaml.load(parts[0], Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise UploadRefused(f"SKILL.md: front matter is not YAML ({problem})") from None
    if not isinstance(data, dict):
        raise UploadRefused("SKILL.md: front matter must be a mapping with name and description")
    name, description = data.get("name"), data.get("description")
    if not isinstance(name, str):
        raise UploadRefused("SKILL.md: front matter needs a name (a string)")
    if not isinstance(description, str):
        raise UploadRefused("SKILL.md: front matter needs a description (a string)")
    return name, description


def zip_files(files: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in files:
            info = zipfile.ZipInfo(normpath(path), ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()
