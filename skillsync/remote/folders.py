"""What the folder dialects share: skills as SKILL.md folders with immutable versions.

Both Anthropic's and OpenAI's Skills APIs take a skill as a folder of files
(multipart ``files[]`` parts whose filenames are ``<name>/<path>``), keep every
upload as an immutable version and hand a version's files back as a zip. So the
upload, the download, the comparison of trees, the version cache (what a version
holds never changes), import and the resolution of a create whose answer was lost
live here once; a dialect module says how it lists, where a version's content
is, and how it writes.
"""

from __future__ import annotations

import logging
import mimetypes
import threading
from abc import abstractmethod
from dataclasses import replace
from typing import Any

from skillsync.cache.versions import VersionCache, VersionRecord, scope_of
from skillsync.errors import ApiError
from skillsync.importer import SkillFiles, render_folder
from skillsync.loader import SKILL_MD
from skillsync.model import RemoteSkill, Skill, files_content
from skillsync.options import ClientOptions
from skillsync.plan import Change
from skillsync.remote.base import Remote
from skillsync.remote.http import ApiHttp
from skillsync.remote.reply import Reply
from skillsync.tree import (
    MAX_CONTENT_BYTES,
    desired_files,
    read_skill_md,
    tree_of,
    unzip,
    with_tree,
)

log = logging.getLogger("skillsync.client")

Upload = list[tuple[str, tuple[str, bytes, str]]]


def open_cache(
    options: ClientOptions, endpoint: str, scope: str | None, key: str
) -> VersionCache | None:
    """The version cache of one endpoint and workspace, unless ``--no-cache``."""
    if not options.use_cache:
        return None
    return VersionCache.open(scope_of(endpoint, scope, key))


class FolderRemote(Remote):
    content_limit = MAX_CONTENT_BYTES
    """The most a version's zip may hold, and inflate to: twice what the dialect accepts in
    an upload, so that nothing the API took is refused on the way back, and no answer
    can make skillsync inflate without bound."""
    description_in_content = False
    """Whether a version's description is read from its SKILL.md (where the list gives
    another version's, as OpenAI's gives the default's) rather than kept as listed."""

    def __init__(
        self, http: ApiHttp, *, retain_versions: int | None, cache: VersionCache | None
    ) -> None:
        super().__init__(http)
        self.retain_versions = retain_versions
        self.cache = cache
        self._names: dict[str, str] = {}
        self._names_lock = threading.Lock()
        self._downloaded: dict[str, bytes] = {}
        """Content downloaded to name a skill (``read_name``), by its path, until
        ``fetch_full`` takes it."""

    @property
    def caches(self) -> bool:
        return self.cache is not None

    def close(self) -> None:
        if self.cache is not None:
            self.cache.close()
        super().close()

    # -- hooks of a dialect ------------------------------------------------------------
    def cache_key(self, skill_id: str, version: str) -> str:
        """What names one version in the version cache (a version id is unique on its own)."""
        return version

    @abstractmethod
    def content_path(self, skill: RemoteSkill) -> str:
        """Where the zip of ``skill``'s latest version is."""

    def create_fields(self, skill: Skill | None) -> dict[str, str] | None:
        """Form fields a create sends beside the files."""
        return None

    @abstractmethod
    def latest_of(self, created: Reply) -> str:
        """The latest version of a skill as the create's answer names it."""

    @abstractmethod
    def prune(self, skill_id: str, keep: int) -> None:
        """Delete the skill's versions beyond the newest ``keep`` (``retain_versions``)."""

    # -- reading ----------------------------------------------------------------------
    def _from_cache(self, skills: list[RemoteSkill]) -> list[RemoteSkill]:
        """Fill in what the version cache knows: versions never change."""
        if self.cache is None or not skills:
            return skills
        keys = {s.id: self.cache_key(s.id, s.version_id) for s in skills if s.version_id}
        known = self.cache.get_many(list(keys.values()))
        out = []
        for skill in skills:
            record = known.get(keys.get(skill.id, ""))
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

    def _remember(self, skill_id: str, version: str, record: VersionRecord) -> None:
        with self._names_lock:
            self._names[skill_id] = record.name
        if self.cache is not None:
            self.cache.put(self.cache_key(skill_id, version), record)

    def fetch_full(self, skill: RemoteSkill) -> tuple[RemoteSkill, bytes]:
        if not skill.name:
            skill = self.read_name(skill)
        return skill, self._content(skill)

    def finish_full(
        self, skill: RemoteSkill, fetched: Any, mine: Skill | None = None
    ) -> RemoteSkill:
        skill, data = fetched
        version_id = skill.version_id
        assert version_id is not None
        files = unzip(skill.name, data, self.content_limit)
        tree = tree_of(files, like=mine.files if mine else None)
        skill_md = next((e for e in tree if e.path == SKILL_MD), None)
        ours = {e.path: e for e in mine.files or ()} if mine is not None else {}
        description = skill.description
        if mine is not None and skill_md is not None and ours.get(SKILL_MD) is skill_md:
            version = mine.version  # the very SKILL.md the repository has: its fields
            if self.description_in_content:
                description = mine.description
        else:
            raw = dict(files).get(SKILL_MD, b"")
            version, described = read_skill_md(raw.decode("utf-8", errors="replace"))
            if self.description_in_content and described is not None:
                description = described
        full = replace(skill, files=tree, version=version, description=description)
        record = VersionRecord(full.name, full.description, version, full.files)
        self._remember(skill.id, version_id, record)
        return full

    def with_texts(self, skill: RemoteSkill, paths: list[str]) -> RemoteSkill:
        if skill.files is None or not paths:
            return skill
        key = self.cache_key(skill.id, skill.version_id or "")
        texts = self.cache.texts(key, paths) if self.cache else {}
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
        path = self.content_path(skill)
        kept = self._downloaded.pop(path, None)
        if kept is not None:
            return kept
        return self.http.request("GET", path, limit=self.content_limit + 1).content

    def _download(self, skill: RemoteSkill) -> list[tuple[str, bytes]]:
        return unzip(skill.name, self._content(skill), self.content_limit)

    def export_paths(self, name: str, directory: str) -> tuple[str, ...]:
        return (f"{directory}/{name}/SKILL.md", f"{directory}/{name}")

    def export(self, skill: RemoteSkill, directory: str) -> SkillFiles:
        return render_folder(skill.name, self._download(skill), directory)

    # -- writing ----------------------------------------------------------------------
    def create(self, change: Change, skill: Skill | None) -> str:
        upload = self._upload(change, skill)
        fields = self.create_fields(skill)

        def send() -> str:
            answer = self.http.request_json(
                "POST", "/v1/skills", files=upload, data=fields, ambiguous_fails=True
            )
            skill_id = answer.ident("id")
            # What was uploaded is what the new version holds: the next plan reads nothing.
            self._remember(skill_id, self.latest_of(answer), self._record(change, skill))
            return skill_id

        return self.http.write_once(
            send, lambda: self._find(change), f"create of skill '{change.name}'"
        )

    def _retain(self, skill_id: str, change: Change) -> None:
        """After a new version: ``retain_versions``."""
        if not self.retain_versions:
            return
        try:
            self.prune(skill_id, self.retain_versions)
        except ApiError as exc:
            raise ApiError(
                f"uploaded the new version of '{change.name}' but could not delete its "
                f"old versions: {exc}"
            ) from exc

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
            if same_files(found, change):
                return found.id
            raise ApiError(
                f"create of skill '{change.name}' lost its answer, and a skill with that "
                f"name now exists with other files ({found.id})",
                hint="run plan again to see the remote as it is now",
            )
        return None


def same_files(remote: RemoteSkill, change: Change) -> bool:
    planned = (change.after or {}).get("files")
    return remote.files is not None and files_content(remote.files) == planned
