"""The seed dialect (README: the seed dialect): JSON skills with name, description,
instructions and version, paged with ``after_id``/``has_more``."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from skillsync import schemas
from skillsync.emulator.answers import (
    ApiFailure,
    Response,
    bad,
    json_response,
    not_allowed,
    not_found,
)
from skillsync.emulator.front import Front
from skillsync.emulator.store import NameTaken, SkillStore
from skillsync.limits import MAX_SEED_BODY_BYTES

_SKILL_PATH = re.compile(r"^/v1/skills/([^/]+)$")
CREATE_FIELDS = ("name", "description", "instructions", "version")
PATCH_FIELDS = ("description", "instructions", "version")


class SeedApi(Front):
    api = "seed"
    max_body_bytes = MAX_SEED_BODY_BYTES
    too_large = "request body is larger than 1 MiB"
    missing_key = "x-api-key header is required"
    request_id_in_errors = False

    def __init__(self, store: SkillStore) -> None:
        self.store = store

    @staticmethod
    def route_name(method: str, path: str) -> str:
        return f"{method} /v1/skills/{{id}}" if _SKILL_PATH.match(path) else f"{method} {path}"

    def dispatch(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        body: bytes,
        workspace: str,
    ) -> Response:
        if path == "/v1/skills":
            if method == "GET":
                return self._list(workspace, query)
            if method == "POST":
                return self._create(workspace, self._body(headers, body))
            raise not_allowed(method)
        match = _SKILL_PATH.match(path)
        if not match:
            raise not_found(f"no such endpoint: {method} {path}")
        skill_id = match.group(1)
        if method == "GET":
            return json_response(200, self._found(self.store.get(workspace, skill_id), skill_id))
        if method == "PATCH":
            fields = self._patch_fields(self._body(headers, body))
            updated = self.store.update(workspace, skill_id, fields)
            return json_response(200, self._found(updated, skill_id))
        if method == "DELETE":
            if not self.store.delete(workspace, skill_id):
                self._found(None, skill_id)
            return json_response(200, {"id": skill_id, "type": "skill_deleted"})
        raise not_allowed(method)

    @staticmethod
    def _found(skill: dict[str, Any] | None, skill_id: str) -> dict[str, Any]:
        if skill is None:  # also for another workspace's id: never reveal it exists
            raise not_found(f"skill {skill_id} not found")
        return skill

    def _list(self, workspace: str, query: Mapping[str, str]) -> Response:
        raw_limit = query.get("limit", "20")
        if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 100:
            raise bad(f"limit: must be an integer from 1 to 100 (got {raw_limit!r})")
        after_id = query.get("after_id") or None
        page = self.store.list(workspace, int(raw_limit), after_id)
        if page is None:
            raise bad(f"after_id: no skill {after_id} in this workspace")
        items, has_more = page
        data = [{"id": s["id"], "name": s["name"], "description": s["description"]} for s in items]
        return json_response(
            200,
            {
                "data": data,
                "has_more": has_more,
                "first_id": data[0]["id"] if data else None,
                "last_id": data[-1]["id"] if data else None,
            },
        )

    def _create(self, workspace: str, body: dict[str, Any]) -> Response:
        unknown = sorted(set(body) - set(CREATE_FIELDS))
        if unknown:
            raise bad(f"{unknown[0]}: unknown field (allowed: {', '.join(CREATE_FIELDS)})")
        for name in CREATE_FIELDS:
            if name not in body:
                raise bad(f"{name}: field required")
            _check_field(name, body[name])
        try:
            return json_response(200, self.store.create(workspace, body))
        except NameTaken:
            raise ApiFailure(
                409, "conflict_error", f"name: a skill named {body['name']!r} already exists"
            ) from None

    @staticmethod
    def _patch_fields(body: dict[str, Any]) -> dict[str, str]:
        if "name" in body:
            raise bad("name: is immutable; create a new skill to rename")
        unknown = sorted(set(body) - set(PATCH_FIELDS))
        if unknown:
            raise bad(f"{unknown[0]}: unknown field (allowed: {', '.join(PATCH_FIELDS)})")
        if not body:
            raise bad("body must set at least one of description, instructions, version")
        for name, value in body.items():
            _check_field(name, value)
        return {k: body[k] for k in PATCH_FIELDS if k in body}

    def _body(self, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
        if len(body) > self.max_body_bytes:
            raise ApiFailure(413, "request_too_large", self.too_large)
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise bad(f"content-type must be application/json (got {content_type or 'none'!r})")
        try:
            parsed = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise bad(f"request body is not valid JSON: {exc}") from None
        if not isinstance(parsed, dict):
            raise bad("request body must be a JSON object")
        return parsed


def _check_field(name: str, value: Any) -> None:
    if not isinstance(value, str):
        raise bad(f"{name}: must be a string")
    if name == "name":
        if not schemas.is_valid_name(value):
            raise bad("name: must be 1-64 characters of a-z, 0-9 and single inner hyphens")
    elif name == "description":
        if not 1 <= len(value) <= 1024:
            raise bad("description: must be 1-1024 characters")
        if "<" in value or ">" in value:
            raise bad("description: must not contain < or >")
    elif name == "version":
        if not schemas.field_validator("skill.schema.json", "version").is_valid(value):
            raise bad("version: must be a semantic version such as 1.2.0")
    elif name == "instructions" and not value:
        raise bad("instructions: must not be empty")
