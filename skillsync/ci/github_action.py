"""The logic of action.yml: run validate/plan/apply, report to GitHub.

Inputs arrive as environment variables (never interpolated into a script):
SKILLSYNC_COMMAND, SKILLSYNC_WORKDIR, SKILLSYNC_TARGET, SKILLSYNC_API_KEY,
SKILLSYNC_COMMENT, GITHUB_TOKEN, plus GitHub's own GITHUB_* variables.
Outputs: exitcode, has-changes, summary ($GITHUB_OUTPUT); the markdown plan
goes to $GITHUB_STEP_SUMMARY and, on pull requests, to one comment.
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
from skillsync.render.plan_markdown import render_markdown

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
    target_name = env.get("SKILLSYNC_TARGET") or None
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
    target = config.target(target_name)
    needs_key = not config_mod.resolve_base_url(target, env.get("SKILLSYNC_BASE_URL")).startswith(
        "local:"
    )
    event = _event(env)
    no_key = needs_key and not key and not env.get(target.api_key_env)
    if no_key and is_fork_pull_request(env, event):
        message = (
            f"skillsync {command} skipped: a pull request from a fork gets no secrets, so "
            f"there is no API key for target '{target.name}'"
        )
        print(f"::notice::{message}")
        set_output(env, "exitcode", "0")
        set_output(env, "has-changes", "false")
        set_output(env, "summary", message)
        return 0
    if key:
        child_env[target.api_key_env] = key
    selector = ["--target", target.name]

    if command == "apply":
        code = _skillsync([*base, "apply", *selector, "--auto-approve"], child_env)
        set_output(env, "exitcode", str(code))
        set_output(env, "has-changes", "true" if code == 0 else "false")
        set_output(env, "summary", "applied" if code == 0 else "apply failed")
        return code

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
        plan = Plan.from_dict(json.loads(plan_file.read_text(encoding="utf-8")))
    set_output(env, "has-changes", "true" if plan.has_changes else "false")
    set_output(env, "summary", plan.summary_line())
    markdown = render_markdown(plan)
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
                how, comment_id = comments.upsert(int(pull["number"]), target.name, markdown)
            finally:
                comments.close()
            print(f"{how} pull-request comment {comment_id}")
    return 1 if code == 1 else 0


def main() -> int:
    try:
        return run(dict(os.environ))
    except SkillsyncError as exc:
        print(f"::error::{exc}")
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
