"""The logic of action.yml: run validate/plan/apply, report to GitHub.

Inputs arrive as environment variables (never interpolated into a script):
SKILLSYNC_COMMAND, SKILLSYNC_WORKDIR, SKILLSYNC_TARGET (one target, or several
separated by spaces or commas: planned together, applied in that order),
SKILLSYNC_API_KEY, SKILLSYNC_COMMENT, SKILLSYNC_SARIF, GITHUB_TOKEN, plus
GitHub's own GITHUB_* variables. Outputs: exitcode, has-changes, summary, and
for apply skills (the deployed skills' document) in $GITHUB_OUTPUT; the markdown
plan goes to $GITHUB_STEP_SUMMARY and, on pull requests, to one comment holding
every target.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from skillsync import config as config_mod
from skillsync.ci.github_comments import GitHubComments
from skillsync.errors import SkillsyncError
from skillsync.plan import Plan
from skillsync.planfile import load_saved_plans
from skillsync.render.plan_markdown import render_markdown_many

COMMANDS = ("validate", "plan", "apply")
STEP_SUMMARY_LIMIT = 1024 * 1024
PR_EVENTS = ("pull_request", "pull_request_target")


def _event(env: Mapping[str, str]) -> dict[str, Any]:
    path = env.get("GITHUB_EVENT_PATH")
    if not path or not Path(path).is_file():
        return {}
    data: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    return data


def is_fork_pull_request(env: Mapping[str, str], event: dict[str, Any]) -> bool:
    if env.get("GITHUB_EVENT_NAME") not in PR_EVENTS:
        return False
    pull = event.get("pull_request") or {}
    head = ((pull.get("head") or {}).get("repo") or {}).get("full_name")
    base = ((pull.get("base") or {}).get("repo") or {}).get("full_name")
    return bool(head and base and head != base)


def set_output(env: Mapping[str, str], name: str, value: str) -> None:
    path = env.get("GITHUB_OUTPUT")
    if not path:
        return
    with open(path, "a", encoding="utf-8") as handle:
        if "\n" in value:
            delimiter = f"skillsync_{uuid.uuid4().hex}"
            handle.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
        else:
            handle.write(f"{name}={value}\n")


def append_step_summary(env: Mapping[str, str], markdown: str) -> None:
    path = env.get("GITHUB_STEP_SUMMARY")
    if not path:
        return
    used = Path(path).stat().st_size if Path(path).exists() else 0
    room = STEP_SUMMARY_LIMIT - used - 1
    data = markdown.encode("utf-8")
    if len(data) > room:
        kept = data[: max(0, room - 100)].decode("utf-8", "ignore").encode()
        data = kept + b"\n\n_(cut: the step summary is full)_\n"
    with open(path, "ab") as handle:
        handle.write(data)


def _skillsync(args: list[str], env: dict[str, str]) -> int:
    return subprocess.run([sys.executable, "-m", "skillsync", *args], env=env).returncode


def run(env: Mapping[str, str]) -> int:
    command = env.get("SKILLSYNC_COMMAND", "plan").strip() or "plan"
    if command not in COMMANDS:
        print(f"::error::command must be one of {', '.join(COMMANDS)}, not {command!r}")
        set_output(env, "exitcode", "1")
        return 1
    workdir = Path(env.get("SKILLSYNC_WORKDIR") or ".")
    target_names = tuple(env.get("SKILLSYNC_TARGET", "").replace(",", " ").split())
    key = env.get("SKILLSYNC_API_KEY", "")
    if key:
        print(f"::add-mask::{key}", flush=True)
    child_env = {k: v for k, v in env.items() if k != "SKILLSYNC_API_KEY"}
    child_env.setdefault("NO_COLOR", "1")
    base = ["-C", str(workdir)]

    if command == "validate":
        code = _skillsync([*base, "validate", "--format", "github"], child_env)
        sarif = env.get("SKILLSYNC_SARIF", "").strip()
        if sarif:  # the verdict cache makes the second run cheap
            with open(sarif, "w", encoding="utf-8") as out:
                subprocess.run(
                    [sys.executable, "-m", "skillsync", *base, "validate", "--format", "sarif"],
                    env=child_env,
                    stdout=out,
                )
        set_output(env, "exitcode", str(code))
        set_output(env, "has-changes", "false")
        set_output(env, "summary", "valid" if code == 0 else "invalid")
        return code

    config = config_mod.load_or_fail(workdir)
    targets = config.chosen(target_names)
    event = _event(env)
    keyless = [
        t.name
        for t in targets
        if t.dialect.http
        and not config_mod.resolve_base_url(t, env.get("SKILLSYNC_BASE_URL")).startswith("local:")
        and not key
        and not env.get(t.api_key_env)
    ]
    if keyless and is_fork_pull_request(env, event):
        message = (
            f"skillsync {command} skipped: a pull request from a fork gets no secrets, so "
            f"there is no API key for target '{keyless[0]}'"
        )
        print(f"::notice::{message}")
        set_output(env, "exitcode", "0")
        set_output(env, "has-changes", "false")
        set_output(env, "summary", message)
        return 0
    if key:
        for target in targets:
            if target.api_key_env:
                child_env[target.api_key_env] = key
    for target in targets:  # keys passed per vendor in env: (one secret each) are masked too
        if target.api_key_env and child_env.get(target.api_key_env):
            print(f"::add-mask::{child_env[target.api_key_env]}", flush=True)
    selector = [arg for target in targets for arg in ("--target", target.name)]

    if command == "apply":
        return _apply(env, child_env, base, selector)

    with tempfile.TemporaryDirectory(dir=env.get("RUNNER_TEMP")) as temp:
        plan_file = Path(temp) / "plan.json"
        code = _skillsync(
            [*base, "plan", *selector, "--detailed-exitcode", "--out", str(plan_file)], child_env
        )
        set_output(env, "exitcode", str(code))
        if not plan_file.is_file():
            set_output(env, "has-changes", "false")
            set_output(env, "summary", "plan failed")
            return 1
        plans = load_saved_plans(plan_file)
    set_output(env, "has-changes", "true" if any(p.drifted for p in plans) else "false")
    set_output(env, "summary", "; ".join(_summary(p, len(plans)) for p in plans))
    markdown = render_markdown_many(plans)
    append_step_summary(env, markdown)
    pull = event.get("pull_request") or {}
    wants_comment = env.get("SKILLSYNC_COMMENT", "true").lower() == "true"
    if wants_comment and env.get("GITHUB_EVENT_NAME") in PR_EVENTS and pull.get("number"):
        token = env.get("GITHUB_TOKEN", "")
        if not token:
            print("::warning::no github-token: the plan was not posted as a comment")
        else:
            comments = GitHubComments(
                env.get("GITHUB_API_URL", "https://api.github.com"),
                token,
                env["GITHUB_REPOSITORY"],
            )
            try:
                key_of = ",".join(p.target for p in plans)  # one comment for these targets
                how, comment_id = comments.upsert(int(pull["number"]), key_of, markdown)
            finally:
                comments.close()
            print(f"{how} pull-request comment {comment_id}")
    return 1 if code == 1 else 0


def _summary(plan: Plan, count: int) -> str:
    return f"{plan.target}: {plan.summary_line()}" if count > 1 else plan.summary_line()


def _apply(
    env: Mapping[str, str], child_env: dict[str, str], base: list[str], selector: list[str]
) -> int:
    """Apply with the outcome as JSON (has-changes from what was done, not the exit
    code) and the deployed skills' document as the output ``skills``."""
    with tempfile.TemporaryDirectory(dir=env.get("RUNNER_TEMP")) as temp:
        deployed = Path(temp) / "skills.json"
        command = [*base, "apply", *selector, "--auto-approve", "--format", "json"]
        process = subprocess.run(
            [sys.executable, "-m", "skillsync", *command, "--output", str(deployed)],
            env=child_env,
            stdout=subprocess.PIPE,
            text=True,
        )
        code = process.returncode
        set_output(env, "exitcode", str(code))
        set_output(env, "has-changes", "true" if _changed(process.stdout) else "false")
        set_output(env, "summary", "applied" if code == 0 else "apply failed")
        if deployed.is_file():
            set_output(env, "skills", deployed.read_text(encoding="utf-8").strip())
    return code


def _changed(outcome: str) -> bool:
    """Whether the apply's JSON outcome (one target's, or several) did anything."""
    try:
        document = json.loads(outcome)
    except ValueError:
        return False
    results = document.get("targets", [document]) if isinstance(document, dict) else []
    return any(
        any(r.get("summary", {}).get(k) for k in ("added", "changed", "destroyed")) for r in results
    )


def main() -> int:
    try:
        return run(dict(os.environ))
    except SkillsyncError as exc:
        print(f"::error::{exc}")
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
