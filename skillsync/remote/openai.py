"""The openai dialect: OpenAI's Skills API (README: Where skills go).

The same SKILL.md folders as the anthropic dialect, the same bytes: a skill is
uploaded as multipart ``files[]``; an update is a new numbered version of the
same skill. A skill also has a ``default_version`` pointer, the version
applications get unless they pin one. With ``promote: auto`` every new version
is uploaded as the default and a pointer moved behind skillsync's back is drift
(the plan moves it back to the latest); with ``promote: manual`` versions are
uploaded as not default and ``skillsync promote`` moves the pointer.
"""

from __future__ import annotations

import logging
from typing import Any

from skillsync.cache.versions import VersionCache
from skillsync.config import TargetConfig
from skillsync.limits import MAX_OPENAI_UPLOAD_BYTES
from skillsync.model import RemoteSkill, Skill
from skillsync.options import ClientOptions
from skillsync.plan import Change
from skillsync.remote.base import Remote, refuse_repeated_cursor
from skillsync.remote.folders import FolderRemote, open_cache, same_files
from skillsync.remote.http import ApiHttp
from skillsync.remote.reply import Reply

log = logging.getLogger("skillsync.client")

PAGE_LIMIT = 100
POINTER = "default_version"
"""The field of a change that only moves the default pointer (nothing is uploaded)."""


class OpenAIRemote(FolderRemote):
    content_limit = 2 * MAX_OPENAI_UPLOAD_BYTES
    description_in_content = True  # the list's description is the default version's

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        organization: str | None = None,
        project: str | None = None,
        promote: str = "auto",
        retain_versions: int | None = None,
        cache: VersionCache | None = None,
        **options: Any,
    ) -> None:
        auth = {"authorization": f"Bearer {api_key}"}
        if organization:
            auth["openai-organization"] = organization
        if project:
            auth["openai-project"] = project
        super().__init__(
            ApiHttp(base_url, api_key, auth, **options),
            retain_versions=retain_versions,
            cache=cache,
        )
        self.promote = promote

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
        organization = None if local else target.setting("organization")
        project = None if local else target.setting("project")
        scope = "/".join(p for p in (organization, project) if p) or None
        return cls(
            url,
            key,
            organization=organization,
            project=project,
            promote=target.setting("promote", "auto"),
            retain_versions=target.setting("retain_versions"),
            cache=open_cache(options, f"openai:{endpoint}", scope, key),
            **settings,
        )

    def cache_key(self, skill_id: str, version: str) -> str:
        return f"{skill_id}@{version}"  # a version number is unique within its skill only

    # -- reading ----------------------------------------------------------------------
    def _pages(self, path: str, params: dict[str, Any]) -> list[Reply]:
        items: list[Reply] = []
        seen: set[str] = set()
        while True:
            page = self.http.request_json("GET", path, params=params)
            data = page.objects("data")
            items.extend(data)
            if not page.get("has_more") or not data:
                return items
            cursor = page.optional("last_id") or data[-1].ident("id")
            refuse_repeated_cursor(cursor, seen, self.base_url)
            params = {**params, "after": cursor}

    def list_skills(self) -> list[RemoteSkill]:
        skills = []
        for item in self._pages("/v1/skills", {"limit": PAGE_LIMIT, "order": "asc"}):
            skill_id = item.ident("id")
            if item.get("latest_version") is None or not item.get("name"):
                log.warning("skill %s has no version; it is left alone", skill_id)
                continue
            latest = item.ident("latest_version")
            default = item.get("default_version")
            skills.append(
                RemoteSkill(
                    id=skill_id,
                    name=item.text("name"),
                    description=item.optional("description") or "",
                    version_id=latest,
                    default_version=latest if default is None else item.ident("default_version"),
                )
            )
        return self._from_cache(skills)

    def content_path(self, skill: RemoteSkill) -> str:
        return f"/v1/skills/{skill.id}/versions/{skill.version_id}/content"

    # -- writing ----------------------------------------------------------------------
    def latest_of(self, created: Reply) -> str:
        return created.ident("latest_version")

    def update(self, change: Change, skill: Skill | None) -> str:
        assert change.id is not None
        skill_id = change.id
        if change.changed == (POINTER,):
            self.point(skill_id, str((change.after or {})[POINTER]))
            return skill_id
        upload = self._upload(change, skill)
        default = {"default": "true" if self.promote == "auto" else "false"}

        def send() -> str:
            version = self.http.request_json(
                "POST",
                f"/v1/skills/{skill_id}/versions",
                files=upload,
                data=default,
                ambiguous_fails=True,
            )
            record = self._record(change, skill)
            self._remember(skill_id, version.ident("version"), record)
            return skill_id

        def resolve() -> str | None:
            latest = self.http.request_json("GET", f"/v1/skills/{skill_id}")
            listed = RemoteSkill(
                skill_id,
                latest.text("name"),
                latest.text("description"),
                version_id=latest.ident("latest_version"),
            )
            current = self.read_full(listed)
            return skill_id if same_files(current, change) else None

        self.http.write_once(send, resolve, f"new version of skill '{change.name}'")
        self._retain(skill_id, change)
        return skill_id

    def point(self, skill_id: str, version: str) -> None:
        """Make ``version`` the skill's default (the same request twice does no harm)."""
        self.http.request("POST", f"/v1/skills/{skill_id}", json={POINTER: version})

    def delete(self, skill_id: str) -> None:
        self.http.request("DELETE", f"/v1/skills/{skill_id}", missing_ok_after_retry=True)

    def prune(self, skill_id: str, keep: int) -> None:
        """Delete the versions beyond the newest ``keep``, never the default one."""
        default = self.http.request_json("GET", f"/v1/skills/{skill_id}").ident(POINTER)
        versions = self._pages(
            f"/v1/skills/{skill_id}/versions", {"limit": PAGE_LIMIT, "order": "desc"}
        )
        for version in [v.ident("version") for v in versions][keep:]:
            if version != default:
                self.http.request(
                    "DELETE",
                    f"/v1/skills/{skill_id}/versions/{version}",
                    missing_ok_after_retry=True,
                )
