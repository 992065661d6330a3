"""The rules that need every skill file at once: one file per name (``duplicate-name``,
naming both places), and ``renamed_from`` entries that clash (``renamed-from``)."""

from __future__ import annotations

from collections import defaultdict

from skillsync.loader import SkillFile
from skillsync.model import Location, Problem


def cross_file(files: list[SkillFile]) -> list[Problem]:
    """Rules duplicate-name and renamed-from: what one file cannot know of the others."""
    problems: list[Problem] = []
    by_name: dict[str, list[SkillFile]] = defaultdict(list)
    for skill_file in files:
        if skill_file.name is not None:
            by_name[skill_file.name].append(skill_file)
    for name, defined in by_name.items():
        first = defined[0]
        for other in defined[1:]:
            assert other.name_at is not None
            problems.append(
                Problem(
                    other.name_at,
                    f"name: skill '{name}' is already defined in {first.name_at}; "
                    "each name may be defined once",
                    rule="duplicate-name",
                )
            )
    claimed: dict[str, Location] = {}
    for skill_file in files:
        for old, where in skill_file.renamed_at.items():
            if old == skill_file.name:
                problems.append(
                    Problem(
                        where,
                        f"renamed_from: '{old}' is this skill's own name",
                        rule="renamed-from",
                    )
                )
            elif old in by_name:
                problems.append(
                    Problem(
                        where,
                        f"renamed_from: '{old}' is still defined in {by_name[old][0].name_at}; "
                        "remove that file or this entry",
                        rule="renamed-from",
                    )
                )
            elif old in claimed:
                problems.append(
                    Problem(
                        where,
                        f"renamed_from: '{old}' is also claimed at {claimed[old]}; "
                        "one skill can take over an old name",
                        rule="renamed-from",
                    )
                )
            else:
                claimed[old] = where
    return problems
