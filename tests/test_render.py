"""Renderers against golden files, the plan document, and the markdown size limit."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from skillsync.errors import StalePlan
from skillsync.plan import Plan
from skillsync.planner import Rules
from skillsync.render.plan_markdown import render_markdown
from skillsync.render.plan_text import render_text
from tests.helpers.planning import have, plan_of, want

GOLDEN = Path(__file__).parent / "golden"


def sample_plan() -> Plan:
    desired = [
        want("code-reviewer", "1.3.0", "Check for bugs.\nCheck tests.\nBe kind.\n"),
        want("new-skill", description='Brand new, with "quotes".', instructions="Line 1\nLine 2\n"),
        want("renamed", renamed_from=("old-name",)),
        want("same"),
        want("billing-x", description="Changed.", version="1.0.0"),
    ]
    remote = [
        have("code-reviewer", "1.2.0", "Check for bugs.\nCheck style.\nBe kind.\n"),
        have("old-name"),
        have("same"),
        have("obsolete"),
        have("billing-x"),
        have("billing-keep"),
        have("external", id="skill_ext"),
    ]
    rules = Rules(
        manage=("code-*", "new-*", "old-*", "renamed", "same", "obsolete", "billing-*"),
        protect=("billing-keep",),
    )
    return plan_of(desired, remote, rules, created_at="2026-11-25T12:00:00Z")


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_text_golden() -> None:
    out = io.StringIO()
    render_text(sample_plan(), out, color=False)
    check_golden("plan.txt", out.getvalue())


def test_text_colours_only_when_asked() -> None:
    out = io.StringIO()
    render_text(sample_plan(), out, color=True)
    assert "\x1b[32m" in out.getvalue() and "\x1b[31m" in out.getvalue()


def test_markdown_golden() -> None:
    check_golden("plan.md", render_markdown(sample_plan()))


def test_json_golden() -> None:
    check_golden("plan.json", sample_plan().to_json())


def test_plan_document_round_trips() -> None:
    plan = sample_plan()
    data = json.loads(plan.to_json())
    assert data["format_version"] == "1"
    assert data["summary"] == {
        "create": 1,
        "update": 2,
        "replace": 1,
        "delete": 1,
        "unchanged": 1,
        "unmanaged": 1,
        "conflict": 0,
    }
    assert Plan.from_dict(data) == plan


def test_tampered_plan_is_refused() -> None:
    data = json.loads(sample_plan().to_json())
    data["changes"][0]["after"]["instructions"] = "rm -rf /"
    with pytest.raises(StalePlan, match="does not match its checksum"):
        Plan.from_dict(data)


def test_unknown_format_version_is_refused() -> None:
    data = json.loads(sample_plan().to_json())
    data["format_version"] = "2"
    with pytest.raises(StalePlan, match="format_version '2'"):
        Plan.from_dict(data)


def _big_plan(count: int, lines: int) -> Plan:
    desired = [
        want(f"s-{i:03d}", "2.0.0", "".join(f"new line {n}\n" for n in range(lines)))
        for i in range(count)
    ]
    remote = [
        have(f"s-{i:03d}", "1.0.0", "".join(f"old line {n}\n" for n in range(lines)))
        for i in range(count)
    ]
    return plan_of(desired, remote, created_at="2026-11-25T12:00:00Z")


def test_markdown_is_cut_under_the_limit() -> None:
    plan = _big_plan(5, 2000)
    full = render_markdown(plan, limit=10**9)
    assert len(full) > 65_000
    cut = render_markdown(plan)
    assert len(cut) <= 65_000
    assert "lines cut to fit the comment size limit" in cut
    assert cut.rstrip().endswith("Run `skillsync plan` to see them in full.")
    assert cut.count("<details>") == 5
    check_golden("plan-cut-head.md", cut[:1500])


def test_markdown_with_too_many_changes_keeps_the_first() -> None:
    plan = _big_plan(400, 60)
    cut = render_markdown(plan)
    assert len(cut) <= 65_000
    shown = cut.count("<details>")
    assert 0 < shown < 400
    assert f"_{400 - shown} more changes not shown._" in cut
    assert "**Plan: 0 to add, 400 to change, 0 to destroy.**" in cut


def test_markdown_fence_outgrows_backticks_in_instructions() -> None:
    plan = plan_of([want("a", instructions="```python\nprint(1)\n```\n")], [])
    text = render_markdown(plan)
    assert "````diff\n" in text and "\n````\n" in text


@given(st.lists(st.sampled_from(["a", "b c", "\n", "\r\n", "\r", "\x0c", "\u2028"])))
def test_a_new_files_diff_is_what_difflib_gives(pieces: list[str]) -> None:
    """unified() writes a new file's diff itself (difflib's matcher is most of a large
    create plan's time); it must be line for line what difflib gives."""
    import difflib

    from skillsync.render.diff import _lines, unified

    text = "".join(pieces)
    expected: list[str] = []
    for chunk in difflib.unified_diff(_lines(""), _lines(text), "/dev/null", "new", n=3):
        expected.extend(chunk.rstrip("\r\n").split("\n"))
    assert unified("", text, "/dev/null", "new") == expected
