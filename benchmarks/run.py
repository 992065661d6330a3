"""Measure skillsync against the bars of the README (Performance), for every API dialect.

One command: ``python benchmarks/run.py`` (``--quick`` for a smoke run, ``--only
validate|seed|anthropic|openai`` for one group). It generates synthetic skill
repositories (descriptions of 100-300 characters, instructions of 2-20 KB, some
taken from the Agent Skills corpus when it is beside the checkout), starts the
emulator as a separate HTTP server process in the dialect measured, runs each
measurement several times and prints one table (median and spread), also written
as JSON to benchmarks/results/results.json. The two sides of a ratio (a plan and its
bare baseline, an apply at parallelism 1 and at 10) are measured in turns. Every
skillsync run has its own empty cache unless the measurement is of a warm cache.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "agent-skills"
KEY = "emulator-key"
APIS = ("seed", "anthropic", "openai")
RACY = 2.1
"""Seconds after which a file just written is old enough for its stat to be trusted (files
just written are too new: the racy window)."""
INLINE_SHARE = 0.5
"""Share of skills whose instructions are inline (the rest use instructions_file)."""
WORDS = [
    *("review", "check", "explain", "summarise", "draft", "release", "incident", "query"),
    *("customer", "policy", "test", "security", "latency", "budget", "schema", "index"),
    *("migration", "rollback", "deploy", "monitor", "alert"),
]


# -- synthetic repositories ----------------------------------------------------------------
def _corpus_bodies() -> list[str]:
    if not CORPUS.is_dir():
        return []
    bodies = []
    for path in sorted(CORPUS.glob("*/SKILL.md")):
        body = path.read_text(encoding="utf-8").split("---\n", 2)[2]
        if 2_000 <= len(body) <= 20_000:
            bodies.append(body)
    return bodies


def _text(rng: random.Random, size: int) -> str:
    lines = []
    length = 0
    while length < size:
        line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14))).capitalize() + "."
        if rng.random() < 0.1:
            line = f"## {line}"
        lines.append(line)
        length += len(line) + 1
    return "\n".join(lines) + "\n"


_PREFIXES = [
    "pdf",
    "csv",
    "sql",
    "log",
    "api",
    "doc",
    "img",
    "git",
    "ci",
    "k8s",
    "s3",
    "dns",
    "tls",
    "jwt",
    "cron",
    "etl",
    "crm",
    "erp",
    "hr",
    "pr",
]
_SUFFIXES = [
    "report",
    "audit",
    "parser",
    "review",
    "planner",
    "sync",
    "guard",
    "mapper",
    "digest",
    "linter",
    "triage",
    "budget",
    "lookup",
    "export",
    "import",
    "builder",
    "monitor",
    "tracker",
    "cleaner",
    "checker",
]
TERMS = [a + b for a in _PREFIXES for b in _SUFFIXES]
"""Domain terms: real descriptions mix common words with the nouns of their task. Made of
WORDS alone, every description would share every word pair with thousands of others (which
no real repository does), and overlapping-descriptions would compare nearly every pair."""


def _description(rng: random.Random) -> str:
    size = rng.randint(100, 260)
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < size:
        words.append(rng.choice(WORDS) if rng.random() < 0.5 else rng.choice(TERMS))
    return " ".join(words).capitalize() + ". Use when the user asks for it."


def skill(rng: random.Random, index: int, bodies: list[str]) -> dict[str, str]:
    description = _description(rng)
    if bodies and index % 10 == 0:
        instructions = bodies[index // 10 % len(bodies)]
    else:
        instructions = _text(rng, rng.randint(2_000, 20_000))
    return {
        "name": f"skill-{index:05d}",
        "description": description,
        "instructions": instructions,
        "version": f"1.{index % 7}.0",
    }


EVERY_RULE = "lint:\n  rules: {missing-version: warning}\n"
"""Every rule of ``skillsync rules`` on (missing-version is the one off by default)."""


def write_repo(
    root: Path, skills: list[dict[str, str]], url: str = "", api: str = "seed", layout: str = "yaml"
) -> None:
    """A repository of YAML skill files, or (``folders``) of SKILL.md folders found by the
    default ``**`` globs, each with a reference file and a script that SKILL.md names."""
    (root / "skills").mkdir(parents=True, exist_ok=True)
    config = 'version: 1\nskills: ["skills/*.yaml"]\n' if layout == "yaml" else "version: 1\n"
    config += EVERY_RULE
    if url:
        config += (
            "default_target: bench\ntargets:\n  bench:\n"
            f"    base_url: {url}\n    api: {api}\n    api_key_env: BENCH_KEY\n"
            '    manage: ["*"]\nsafety:\n  max_delete_percent: 100\n'
        )
    (root / "skillsync.yaml").write_text(config)
    if layout == "folders":
        for s in skills:
            write_folder(root / "skills" / s["name"], s)
        return
    from skillsync.importer import dump_exact

    for index, s in enumerate(skills):
        head = (
            f"name: {s['name']}\ndescription: {json.dumps(s['description'])}\n"
            f"version: {s['version']}\n"
        )
        if index % 100 < INLINE_SHARE * 100:
            text = dump_exact(s) or ""
            assert text, s["name"]
        else:
            text = head + f"instructions_file: {s['name']}.md\n"
            (root / "skills" / f"{s['name']}.md").write_bytes(s["instructions"].encode())
        (root / "skills" / f"{s['name']}.yaml").write_text(text)


def write_folder(folder: Path, s: dict[str, str]) -> None:
    (folder / "scripts").mkdir(parents=True, exist_ok=True)
    (folder / "SKILL.md").write_text(
        f"---\nname: {s['name']}\ndescription: {json.dumps(s['description'])}\n"
        f"metadata:\n  version: {s['version']}\n---\nRead [the reference](reference.md) and "
        f"run `scripts/run.py`.\n\n{s['instructions']}"
    )
    (folder / "reference.md").write_text(f"# {s['name']}\n\nDetails, one level deep.\n")
    (folder / "scripts" / "run.py").write_text("print('ok')\n")
    from skillsync.lint.markdown import relative_target, scan

    for link in scan(s["instructions"])[0]:  # a corpus body's own reference files
        target = relative_target(link.text)
        if target and not (folder / target).exists():
            (folder / target).parent.mkdir(parents=True, exist_ok=True)
            (folder / target).write_text("Reference.\n")


# -- processes -------------------------------------------------------------------------------
@contextmanager
def emulator(db: Path, api: str, *extra: str) -> Iterator[str]:
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "skillsync", "emulator", "--api", api, "--port", "0"),
            *("--db", str(db), *extra),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split()[-1]
        yield url
    finally:
        # SIGTERM, not SIGINT: a benchmark started in the background (nohup ... &)
        # passes on an ignored SIGINT, and Python then never raises KeyboardInterrupt.
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)


def user_env(cache: Path | None = None, **extra: str) -> dict[str, str]:
    """The environment of a user's shell: bytecode caches on, as after pip install; a
    fresh skillsync cache unless one is given."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    cache = cache or Path(tempfile.mkdtemp(prefix="skillsync-bench-cache-"))
    return {**env, "SKILLSYNC_CACHE_DIR": str(cache), **extra}


def timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, int, int]:
    """Run a command; (seconds, exit code, peak resident set in KiB)."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, env=env or user_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 2):
        assert process.stderr is not None
        sys.exit(f"{' '.join(command)} failed:\n{process.stderr.read().decode()[-2000:]}")
    return elapsed, process.returncode, usage.ru_maxrss


def stats(url: str) -> dict[str, int]:
    data: dict[str, int] = httpx.get(f"{url}/_emulator/stats").json()["requests"]
    return data


def delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}


def measure(runs: int, action: Callable[[], float]) -> dict[str, Any]:
    return summary([action() for _ in range(runs)])


def measure_pair(
    runs: int, first: Callable[[], float], second: Callable[[], float]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two measurements whose ratio is a bar, taken in turns (first, second, first, ...):
    on a shared machine a slow minute then slows both alike, where measuring all runs of
    one and then all of the other can read the two at different speeds."""
    values: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        values[0].append(first())
        values[1].append(second())
    return summary(values[0]), summary(values[1])


def summary(values: list[float]) -> dict[str, Any]:
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "runs": values,
    }


def skillsync(*args: str) -> list[str]:
    return [sys.executable, "-m", "skillsync", *args]


# -- validate --------------------------------------------------------------------------------
def bench_validate(
    work: Path, skills: list[dict[str, str]], runs: int, layout: str = "yaml"
) -> dict[str, Any]:
    """With every rule on: a cold validate (no cache), validate after one file changed
    (warm cache), and after one skill's description changed (which the cross-skill rule
    overlapping-descriptions sees)."""
    repo = work / f"validate-{layout}-{len(skills)}"
    write_repo(repo, skills, layout=layout)
    _commit(repo)
    cold = measure(runs, lambda: timed(skillsync("-C", str(repo), "validate", "--no-cache"))[0])
    cache = work / f"validate-cache-{layout}-{len(skills)}"
    env = user_env(cache)
    timed(skillsync("-C", str(repo), "validate"), env)  # fills the cache
    # once past the racy window, one more run records that, as for files committed a while ago
    time.sleep(RACY)
    timed(skillsync("-C", str(repo), "validate"), env)
    edits = iter(skills)
    git_status: list[float] = []

    def edit(old: str, new: str) -> float:
        """The next skill file that holds ``old`` (a YAML file may write its description
        unquoted), changed; then validate, and git status right after."""
        for s in edits:
            name = s["name"]
            path = repo / "skills" / (f"{name}.yaml" if layout == "yaml" else f"{name}/SKILL.md")
            text = path.read_text()
            if old in text:
                break
        else:
            sys.exit(f"no skill file left holds {old!r}")
        path.write_text(text.replace(old, new, 1))
        seconds, code, _ = timed(skillsync("-C", str(repo), "validate"), env)
        assert code == 0, "the benchmark's skills are valid"
        # SPEC 8's anchor, on the same tree right after: what git needs to tell what changed
        git_status.append(timed(["git", "-C", str(repo), "status", "--porcelain"])[0])
        return seconds

    one_change = measure(runs, lambda: edit("version: ", "version: 9"))
    anchor = summary(git_status)
    return {
        "cold": cold,
        "one_change": one_change,
        "git_status": anchor,
        "one_change_vs_git": one_change["median"] / anchor["median"],
        "one_description": measure(runs, lambda: edit('description: "', 'description: "New. ')),
    }


def _commit(repo: Path) -> None:
    """The repository committed, as a user's is: ``git status`` then has an index to use.
    Without automatic gc: a commit of 20,000 new files would start ``git gc`` in the
    background, which packs them while the measurements run and slows every one."""
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@example.com",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@example.com",
    }
    quiet = ["-c", "gc.auto=0", "-c", "maintenance.auto=false"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "skills"]):
        subprocess.run(["git", "-C", str(repo), *quiet, *args], check=True, env=env)


# -- plan and apply --------------------------------------------------------------------------
def folder_uploads(folder: Path) -> list[tuple[str, bytes]]:
    """The files a SKILL.md folder uploads, as the API holds them (``<name>/<path>``)."""
    return [
        (f"{folder.name}/{p.relative_to(folder).as_posix()}", p.read_bytes())
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not any(part.startswith(".") for part in p.parts)
    ]


def populate(db: Path, skills: list[dict[str, str]], api: str, folders: Path | None = None) -> None:
    """The remote holding ``skills`` as the repository defines them (``folders``: the
    SKILL.md folders under it, every file)."""
    if api == "seed":
        from skillsync.emulator.store import SkillStore

        seed_store = SkillStore(db)
        for s in skills:
            seed_store.create("default", s)
        seed_store.close()
        return
    from skillsync.emulator.app import open_store
    from skillsync.emulator.uploads import OPENAI_RULES, check_upload
    from skillsync.model import Skill
    from skillsync.tree import render_skill_md

    store = open_store(db, api)
    for s in skills:
        text = render_skill_md(Skill(s["name"], s["description"], s["instructions"], s["version"]))
        files = [(f"{s['name']}/SKILL.md", text.encode())]
        if folders is not None:
            files = folder_uploads(folders / s["name"])
        if api == "openai":
            store.create("default", check_upload(files, OPENAI_RULES))
        else:
            store.create("default", check_upload(files), None)
    store.close()


def bench_warm_folders(work: Path, skills: list[dict[str, str]], runs: int) -> dict[str, Any]:
    """A warm anthropic plan of a repository of SKILL.md folders (each with a reference
    file and a script), in sync: the real-world layout."""
    repo = work / f"plan-folders-{len(skills)}"
    write_repo(repo, skills, "http://placeholder", "anthropic", layout="folders")
    db = work / f"plan-folders-{len(skills)}.db"
    populate(db, skills, "anthropic", repo / "skills")
    result: dict[str, Any] = {}
    with emulator(db, "anthropic") as url:
        config = repo / "skillsync.yaml"
        config.write_text(config.read_text().replace("http://placeholder", url))
        plan = skillsync("-C", str(repo), "plan", "--detailed-exitcode")
        env = user_env(work / f"plan-folders-cache-{len(skills)}", BENCH_KEY=KEY)
        assert timed(plan, env)[1] == 0, "the remote should be in sync"  # fills the caches
        before = stats(url)
        result["warm"] = measure(runs, lambda: timed(plan, env)[0])
        result["warm_requests"] = {k: v // runs for k, v in delta(stats(url), before).items()}
    return result


def bench_plan(
    work: Path, skills: list[dict[str, str]], runs: int, api: str, layout: str = "yaml"
) -> dict[str, Any]:
    """A cold plan of ``skills`` in sync, and its bare baseline, in turns; for the YAML
    layout also a warm plan and ``skillsync output`` (SKILL.md folders: see
    bench_warm_folders)."""
    tag = f"{api}-{layout}-{len(skills)}"
    repo, db = work / f"plan-{tag}", work / f"plan-{tag}.db"
    write_repo(repo, skills, "http://placeholder", api, layout=layout)
    populate(db, skills, api, repo / "skills" if layout == "folders" else None)
    result: dict[str, Any] = {}
    with emulator(db, api) as url:
        config = repo / "skillsync.yaml"
        config.write_text(config.read_text().replace("http://placeholder", url))
        plan = skillsync("-C", str(repo), "plan", "--detailed-exitcode", "--parallelism", "10")
        peak: list[int] = []
        requests: Counter[str] = Counter()

        def cold() -> float:
            before = stats(url)
            seconds, code, rss = timed([*plan, "--no-cache"], user_env(BENCH_KEY=KEY))
            assert code == 0, "the remote should be in sync"
            requests.update(delta(stats(url), before))
            peak.append(rss)
            return seconds

        baseline = [sys.executable, str(HERE / "baseline.py"), url, KEY, "10", api]
        result["plan"], result["baseline"] = measure_pair(runs, cold, lambda: timed(baseline)[0])
        result["plan_requests"] = {k: v // runs for k, v in requests.items()}
        result["peak_rss_mib"] = max(peak) / 1024
        if api != "seed" and layout == "yaml":
            env = user_env(work / f"plan-cache-{api}-{len(skills)}", BENCH_KEY=KEY)
            timed(plan, env)  # fills the version cache
            before = stats(url)
            result["warm"] = measure(runs, lambda: timed(plan, env)[0])
            result["warm_requests"] = {k: v // runs for k, v in delta(stats(url), before).items()}
            before = stats(url)
            timed(skillsync("-C", str(repo), "output", "--format", "json"), env)
            result["output_requests"] = delta(stats(url), before)
    result["ratio"] = result["plan"]["median"] / result["baseline"]["median"]
    return result


def bench_apply(
    work: Path, skills: list[dict[str, str]], runs: int, api: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Apply of every skill as creates at parallelism 1 and 10, in turns (the speed-up
    is their ratio): each run a fresh emulator with 20 ms latency and a fresh repository."""
    requests: dict[int, dict[str, int]] = {1: {}, 10: {}}

    def apply(parallelism: int) -> float:
        db = work / f"apply-{api}-{parallelism}.db"
        db.unlink(missing_ok=True)
        with emulator(db, api, "--latency-ms", "20") as url:
            repo = work / f"apply-{api}-{parallelism}"
            shutil.rmtree(repo, ignore_errors=True)
            write_repo(repo, skills, url, api)
            before = stats(url)
            command = [
                "-C",
                str(repo),
                "apply",
                "--auto-approve",
                "--parallelism",
                str(parallelism),
            ]
            seconds, _, _ = timed(skillsync(*command), user_env(BENCH_KEY=KEY))
            requests[parallelism] = delta(stats(url), before)
        return seconds

    one, ten = measure_pair(runs, lambda: apply(1), lambda: apply(10))
    return {**one, "requests": requests[1]}, {**ten, "requests": requests[10]}


# -- the whole run ---------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one run each")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "results.json")
    parser.add_argument("--only", choices=["validate", *APIS])
    args = parser.parse_args()
    small, large, apply_n = (100, 1000, 100) if args.quick else (1000, 10_000, 1000)
    runs = 1 if args.quick else args.runs
    rng = random.Random(2026)
    bodies = _corpus_bodies()
    skills = [skill(rng, i, bodies) for i in range(large)]
    machine = {"cores": os.cpu_count(), "python": sys.version.split()[0]}
    results: dict[str, Any] = {"machine": machine, "inline_share": INLINE_SHARE}
    sizes = {"small": small, "large": large, "apply": apply_n}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="skillsync-bench-") as temp:
        work = Path(temp)
        if args.only in (None, "validate"):
            for layout in ("yaml", "folders"):
                for n in (small, large):
                    print(f"validate {n} ({layout}) ...", flush=True)
                    key = f"validate_{layout}_{n}"
                    results[key] = bench_validate(work, skills[:n], runs, layout)
        for api in APIS:
            if args.only not in (None, api):
                continue
            for n in (small, large):
                print(f"{api}: plan {n} ...", flush=True)
                results[f"{api}_plan_{n}"] = bench_plan(work, skills[:n], runs, api)
            print(f"{api}: apply {apply_n} at parallelism 1 and 10, in turns ...", flush=True)
            results[f"{api}_apply_p1"], results[f"{api}_apply_p10"] = bench_apply(
                work, skills[:apply_n], runs, api
            )
            results[f"{api}_speedup_apply"] = (
                results[f"{api}_apply_p1"]["median"] / results[f"{api}_apply_p10"]["median"]
            )
            if api != "seed":
                print(f"{api}: plan {large} SKILL.md folders ...", flush=True)
                results[f"{api}_plan_folders_{large}"] = bench_plan(
                    work, skills[:large], runs, api, layout="folders"
                )
            if api == "anthropic":
                print(f"anthropic: warm plan of {large} SKILL.md folders ...", flush=True)
                results[f"anthropic_folders_{large}"] = bench_warm_folders(
                    work, skills[:large], runs
                )
    results["total_seconds"] = time.perf_counter() - started
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print("\n".join(table(results, sizes)))
    print(f"\n(written to {args.out}; {results['total_seconds']:.0f} s in all)")


def _row(label: str, m: dict[str, Any], bar: str = "") -> str:
    spread = f"{m['min']:.2f}-{m['max']:.2f}"
    return f"| {label} | {m['median']:.2f} s | {spread} s | {bar} |"


def _requests(label: str, reqs: dict[str, int], bar: str) -> str:
    listed = ", ".join(f"{k}: {v}" for k, v in sorted(reqs.items()))
    return f"| {label} | {listed} | | {bar} |"


def table(r: dict[str, Any], sizes: dict[str, int]) -> list[str]:
    small, large, apply_n = sizes["small"], sizes["large"], sizes["apply"]
    lines = ["| measurement | median | spread | bar |", "| --- | ---: | ---: | --- |"]
    for layout, what in (("yaml", "YAML files"), ("folders", "SKILL.md folders")):
        if f"validate_{layout}_{large}" not in r:
            continue
        v = r[f"validate_{layout}_{large}"]
        lines += [
            _row(f"validate {small:,} {what}", r[f"validate_{layout}_{small}"]["cold"]),
            _row(f"validate {large:,} {what}", v["cold"], "< 2 s"),
            _row(f"validate {large:,} {what}, one changed since the last run", v["one_change"]),
            _row(f"git status --porcelain on the same tree ({what})", v["git_status"]),
            f"| validate after one change / git status ({what}) | "
            f"{v['one_change_vs_git']:.1f}x | | <= 3x |",
            _row(f"validate {large:,} {what}, one description changed", v["one_description"]),
        ]
    for api in APIS:
        if f"{api}_plan_{large}" not in r:
            continue
        cold = "" if api == "seed" else " (no cache)"
        for n in (small, large):
            p = r[f"{api}_plan_{n}"]
            lines.append(_row(f"{api}: plan {n:,} in-sync skills{cold}", p["plan"]))
            lines.append(_row(f"{api}: bare baseline, same requests ({n:,})", p["baseline"]))
            lines.append(f"| {api}: plan / baseline ({n:,}) | {p['ratio']:.2f}x | | <= 1.3x |")
        cold_folders = r.get(f"{api}_plan_folders_{large}")
        if cold_folders is not None:
            what = f"{large:,} SKILL.md folders"
            lines.append(_row(f"{api}: plan {what} in sync (no cache)", cold_folders["plan"]))
            lines.append(
                _row(f"{api}: bare baseline, same requests ({what})", cold_folders["baseline"])
            )
            lines.append(
                f"| {api}: plan / baseline ({what}) | {cold_folders['ratio']:.2f}x | | <= 1.3x |"
            )
            lines.append(
                f"| {api}: peak RSS, plan of {what} | {cold_folders['peak_rss_mib']:.0f} MiB "
                "| | < 200 MB |"
            )
        big = r[f"{api}_plan_{large}"]
        if "warm" in big:
            lines.append(
                _row(f"{api}: warm plan of {large:,} (version cache)", big["warm"], "< 3 s")
            )
        folders = r.get(f"{api}_folders_{large}")
        if folders is not None:
            lines.append(
                _row(f"{api}: warm plan of {large:,} SKILL.md folders", folders["warm"], "< 3 s")
            )
            lines.append(
                _requests(
                    f"{api}: requests of that warm plan",
                    folders["warm_requests"],
                    "only the list pages (<= 11)",
                )
            )
        rss_bar = "< 200 MB"
        lines.append(
            f"| {api}: peak RSS, plan of {large:,} | {big['peak_rss_mib']:.0f} MiB | | {rss_bar} |"
        )
        for parallelism in (1, 10):
            lines.append(
                _row(
                    f"{api}: apply {apply_n:,} creates, 20 ms latency, parallelism {parallelism}",
                    r[f"{api}_apply_p{parallelism}"],
                )
            )
        lines.append(
            f"| {api}: apply speed-up, parallelism 10 vs 1 | "
            f"{r[f'{api}_speedup_apply']:.1f}x | | >= 6x |"
        )
        for n in (small, large):
            reqs = r[f"{api}_plan_{n}"]["plan_requests"]
            bar = "list pages + one read per skill"
            if api != "seed":
                bar = "list pages + a download per skill"
            lines.append(_requests(f"{api}: requests of a plan of {n:,}", reqs, bar))
        pages = "only the list pages (<= 11)" if api == "anthropic" else "only the list pages"
        if api == "openai":
            pages = "only the list pages (<= 101)"
        if "warm_requests" in big:
            lines.append(
                _requests(
                    f"{api}: requests of a warm plan of {large:,}", big["warm_requests"], pages
                )
            )
        if "output_requests" in big:
            lines.append(
                _requests(
                    f"{api}: requests of skillsync output after it", big["output_requests"], pages
                )
            )
        reqs = r[f"{api}_apply_p10"]["requests"]
        lines.append(
            _requests(
                f"{api}: requests of an apply of {apply_n:,} creates", reqs, "one write per change"
            )
        )
    return lines


if __name__ == "__main__":
    main()
