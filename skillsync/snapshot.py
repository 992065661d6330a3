"""Read the remote for a plan (or a saved plan's staleness check).

List every page, then read in parallel the full record of each skill whose
name the repository also defines, unless the list items already carry
``instructions`` and ``version`` (SPEC section 8: list pages plus one read per
skill present on both sides).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import replace

from skillsync.client import SkillsClient
from skillsync.model import RemoteSkill, Skill


def read_remote(
    client: SkillsClient,
    full_names: Iterable[str],
    desired: Mapping[str, Skill] | None = None,
    *,
    listed: list[RemoteSkill] | None = None,
) -> list[RemoteSkill]:
    """Every remote skill; the full record for each name in ``full_names``.

    With ``desired``, a remote field equal to the desired one keeps the desired
    string object instead of its own copy, so a plan of skills in sync holds
    each instruction text once (the peak-memory bar of SPEC section 8).
    ``listed`` is the list already read, if the caller has it.
    """
    listed = client.list_skills() if listed is None else list(listed)
    wanted = set(full_names)
    counts = Counter(skill.name for skill in listed)
    to_read = [
        index
        for index, skill in enumerate(listed)
        if skill.name in wanted and counts[skill.name] == 1 and not skill.is_full
    ]

    def read(index: int) -> RemoteSkill:
        skill = client.get_skill(listed[index].id)
        return _share(skill, desired.get(skill.name)) if desired else skill

    for index, skill in zip(to_read, client.map(read, to_read), strict=True):
        listed[index] = skill
    return listed


def _share(remote: RemoteSkill, mine: Skill | None) -> RemoteSkill:
    if mine is None:
        return remote
    return replace(
        remote,
        description=mine.description
        if remote.description == mine.description
        else remote.description,
        instructions=mine.instructions
        if remote.instructions == mine.instructions
        else remote.instructions,
    )
