"""The seed dialect: the JSON Skills API skillsync started from (README: Where skills go)."""

from __future__ import annotations

from typing import Any

from skillsync.errors import ApiError
from skillsync.importer import SkillFiles, render_skill
from skillsync.model import RemoteSkill, Skill
from skillsync.plan import Change
from skillsync.remote.base import Remote, refuse_repeated_cursor
from skillsync.remote.http import ApiHttp
from skillsync.remote.reply import Reply

API_VERSION = "2023-06-01"
PAGE_LIMIT = 100


class SeedRemote(Remote):
    def __init__(self, base_url: str, api_key: str, **options: Any) -> None:
        auth = {"x-api-key": api_key, "anthropic-version": API_VERSION}
        super().__init__(ApiHttp(base_url, api_key, auth, **options))

    # -- the API ----------------------------------------------------------------------
    def list_skills(self) -> list[RemoteSkill]:
        """Every skill of the workspace, following ``has_more``/``after_id``."""
        skills: list[RemoteSkill] = []
        params: dict[str, Any] = {"limit": PAGE_LIMIT}
        seen: set[str] = set()
        while True:
            page = self.http.request_json("GET", "/v1/skills", params=params)
            data = page.objects("data")
            skills.extend(map(_skill, data))
            if not page.get("has_more") or not data:
                return skills
            cursor = page.optional("last_id") or data[-1].ident("id")
            refuse_repeated_cursor(cursor, seen, self.base_url)
            params = {"limit": PAGE_LIMIT, "after_id": cursor}

    def get_skill(self, skill_id: str) -> RemoteSkill:
        return _skill(self.http.request_json("GET", f"/v1/skills/{skill_id}"))

    def find_by_name(self, name: str) -> list[RemoteSkill]:
        """Full records of the skills with this name (normally zero or one)."""
        return [self.get_skill(s.id) for s in self.list_skills() if s.name == name]

    def create_skill(self, content: dict[str, str]) -> RemoteSkill:
        """Create a skill; a lost answer is resolved by looking the name up, never by
        sending the create again blindly (an ambiguous write)."""

        def send() -> RemoteSkill:
            return _skill(
                self.http.request_json("POST", "/v1/skills", json=content, ambiguous_fails=True)
            )

        return self.http.write_once(
            send, lambda: self._adopt(content), f"create of {content['name']}"
        )

    def update_skill(self, skill_id: str, fields: dict[str, str]) -> RemoteSkill:
        return _skill(self.http.request_json("PATCH", f"/v1/skills/{skill_id}", json=fields))

    def delete_skill(self, skill_id: str) -> None:
        self.http.request("DELETE", f"/v1/skills/{skill_id}", missing_ok_after_retry=True)

    def _adopt(self, content: dict[str, str]) -> RemoteSkill | None:
        found = self.find_by_name(content["name"])
        if not found:
            return None
        for skill in found:
            if skill.content() == content:
                return skill
        raise ApiError(
            f"create of skill '{content['name']}' lost its answer, and a skill with that "
            f"name now exists with other content ({found[0].id})",
            hint="run plan again to see the remote as it is now",
        )

    # -- the engine's interface -------------------------------------------------------
    def fetch_full(self, skill: RemoteSkill) -> RemoteSkill:
        return self.get_skill(skill.id)

    def export_paths(self, name: str, directory: str) -> tuple[str, ...]:
        return (f"{directory}/{name}.yaml", f"{directory}/{name}.md")

    def export(self, skill: RemoteSkill, directory: str) -> SkillFiles:
        return render_skill(self.get_skill(skill.id), directory)

    def create(self, change: Change, skill: Skill | None) -> str:
        assert change.after is not None
        return self.create_skill(change.after).id

    def update(self, change: Change, skill: Skill | None) -> str:
        assert change.after is not None and change.id is not None
        fields = {name: change.after[name] for name in change.changed}
        return self.update_skill(change.id, fields).id

    def delete(self, skill_id: str) -> None:
        self.delete_skill(skill_id)


_FIELDS = frozenset({"id", "name", "description", "instructions", "version"})


def _skill(reply: Reply) -> RemoteSkill:
    """A skill as the seed API answers it (list items lack instructions and version)."""
    return RemoteSkill(
        id=reply.ident("id"),
        name=reply.text("name"),
        description=reply.optional("description") or "",
        instructions=reply.optional("instructions"),
        version=reply.optional("version"),
        extra={k: v for k, v in reply.items() if k not in _FIELDS},
    )
