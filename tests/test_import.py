"""`skillsync import`: exact round trips, refusals, and an empty plan afterwards."""

from __future__ import annotations

import shutil
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from skillsync import config as config_mod
from skillsync.importer import INLINE_LIMIT, render_skill
from skillsync.model import RemoteSkill
from skillsync.planner import Rules, make_plan
from skillsync.validation import validate_repository
from tests.conftest import Emulator, content, run_cli, seed, skill_yaml, write_tree


def test_import_all_then_plan_is_empty(http_repo, emulator: Emulator, corpus: Path) -> None:
    source = http_repo({})
    shutil.copytree(corpus, source / "skills", ignore=shutil.ignore_patterns("claude-api"))
    assert run_cli("-C", str(source), "apply", "--auto-approve").exit_code == 0
    shutil.rmtree(source / "skills")
    result = run_cli("-C", str(source), "import", "--all")
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("Imported 11 skill(s), skipped 0.\n")
    assert "wrote skills/skill-creator.yaml (+ skills/skill-creator.md)\n" in result.stdout
    assert "wrote skills/internal-comms.yaml\n" in result.stdout
    assert (
        (source / "skills/internal-comms.yaml")
        .read_text()
        .startswith("name: internal-comms\ndescription: A set of resources")
    )
    validated = run_cli("-C", str(source), "validate")  # the corpus's own warnings remain
    assert validated.exit_code == 0, validated.stdout
    assert validated.stdout.endswith("11 skill files valid (5 warnings).\n")
    plan = run_cli("-C", str(source), "plan", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.stdout


def test_named_import_and_missing_name(http_repo, emulator: Emulator) -> None:
    seed(emulator, content("a"), content("b"))
    root = http_repo({})
    result = run_cli("-C", str(root), "import", "a", "nope")
    assert result.exit_code == 1
    assert "wrote skills/a.yaml\n" in result.stdout
    assert "skipped nope: no remote skill has this name\n" in result.stdout
    assert result.stderr == "Error: no remote skill named nope\n"
    assert sorted(p.name for p in (root / "skills").iterdir()) == ["a.yaml"]
    assert (root / "skills/a.yaml").read_text() == (
        "name: a\ndescription: Handles a for the tests. Use when testing a.\nversion: 1.0.0\n"
        "instructions: |\n  Do it well.\n"
    )


def test_existing_files_are_never_overwritten(http_repo, emulator: Emulator) -> None:
    seed(emulator, content("a", "2.0.0"), content("b", "2.0.0"), content("c"))
    original = skill_yaml("a")
    root = http_repo(
        {
            "skills/a.yaml": original,
            "skills/other/b-lives-here.yaml": skill_yaml("b"),
            "skills/c.md": "stray notes\n",
        }
    )
    result = run_cli("-C", str(root), "import", "--all")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "skipped a: already defined in skills/a.yaml (pass --overwrite to replace it)",
        "skipped b: already defined in skills/other/b-lives-here.yaml",
        "skipped c: skills/c.md exists (pass --overwrite to replace it)",
        "Imported 0 skill(s), skipped 3.",
    ]
    assert (root / "skills/a.yaml").read_text() == original
    forced = run_cli("-C", str(root), "import", "--all", "--overwrite")
    assert "wrote skills/a.yaml\n" in forced.stdout
    assert "skipped b: already defined in skills/other/b-lives-here.yaml\n" in forced.stdout
    assert "version: 2.0.0" in (root / "skills/a.yaml").read_text()


def test_refusals(http_repo, emulator: Emulator) -> None:
    seed(emulator, content("dup"))
    emulator.store.create("default", content("dup"), allow_duplicate=True)
    root = http_repo({})
    assert "name the skills to import" in run_cli("-C", str(root), "import").stderr
    assert "not both" in run_cli("-C", str(root), "import", "x", "--all").stderr
    outside = run_cli("-C", str(root), "import", "--all", "--dir", "../elsewhere")
    assert outside.exit_code == 1 and "inside the repository" in outside.stderr
    result = run_cli("-C", str(root), "import", "--all")
    assert "skipped dup: 2 remote skills share this name; resolve the conflict first" in (
        result.stdout
    )


def test_import_outside_the_globs_warns(http_repo, emulator: Emulator) -> None:
    seed(emulator, content("a"))
    root = http_repo({})
    result = run_cli("-C", str(root), "import", "a", "--dir", "elsewhere")
    assert "warning: elsewhere/a.yaml is not matched by the skills globs" in result.stderr


def test_long_instructions_go_to_a_markdown_file() -> None:
    text = "# Title\r\n" + "x" * INLINE_LIMIT + "\n\n"
    files = render_skill(RemoteSkill("id", "big", "d", text, "1.0.0"), "skills").files
    assert files == {
        "skills/big.yaml": "name: big\ndescription: d\nversion: 1.0.0\ninstructions_file: big.md\n",
        "skills/big.md": text,
    }


special = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
        st.sampled_from(list(" \t\n\r#:-|>'\"&*!%@`{}[],?\ufeff\x85\u2028")),
    ),
    min_size=1,
    max_size=60,
)
lengthy = st.builds(lambda s, n: s * n, special, st.sampled_from([1, 1, 200]))


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(instructions=lengthy, description=st.sampled_from(["d", "yes", "1.5", "x: y", "#no"]))
@example(instructions="\x85", description="d")  # PyYAML's plain/quoted styles mangle a lone NEL
def test_any_instructions_round_trip(tmp_path: Path, instructions: str, description: str) -> None:
    remote = RemoteSkill("skill_1", "round-trip", description, instructions, "1.0.0")
    root = tmp_path / "rt"
    shutil.rmtree(root, ignore_errors=True)
    # The trust gate refuses invisible characters on purpose; a round trip keeps them.
    config_text = "version: 1\nlint:\n  rules:\n    hidden-unicode: off\n"
    write_tree(root, {"skillsync.yaml": config_text})
    for relative, text in render_skill(remote, "skills").files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(text.encode("utf-8"))
    config, problems = config_mod.load(root)
    result = validate_repository(config, problems)
    assert result.errors == []
    [skill] = result.skills
    assert skill.instructions == instructions and skill.description == description
    plan = make_plan(result.skills, [remote], Rules(manage=("*",)), target="t", base_url="x")
    assert plan.changes == () and plan.unchanged == 1


def test_awkward_instructions_through_the_cli(http_repo, emulator: Emulator) -> None:
    awkward = [
        "  leading spaces\nand trailing  \n",
        "no final newline",
        "two\n\n\n",
        "tab\tand\r\ncrlf\n",
        "key: value\n- list\n",
        "\x00 nul and \x1b escape\n",
    ]
    seed(emulator, *[content(f"s-{i}", instructions=text) for i, text in enumerate(awkward)])
    root = http_repo({})
    assert run_cli("-C", str(root), "import", "--all").exit_code == 0
    plan = run_cli("-C", str(root), "plan", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output


def test_overwrite_never_deletes_another_skills_files(http_repo, emulator: Emulator) -> None:
    seed(emulator, content("team"), content("shared", instructions="x" * 5000 + "\n"))
    root = http_repo(
        {
            "skills/team.md/sub.yaml": skill_yaml("sub"),  # inside what import would replace
            "skills/reviewer.yaml": (
                "name: reviewer\ndescription: Reviews code. Use when asked.\nversion: 1.0.0\n"
                "instructions_file: shared.md\n"
            ),
            "skills/shared.md": "The reviewer's instructions, not the shared skill's.\n",
        }
    )
    result = run_cli("-C", str(root), "import", "--all", "--overwrite")
    assert "skipped shared: skills/shared.md is read by skills/reviewer.yaml;" in result.stdout
    assert (
        "skipped team: skills/team.md/ holds skills/team.md/sub.yaml, which is another skill;"
        in result.stdout
    )
    assert (root / "skills/shared.md").read_text().startswith("The reviewer's instructions")
    assert (root / "skills/team.md/sub.yaml").exists()
    assert not (root / "skills/team.yaml").exists() and not (root / "skills/shared.yaml").exists()
