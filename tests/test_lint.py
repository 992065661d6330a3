"""validate's named rules (README "Skill checks"): each fires where it should, at the
offending place, and stays quiet on a close look-alike."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skillsync.lint.markdown import Span, code_spans, scan, scan_line
from skillsync.lint.overlap import Described, overlapping, shingles, similarity
from skillsync.lint.rules import LINT_RULES, RULES
from skillsync.lint.settings import LintSettings, path_matches
from skillsync.lint.skill_rules import check_skill
from skillsync.lint.trust import SECURITY_RULES
from skillsync.model import Location, Problem, SkillText
from tests.conftest import ROOT, run_cli, skill_yaml

GOOD = "Extracts tables from PDF files. Use when the user shares a PDF."


def folder(name: str, body: str = "Do it.\n", description: str = GOOD, extra: str = "") -> str:
    return f"---\nname: {name}\ndescription: {description}\n{extra}---\n{body}"  # body on line 5+


def findings(root: Path, *args: str) -> tuple[int, list[dict[str, Any]]]:
    result = run_cli("-C", str(root), "validate", "--format", "json", *args)
    assert "Traceback" not in result.output
    return result.exit_code, json.loads(result.stdout)["problems"]


def where(problems: list[dict[str, Any]], rule: str) -> list[tuple[str, int, int, str]]:
    return [(p["path"], p["line"], p["col"], p["severity"]) for p in problems if p["rule"] == rule]


# -- one case that fires, one close look-alike that does not, per rule ----------------------
CASES: list[tuple[str, dict[str, str], list[tuple[str, int, int, str]], int]] = [
    (
        "reserved-name",
        {
            "skills/claude-pdf/SKILL.md": folder("claude-pdf"),
            "skills/clause/SKILL.md": folder(
                "clause", description="Reads clauses of contracts. Use when a contract is shared."
            ),
        },
        [("skills/claude-pdf/SKILL.md", 2, 7, "error")],
        1,
    ),
    (
        "broken-link",
        {
            "skills/pdf/SKILL.md": folder(
                "pdf",
                "See [forms](reference/forms.md) and [ok](reference/ok.md#part).\n"
                "![chart](img/chart.png) [web](https://example.com) [top](#intro)\n"
                "`[code](nowhere.md)`\n```\n[fenced](nowhere.md)\n```\n"
                "[hidden](.secret.md) [other](../other/SKILL.md) [dir](reference/)\n",
            ),
            "skills/pdf/reference/ok.md": "ok\n",
            "skills/pdf/img/chart.png": "png",
            "skills/pdf/.secret.md": "never uploaded\n",
            "skills/other/SKILL.md": folder(
                "other", description="Other things done well. Use when other things come up."
            ),
        },
        [
            ("skills/pdf/SKILL.md", 5, 13, "error"),
            ("skills/pdf/SKILL.md", 11, 10, "error"),
        ],
        1,
    ),
    (
        "missing-file",
        {
            "skills/pdf/SKILL.md": folder(
                "pdf",
                "Run `scripts/fill.py`, then `scripts/check.py` or `scripts/*.sh`.\n"
                "Write `output/result.json` and `scripts/` is there; `python x.py` too.\n",
            ),
            "skills/pdf/scripts/check.py": "print()\n",
            "skills/pdf/scripts/run.sh": "true\n",
        },
        [("skills/pdf/SKILL.md", 5, 6, "warning")],
        0,
    ),
    (
        "nested-reference",
        {
            "skills/pdf/SKILL.md": folder("pdf", "Read [a](ref/a.md) and [b](ref/b.md).\n"),
            "skills/pdf/ref/a.md": "Then [c](c.md), and [back](../SKILL.md).\n",
            "skills/pdf/ref/b.md": "Nothing further; see [site](https://example.com).\n",
            "skills/pdf/ref/c.md": "deep\n",
        },
        [("skills/pdf/ref/a.md", 1, 10, "warning")],
        0,
    ),
    (
        "body-too-long",
        {
            "skills/long/SKILL.md": folder("long", "line\n" * 501),
            "skills/fits/SKILL.md": folder(
                "fits", "line\n" * 500, description="Fits in the limit. Use when it fits."
            ),
        },
        [("skills/long/SKILL.md", 505, 1, "warning")],
        0,
    ),
    (
        "description-person",
        {
            "skills/a.yaml": skill_yaml("a", description="I can fill forms. Use when asked."),
            "skills/b.yaml": skill_yaml("b", description="You can use this for forms, always."),
            "skills/c.yaml": skill_yaml(
                "c", description='Makes GIFs. Use for requests like "make me a GIF".'
            ),
            "skills/d.yaml": skill_yaml("d", description="Handles I/O of files. Use when asked."),
        },
        [("skills/a.yaml", 2, 14, "warning"), ("skills/b.yaml", 2, 14, "warning")],
        0,
    ),
    (
        "description-no-trigger",
        {
            "skills/a.yaml": skill_yaml("a", description="Extracts tables from PDF files."),
            "skills/b.yaml": skill_yaml("b", description="Extracts tables. Triggers on PDFs."),
        },
        [("skills/a.yaml", 2, 14, "warning")],
        0,
    ),
    (
        "vague-name",
        {
            "skills/helper.yaml": skill_yaml("helper"),
            "skills/pdf-utils.yaml": skill_yaml("pdf-utils"),
            "skills/helpers-guide.yaml": skill_yaml("helpers-guide"),
            "skills/data-cleaning.yaml": skill_yaml("data-cleaning"),
        },
        [("skills/helper.yaml", 1, 7, "warning"), ("skills/pdf-utils.yaml", 1, 7, "warning")],
        0,
    ),
    (
        "windows-path",
        {
            "skills/pdf/SKILL.md": folder(
                "pdf", "Run `scripts\\fill.py` or [s](scripts\\fill.py); `\\d+` is a regex.\n"
            ),
            "skills/pdf/scripts/fill.py": "print()\n",
        },
        [("skills/pdf/SKILL.md", 5, 6, "warning"), ("skills/pdf/SKILL.md", 5, 30, "warning")],
        0,
    ),
    (
        "missing-version",
        {"skills/pdf/SKILL.md": folder("pdf")},
        [],  # off by default
        0,
    ),
]


@pytest.mark.parametrize(("rule", "files", "expected", "code"), CASES, ids=[c[0] for c in CASES])
def test_each_rule_fires_at_its_place_and_nowhere_else(
    repo: Callable[..., Path],
    rule: str,
    files: dict[str, str],
    expected: list[tuple[str, int, int, str]],
    code: int,
) -> None:
    root = repo(files)
    exit_code, problems = findings(root)
    assert where(problems, rule) == expected
    assert exit_code == code
    others = [p for p in problems if p["rule"] != rule]
    assert others == [], others
    text = run_cli("-C", str(root), "validate").stdout.splitlines()
    for path, line, col, severity in expected:
        assert any(t.startswith(f"{path}:{line}:{col}: {severity}: ") for t in text), text
        assert any(t.endswith(f" [{rule}]") for t in text), text


def test_every_lint_rule_has_a_case() -> None:
    # tested on their own: test_trust.py, test_validate.py (unmatched-glob), below
    elsewhere = {"overlapping-descriptions", "upload-limits", "unmatched-glob", *SECURITY_RULES}
    assert {c[0] for c in CASES} == set(LINT_RULES) - elsewhere


def test_reserved_names_matter_only_to_anthropic_targets(repo: Callable[..., Path]) -> None:
    files = {"skills/claude-pdf/SKILL.md": folder("claude-pdf")}
    seed = "version: 1\ntargets:\n  t:\n    base_url: https://example.com\n    api: seed\n"
    assert findings(repo(files, config=seed)) == (0, [])


def test_a_link_into_another_skill_folder_must_find_an_uploaded_file(
    repo: Callable[..., Path],
) -> None:
    root = repo(
        {
            "skills/a/SKILL.md": folder(
                "a", "[ok](../b/ref.md) [no](../b/none.md) [cache](../b/__pycache__/x.md)\n"
            ),
            "skills/b/SKILL.md": folder("b", description="B things, done. Use when b."),
            "skills/b/ref.md": "ref\n",
            "skills/b/__pycache__/x.md": "cache\n",
            "notes/n.md": "not a skill\n",
        }
    )
    problems = findings(root)[1]
    assert where(problems, "broken-link") == [
        ("skills/a/SKILL.md", 5, 24, "error"),
        ("skills/a/SKILL.md", 5, 46, "error"),
    ]
    messages = [p["message"] for p in problems if p["rule"] == "broken-link"]
    assert messages[0].startswith("link to '../b/none.md': no such file in the skill's folder")
    assert messages[1].startswith("link to '../b/__pycache__/x.md': a hidden file, not uploaded")


def test_broken_links_in_other_markdown_files_are_located_there(
    repo: Callable[..., Path],
) -> None:
    root = repo(
        {
            "skills/pdf/SKILL.md": folder("pdf"),
            "skills/pdf/docs/guide.md": "# Guide\n\nSee [forms](forms.md).\n",
        }
    )
    exit_code, problems = findings(root)
    assert (exit_code, where(problems, "broken-link")) == (
        1,
        [("skills/pdf/docs/guide.md", 3, 13, "error")],
    )
    # validate FILE reports the problems of the skill's folder too
    only = run_cli("-C", str(root), "validate", str(root / "skills/pdf/SKILL.md"))
    assert "skills/pdf/docs/guide.md:3:13: error: link to 'forms.md'" in only.stdout


def test_overlapping_descriptions_name_both_files(repo: Callable[..., Path]) -> None:
    text = "Extracts tables and forms from PDF files and saves them. Use when a PDF is shared."
    root = repo(
        {
            "skills/a.yaml": skill_yaml("a", description=text),
            "skills/b/SKILL.md": folder("b", description=text.replace("shared", "given")),
            "skills/c.yaml": skill_yaml("c", description="Something else entirely. Use if asked."),
        }
    )
    exit_code, problems = findings(root)
    assert exit_code == 0
    [problem] = [p for p in problems if p["rule"] == "overlapping-descriptions"]
    assert (problem["path"], problem["line"], problem["col"]) == ("skills/b/SKILL.md", 3, 14)
    assert "'a' (skills/a.yaml:2:14)" in problem["message"]


def _others(message: str) -> int:
    found = re.search(r"\) and (\d+) other skills?;", message)
    return int(found.group(1)) if found else 0


def test_the_overlap_index_finds_exactly_the_pairs_all_pairs_would() -> None:
    words = [f"w{i}" for i in range(12)]

    @given(st.lists(st.lists(st.sampled_from(words), min_size=0, max_size=9), max_size=40))
    @settings(max_examples=150, deadline=None)
    def check(texts: list[list[str]]) -> None:
        skills = [Described(f"s{i}", " ".join(t), Location(f"f{i}")) for i, t in enumerate(texts)]
        sets = [shingles(s.description) for s in skills]
        close = {
            i: [j for j in range(len(sets)) if j != i and similarity(sets[i], sets[j]) >= 0.8]
            for i in range(len(sets))
        }
        brute = []
        for i, others in close.items():
            if any(j < i for j in others):  # reported once, where an earlier skill is close
                best = max(others, key=lambda j: (similarity(sets[i], sets[j]), -j))
                brute.append((skills[i].at.path, skills[best].name, len(others) - 1))
        fast = [
            (p.location.path, p.message.split("'")[1], _others(p.message))
            for p in overlapping(skills)
        ]
        assert fast == brute

    check()


def test_upload_limits_of_each_dialect(repo: Callable[..., Path]) -> None:
    from skillsync.lint.upload_limits import upload_limits
    from skillsync.loader import SkillFile
    from skillsync.model import Asset, Skill

    many = tuple(Asset(f"f{i}.txt", "/dev/null", 1) for i in range(500))
    big = (Asset("big.bin", "/dev/null", 26 * 1024 * 1024),)
    skill = Skill("a", "d", "i", "1.0.0", skill_md="---\n", assets=many + big)
    found = upload_limits(SkillFile("skills/a/SKILL.md", skill, upload_bytes=60 << 20), {"openai"})
    assert [(p.location.path, p.rule, p.message.split(",")[0]) for p in found] == [
        ("skills/a/SKILL.md", "upload-limits", "the skill's folder uploads 502 files"),
        ("skills/a/big.bin", "upload-limits", "27"),
        ("skills/a/SKILL.md", "upload-limits", "the skill's folder uploads 62"),
    ]
    assert upload_limits(SkillFile("x", skill, upload_bytes=60 << 20), {"seed"}) == []
    fits = Skill("a", "d", "i", "1.0.0", skill_md="---\n", assets=many[:499])
    assert upload_limits(SkillFile("x", fits, upload_bytes=1 << 20), {"openai", "anthropic"}) == []


# -- configuration ---------------------------------------------------------------------------
LINT_CONFIG = """version: 1
lint:
  rules: {vague-name: error, description-no-trigger: off, missing-version: warning}
  per_file_ignores:
    "skills/legacy/**": [vague-name]
    "SKILL.md": [body-too-long]
"""


def test_levels_and_per_file_ignores(repo: Callable[..., Path]) -> None:
    root = repo(
        {
            "skills/helper.yaml": skill_yaml("helper", description="No trigger here."),
            "skills/legacy/utils.yaml": skill_yaml("utils"),
            "skills/long/SKILL.md": folder("long", "x\n" * 600),
        },
        config=LINT_CONFIG,
    )
    exit_code, problems = findings(root)
    assert exit_code == 1
    assert [(p["path"], p["rule"], p["severity"]) for p in problems] == [
        ("skills/helper.yaml", "vague-name", "error"),
        ("skills/long/SKILL.md", "missing-version", "warning"),
    ]


def test_unquoted_off_is_off(repo: Callable[..., Path]) -> None:
    root = repo(
        {"skills/a.yaml": skill_yaml("a", description="No trigger.")},
        config="version: 1\nlint:\n  rules: {description-no-trigger: off}\npolicy:\n"
        "  version_bump: off\n",
    )
    assert findings(root) == (0, [])


def test_unknown_rule_names_are_errors_listing_the_known_ones(repo: Callable[..., Path]) -> None:
    root = repo(
        {},
        config="version: 1\nlint:\n  rules: {vague-nam: error, body-too-long: loud}\n"
        "  per_file_ignores: {'a/**': [schema]}\n",
    )
    result = run_cli("-C", str(root), "validate")
    assert result.exit_code == 1
    known = ", ".join(LINT_RULES)
    assert result.stdout.splitlines() == [
        "skillsync.yaml:3:11: error: lint.rules: unknown rule 'vague-nam' (did you mean "
        f"'vague-name'?); known rules: {known} [schema]",
        'skillsync.yaml:3:44: error: lint.rules.body-too-long: must be "off", "warning", '
        "\"error\", false (got 'loud') [schema]",
        f"skillsync.yaml:4:31: error: lint.per_file_ignores.a/**[0]: unknown rule 'schema'; must "
        f"be a rule name: {known} [schema]",
        "3 errors, 0 warnings in 0 skill files.",
    ]


def test_the_config_schema_knows_every_rule() -> None:
    schema = json.loads((ROOT / "schemas/config.schema.json").read_text())
    rules = schema["properties"]["lint"]["properties"]["rules"]
    assert rules["propertyNames"]["enum"] == list(LINT_RULES)
    assert list(rules["properties"]) == list(LINT_RULES)


def test_a_changed_level_never_shows_a_stale_cached_verdict(repo: Callable[..., Path]) -> None:
    root = repo({"skills/helper.yaml": skill_yaml("helper"), "skills/b.yaml": skill_yaml("b")})
    cold = run_cli("-C", str(root), "validate")
    assert cold.exit_code == 0 and "[vague-name]" in cold.stdout
    (root / "skillsync.yaml").write_text("version: 1\nlint:\n  rules: {vague-name: error}\n")
    hot = run_cli("-C", str(root), "-v", "validate")
    assert hot.exit_code == 1 and "error: name 'helper'" in hot.stdout
    assert "verdict cache: 2 of 2 files unchanged" in hot.stderr
    (root / "skillsync.yaml").write_text("version: 1\nlint:\n  rules: {vague-name: off}\n")
    assert run_cli("-C", str(root), "validate").stdout == "2 skill files valid.\n"


def test_path_globs() -> None:
    assert path_matches("skills/legacy/a/b.yaml", "skills/legacy/**")
    assert path_matches("skills/a.yaml", "skills/*.yaml")
    assert not path_matches("skills/x/a.yaml", "skills/*.yaml")
    assert path_matches("skills/x/a.yaml", "skills/**/*.yaml")
    assert path_matches("skills/a.yaml", "skills/**/*.yaml")
    assert path_matches("deep/down/SKILL.md", "SKILL.md")
    assert path_matches("skills/a.yaml", "./skills/?.yaml")


def test_fixed_rules_ignore_the_settings() -> None:
    settings = LintSettings(per_file_ignores=(("**", ("vague-name",)),))
    problem = Problem(Location("a.yaml"), "bad", "error", "schema")
    assert settings.apply([problem]) == [problem]
    assert all(RULES[r].configurable for r in LINT_RULES)


# -- formats ---------------------------------------------------------------------------------
def test_sarif_is_valid_sarif_2_1_0(repo: Callable[..., Path]) -> None:
    import jsonschema

    schema = json.loads((ROOT / "tests/data/sarif/sarif-2.1.0-rtm.5.json").read_text())
    root = repo({"skills/helper.yaml": skill_yaml("helper"), "skills/bad.yaml": "name: Bad\n"})
    (root / ".git").mkdir()
    (root / "sub").mkdir()
    result = run_cli("-C", str(root), "validate", "--format", "sarif")
    assert result.exit_code == 1
    log = json.loads(result.stdout)
    jsonschema.Draft4Validator(schema).validate(log)
    [run] = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(RULES)
    assert all(r["help"]["text"] and r["shortDescription"]["text"] for r in rules)
    vague = next(r for r in run["results"] if r["ruleId"] == "vague-name")
    assert rules[vague["ruleIndex"]]["id"] == "vague-name"
    assert vague["level"] == "warning"
    assert vague["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "skills/helper.yaml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 1, "startColumn": 7},
    }


def test_sarif_paths_start_at_the_git_top_folder(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    root = tmp_path / "platform" / "skills-repo"
    (root / "skills").mkdir(parents=True)
    (root / "skillsync.yaml").write_text("version: 1\n")
    (root / "skills/helper.yaml").write_text(skill_yaml("helper"))
    log = json.loads(run_cli("-C", str(root), "validate", "--format", "sarif").stdout)
    [result] = log["runs"][0]["results"]
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "platform/skills-repo/skills/helper.yaml"
    (root / "skills/my skill").mkdir()
    (root / "skills/my skill/helper #2.yaml").write_text(skill_yaml("helper"))
    log = json.loads(run_cli("-C", str(root), "validate", "--format", "sarif").stdout)
    uris = [
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in log["runs"][0]["results"]
    ]
    assert "platform/skills-repo/skills/my%20skill/helper%20%232.yaml" in uris  # RFC 3986


def test_rules_command_lists_every_rule() -> None:
    result = run_cli("rules")
    assert result.exit_code == 0
    for name, rule in RULES.items():
        level = rule.default if rule.configurable else "error (always)"
        assert any(line.split() == [name, *level.split()] for line in result.stdout.splitlines()), (
            name
        )
    listed = json.loads(run_cli("rules", "--format", "json").stdout)
    assert [r["name"] for r in listed] == list(RULES)


# -- version_bump and metadata.version ---------------------------------------------------------
def test_version_bump_spares_skills_without_a_version(repo: Callable[..., Path]) -> None:
    from skillsync.model import RemoteSkill, Skill
    from skillsync.planner import Rules, make_plan

    remote = [RemoteSkill("s1", "a", GOOD, "Old.\n", "1.0.0")]
    unversioned = Skill("a", GOOD, "New.\n", "1.0.0", versioned=False)
    versioned = Skill("a", GOOD, "New.\n", "1.0.0")
    quiet = make_plan([unversioned], remote, Rules(), target="t", base_url="u")
    loud = make_plan([versioned], remote, Rules(), target="t", base_url="u")
    assert quiet.warnings == ()
    assert len(loud.warnings) == 1 and "version" in loud.warnings[0]


# -- robustness ------------------------------------------------------------------------------
@given(
    body=st.text(max_size=400),
    description=st.text(min_size=1, max_size=200),
    name=st.from_regex(r"[a-z0-9]{1,10}(-[a-z0-9]{1,10}){0,2}", fullmatch=True),
)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_no_rule_raises_on_arbitrary_text(body: str, description: str, name: str) -> None:
    text = SkillText(
        path="skills/x/SKILL.md",
        name=name,
        name_at=Location("skills/x/SKILL.md", 2, 7),
        description=description,
        description_at=Location("skills/x/SKILL.md", 3, 14),
        body=body,
        body_line=5,
        body_path="skills/x/SKILL.md",
        folder="/nonexistent/skills/x",
        folder_shown="skills/x",
        uploads=frozenset({"SKILL.md", "ref/a.md", "scripts/run.py"}),
        documents={"ref/a.md": "/nonexistent/skills/x/ref/a.md"},
        root="/nonexistent",
    )
    for problem in check_skill(text, frozenset({"anthropic", "openai", "seed"})):
        assert problem.rule in RULES and problem.location.line >= 1
    links, code = scan(body)
    assert all(s.line >= 1 and s.col >= 1 for s in (*links, *code))


def _scan_every_line(text: str, first_line: int = 1) -> tuple[list[Span], list[Span]]:
    """The scan with every line looked at: what scan(), which jumps from one line holding
    a backtick, tilde or ']' to the next, must equal."""
    links: list[Span] = []
    code: list[Span] = []
    fence = ""
    for at, line in enumerate(text.split("\n"), start=first_line):
        fence = scan_line(line, at, fence, links, code)
    return links, code


_MARKDOWNISH = st.lists(
    st.sampled_from(
        [
            *("`", "``", "```", "~~~", "    ```", "[a](b.md)", "[x]: y.md", "]", "\r", "\n"),
            *("\n\n", "text ", "`code/a.py`", "![i](img/p.png)", "[a](<c d.md>)", "~", " "),
        ]
    )
    | st.text(alphabet="`~[]()!: \n\rab./<>", max_size=8),
    max_size=60,
).map("".join)


@given(text=_MARKDOWNISH, first_line=st.integers(1, 50))
@settings(max_examples=500, deadline=None)
def test_scan_finds_what_a_line_by_line_scan_finds(text: str, first_line: int) -> None:
    assert scan(text, first_line) == _scan_every_line(text, first_line)


def test_scan_of_the_corpus_equals_a_line_by_line_scan(corpus: Path) -> None:
    documents = sorted(corpus.rglob("*.md"))
    assert len(documents) > 10
    for path in documents:
        text = path.read_text(encoding="utf-8")
        assert scan(text, 3) == _scan_every_line(text, 3), path


def test_plan_runs_overlapping_descriptions_only_when_it_is_an_error(
    repo: Callable[..., Path],
) -> None:
    text = "Extracts tables and forms from PDF files and saves them. Use when a PDF is shared."
    files = {
        "skills/a.yaml": skill_yaml("a", description=text),
        "skills/b.yaml": skill_yaml("b", description=text.replace("shared", "given")),
    }
    local = "version: 1\ntargets:\n  t:\n    base_url: local:e.db\n    api: seed\n"
    root = repo(files, config=local)
    quiet = run_cli("-C", str(root), "plan")
    assert quiet.exit_code == 0 and "[overlapping-descriptions]" not in quiet.stderr
    (root / "skillsync.yaml").write_text(
        local + "lint:\n  rules: {overlapping-descriptions: error}\n"
    )
    refused = run_cli("-C", str(root), "plan")
    assert refused.exit_code == 1
    assert "[overlapping-descriptions]" in refused.stderr


def _spans_by_definition(line: str) -> list[tuple[int, int, int]]:
    """CommonMark's code spans, found the slow way: each backtick run, left to right, is
    closed by the first later run of the same length."""
    runs, at = [], 0
    while at < len(line):
        if line[at] == "`":
            end = at
            while end < len(line) and line[end] == "`":
                end += 1
            runs.append((at, end))
            at = end
        else:
            at += 1
    spans, index = [], 0
    while index < len(runs):
        start, end = runs[index]
        closing = next(
            (j for j in range(index + 1, len(runs)) if runs[j][1] - runs[j][0] == end - start),
            None,
        )
        if closing is None:
            index += 1
        else:
            spans.append((start, runs[closing][1], end - start))
            index = closing + 1
    return spans


@settings(max_examples=300)
@given(st.text(alphabet="`a ", max_size=40))
def test_code_spans_pair_runs_of_equal_length(line: str) -> None:
    assert code_spans(line) == _spans_by_definition(line)


def test_a_long_run_of_backticks_scans_in_linear_time(repo: Callable[..., Path]) -> None:
    line = "`" * 5_000 + "a" + "``a" * 5_000 + " x`y`\n"  # the old pattern: hours
    assert code_spans(line)[-1] == (len(line) - 4, len(line) - 1, 1)
    root = repo({"skills/pdf/SKILL.md": folder("pdf", line)})
    assert findings(root) == (0, [])


def test_near_copies_are_reported_once_each_with_their_closest_match(
    repo: Callable[..., Path],
) -> None:
    text = (
        "Extracts tables and forms from PDF files and saves them as CSV files for review by "
        "the finance team. Use when PDF {} is shared."
    )
    root = repo(
        {f"skills/s{i}.yaml": skill_yaml(f"s{i}", description=text.format(i)) for i in range(40)}
    )
    exit_code, problems = findings(root)
    assert exit_code == 0
    overlaps = [p for p in problems if p["rule"] == "overlapping-descriptions"]
    assert sorted(p["path"] for p in overlaps) == sorted(f"skills/s{i}.yaml" for i in range(1, 40))
    [last] = [p for p in overlaps if p["path"] == "skills/s39.yaml"]
    assert (
        "like the description of 's0' (skills/s0.yaml:2:14) and 38 other skills;"
        in (last["message"])
    )
