"""Read the remote for a plan (or a saved plan's staleness check).

List every page, then read in parallel the full record of each skill whose
name the repository also defines, unless the list items already carry
``instructions`` and ``version`` (SPEC section 8: list pages plus one read per
skill present on both sides).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from skillsync.client import SkillsClient
from skillsync.model import RemoteSkill


def read_remote(client: SkillsClient, full_names: Iterable[str]) -> list[RemoteSkill]:
    listed = client.list_skills()
    wanted = set(full_names)
    counts = Counter(skill.name for skill in listed)
    to_read = [
        index
        for index, skill in enumerate(listed)
        if skill.name in wanted and counts[skill.name] == 1 and not skill.is_full
    ]
    full = client.map(lambda index: client.get_skill(listed[index].id), to_read)
    for index, skill in zip(to_read, full, strict=True):
        listed[index] = skill
    return listed
