"""The planner: desired skills and remote skills in, a Plan out.

A pure function (no I/O, no clock): table-driven tests need no server, and the
same inputs always give the same plan. Skills are matched by name; a skill's
content (the fields, or a file tree's path -> digest map) is compared field by
field with plain equality, the cheapest and clearest diff, so no generic
deep-diff runs here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from skillsync.model import CONTENT_FIELDS, EXECUTABLE, FileTree, RemoteSkill, Skill
from skillsync.plan import Change, FileChange, Plan, Scope, matches
from skillsync.render.diff import unified


@dataclass(frozen=True)
class Rules:
    """What the config says about ownership, safety and policy for one target."""

    manage: tuple[str, ...] | None = None
    protect: tuple[str, ...] = ()
    max_delete_percent: float = 30
    min_managed: int = 10
    version_bump: str = "warn"
    promote: str = "auto"
    """Where remote skills have a default pointer (openai): ``auto`` plans moving a
    lagging pointer to the latest version; ``manual`` only notes it."""


def make_plan(
    desired: Iterable[Skill],
    remote: Iterable[RemoteSkill],
    rules: Rules,
    *,
    target: str,
    base_url: str,
    only: Iterable[str] | None = None,
    created_at: str = "",
) -> Plan:
    only_set = None if only is None else frozenset(only)
    wanted = sorted(
        (s for s in desired if only_set is None or s.name in only_set), key=lambda s: s.name
    )
    remote = list(remote)
    by_name: dict[str, list[RemoteSkill]] = defaultdict(list)
    for item in remote:
        by_name[item.name].append(item)
    conflicts = {n: sorted(s.id for s in group) for n, group in by_name.items() if len(group) > 1}
    unique = {n: group[0] for n, group in by_name.items() if len(group) == 1}

    changes: list[Change] = []
    warnings: list[str] = []
    unsafe: list[str] = []
    errors: list[str] = []
    unchanged = 0
    taken_over: set[str] = set()

    for conflict, ids in sorted(conflicts.items()):
        if only_set is None or conflict in only_set:
            warnings.append(
                f"{len(ids)} remote skills are named '{conflict}' ({', '.join(ids)}); "
                "left alone until only one remains"
            )

    for skill in wanted:
        if skill.name in conflicts:
            continue
        current = unique.get(skill.name)
        if current is not None and current.foreign is not None:
            warnings.append(f"'{skill.name}' is {current.foreign}: left alone")
            continue
        if current is not None:
            _check_display_name(skill, current, warnings)
            changed = _changed_fields(skill, current)
            if not changed and current.default_lags:
                pointer = _pointer_change(skill, current, rules, warnings)
                if pointer is not None:
                    changes.append(pointer)
                    continue
            if not changed:
                unchanged += 1
                continue
            changes.append(
                Change(
                    "update",
                    skill.name,
                    id=current.id,
                    source=skill.source,
                    origin=skill.origin,
                    changed=changed,
                    before=current.content(),
                    after=skill.content(),
                    files=file_changes(current.files, skill.files, skill.source),
                )
            )
            _check_version_bump(skill, changed, rules.version_bump, warnings, errors)
            continue
        old = next((unique[n] for n in skill.renamed_from if n in unique), None)
        if old is not None and old.name not in taken_over:
            taken_over.add(old.name)
            if matches(old.name, rules.protect):
                unsafe.append(
                    f"'{old.name}' is protected: the replace by '{skill.name}' would delete it "
                    "(with --force, it is created and the old skill kept)"
                )
            elif old.foreign is not None or not matches(old.name, rules.manage):
                warnings.append(
                    f"'{old.name}' (renamed to '{skill.name}') is not managed by this "
                    "repository; it is kept and the new skill created"
                )
            else:
                changes.append(
                    Change(
                        "replace",
                        skill.name,
                        id=old.id,
                        source=skill.source,
                        origin=skill.origin,
                        from_name=old.name,
                        before=old.content(),
                        after=skill.content(),
                        files=file_changes(None, skill.files, skill.source),
                    )
                )
                continue
        changes.append(
            Change(
                "create",
                skill.name,
                source=skill.source,
                origin=skill.origin,
                after=skill.content(),
                files=file_changes(None, skill.files, skill.source),
            )
        )

    desired_names = {s.name for s in wanted}
    unmanaged = 0
    managed = 0
    for name, current in sorted(unique.items()):
        is_managed = current.foreign is None and matches(name, rules.manage)
        managed += is_managed
        if name in desired_names or name in taken_over:
            continue
        if only_set is not None and name not in only_set:
            continue
        if not is_managed:
            unmanaged += 1
        elif matches(name, rules.protect):
            unsafe.append(f"protected skill '{name}' has no file; protect forbids deleting it")
        else:
            changes.append(Change("delete", name, id=current.id, before=current.content()))

    deletes = sum(1 for c in changes if c.action == "delete")
    too_many = _too_many_deletes(deletes, managed, rules)
    if too_many:
        unsafe.append(too_many)
    if not wanted and deletes and only_set is None:  # whatever the thresholds
        unsafe.append(
            f"the repository defines no skill, so the plan deletes every managed skill "
            f"({deletes}); check the skills globs of skillsync.yaml, or pass --force if it "
            "really holds none any more"
        )

    names = desired_names | {old for s in wanted for old in s.renamed_from}
    scope = Scope(
        manage=rules.manage,
        names=tuple(sorted(names)),
        only=None if only_set is None else tuple(sorted(only_set)),
        full=tuple(sorted(n for n in desired_names if n in by_name)),
    )
    return Plan(
        target=target,
        base_url=base_url,
        changes=tuple(sorted(changes, key=lambda c: (c.name, c.action))),
        unchanged=unchanged,
        unmanaged=unmanaged,
        scope=scope,
        remote_fingerprint=scope.fingerprint(remote),
        warnings=tuple(warnings),
        unsafe=tuple(unsafe),
        errors=tuple(errors),
        conflicts=tuple(
            sorted(
                (n, tuple(ids)) for n, ids in conflicts.items() if only_set is None or n in only_set
            )
        ),
        created_at=created_at,
    )


def _changed_fields(skill: Skill, current: RemoteSkill) -> tuple[str, ...]:
    if not current.is_full:
        raise ValueError(f"remote skill {current.name} was not read in full")
    wanted = skill.content()
    have = current.content()
    return tuple(f for f in CONTENT_FIELDS if f in wanted and wanted[f] != have.get(f))


def _pointer_change(
    skill: Skill, current: RemoteSkill, rules: Rules, warnings: list[str]
) -> Change | None:
    """A skill in sync whose default pointer lags its latest version: with ``promote:
    auto`` someone moved it, and the plan moves it back (nothing is uploaded); with
    ``manual`` it is the staged rollout, noted."""
    if rules.promote != "auto":
        warnings.append(
            f"'{skill.name}': the default version is {current.default_version}, the latest "
            f"{current.version_id} (promote: manual); skillsync promote {skill.name} makes "
            "the latest the default"
        )
        return None
    return Change(
        "update",
        skill.name,
        id=current.id,
        source=skill.source,
        origin=skill.origin,
        changed=("default_version",),
        before={"default_version": current.default_version},
        after={"default_version": current.version_id},
    )


def file_changes(
    before: FileTree | None, after: FileTree | None, source: str
) -> tuple[FileChange, ...]:
    """The files that differ between two trees (None: no tree, the seed dialect)."""
    if after is None:
        return ()
    old = {f.path: f for f in before or ()}
    new = {f.path: f for f in after}
    out = []
    for path in sorted(old.keys() | new.keys()):
        was, now = old.get(path), new.get(path)
        if source.endswith("/SKILL.md"):
            label = f"{source.rsplit('/', 1)[0]}/{path}"
        else:
            label = f"{path} (from {source})" if source else path
        if was is None and now is not None:
            added = None if now.text is None else tuple(unified("", now.text, "/dev/null", label))
            out.append(FileChange(path, "add", size_after=now.size, diff=added))
        elif now is None and was is not None:
            out.append(FileChange(path, "remove", size_before=was.size))
        elif was is not None and now is not None and was.digest != now.digest:
            diff: tuple[str, ...] | None = None
            if was.digest.removesuffix(EXECUTABLE) == now.digest.removesuffix(EXECUTABLE):
                bit = "set" if now.digest.endswith(EXECUTABLE) else "cleared"
                diff = (f"(same content; its execute bit is {bit})",)
            elif was.text is not None and now.text is not None:
                diff = tuple(unified(was.text, now.text, f"remote/{path}", label))
            out.append(FileChange(path, "change", was.size, now.size, diff))
    return tuple(out)


def _check_display_name(skill: Skill, current: RemoteSkill, warnings: list[str]) -> None:
    """The API cannot change a display name: a difference is a warning, never a change."""
    wanted, have = skill.display_name, current.display_name
    if wanted is not None and have is not None and wanted != have:
        warnings.append(
            f"'{skill.name}': display_name is {have!r} on the remote and {wanted!r} in "
            f"{skill.source or 'its file'}; the API cannot change it (it is set at creation), "
            "so it is left as it is"
        )


def _check_version_bump(
    skill: Skill, changed: tuple[str, ...], policy: str, warnings: list[str], errors: list[str]
) -> None:
    if policy == "off" or "version" in changed or not skill.versioned:
        return
    fields = " and ".join(f for f in changed if f != "version")
    message = (
        f"'{skill.name}': {fields} changed but version stayed {skill.version}; "
        f"bump it in {skill.source or 'its file'}"
    )
    (errors if policy == "error" else warnings).append(message)


def _too_many_deletes(deletes: int, managed: int, rules: Rules) -> str | None:
    if (
        managed >= rules.min_managed
        and managed
        and deletes * 100 > rules.max_delete_percent * managed
    ):
        return (
            f"the plan deletes {deletes} of {managed} managed skills "
            f"({deletes * 100 / managed:.0f}%), over safety.max_delete_percent "
            f"({rules.max_delete_percent:g}%)"
        )
    return None


def unsafe_now(
    changes: Iterable[Change], remote: Iterable[RemoteSkill], rules: Rules
) -> tuple[list[str], list[str]]:
    """The safety rules of the current config, checked again on a saved plan at apply time:
    a plan made before a ``protect`` was added (or edited by hand; its checksum proves no
    author) must not delete what the repository now protects or no longer manages.
    Returns (forbidden: never applied, unsafe: applied only with --force)."""
    reasons = []
    gone = [
        c.from_name if c.action == "replace" else c.name
        for c in changes
        if c.action in ("delete", "replace")
    ]
    for name in gone:
        assert name is not None
        if matches(name, rules.protect):
            reasons.append(f"'{name}' is protected by skillsync.yaml; the plan would delete it")
        elif not matches(name, rules.manage):
            reasons.append(f"'{name}' is not managed by this repository; the plan would delete it")
    managed = sum(1 for skill in remote if matches(skill.name, rules.manage))
    deletes = sum(1 for c in changes if c.action == "delete")
    too_many = _too_many_deletes(deletes, managed, rules)
    return reasons, [too_many] if too_many else []
