"""The pure planner: every action and rule, table-driven, plus a property test."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skillsync.model import RemoteSkill, Skill
from skillsync.plan import Plan
from skillsync.planner import Rules
from tests.helpers.planning import have, plan_of, want


def actions(plan: Plan) -> list[tuple[str, str]]:
    return [(c.action, c.name) for c in plan.changes]


def test_create_update_delete_unchanged() -> None:
    plan = plan_of(
        [want("new"), want("same"), want("changed", "1.1.0", "New text.\n")],
        [have("same"), have("changed"), have("gone")],
    )
    assert actions(plan) == [("update", "changed"), ("delete", "gone"), ("create", "new")]
    update = plan.changes[0]
    assert update.changed == ("instructions", "version")
    assert update.id == "skill_changed"
    assert update.before == {
        "name": "changed",
        "description": "D.",
        "instructions": "Do it.\n",
        "version": "1.0.0",
    }
    assert update.after == want("changed", "1.1.0", "New text.\n").content()
    assert plan.summary == {
        "create": 1,
        "update": 1,
        "replace": 0,
        "delete": 1,
        "unchanged": 1,
        "unmanaged": 0,
        "conflict": 0,
    }
    assert plan.summary_line() == "Plan: 1 to add, 1 to change, 1 to destroy."


def test_only_changed_fields_are_listed() -> None:
    plan = plan_of([want("a", description="New.", version="2.0.0")], [have("a")])
    assert plan.changes[0].changed == ("description", "version")


def test_no_changes() -> None:
    plan = plan_of([want("a")], [have("a")])
    assert plan.changes == () and plan.unchanged == 1
    assert plan.summary_line() == "No changes. Remote skills match the repository."


def test_rename_is_a_replace() -> None:
    plan = plan_of([want("new-name", renamed_from=("old-name",))], [have("old-name")])
    [change] = plan.changes
    assert (change.action, change.name, change.from_name, change.id) == (
        "replace",
        "new-name",
        "old-name",
        "skill_old-name",
    )
    assert plan.totals == (1, 0, 1)
    assert plan.summary_line() == "Plan: 1 to add, 0 to change, 1 to destroy."


def test_rename_when_new_name_exists_is_an_update_and_old_is_deleted() -> None:
    plan = plan_of([want("new", renamed_from=("old",))], [have("new", "0.9.0"), have("old")])
    assert actions(plan) == [("update", "new"), ("delete", "old")]


def test_rename_of_missing_old_name_is_a_create() -> None:
    plan = plan_of([want("new", renamed_from=("old",))], [])
    assert actions(plan) == [("create", "new")]


def test_rename_of_unmanaged_skill_keeps_it() -> None:
    plan = plan_of([want("new", renamed_from=("old",))], [have("old")], Rules(manage=("team-*",)))
    assert actions(plan) == [("create", "new")]
    assert plan.warnings == (
        "'old' (renamed to 'new') is not managed by this repository; it is "
        "kept and the new skill created",
    )


def test_rename_of_protected_skill_is_unsafe() -> None:
    plan = plan_of(
        [want("new", renamed_from=("billing-old",))],
        [have("billing-old")],
        Rules(manage=("*",), protect=("billing-*",)),
    )
    assert actions(plan) == [("create", "new")]
    assert plan.unsafe == (
        "'billing-old' is protected: the replace by 'new' would delete it "
        "(with --force, it is created and the old skill kept)",
    )


def test_delete_only_what_manage_matches() -> None:
    remote = [have("team-a"), have("team-b"), have("other")]
    plan = plan_of([], remote, Rules(manage=("team-*",)))
    assert actions(plan) == [("delete", "team-a"), ("delete", "team-b")]
    assert plan.unmanaged == 1


def test_without_manage_nothing_is_deleted() -> None:
    plan = plan_of([want("a")], [have("a"), have("x"), have("y")], Rules())
    assert plan.changes == () and plan.unmanaged == 2


def test_protected_skill_is_never_deleted() -> None:
    plan = plan_of(
        [], [have("billing-faq"), have("x")], Rules(manage=("*",), protect=("billing-*",))
    )
    assert actions(plan) == [("delete", "x")]
    assert plan.unsafe == (
        "protected skill 'billing-faq' has no file; protect forbids deleting it",
        "the repository defines no skill, so the plan deletes every managed skill (1); check "
        "the skills globs of skillsync.yaml, or pass --force if it really holds none any more",
    )


def test_protected_skill_can_still_be_updated() -> None:
    plan = plan_of(
        [want("billing-faq", "2.0.0")],
        [have("billing-faq")],
        Rules(manage=("*",), protect=("billing-*",)),
    )
    assert actions(plan) == [("update", "billing-faq")] and plan.unsafe == ()


@pytest.mark.parametrize(
    ("managed", "deletes", "min_managed", "percent", "unsafe"),
    [
        (10, 3, 10, 30, False),  # exactly 30% is allowed
        (10, 4, 10, 30, True),  # 40% > 30%
        (9, 9, 10, 30, False),  # below min_managed: no threshold
        (10, 10, 10, 30, True),
        (20, 6, 10, 30, False),
        (20, 7, 10, 30, True),
        (10, 1, 10, 0, True),  # 0% allows no delete at all
        (10, 10, 10, 100, False),
        (1, 1, 0, 50, True),
    ],
)
def test_delete_threshold(
    managed: int, deletes: int, min_managed: int, percent: float, unsafe: bool
) -> None:
    remote = [have(f"s-{i}") for i in range(managed)]
    desired = [want(f"s-{i}") for i in range(deletes, managed)] + [want("elsewhere")]
    plan = plan_of(
        desired, remote, Rules(manage=("s-*",), max_delete_percent=percent, min_managed=min_managed)
    )
    assert plan.count("delete") == deletes
    assert bool(plan.unsafe) is unsafe
    if unsafe:
        assert plan.unsafe[0].startswith(f"the plan deletes {deletes} of {managed} managed skills")


def test_a_repository_with_no_skill_deletes_nothing_without_force() -> None:
    remote = [have(f"s-{i}") for i in range(3)]
    rules = Rules(manage=("*",), max_delete_percent=100, min_managed=10)
    plan = plan_of([], remote, rules)
    assert plan.count("delete") == 3
    assert plan.unsafe == (
        "the repository defines no skill, so the plan deletes every managed skill (3); check "
        "the skills globs of skillsync.yaml, or pass --force if it really holds none any more",
    )
    assert plan_of([], [], rules).unsafe == ()


def test_duplicate_remote_names_are_a_conflict_left_alone() -> None:
    remote = [have("dup", id="skill_1"), have("dup", id="skill_2", version="0.1.0"), have("x")]
    plan = plan_of([want("dup", "5.0.0")], remote)
    assert actions(plan) == [("delete", "x")]
    assert plan.conflicts == (("dup", ("skill_1", "skill_2")),)
    assert plan.warnings == (
        "2 remote skills are named 'dup' (skill_1, skill_2); left alone until only one remains",
    )
    assert plan_of([], remote).count("delete") == 1  # conflicting names are not deleted either


def test_skill_filter() -> None:
    plan = plan_of(
        [want("a", "2.0.0"), want("b", "2.0.0"), want("c")],
        [have("a"), have("b"), have("gone"), have("gone-too")],
        only=("a", "gone", "c"),
    )
    assert actions(plan) == [("update", "a"), ("create", "c"), ("delete", "gone")]
    assert plan.scope.only == ("a", "c", "gone")


@pytest.mark.parametrize(
    ("policy", "warnings", "errors"),
    [("off", 0, 0), ("warn", 1, 0), ("error", 0, 1)],
)
def test_version_bump_policy(policy: str, warnings: int, errors: int) -> None:
    rules = Rules(manage=("*",), version_bump=policy)
    plan = plan_of([want("a", instructions="New.\n")], [have("a")], rules)
    assert (len(plan.warnings), len(plan.errors)) == (warnings, errors)
    messages = plan.warnings + plan.errors
    if messages:
        assert messages[0] == (
            "'a': instructions changed but version stayed 1.0.0; bump it in skills/a.yaml"
        )
    bumped = plan_of([want("a", "1.0.1", instructions="New.\n")], [have("a")], rules)
    assert bumped.warnings == bumped.errors == ()


def test_plans_are_deterministic() -> None:
    desired = [want(f"s-{i}", "2.0.0") for i in range(30, 0, -1)]
    remote = [have(f"s-{i}") for i in range(50)]
    first = plan_of(desired, remote, created_at="2026-01-01T00:00:00Z")
    second = plan_of(
        list(reversed(desired)), list(reversed(remote)), created_at="2026-01-01T00:00:00Z"
    )
    assert first.to_json() == second.to_json()
    assert [c.name for c in first.changes] == sorted(c.name for c in first.changes)


def test_fingerprint_covers_the_managed_scope_only() -> None:
    rules = Rules(manage=("team-*",))
    base = plan_of([want("a")], [have("a"), have("team-x"), have("other")], rules)
    changed_outside = plan_of(
        [want("a")], [have("a"), have("team-x"), have("other", "9.0.0")], rules
    )
    changed_inside = plan_of(
        [want("a")], [have("a"), have("team-x", "9.0.0"), have("other")], rules
    )
    changed_desired = plan_of(
        [want("a")], [have("a", "0.0.1"), have("team-x"), have("other")], rules
    )
    assert base.remote_fingerprint == changed_outside.remote_fingerprint
    assert base.remote_fingerprint != changed_inside.remote_fingerprint
    assert base.remote_fingerprint != changed_desired.remote_fingerprint
    assert base.remote_fingerprint.startswith("sha256:")


# -- property: applying a plan to its remote gives the desired state -----------------------


def simulate(plan: Plan, remote: list[RemoteSkill]) -> list[RemoteSkill]:
    by_id = {s.id: s for s in remote}
    counter = 0
    for change in plan.changes:
        if change.action in ("delete", "replace"):
            del by_id[change.id]
        if change.action in ("create", "replace"):
            counter += 1
            by_id[f"new_{counter}"] = RemoteSkill(f"new_{counter}", **change.after)
        if change.action == "update":
            old = by_id[change.id]
            by_id[change.id] = RemoteSkill(old.id, **change.after)
    return list(by_id.values())


names = st.sampled_from([f"s{i}" for i in range(8)])
texts = st.text(max_size=20)
skills = st.builds(
    lambda n, d, i, v: (n, d or "D", i or "I", v),
    names,
    texts,
    texts,
    st.sampled_from(["1.0.0", "1.1.0", "2.0.0"]),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(skills, unique_by=lambda s: s[0]), st.lists(skills, unique_by=lambda s: s[0]))
def test_applying_a_plan_converges(desired_raw: list[Any], remote_raw: list[Any]) -> None:
    desired = [Skill(n, d, i, v) for n, d, i, v in desired_raw]
    remote = [RemoteSkill(f"id_{n}", n, d, i, v) for n, d, i, v in remote_raw]
    plan = plan_of(desired, remote, Rules(manage=("*",), max_delete_percent=100))
    after = simulate(plan, remote)
    assert sorted((s.name, s.description, s.instructions, s.version) for s in after) == sorted(
        desired_raw
    )
    again = plan_of(desired, after, Rules(manage=("*",)))
    assert again.changes == () and again.unchanged == len(desired)
