"""Read the remote for a plan (or a saved plan's staleness check).

List every page; name each listed skill that lacks a name (the anthropic dialect
lists skills without names: it downloads each one's content, which a plan then
compares without reading it again); then, in parallel, everything a plan compares
for each skill whose name the repository also defines (as soon as that skill has
loaded, for a plan), unless the list already carried it. The request bar of SPEC 8:
list pages plus one read per skill present on both sides (for the anthropic
dialect, one download per skill).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from skillsync.model import RemoteSkill, Skill
from skillsync.remote.base import Remote
from skillsync.render.read_progress import ReadProgress

BATCH = 500
"""Skills fetched in parallel before their answers are parsed on this thread: parsing
on the I/O threads mostly waits for the GIL (benchmarks/README.md); batches bound the
memory held."""


def read_remote(
    remote: Remote,
    full_names: Iterable[str],
    *,
    listed: list[RemoteSkill] | None = None,
    progress: ReadProgress | None = None,
) -> list[RemoteSkill]:
    """Every remote skill; everything a plan compares for each name in ``full_names``.
    ``listed`` is the list already read, if the caller has it."""
    listed = name_all(remote, remote.list_skills() if listed is None else listed, progress)
    readable = _readable(listed)
    to_read = sorted(readable[name] for name in set(full_names) if name in readable)
    if progress is not None:
        progress.start("skills", len(to_read))
    _read_full(remote, listed, to_read, {}, progress)
    if progress is not None:
        progress.close()
    return listed


def read_for_plan(
    remote: Remote,
    listed: list[RemoteSkill],
    arriving: Iterable[Sequence[Skill]],
    *,
    only: Collection[str] | None = None,
    progress: ReadProgress | None = None,
) -> tuple[dict[str, Skill], list[RemoteSkill]]:
    """The desired skills by name and the remote skills, read while the desired ones
    arrive (a plan's loading process sends them a chunk at a time): each listed skill
    the repository also defines (and ``only`` names) is read as soon as its desired
    skill is there, so the reads start while the repository is still loading.

    A remote field equal to the desired one keeps the desired object instead of its own
    copy, so a plan of skills in sync holds each text once (the peak-memory bar of
    SPEC 8). ``listed`` must be named (``name_all``)."""
    readable = _readable(listed)
    desired: dict[str, Skill] = {}
    if progress is not None:
        wanted = readable.keys() if only is None else readable.keys() & set(only)
        progress.start("skills", len(wanted))  # at most: some may not be in the repository
    for chunk in arriving:
        to_read = []
        for skill in chunk:
            desired[skill.name] = skill
            index = readable.get(skill.name)
            if index is None or listed[index].is_full:
                continue  # not on the remote, or read already (a name sent again)
            if only is None or skill.name in only:
                to_read.append(index)
        _read_full(remote, listed, to_read, desired, progress)
    if progress is not None:
        progress.close()
    # What is here already (downloaded to name it) is read in full: no request, and a
    # delete then shows what it removes.
    held = [i for i, s in enumerate(listed) if not s.is_full and remote.holds(s)]
    _read_full(remote, listed, held, desired, None)
    _fill_texts(remote, listed, desired)
    return desired, listed


def _readable(listed: list[RemoteSkill]) -> dict[str, int]:
    """The index of each listed skill that a plan reads in full: named once, not full yet."""
    counts = Counter(skill.name for skill in listed)
    return {
        skill.name: index
        for index, skill in enumerate(listed)
        if counts[skill.name] == 1 and not skill.is_full and skill.foreign is None
    }


def _read_full(
    remote: Remote,
    listed: list[RemoteSkill],
    to_read: list[int],
    desired: Mapping[str, Skill],
    progress: ReadProgress | None,
) -> None:
    """Replace ``listed[i]`` by the full skill for each i of ``to_read``, in parallel."""

    def fetch(index: int) -> Any:
        fetched = remote.fetch_full(listed[index])
        if progress is not None:
            progress.step()
        if isinstance(fetched, RemoteSkill):
            # Parsed already, as a JSON answer is: its texts equal to the repository's are
            # shared at once, so a batch waiting for the calling thread holds no second copy.
            return _share(fetched, desired.get(fetched.name))
        return fetched

    for start in range(0, len(to_read), BATCH):
        batch = to_read[start : start + BATCH]
        for index, fetched in zip(batch, remote.map(fetch, batch), strict=True):
            mine = desired.get(listed[index].name)
            listed[index] = _share(remote.finish_full(listed[index], fetched, mine), mine)


def _fill_texts(remote: Remote, listed: list[RemoteSkill], desired: Mapping[str, Skill]) -> None:
    """Texts of the remote files a plan will diff (changed text files only) that were
    not read with the skill (the version cache keeps digests): cost what changed."""
    wanted: dict[int, list[str]] = {}
    for index, skill in enumerate(listed):
        mine = desired.get(skill.name)
        if skill.files is None or mine is None or mine.files is None:
            continue
        ours = {entry.path: entry for entry in mine.files}
        paths = [
            entry.path
            for entry in skill.files
            if entry.text is None
            and entry.path in ours
            and ours[entry.path].digest != entry.digest
            and (ours[entry.path].text is not None or mine.partial)  # partial: not read yet
        ]
        if paths:
            wanted[index] = paths
    indexes = list(wanted)
    filled = remote.map(lambda i: remote.with_texts(listed[i], wanted[i]), indexes)
    for index, skill in zip(indexes, filled, strict=True):
        listed[index] = skill


def name_all(
    remote: Remote, listed: list[RemoteSkill], progress: ReadProgress | None = None
) -> list[RemoteSkill]:
    """The list with every skill named (the anthropic dialect lists skills without
    their names: one download each, unless the version cache knows it)."""
    listed = list(listed)
    unnamed = [index for index, skill in enumerate(listed) if not skill.name]

    def read_name(skill: RemoteSkill) -> RemoteSkill:
        named = remote.read_name(skill)
        if progress is not None:
            progress.step()
        return named

    if progress is not None and unnamed:
        progress.start("skill names", len(unnamed))
    named = remote.map(read_name, [listed[index] for index in unnamed])
    for index, skill in zip(unnamed, named, strict=True):
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
