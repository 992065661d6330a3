"""The anthropic dialect: skills as uploaded folders with immutable versions.

Routes, as the official SDK calls them::

    GET    /v1/skills?limit=&page=&source=          {data: [Skill], next_page}
    POST   /v1/skills                               multipart files[] (+ display_name)
    GET    /v1/skills/{id}                          Skill
    DELETE /v1/skills/{id}                          {id, type: skill_deleted}
    POST   /v1/skills/{id}/versions                 multipart files[] -> Version
    GET    /v1/skills/{id}/versions?limit=&page=    {data: [Version] newest first, next_page}
    GET    /v1/skills/{id}/versions/{v|latest}      Version
    DELETE /v1/skills/{id}/versions/{v}             {id, type: skill_version_deleted}
    GET    /v1/skills/{id}/versions/{v}/content     the zip of the version's files
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import Any

from skillsync.emulator import builtin
from skillsync.emulator.answers import (
    ApiFailure,
    Response,
    bad,
    json_response,
    not_allowed,
    not_found,
    zip_response,
)
from skillsync.emulator.folder_store import FolderStore, HasVersions, LastVersion, NameMismatch
from skillsync.emulator.front import Front
from skillsync.emulator.uploads import (
    ANTHROPIC_RULES,
    Form,
    UploadRefused,
    check_display_name,
    check_upload,
    parse_form,
)

_ROUTE = re.compile(r"^/v1/skills(?:/([^/]+)(?:/(versions)(?:/([^/]+)(?:/(content))?)?)?)?$")
MAX_LIMIT = 1000
FRAMING_ALLOWANCE = 1024 * 1024
"""Room for multipart headers and boundaries above the files' own bytes."""
SOURCES = ("custom", "anthropic")


def _token(kind: str, value: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{value}".encode()).decode().rstrip("=")


def _untoken(raw: str, kinds: str) -> tuple[str, int]:
    try:
        kind, _, value = (
            base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode().partition(":")
        )
        if kind in kinds and value.isdigit():
            return kind, int(value)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise bad(f"page: {raw!r} is not a page token from this list")


def _limit(query: Mapping[str, str]) -> int:
    raw = query.get("limit", "20")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise bad(f"limit: must be an integer from 1 to {MAX_LIMIT} (got {raw!r})")
    return int(raw)


def _read_only(skill_id: str) -> ApiFailure:
    return ApiFailure(
        403,
        "permission_error",
        f"skill {skill_id} is provided by Anthropic and is read-only",
    )


class AnthropicApi(Front):
    api = "anthropic"
    max_body_bytes = ANTHROPIC_RULES.max_bytes + FRAMING_ALLOWANCE
    too_large = ANTHROPIC_RULES.too_large
    missing_key = "an API key is required: send x-api-key or Authorization: Bearer"
    request_id_in_errors = True

    def __init__(self, store: FolderStore, *, refuse_delete_with_versions: bool = False) -> None:
        self.store = store
        self.refuse_delete_with_versions = refuse_delete_with_versions
        """The 2025 beta's rule: a skill is deleted only once its versions are."""

    @staticmethod
    def route_name(method: str, path: str) -> str:
        match = _ROUTE.match(path)
        if not match:
            return f"{method} {path}"
        skill, versions, version, content = match.groups()
        route = "/v1/skills" + ("/{id}" if skill else "") + ("/versions" if versions else "")
        route += ("/{version}" if version else "") + ("/content" if content else "")
        return f"{method} {route}"

    def dispatch(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        body: bytes,
        workspace: str,
    ) -> Response:
        match = _ROUTE.match(path)
        if not match:
            raise not_found(f"no such endpoint: {method} {path}")
        skill_id, versions, version, content = match.groups()
        if skill_id is None:
            if method == "GET":
                return self._list(workspace, query)
            if method == "POST":
                return self._create(workspace, headers, body)
        elif versions is None:
            if method == "GET":
                return json_response(200, self._skill(workspace, skill_id))
            if method == "DELETE":
                return self._delete(workspace, skill_id)
        elif version is None:
            if method == "GET":
                return self._versions(workspace, skill_id, query)
            if method == "POST":
                return self._add_version(workspace, skill_id, headers, body)
        elif content is None:
            if method == "GET":
                return json_response(200, self._version(workspace, skill_id, version))
            if method == "DELETE":
                return self._delete_version(workspace, skill_id, version)
        elif method == "GET":
            return self._content(workspace, skill_id, version)
        raise not_allowed(method)

    # -- skills ---------------------------------------------------------------------
    def _skill(self, workspace: str, skill_id: str) -> dict[str, Any]:
        if skill_id in builtin.BUILTIN:
            return builtin.skill_object(skill_id)
        found = self.store.get(workspace, skill_id)
        if found is None:  # also for another workspace's id: never reveal it exists
            raise not_found(f"skill {skill_id} not found")
        return found

    def _list(self, workspace: str, query: Mapping[str, str]) -> Response:
        limit = _limit(query)
        source = query.get("source") or None
        if source is not None and source not in SOURCES:
            raise bad(f"source: must be one of {', '.join(SOURCES)} (got {source!r})")
        raw = query.get("page") or None
        kind, position = _untoken(raw, "bc") if raw else ("b", 0)
        data: list[dict[str, Any]] = []
        names = list(builtin.BUILTIN) if source in (None, "anthropic") else []
        if kind == "b":
            data = [builtin.skill_object(n) for n in names[position : position + limit]]
            if position + limit < len(names):
                return self._page(data, _token("b", position + limit))
            position = 0
        if source == "anthropic":
            return self._page(data, None)
        room = limit - len(data)
        if room == 0:
            more = bool(self.store.page(workspace, 1, position)[0])
            return self._page(data, _token("c", position) if more else None)
        rows, after = self.store.page(workspace, room, position)
        return self._page(data + rows, None if after is None else _token("c", after))

    @staticmethod
    def _page(data: list[dict[str, Any]], next_page: str | None) -> Response:
        return json_response(200, {"data": data, "next_page": next_page})

    def _create(self, workspace: str, headers: Mapping[str, str], body: bytes) -> Response:
        form = self._form(headers, body, allowed=("display_name",))
        display_name = check_display_name(form.fields.get("display_name"))
        content = check_upload(form.files)
        return json_response(200, self.store.create(workspace, content, display_name))

    def _delete(self, workspace: str, skill_id: str) -> Response:
        if skill_id in builtin.BUILTIN:
            raise _read_only(skill_id)
        try:
            deleted = self.store.delete(
                workspace, skill_id, refuse_with_versions=self.refuse_delete_with_versions
            )
        except HasVersions:
            raise bad(
                f"skill {skill_id} still has versions. Delete all versions first, then the skill"
            ) from None
        if not deleted:
            raise not_found(f"skill {skill_id} not found")
        return json_response(200, {"id": skill_id, "type": "skill_deleted"})

    # -- versions -------------------------------------------------------------------
    def _versions(self, workspace: str, skill_id: str, query: Mapping[str, str]) -> Response:
        limit = _limit(query)
        raw = query.get("page") or None
        before = _untoken(raw, "v")[1] if raw else None
        if skill_id in builtin.BUILTIN:
            data = [] if before is not None else [builtin.version_object(skill_id)]
            return self._page(data, None)
        page = self.store.versions(workspace, skill_id, limit, before)
        if page is None:
            raise not_found(f"skill {skill_id} not found")
        rows, after = page
        return self._page(rows, None if after is None else _token("v", after))

    def _add_version(
        self, workspace: str, skill_id: str, headers: Mapping[str, str], body: bytes
    ) -> Response:
        if skill_id in builtin.BUILTIN:
            raise _read_only(skill_id)
        self._skill(workspace, skill_id)
        content = check_upload(self._form(headers, body, allowed=()).files)
        try:
            created = self.store.add_version(workspace, skill_id, content)
        except NameMismatch as exc:
            raise bad(
                f"SKILL.md: name {content.name!r} differs from the skill's name {exc.args[0]!r}; "
                "a skill's name is fixed by its first upload"
            ) from None
        if created is None:
            raise not_found(f"skill {skill_id} not found")
        return json_response(200, created)

    def _version(self, workspace: str, skill_id: str, version: str) -> dict[str, Any]:
        if skill_id in builtin.BUILTIN:
            if version in ("latest", builtin.version_id(skill_id)):
                return builtin.version_object(skill_id)
            raise not_found(f"version {version} of skill {skill_id} not found")
        self._skill(workspace, skill_id)
        found = self.store.version(workspace, skill_id, version)
        if found is None:
            raise not_found(f"version {version} of skill {skill_id} not found")
        return found

    def _delete_version(self, workspace: str, skill_id: str, version: str) -> Response:
        if skill_id in builtin.BUILTIN:
            raise _read_only(skill_id)
        self._skill(workspace, skill_id)
        try:
            deleted = self.store.delete_version(
                workspace, skill_id, version, keep_one=not self.refuse_delete_with_versions
            )
        except LastVersion:
            raise bad(
                f"version {version} is the only version of skill {skill_id}; "
                "a skill keeps at least one version (delete the skill instead)"
            ) from None
        if not deleted:
            raise not_found(f"version {version} of skill {skill_id} not found")
        return json_response(200, {"id": version, "type": "skill_version_deleted"})

    def _content(self, workspace: str, skill_id: str, version: str) -> Response:
        if skill_id in builtin.BUILTIN:
            self._version(workspace, skill_id, version)
            name, data = skill_id, builtin.content(skill_id)
        else:
            self._skill(workspace, skill_id)
            found = self.store.content(workspace, skill_id, version)
            if found is None:
                raise not_found(f"version {version} of skill {skill_id} not found")
            name, data = found
        return zip_response(name, data)

    def _form(self, headers: Mapping[str, str], body: bytes, *, allowed: tuple[str, ...]) -> Form:
        if len(body) > self.max_body_bytes:
            raise ApiFailure(413, "request_too_large", self.too_large)
        form = parse_form(headers.get("content-type", ""), body)
        unknown = sorted(set(form.fields) - set(allowed))
        if unknown:
            expected = ", ".join(("files[]", *allowed))
            raise UploadRefused(f"{unknown[0]}: unknown field (allowed: {expected})")
        return form
