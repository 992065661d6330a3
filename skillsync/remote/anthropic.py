"""The anthropic dialect: the real Skills API (SPEC section 9).

A skill is a folder uploaded as multipart files; an update is a new immutable
version of the same skill, so its id (which applications reference) stays.
Only skills whose ``source`` is ``custom`` are ever listed, read or written.
"""

from __future__ import annotations

import logging
import mimetypes
import threading
from dataclasses import replace
from typing import Any

from skillsync.errors import ApiError, HTTPStatusError
from skillsync.importer import SkillFiles, render_folder
from skillsync.loader import SKILL_MD
from skillsync.model import RemoteSkill, Skill, files_content
from skillsync.plan import Change
from skillsync.remote.base import Remote
from skillsync.remote.http import ApiHttp
from skillsync.tree import desired_files, read_skill_md, tree_of, unzip, with_tree

log = logging.getLogger("skillsync.client")

API_VERSION = "2026-10-21"
PAGE_LIMIT = 1000

Upload = list[tuple[str, tuple[str, bytes, str]]]


class AnthropicRemote(Remote):
    dialect = "anthropic"

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        anthropic_version: str | None = None,
        workspace_id: str | None = None,
        retain_versions: int | None = None,
        **options: Any,
    ) -> None:
        auth = {
            "authorization": f"Bearer {api_key}",
            "anthropic-version": anthropic_version or API_VERSION,
        }
        if workspace_id:
            auth["anthropic-workspace-id"] = workspace_id
        super().__init__(ApiHttp(base_url, api_key, auth, **options))
        self.retain_versions = retain_versions
        self._names: dict[str, str] = {}
        self._names_lock = threading.Lock()

    # -- reading ----------------------------------------------------------------------
    def _pages(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        while True:
            page = self.http.request("GET", path, params=params).json()
            items.extend(page.get("data") or [])
            token = page.get("next_page")
            if not token:
                return items
            params = {**params, "page": token}

    def list_skills(self) -> list[RemoteSkill]:
        skills = []
        for item in self._pages("/v1/skills", {"limit": PAGE_LIMIT, "source": "custom"}):
            if (item.get("source") or {}).get("type") != "custom":
                continue  # never Anthropic's own skills, whatever the server sends
            if not item.get("latest_version_id"):
                log.warning("skill %s has no version; it is left alone", item.get("id"))
                continue
            skills.append(
                RemoteSkill(
                    id=str(item["id"]),
                    name="",
                    description="",
                    version_id=str(item["latest_version_id"]),
                    display_name=item.get("display_name"),
                )
            )
        return skills

    def read_name(self, skill: RemoteSkill) -> RemoteSkill:
        version = self.http.request(
            "GET", f"/v1/skills/{skill.id}/versions/{skill.version_id}"
        ).json()
        with self._names_lock:
            self._names[skill.id] = version["name"]
        return replace(skill, name=str(version["name"]), description=str(version["description"]))

    def read_full(self, skill: RemoteSkill) -> RemoteSkill:
        files = self._download(skill)
        skill_md = dict(files).get(SKILL_MD, b"").decode("utf-8", errors="replace")
        version, _ = read_skill_md(skill_md)
        return replace(skill, files=tree_of(files), version=version)

    def project(self, skill: Skill) -> Skill:
        return with_tree(skill)

    def _download(self, skill: RemoteSkill) -> list[tuple[str, bytes]]:
        path = f"/v1/skills/{skill.id}/versions/{skill.version_id}/content"
        return unzip(skill.name, self.http.request("GET", path).content)

    def export_paths(self, name: str, directory: str) -> tuple[str, ...]:
        return (f"{directory}/{name}/SKILL.md", f"{directory}/{name}")

    def export(self, skill: RemoteSkill, directory: str) -> SkillFiles:
        return render_folder(skill.name, self._download(skill), directory)

    # -- writing ----------------------------------------------------------------------
    def create(self, change: Change, skill: Skill | None) -> str:
        upload = self._upload(change, skill)
        data = {"display_name": skill.display_name} if skill and skill.display_name else None

        def send() -> str:
            answer = self.http.request(
                "POST", "/v1/skills", files=upload, data=data, ambiguous_fails=True
            )
            skill_id = str(answer.json()["id"])
            with self._names_lock:  # so a later lookup by name needs no read of it
                self._names[skill_id] = change.name
            return skill_id

        return self.http.write_once(
            send, lambda: self._find(change), f"create of skill '{change.name}'"
        )

    def update(self, change: Change, skill: Skill | None) -> str:
        assert change.id is not None
        skill_id = change.id
        upload = self._upload(change, skill)

        def send() -> str:
            self.http.request(
                "POST", f"/v1/skills/{skill_id}/versions", files=upload, ambiguous_fails=True
            )
            return skill_id

        def resolve() -> str | None:
            latest = self.http.request("GET", f"/v1/skills/{skill_id}").json()
            current = self.read_full(
                RemoteSkill(skill_id, change.name, "", version_id=latest["latest_version_id"])
            )
            return skill_id if _same_files(current, change) else None

        self.http.write_once(send, resolve, f"new version of skill '{change.name}'")
        if self.retain_versions:
            try:
                self._prune(skill_id, self.retain_versions)
            except ApiError as exc:
                raise ApiError(
                    f"uploaded the new version of '{change.name}' but could not delete its "
                    f"old versions: {exc}"
                ) from exc
        return skill_id

    def delete(self, skill_id: str) -> None:
        try:
            self.http.request("DELETE", f"/v1/skills/{skill_id}", missing_ok_after_retry=True)
        except HTTPStatusError as exc:
            if exc.status != 400 or "version" not in exc.api_message.lower():
                raise
            # An older server (the 2025 beta) deletes a skill only once its versions are.
            log.info("skill %s: deleting its versions first (%s)", skill_id, exc.api_message)
            for version in self._versions(skill_id):
                self._delete_version(skill_id, version)
            self.http.request("DELETE", f"/v1/skills/{skill_id}", missing_ok_after_retry=True)

    def _versions(self, skill_id: str) -> list[str]:
        """The skill's version ids, newest first."""
        path = f"/v1/skills/{skill_id}/versions"
        return [str(v["id"]) for v in self._pages(path, {"limit": PAGE_LIMIT})]

    def _delete_version(self, skill_id: str, version: str) -> None:
        self.http.request(
            "DELETE", f"/v1/skills/{skill_id}/versions/{version}", missing_ok_after_retry=True
        )

    def _prune(self, skill_id: str, keep: int) -> None:
        for version in self._versions(skill_id)[keep:]:
            self._delete_version(skill_id, version)

    def _upload(self, change: Change, skill: Skill | None) -> Upload:
        """The multipart files of ``change``, read from disk now and checked against the
        digests the plan recorded."""
        if skill is None:
            raise ApiError(f"skill '{change.name}' is not in the repository any more")
        files = desired_files(skill)
        planned = (change.after or {}).get("files")
        if files_content(tree_of(files)) != planned:
            raise ApiError(
                f"the files of skill '{change.name}' changed on disk after the plan was made",
                hint="run plan again",
            )
        return [
            (
                "files[]",
                (
                    f"{change.name}/{path}",
                    data,
                    mimetypes.guess_type(path)[0] or "application/octet-stream",
                ),
            )
            for path, data in files
        ]

    def _find(self, change: Change) -> str | None:
        """The id of a skill named as ``change`` holding its planned files, if one exists
        (an earlier create whose answer was lost); an error if one holds other files."""
        for listed in self.list_skills():
            with self._names_lock:
                name = self._names.get(listed.id)
            if name is None:
                name = self.read_name(listed).name
            if name != change.name:
                continue
            found = self.read_full(replace(listed, name=name))
            if _same_files(found, change):
                return found.id
            raise ApiError(
                f"create of skill '{change.name}' lost its answer, and a skill with that "
                f"name now exists with other files ({found.id})",
                hint="run plan again to see the remote as it is now",
            )
        return None


def _same_files(remote: RemoteSkill, change: Change) -> bool:
    planned = (change.after or {}).get("files")
    return remote.files is not None and files_content(remote.files) == planned
