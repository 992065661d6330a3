"""The anthropic dialect: Anthropic's Skills API (README: Where skills go).

A skill is a folder uploaded as multipart files; an update is a new immutable
version of the same skill, so its id (which applications reference) stays.
Only skills whose ``source`` is ``custom`` are ever listed, read or written.
What the folder dialects share is ``folders.FolderRemote``.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from skillsync.cache.versions import VersionCache, VersionRecord
from skillsync.config import TargetConfig
from skillsync.errors import HTTPStatusError
from skillsync.model import RemoteSkill, Skill
from skillsync.options import ClientOptions
from skillsync.plan import Change
from skillsync.remote.base import Remote, refuse_repeated_cursor
from skillsync.remote.folders import FolderRemote, open_cache, same_files
from skillsync.remote.http import ApiHttp
from skillsync.remote.reply import Reply
from skillsync.tree import named_in

log = logging.getLogger("skillsync.client")

API_VERSION = "2026-10-21"
PAGE_LIMIT = 1000


class AnthropicRemote(FolderRemote):
    description_in_content = True  # a version's description is its SKILL.md's

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        anthropic_version: str | None = None,
        workspace_id: str | None = None,
        retain_versions: int | None = None,
        cache: VersionCache | None = None,
        **options: Any,
    ) -> None:
        auth = {
            "authorization": f"Bearer {api_key}",
            "anthropic-version": anthropic_version or API_VERSION,
        }
        if workspace_id:
            auth["anthropic-workspace-id"] = workspace_id
        super().__init__(
            ApiHttp(base_url, api_key, auth, **options),
            retain_versions=retain_versions,
            cache=cache,
        )

    @classmethod
    def open(
        cls,
        target: TargetConfig,
        url: str,
        key: str,
        *,
        local: bool,
        endpoint: str,
        options: ClientOptions,
        **settings: Any,
    ) -> Remote:
        workspace_id = None if local else target.setting("workspace_id")
        return cls(
            url,
            key,
            anthropic_version=target.setting("anthropic_version"),
            workspace_id=workspace_id,
            retain_versions=target.setting("retain_versions"),
            cache=open_cache(options, endpoint, workspace_id, key),
            **settings,
        )

    # -- reading ----------------------------------------------------------------------
    def _pages(self, path: str, params: dict[str, Any]) -> list[Reply]:
        items: list[Reply] = []
        seen: set[str] = set()
        while True:
            page = self.http.request_json("GET", path, params=params)
            items.extend(page.objects("data"))
            token = page.optional("next_page")
            if not token:
                return items
            refuse_repeated_cursor(token, seen, self.base_url)
            params = {**params, "page": token}

    def list_skills(self) -> list[RemoteSkill]:
        skills = []
        for item in self._pages("/v1/skills", {"limit": PAGE_LIMIT, "source": "custom"}):
            source = item.get("source")
            if not isinstance(source, dict) or source.get("type") != "custom":
                continue  # never Anthropic's own skills, whatever the server sends
            skill_id = item.ident("id")
            if not item.get("latest_version_id"):
                log.warning("skill %s has no version; it is left alone", skill_id)
                continue
            skills.append(
                RemoteSkill(
                    id=skill_id,
                    name="",
                    description="",
                    version_id=item.ident("latest_version_id"),
                    display_name=item.optional("display_name"),
                )
            )
        return self._from_cache(skills)

    def read_name(self, skill: RemoteSkill) -> RemoteSkill:
        """The list names no skill: its content does (the one top folder; the SKILL.md
        gives the description when the skill is read in full). The download is kept for
        ``fetch_full``: one request per skill. Content that names no skill (the server's
        fault) is named by its version."""
        assert skill.version_id is not None
        data = self._content(skill)
        self._downloaded[self.content_path(skill)] = data
        name = named_in(data) if len(data) <= self.content_limit else None
        if name is not None:
            return replace(skill, name=name)
        version = self.http.request_json(
            "GET", f"/v1/skills/{skill.id}/versions/{skill.version_id}"
        )
        named = replace(skill, name=version.text("name"), description=version.text("description"))
        self._remember(skill.id, skill.version_id, VersionRecord(named.name, named.description))
        return named

    def holds(self, skill: RemoteSkill) -> bool:
        return self.content_path(skill) in self._downloaded

    def content_path(self, skill: RemoteSkill) -> str:
        return f"/v1/skills/{skill.id}/versions/{skill.version_id}/content"

    # -- writing ----------------------------------------------------------------------
    def create_fields(self, skill: Skill | None) -> dict[str, str] | None:
        return {"display_name": skill.display_name} if skill and skill.display_name else None

    def latest_of(self, created: Reply) -> str:
        return created.ident("latest_version_id")

    def update(self, change: Change, skill: Skill | None) -> str:
        assert change.id is not None
        skill_id = change.id
        upload = self._upload(change, skill)

        def send() -> str:
            version = self.http.request_json(
                "POST", f"/v1/skills/{skill_id}/versions", files=upload, ambiguous_fails=True
            )
            record = replace(self._record(change, skill), description=version.text("description"))
            self._remember(skill_id, version.ident("id"), record)
            return skill_id

        def resolve() -> str | None:
            latest = self.http.request_json("GET", f"/v1/skills/{skill_id}")
            listed = RemoteSkill(skill_id, "", "", version_id=latest.ident("latest_version_id"))
            current = self.read_full(self.read_name(listed))
            return skill_id if same_files(current, change) else None

        self.http.write_once(send, resolve, f"new version of skill '{change.name}'")
        self._retain(skill_id, change)
        return skill_id

    def delete(self, skill_id: str) -> None:
        try:
            self.http.request("DELETE", f"/v1/skills/{skill_id}", missing_ok_after_retry=True)
        except HTTPStatusError as exc:
            if exc.status != 400:
                raise
            # An older server (the 2025 beta) deletes a skill only once its versions are.
            # Its refusal is told by the skill's state (versions left), not by its wording.
            versions = self._versions(skill_id)
            if not versions:
                raise
            log.info("skill %s: deleting its versions first (%s)", skill_id, exc.api_message)
            for version in versions:
                self._delete_version(skill_id, version)
            self.http.request("DELETE", f"/v1/skills/{skill_id}", missing_ok_after_retry=True)

    def _versions(self, skill_id: str) -> list[str]:
        """The skill's version ids, newest first."""
        path = f"/v1/skills/{skill_id}/versions"
        return [v.ident("id") for v in self._pages(path, {"limit": PAGE_LIMIT})]

    def _delete_version(self, skill_id: str, version: str) -> None:
        self.http.request(
            "DELETE", f"/v1/skills/{skill_id}/versions/{version}", missing_ok_after_retry=True
        )

    def prune(self, skill_id: str, keep: int) -> None:
        for version in self._versions(skill_id)[keep:]:
            self._delete_version(skill_id, version)
