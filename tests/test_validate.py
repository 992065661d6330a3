"""`skillsync validate`: the bad-input corpus, the real corpus, formats and flags."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE_REPO, run_cli, skill_yaml

BAD = Path(__file__).parent / "bad_inputs"
BAD_CASES = sorted(p.name for p in BAD.iterdir() if (p / "EXPECT").is_file())


def test_the_bad_input_corpus_is_large_enough() -> None:
    assert len(BAD_CASES) >= 30


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_input_is_reported_at_its_exact_place(case: str) -> None:
    where, message = (BAD / case / "EXPECT").read_text().splitlines()[:2]
    result = run_cli("-C", str(BAD / case), "validate")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.stdout.splitlines() if line.startswith(where + ": ")]
    assert lines, f"no problem at {where}:\n{result.stdout}"
    assert any(message in line for line in lines), result.stdout


def test_a_file_over_one_mib_is_refused(repo) -> None:
    root = repo({"skills/a.yaml": skill_yaml("a") + "# " + "x" * (1024 * 1024) + "\n"})
    result = run_cli("-C", str(root), "validate")
    assert result.exit_code == 1
    assert result.stdout.startswith(
        "skills/a.yaml:1:1: error: file is 1,048,690 bytes, over the 1 MiB limit"
    )


def test_every_problem_is_reported_at_once(repo) -> None:
    root = repo(
        {
            "skills/a.yaml": (
                "name: A\ndescription: Use for d.\nversion: x\ninstructions: i\nfoo: 1\n"
            ),
            "skills/b.yaml": "name: b\n",
        }
    )
    result = run_cli("-C", str(root), "validate")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "skills/a.yaml:1:7: error: name: must be 1-64 characters of a-z, 0-9 and single inner "
        "hyphens (got 'A') [schema]",
        "skills/a.yaml:3:10: error: version: must be a semantic version such as 1.2.0 "
        "(got 'x') [schema]",
        "skills/a.yaml:5:1: error: unknown field 'foo'; allowed here: description, display_name, "
        "instructions, instructions_file, name, renamed_from, version [schema]",
        "skills/b.yaml:1:1: error: missing required field 'description' [schema]",
        "skills/b.yaml:1:1: error: missing required field 'instructions' (or "
        "'instructions_file') [schema]",
        "skills/b.yaml:1:1: error: missing required field 'version' [schema]",
        "6 errors, 0 warnings in 2 skill files.",
    ]


def test_example_repo_is_valid() -> None:
    result = run_cli("-C", str(EXAMPLE_REPO), "validate")
    assert (result.exit_code, result.stdout) == (0, "7 skill files valid.\n")


def test_the_real_corpus(tmp_path: Path, corpus: Path) -> None:
    """Real skills: errors only where the API would refuse (claude-api), no link or path
    finding, and only warnings a reader would agree with (on 5 of the 12 skills)."""
    shutil.copytree(corpus, tmp_path / "skills")
    (tmp_path / "skillsync.yaml").write_text("version: 1\n")
    result = run_cli("-C", str(tmp_path), "validate", "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    found = [(p["path"], p["line"], p["severity"], p["rule"]) for p in report["problems"]]
    assert found == [
        ("skills/canvas-design/SKILL.md", 3, "warning", "description-person"),
        ("skills/claude-api/SKILL.md", 2, "error", "reserved-name"),
        ("skills/claude-api/SKILL.md", 3, "error", "schema"),
        ("skills/claude-api/SKILL.md", 509, "warning", "body-too-long"),
        ("skills/internal-comms/SKILL.md", 3, "warning", "description-person"),
        ("skills/theme-factory/SKILL.md", 3, "warning", "description-no-trigger"),
        ("skills/theme-factory/SKILL.md", 3, "warning", "description-person"),
        ("skills/webapp-testing/SKILL.md", 3, "warning", "description-no-trigger"),
    ]
    schema = next(p for p in report["problems"] if p["rule"] == "schema")
    assert schema["message"] == "description: 1068 characters, over the limit of 1024"
    assert len(report["skills"]) == 11
    assert "claude-api" not in report["skills"]


def test_warnings_exit_zero_unless_strict(repo) -> None:
    root = repo({"skills/x/SKILL.md": "---\nname: x\ndescription: d\n---\nBody.\n"})
    result = run_cli("-C", str(root), "validate")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0].startswith(
        "skills/x/SKILL.md:3:14: warning: description: says what the skill does but not when"
    )
    assert run_cli("-C", str(root), "validate", "--strict").exit_code == 1


def test_skill_md_version_and_body(repo) -> None:
    from skillsync import config as config_mod
    from skillsync.validation import validate_repository

    root = repo(
        {
            "skills/x/SKILL.md": "---\nname: x\ndescription: Use when d.\nmetadata:\n"
            "  version: 2.1.0\n---\n"
            "Body line.\n\n  indented\n"
        }
    )
    config, problems = config_mod.load(root)
    result = validate_repository(config, problems)
    assert result.problems == []
    [skill] = result.skills
    assert (skill.version, skill.instructions) == ("2.1.0", "Body line.\n\n  indented\n")


def test_instructions_are_kept_byte_for_byte(repo) -> None:
    from skillsync import config as config_mod
    from skillsync.validation import validate_repository

    root = repo(
        {
            "skills/a.yaml": skill_yaml("a", instructions="line one  \n\tTabbed\n\n"),
            "skills/b.yaml": "name: b\ndescription: Use for b.\nversion: 1.0.0\n"
            "instructions_file: b.md\n",
            "skills/b.md": "crlf line\r\nünïcode ✓\n\n",
        }
    )
    config, problems = config_mod.load(root)
    result = validate_repository(config, problems)
    assert result.problems == []
    by_name = {s.name: s for s in result.skills}
    assert by_name["a"].instructions == "line one  \n\tTabbed\n"
    assert by_name["b"].instructions == "crlf line\r\nünïcode ✓\n\n"


def test_file_arguments_limit_the_report(repo) -> None:
    root = repo({"skills/a.yaml": "name: A\n", "skills/b.yaml": skill_yaml("b")})
    result = run_cli("-C", str(root), "validate", str(root / "skills/b.yaml"))
    assert result.exit_code == 0, result.output
    result = run_cli("-C", str(root), "validate", str(root / "skills/a.yaml"))
    assert result.exit_code == 1
    assert all(line.startswith("skills/a.yaml:") for line in result.stdout.splitlines()[:-1])


def test_a_skill_folder_named_beside_the_globs_is_read_whole(repo) -> None:  # type: ignore[no-untyped-def]
    """A SKILL.md given on the command line in a folder the globs do not walk: its files
    are listed on their own, never taken for none (a link to one of them is not broken),
    and a cached verdict still sees them change."""
    root = repo(
        {
            "skills/a/SKILL.md": "---\nname: a\ndescription: Does a. Use when a.\n---\nA.\n",
            "drafts/x/SKILL.md": (
                "---\nname: x\ndescription: Does x. Use when x.\n---\nRead [notes](notes.md).\n"
            ),
            "drafts/x/notes.md": "Notes.\n",
        }
    )
    draft = str(root / "drafts/x/SKILL.md")
    for _ in range(2):  # a fresh verdict, then the cached one
        result = run_cli("-C", str(root), "validate", draft)
        assert (result.exit_code, result.stdout) == (0, "2 skill files valid.\n")
    (root / "drafts/x/notes.md").unlink()
    result = run_cli("-C", str(root), "validate", draft)
    assert result.exit_code == 1
    assert result.stdout == (
        "drafts/x/SKILL.md:5:14: error: link to 'notes.md': no such file in the skill's "
        "folder (drafts/x/); add the file or fix the link [broken-link]\n"
        "1 error, 0 warnings in 2 skill files.\n"
    )


def test_github_format_escapes(repo) -> None:
    root = repo(
        {
            "skills/a,b:c%.yaml": (
                "name: a\ndescription: 'Use if x<y'\nversion: 1.0.0\ninstructions: i\n"
            )
        }
    )
    result = run_cli("-C", str(root), "validate", "--format", "github")
    assert result.exit_code == 1
    assert result.stdout == (
        "::error file=skills/a%2Cb%3Ac%25.yaml,line=2,col=14,title=schema::description: must "
        "not contain "
        "< or > (got 'Use if x<y')\n"
        "1 error, 0 warnings in 1 skill file.\n"
    )


def test_annotation_escaping_of_newlines_and_percent() -> None:
    from skillsync.model import Location, Problem
    from skillsync.render.problems import annotation

    problem = Problem(Location("a:b,c.yaml", 3, 4), "50% done\r\nnext: line, more")
    assert annotation(problem) == (
        "::error file=a%3Ab%2Cc.yaml,line=3,col=4,title=schema::50%25 done%0D%0Anext: line, more"
    )


def test_missing_config_is_a_clear_error(tmp_path: Path) -> None:
    result = run_cli("-C", str(tmp_path), "validate")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: no skillsync.yaml in {tmp_path}\n")


def test_config_is_found_upwards(repo, monkeypatch: pytest.MonkeyPatch) -> None:
    root = repo({"skills/a.yaml": skill_yaml("a")})
    monkeypatch.chdir(root / "skills")
    assert run_cli("validate").exit_code == 0


def test_usage_errors_exit_1_not_2(repo) -> None:
    result = run_cli("validate", "--format", "xml")
    assert result.exit_code == 1
    assert "Invalid value for '--format'" in result.stderr
    assert run_cli("no-such-command").exit_code == 1


def test_version_and_help() -> None:
    from skillsync import __version__

    result = run_cli("--version")
    assert (result.exit_code, result.stdout) == (0, f"skillsync, version {__version__}\n")
    result = run_cli("validate", "--help")
    assert result.exit_code == 0 and "--strict" in result.stdout


def test_unexpected_errors_exit_3_with_one_line(repo, monkeypatch: pytest.MonkeyPatch) -> None:
    from skillsync.commands import validate

    def boom(*args: object, **kwargs: object) -> int:
        raise RuntimeError("kaput")

    monkeypatch.setattr(validate, "run", boom)
    result = run_cli("validate")
    assert result.exit_code == 3
    assert result.stderr.startswith("skillsync: internal error: RuntimeError: kaput (")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    result = run_cli("--debug", "validate")
    assert result.exit_code == 3 and "Traceback" in result.stderr


def test_an_error_raised_while_an_interrupt_unwinds_is_the_interrupt(
    repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A library's lock bookkeeping can break while a Ctrl-C unwinds the stack (a
    threading.Condition: "release unlocked lock"); the user still asked to stop."""
    from skillsync.commands import validate

    def broken_on_the_way_out(*args: object, **kwargs: object) -> int:
        try:
            raise KeyboardInterrupt
        finally:
            raise RuntimeError("release unlocked lock")

    monkeypatch.setattr(validate, "run", broken_on_the_way_out)
    result = run_cli("validate")
    assert (result.exit_code, result.stderr) == (130, "Interrupted.\n")


def test_a_misspelt_glob_is_warned_about_and_its_plan_deletes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import run_cli, skill_yaml, write_tree

    monkeypatch.delenv("SKILLSYNC_BASE_URL", raising=False)
    config = (
        'version: 1\nskills: ["skill/**/*.yaml", "skills/**/*.yml"]\n'
        "targets:\n  t:\n    base_url: local:emu.db\n    manage: ['*']\n"
    )
    root = write_tree(
        tmp_path / "repo", {"skillsync.yaml": config, "skills/a.yaml": skill_yaml("a")}
    )
    good = root / "skillsync.yaml"
    good.write_text(config.replace("skill/**", "skills/**"))
    assert run_cli("-C", str(root), "apply", "--auto-approve").exit_code == 0
    good.write_text(config)
    result = run_cli("-C", str(root), "validate")
    assert result.stdout.splitlines() == [
        "skillsync.yaml:2:10: warning: skills[0]: glob 'skill/**/*.yaml' matches no file (there "
        "is no folder 'skill'); check its spelling: a plan would see no skill there, and "
        "delete the remote ones [unmatched-glob]",
        "skillsync.yaml:2:29: warning: skills[1]: glob 'skills/**/*.yml' matches no file (no "
        "glob of skills matches any file); check its spelling: a plan would see no skill "
        "there, and delete the remote ones [unmatched-glob]",
        "0 skill files valid (2 warnings).",
    ]
    plan = run_cli("-C", str(root), "plan")
    assert plan.exit_code == 1
    assert "  - delete skill 'a' (" in plan.stdout
    assert "the repository defines no skill, so the plan deletes every managed skill (1)" in (
        plan.stderr
    )
    assert run_cli("-C", str(root), "apply", "--auto-approve").exit_code == 1
    good.write_text(config.replace("skill/**", "skills/**"))
    assert run_cli("-C", str(root), "plan", "--detailed-exitcode").exit_code == 0  # kept
