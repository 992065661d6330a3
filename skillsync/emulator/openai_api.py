"""The openai dialect: OpenAI's Skills API, as the official ``openai`` SDK calls it.

Routes::

    GET    /v1/skills?limit=&after=&order=           {object: list, data: [Skill], first_id,
                                                      last_id, has_more}
    POST   /v1/skills                                multipart files[] (or one zip as files)
    GET    /v1/skills/{id}                           Skill
    POST   /v1/skills/{id}                           {"default_version": "N"} -> Skill
    DELETE /v1/skills/{id}                           {id, object: skill.deleted, deleted}
    GET    /v1/skills/{id}/content                   the default version's zip
    POST   /v1/skills/{id}/versions                  multipart files (+ default) -> SkillVersion
    GET    /v1/skills/{id}/versions?limit=&after=&order=   list of SkillVersion by number
    GET    /v1/skills/{id}/versions/{n}              SkillVersion
    DELETE /v1/skills/{id}/versions/{n}              {id, object: skill.version.deleted, ...}
    GET    /v1/skills/{id}/versions/{n}/content      the version's zip

Keys come only as ``Authorization: Bearer``; errors use OpenAI's envelope
``{"error": {"message", "type", "param", "code"}}`` with ``x-request-id``; every
refused upload is a 400 naming the rule.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from skillsync.emulator.answers import (
    ApiFailure,
    Response,
    bad,
    json_response,
    not_allowed,
    not_found,
    zip_response,
)
from skillsync.emulator.folder_store import VersionContent
from skillsync.emulator.front import Front
from skillsync.emulator.openai_store import (
    IsDefault,
    NameMismatch,
    NoSuchVersion,
    OpenAIStore,
    number,
)
from skillsync.emulator.uploads import (
    FILE_FIELDS,
    OPENAI_RULES,
    Form,
    UploadRefused,
    check_upload,
    parse_form,
    unzip_upload,
)

_ROUTE = re.compile(
    r"^/v1/skills(?:/([^/]+)(?:/(?:(content)|(versions)(?:/([^/]+)(?:/(content))?)?))?)?$"
)
MAX_LIMIT = 100
FRAMING_ALLOWANCE = 1024 * 1024
ZIP_MAGIC = b"PK\x03\x04"

_TYPES = {
    # skillsync's failure kinds -> OpenAI's error type and code
    "authentication_error": ("invalid_request_error", "invalid_api_key"),
    "permission_error": ("invalid_request_error", "insufficient_permissions"),
    "not_found_error": ("invalid_request_error", None),
    "rate_limit_error": ("requests", "rate_limit_exceeded"),
    "api_error": ("server_error", None),
    "overloaded_error": ("server_error", "overloaded"),
    "request_too_large": ("invalid_request_error", "upload_too_large"),
    "conflict_error": ("invalid_request_error", "conflict"),
}
_PARAMS = {"files", "default", "default_version", "limit", "after", "order", "version"}


def _status(status: int) -> int:
    """The status OpenAI answers with: an overloaded server is a 503, a refused upload
    (too large included) a 400."""
    return {529: 503, 413: 400}.get(status, status)


def _limit(query: Mapping[str, str]) -> int:
    raw = query.get("limit", "20")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise bad(f"limit: must be an integer from 1 to {MAX_LIMIT} (got {raw!r})")
    return int(raw)


def _ascending(query: Mapping[str, str]) -> bool:
    order = query.get("order", "desc")
    if order not in ("asc", "desc"):
        raise bad(f"order: must be asc or desc (got {order!r})")
    return order == "asc"


def _list(data: list[dict[str, Any]], has_more: bool) -> Response:
    return json_response(
        200,
        {
            "object": "list",
            "data": data,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
            "has_more": has_more,
        },
    )


class OpenAIApi(Front):
    api = "openai"
    max_body_bytes = OPENAI_RULES.max_bytes + FRAMING_ALLOWANCE
    too_large = OPENAI_RULES.too_large
    missing_key = (
        "You didn't provide an API key. Send it in an Authorization header using Bearer "
        "auth (Authorization: Bearer YOUR_KEY)"
    )
    request_id_header = "x-request-id"
    bearer_only = True
    version_header = None
    workspace_header = None

    def __init__(self, store: OpenAIStore) -> None:
        self.store = store

    # -- what the shared app asks of a front ------------------------------------------
    @staticmethod
    def route_name(method: str, path: str) -> str:
        match = _ROUTE.match(path)
        if not match:
            return f"{method} {path}"
        skill, content, versions, version, version_content = match.groups()
        route = "/v1/skills" + ("/{id}" if skill else "") + ("/content" if content else "")
        route += "/versions" if versions else ""
        route += ("/{version}" if version else "") + ("/content" if version_content else "")
        return f"{method} {route}"

    def failure(self, failure: ApiFailure, request_id: str) -> Response:
        kind, code = _TYPES.get(failure.error_type, (failure.error_type, None))
        param = failure.message.split(":", 1)[0] if ":" in failure.message else None
        body = {
            "error": {
                "message": failure.message,
                "type": kind,
                "param": param if param in _PARAMS else None,
                "code": code,
            }
        }
        response = json_response(_status(failure.status), body)
        response.headers.update(failure.headers)
        return response

    def rate_headers(self, rpm: int, remaining: int, reset_in: float) -> dict[str, str]:
        reset = f"{math.ceil(reset_in * 1000)}ms" if reset_in < 1 else f"{math.ceil(reset_in)}s"
        return {
            "x-ratelimit-limit-requests": str(rpm),
            "x-ratelimit-remaining-requests": str(max(0, remaining)),
            "x-ratelimit-reset-requests": reset,
        }

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
        skill_id, content, versions, version, version_content = match.groups()
        if skill_id is None:
            if method == "GET":
                return self._list(workspace, query)
            if method == "POST":
                upload, _ = self._upload(headers, body, allowed=())
                return json_response(200, self.store.create(workspace, upload))
        elif content is not None:
            if method == "GET":
                return self._content(workspace, skill_id, None)
        elif versions is None:
            if method == "GET":
                return json_response(200, self._skill(workspace, skill_id))
            if method == "POST":
                return self._set_default(workspace, skill_id, body)
            if method == "DELETE":
                if not self.store.delete(workspace, skill_id):
                    raise not_found(f"skill {skill_id} not found")
                return json_response(
                    200, {"id": skill_id, "object": "skill.deleted", "deleted": True}
                )
        elif version is None:
            if method == "GET":
                return self._versions(workspace, skill_id, query)
            if method == "POST":
                return self._add_version(workspace, skill_id, headers, body)
        elif version_content is None:
            if method == "GET":
                return json_response(200, self._version(workspace, skill_id, version))
            if method == "DELETE":
                return self._delete_version(workspace, skill_id, version)
        elif method == "GET":
            return self._content(workspace, skill_id, self._number(skill_id, version))
        raise not_allowed(method)

    # -- skills ---------------------------------------------------------------------
    def _skill(self, workspace: str, skill_id: str) -> dict[str, Any]:
        found = self.store.get(workspace, skill_id)
        if found is None:  # also for another workspace's id: never reveal it exists
            raise not_found(f"skill {skill_id} not found")
        return found

    def _list(self, workspace: str, query: Mapping[str, str]) -> Response:
        limit, ascending = _limit(query), _ascending(query)
        page = self.store.page(workspace, limit, query.get("after") or None, ascending)
        if page is None:
            raise bad(f"after: {query.get('after')!r} is not a skill of this list")
        return _list(*page)

    def _set_default(self, workspace: str, skill_id: str, body: bytes) -> Response:
        self._skill(workspace, skill_id)
        try:
            payload = json.loads(body or b"null")
        except (ValueError, UnicodeDecodeError):
            raise bad('the body must be JSON: {"default_version": "N"}') from None
        if not isinstance(payload, dict) or set(payload) != {"default_version"}:
            raise bad('default_version: the body must be {"default_version": "N"}')
        raw = payload["default_version"]
        wanted = number(str(raw)) if isinstance(raw, str | int) else None
        if wanted is None:
            raise bad(f"default_version: {raw!r} is not a version number")
        try:
            updated = self.store.set_default(workspace, skill_id, wanted)
        except NoSuchVersion:
            raise bad(f"default_version: skill {skill_id} has no version {wanted}") from None
        if updated is None:
            raise not_found(f"skill {skill_id} not found")
        return json_response(200, updated)

    # -- versions -------------------------------------------------------------------
    @staticmethod
    def _number(skill_id: str, version: str) -> int:
        found = number(version)
        if found is None:
            raise not_found(f"version {version} of skill {skill_id} not found")
        return found

    def _versions(self, workspace: str, skill_id: str, query: Mapping[str, str]) -> Response:
        self._skill(workspace, skill_id)
        limit, ascending = _limit(query), _ascending(query)
        page = self.store.versions(
            workspace, skill_id, limit, query.get("after") or None, ascending
        )
        if page is None:
            raise bad(f"after: {query.get('after')!r} is not a version of skill {skill_id}")
        return _list(*page)

    def _version(self, workspace: str, skill_id: str, version: str) -> dict[str, Any]:
        self._skill(workspace, skill_id)
        found = self.store.version(workspace, skill_id, self._number(skill_id, version))
        if found is None:
            raise not_found(f"version {version} of skill {skill_id} not found")
        return found

    def _add_version(
        self, workspace: str, skill_id: str, headers: Mapping[str, str], body: bytes
    ) -> Response:
        self._skill(workspace, skill_id)
        upload, form = self._upload(headers, body, allowed=("default",))
        raw = form.fields.get("default", "false")
        if raw not in ("true", "false"):
            raise UploadRefused(f"default: must be true or false (got {raw!r})")
        try:
            created = self.store.add_version(workspace, skill_id, upload, default=raw == "true")
        except NameMismatch as exc:
            raise bad(
                f"files: SKILL.md name {upload.name!r} differs from the skill's name "
                f"{exc.args[0]!r}; a skill keeps the name of its first upload"
            ) from None
        if created is None:
            raise not_found(f"skill {skill_id} not found")
        return json_response(200, created)

    def _delete_version(self, workspace: str, skill_id: str, version: str) -> Response:
        found = self._version(workspace, skill_id, version)
        try:
            deleted = self.store.delete_version(workspace, skill_id, int(found["version"]))
        except IsDefault:
            raise bad(
                f"version: {version} is the default version of skill {skill_id} and cannot "
                "be deleted; make another version the default first"
            ) from None
        if not deleted:
            raise not_found(f"version {version} of skill {skill_id} not found")
        return json_response(
            200,
            {
                "id": found["id"],
                "object": "skill.version.deleted",
                "deleted": True,
                "version": found["version"],
            },
        )

    def _content(self, workspace: str, skill_id: str, version: int | None) -> Response:
        self._skill(workspace, skill_id)
        found = self.store.content(workspace, skill_id, version)
        if found is None:
            raise not_found(f"version {version} of skill {skill_id} not found")
        name, data = found
        return zip_response(name, data)

    # -- uploads ----------------------------------------------------------------------
    def _upload(
        self, headers: Mapping[str, str], body: bytes, *, allowed: tuple[str, ...]
    ) -> tuple[VersionContent, Form]:
        """The checked content of an upload: ``files[]`` parts, or one ``files`` zip."""
        if len(body) > self.max_body_bytes:
            raise UploadRefused(self.too_large)
        form = parse_form(headers.get("content-type", ""), body, OPENAI_RULES)
        unknown = sorted(set(form.fields) - set(allowed))
        if unknown:
            expected = ", ".join((*FILE_FIELDS, *allowed))
            raise UploadRefused(f"{unknown[0]}: unknown field (allowed: {expected})")
        files = form.files
        if len(files) == 1 and (files[0][1].startswith(ZIP_MAGIC) or files[0][0].endswith(".zip")):
            files = unzip_upload(files[0][1], OPENAI_RULES)
        return check_upload(files, OPENAI_RULES), form
