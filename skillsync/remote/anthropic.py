"""The anthropic dialect: the real Skills API (README: The two dialects of the Skills API).

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

from skillsync.cache.versions import VersionCache, VersionRecord
from skillsync.errors import ApiError, HTTPStatusError
from skillsync.importer import SkillFiles, render_folder
from skillsync.loader import SKILL_MD
from skillsync.model import RemoteSkill, Skill, files_content
from skillsync.plan import Change
from skillsync.remote.base import Remote, refuse_repeated_cursor
from skillsync.remote.http import ApiHttp
from skillsync.tree import desired_files, read_skill_md, tree_of, unzip, with_tree

log = logging.getLogger("skillsync.client")

API_VERSION = "2026-10-21"
PAGE_LIMIT = 1000

Upload = list[tuple[str, tuple[str, bytes, str]]]


class AnthropicRemote(Remote):
    dialect = "anthropic"
    finish_on_caller = True  # unzipping and hashing on ten I/O threads mostly waits for the GIL
    heavy_projection = True  # rendering and hashing every skill's files

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
        super().__init__(ApiHttp(base_url, api_key, auth, **options))
        self.retain_versions = retain_versions
        self.cache = cache
        self._names: dict[str, str] = {}
        self._names_lock = threading.Lock()

    def close(self) -> None:
        if self.cache is not None:
            self.cache.close()
        super().close()

    # -- reading ----------------------------------------------------------------------
    def _pages(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        seen: set[str] = set()
        while True:
            page = self.http.request("GET", path, params=params).json()
            items.extend(page.get("data") or [])
            token = page.get("next_page")
            if not token:
                return items
            refuse_repeated_cursor(str(token), seen, self.base_url)
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
        return self._from_cache(skills)

    def _from_cache(self, skills: list[RemoteSkill]) -> list[RemoteSkill]:
        """Fill in what the version cache knows: versions never change."""
        if self.cache is None or not skills:
            return skills
        known = self.cache.get_many([s.version_id for s in skills if s.version_id])
        out = []
        for skill in skills:
            record = known.get(skill.version_id or "")
            if record is None:
                out.append(skill)
                continue
            with self._names_lock:
                self._names[skill.id] = record.name
            out.append(
                replace(
                    skill,
                    name=record.name,
                    description=record.description,
                    version=record.version,
                    files=record.files,
                )
            )
        full = sum(1 for s in out if s.files is not None)
        log.info(
            "version cache: %d of %d latest versions known (%d with their files); "
            "up to %d reads saved",
            len(known),
            len(skills),
            full,
            len(known) + full,
        )
        return out

    def _remember(self, skill_id: str, version_id: str, record: VersionRecord) -> None:
        with self._names_lock:
            self._names[skill_id] = record.name
        if self.cache is not None:
            self.cache.put(version_id, record)

    def read_name(self, skill: RemoteSkill) -> RemoteSkill:
        assert skill.version_id is not None
        version = self.http.request(
            "GET", f"/v1/skills/{skill.id}/versions/{skill.version_id}"
        ).json()
        named = replace(skill, name=str(version["name"]), description=str(version["description"]))
        self._remember(skill.id, skill.version_id, VersionRecord(named.name, named.description))
        return named

    def fetch_full(self, skill: RemoteSkill) -> tuple[RemoteSkill, bytes]:
        if not skill.name or not skill.description:
            skill = self.read_name(skill)  # what gets cached must be what the API says
        return skill, self._content(skill)

    def finish_full(
        self, skill: RemoteSkill, fetched: Any, mine: Skill | None = None
    ) -> RemoteSkill:
        skill, data = fetched
        version_id = skill.version_id
        assert version_id is not None
        files = unzip(skill.name, data)
        tree = tree_of(files, like=mine.files if mine else None)
        skill_md = next((e for e in tree if e.path == SKILL_MD), None)
        ours = {e.path: e for e in mine.files or ()} if mine is not None else {}
        if mine is not None and skill_md is not None and ours.get(SKILL_MD) is skill_md:
            version = mine.version  # the very SKILL.md the repository has: its version
        else:
            raw = dict(files).get(SKILL_MD, b"")
            version, _ = read_skill_md(raw.decode("utf-8", errors="replace"))
        full = replace(skill, files=tree, version=version)
        record = VersionRecord(full.name, full.description, version, full.files)
        self._remember(skill.id, version_id, record)
        return full

    def with_texts(self, skill: RemoteSkill, paths: list[str]) -> RemoteSkill:
        if skill.files is None or not paths:
            return skill
        texts = self.cache.texts(skill.version_id or "", paths) if self.cache else {}
        if set(paths) - set(texts):  # not all cached (large, or never stored): download
            downloaded = {e.path: e.text for e in tree_of(self._download(skill))}
            texts = {p: t for p, t in downloaded.items() if t is not None}
        return replace(
            skill,
            files=tuple(
                replace(e, text=texts[e.path]) if e.path in texts and e.text is None else e
                for e in skill.files
            ),
        )

    def project(self, skill: Skill) -> Skill:
        return with_tree(skill)

    def _content(self, skill: RemoteSkill) -> bytes:
        """The zip of the skill's latest version as listed."""
        path = f"/v1/skills/{skill.id}/versions/{skill.version_id}/content"
        return self.http.request("GET", path).content

    def _download(self, skill: RemoteSkill) -> list[tuple[str, bytes]]:
        return unzip(skill.name, self._content(skill))

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
            ).json()
            skill_id = str(answer["id"])
            # What was uploaded is what the new version holds: the next plan reads nothing.
            self._remember(skill_id, str(answer["latest_version_id"]), self._record(change, skill))
            return skill_id

        return self.http.write_once(
            send, lambda: self._find(change), f"create of skill '{change.name}'"
        )

    def update(self, change: Change, skill: Skill | None) -> str:
        assert change.id is not None
        skill_id = change.id
        upload = self._upload(change, skill)

        def send() -> str:
            version = self.http.request(
                "POST", f"/v1/skills/{skill_id}/versions", files=upload, ambiguous_fails=True
            ).json()
            record = replace(self._record(change, skill), description=str(version["description"]))
            self._remember(skill_id, str(version["id"]), record)
            return skill_id

        def resolve() -> str | None:
            latest = self.http.request("GET", f"/v1/skills/{skill_id}").json()
            listed = RemoteSkill(skill_id, "", "", version_id=latest["latest_version_id"])
            current = self.read_full(self.read_name(listed))
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

    @staticmethod
    def _record(change: Change, skill: Skill | None) -> VersionRecord:
        after = change.after or {}
        files = skill.files if skill is not None else None
        return VersionRecord(
            change.name, str(after.get("description", "")), after.get("version"), files
        )

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
                known = self._names.get(listed.id)
            if known is not None and known != change.name:
                continue
            named = listed if listed.name and listed.description else self.read_name(listed)
            if named.name != change.name:
                continue
            found = named if named.files is not None else self.read_full(named)
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
