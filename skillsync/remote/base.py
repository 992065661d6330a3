"""The seam between the engine and the wire: one small interface, a dialect per API.

The planner and the applier see only this: ``list_skills`` the workspace's skills,
``read_name`` what a list item lacks to be matched by name (the anthropic
dialect lists skills without their names), ``read_full`` everything a plan
compares, ``project`` a desired skill as the dialect compares it, and
``create``, ``update``, ``delete``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from skillsync.config import TargetConfig
from skillsync.errors import ApiError
from skillsync.importer import SkillFiles
from skillsync.model import RemoteSkill, Skill
from skillsync.options import ClientOptions
from skillsync.plan import Change
from skillsync.remote.http import ApiHttp

T = TypeVar("T")


MAX_PAGES = 10_000
"""Pages one list may take (a million skills at 100 a page): a server that hands out a new
cursor forever is stopped, not followed until memory runs out."""


def refuse_repeated_cursor(cursor: str, seen: set[str], base_url: str) -> None:
    """A list that hands out the same page cursor twice, or pages without end, would be
    read forever: stop."""
    if cursor in seen:
        raise ApiError(
            f"{base_url} repeated the page cursor {cursor[:40]!r} while listing skills; "
            "the list would never end",
            hint="the server is misbehaving; report it to whoever runs it",
        )
    if len(seen) >= MAX_PAGES:
        raise ApiError(
            f"{base_url} listed more than {MAX_PAGES:,} pages of skills; refusing to read on "
            "(a list that never ends)",
            hint="the server is misbehaving; report it to whoever runs it",
        )
    seen.add(cursor)


R = TypeVar("R")


class Remote(ABC):
    @property
    def caches(self) -> bool:
        """Whether this client keeps what it learns between runs (not under --no-cache):
        the repository's projections are then kept too."""
        return False

    def __init__(self, http: ApiHttp) -> None:
        self.http = http

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
        """The client of ``target``: ``url`` and ``key`` to send (the embedded emulator's
        when ``local``), ``endpoint`` as the user named it (caches are keyed by it),
        ``settings`` for its ``ApiHttp``."""
        return cls(url, key, **settings)  # type: ignore[call-arg,arg-type]

    @property
    def base_url(self) -> str:
        return self.http.base_url

    @property
    def parallelism(self) -> int:
        return self.http.parallelism

    def map(self, function: Callable[[T], R], items: Iterable[T]) -> list[R]:
        return self.http.map(function, items)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Remote:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, api_key=[REDACTED])"

    @abstractmethod
    def list_skills(self) -> list[RemoteSkill]:
        """Every skill of the workspace this repository may manage."""

    def read_name(self, skill: RemoteSkill) -> RemoteSkill:
        """``skill`` with its name and description (a no-op where the list has them)."""
        return skill

    def read_full(self, skill: RemoteSkill) -> RemoteSkill:
        """``skill`` with everything a plan compares."""
        return self.finish_full(skill, self.fetch_full(skill))

    @abstractmethod
    def fetch_full(self, skill: RemoteSkill) -> Any:
        """The requests of ``read_full``: run on worker threads, in parallel."""

    def finish_full(
        self, skill: RemoteSkill, fetched: Any, mine: Skill | None = None
    ) -> RemoteSkill:
        """The rest of ``read_full`` (parsing, digests), run on the calling thread:
        CPU work on many I/O threads mostly waits for the GIL. ``mine`` is the
        repository's skill of that name, whose equal parts may be shared."""
        result: RemoteSkill = fetched
        return result

    def holds(self, skill: RemoteSkill) -> bool:
        """Whether ``read_full`` of ``skill`` needs no request (its content is here)."""
        return False

    def with_texts(self, skill: RemoteSkill, paths: list[str]) -> RemoteSkill:
        """``skill`` with the texts of these files, for diffs (where they can be had)."""
        return skill

    def project(self, skill: Skill) -> Skill:
        """A desired skill as this dialect compares it."""
        return skill

    @abstractmethod
    def export_paths(self, name: str, directory: str) -> tuple[str, ...]:
        """The files ``import`` writes for skill ``name`` (the first is the skill file)."""

    @abstractmethod
    def export(self, skill: RemoteSkill, directory: str) -> SkillFiles:
        """The files ``import`` writes for ``skill``, read from the remote now."""

    @abstractmethod
    def create(self, change: Change, skill: Skill | None) -> str:
        """Create the skill of ``change``; its id."""

    @abstractmethod
    def update(self, change: Change, skill: Skill | None) -> str:
        """Bring the skill ``change.id`` to ``change.after``; its id."""

    @abstractmethod
    def delete(self, skill_id: str) -> None:
        """Delete a skill (its answer lost, then 404: done)."""

    def installed(self, name: str) -> str | None:
        """Where skill ``name`` is installed on this machine (a target that is a folder)."""
        return None

    def point(self, skill_id: str, version: str) -> None:
        """Make ``version`` the skill's default (dialects with ``default_pointer``)."""
        raise NotImplementedError(f"{type(self).__name__} has no default version")
