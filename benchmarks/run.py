"""Measure skillsync against the bars of SPEC section 8.

One command: ``python benchmarks/run.py`` (``--quick`` for a smoke run). It
generates synthetic skill repositories (descriptions of 100-300 characters,
instructions of 2-20 KB, some taken from the Agent Skills corpus when it is
beside the checkout), starts the emulator as a separate HTTP server process,
runs each measurement several times and prints one table (median and spread),
also written as JSON to benchmarks/results/results.json.
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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "agent-skills"
KEY = "emulator-key"
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


def skill(rng: random.Random, index: int, bodies: list[str]) -> dict[str, str]:
    description = _text(rng, rng.randint(100, 300)).replace("\n", " ").strip()[:300]
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


def write_repo(root: Path, skills: list[dict[str, str]], url: str = "") -> None:
    (root / "skills").mkdir(parents=True, exist_ok=True)
    config = 'version: 1\nskills: ["skills/*.yaml"]\n'
    if url:
        config += (
            "default_target: bench\ntargets:\n  bench:\n"
            f'    base_url: {url}\n    api: seed\n    api_key_env: BENCH_KEY\n    manage: ["*"]\n'
            "safety:\n  max_delete_percent: 100\n"
        )
    (root / "skillsync.yaml").write_text(config)
    for index, s in enumerate(skills):
        head = (
            f"name: {s['name']}\ndescription: {json.dumps(s['description'])}\n"
            f"version: {s['version']}\n"
        )
        if index % 100 < INLINE_SHARE * 100:
            from skillsync.importer import dump_exact

            text = dump_exact(s) or ""
            assert text, s["name"]
        else:
            text = head + f"instructions_file: {s['name']}.md\n"
            (root / "skills" / f"{s['name']}.md").write_bytes(s["instructions"].encode())
        (root / "skills" / f"{s['name']}.yaml").write_text(text)


# -- processes -------------------------------------------------------------------------------
@contextmanager
def emulator(db: Path, *extra: str) -> Iterator[str]:
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "skillsync", "emulator", "--api", "seed", "--port", "0"),
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
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


def user_env(**extra: str) -> dict[str, str]:
    """The environment of a user's shell: bytecode caches on, as after pip install."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, **extra}


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
    values = [action() for _ in range(runs)]
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "runs": values,
    }


def skillsync(*args: str) -> list[str]:
    return [sys.executable, "-m", "skillsync", *args]


# -- the benchmarks --------------------------------------------------------------------------
def bench_validate(work: Path, skills: list[dict[str, str]], runs: int) -> dict[str, Any]:
    repo = work / f"validate-{len(skills)}"
    write_repo(repo, skills)
    return measure(runs, lambda: timed(skillsync("-C", str(repo), "validate"))[0])


def populate(db: Path, skills: list[dict[str, str]]) -> None:
    from skillsync.emulator.store import SkillStore

    store = SkillStore(db)
    for s in skills:
        store.create("default", s)
    store.close()


def bench_plan(work: Path, skills: list[dict[str, str]], runs: int) -> dict[str, Any]:
    db = work / f"plan-{len(skills)}.db"
    populate(db, skills)
    env = user_env(BENCH_KEY=KEY)
    result: dict[str, Any] = {}
    with emulator(db) as url:
        repo = work / f"plan-{len(skills)}"
        write_repo(repo, skills, url)
        before = stats(url)
        peak: list[int] = []

        def plan() -> float:
            seconds, code, rss = timed(
                skillsync("-C", str(repo), "plan", "--detailed-exitcode", "--parallelism", "10"),
                env,
            )
            assert code == 0, "the remote should be in sync"
            peak.append(rss)
            return seconds

        result["plan"] = measure(runs, plan)
        result["plan_requests"] = {k: v // runs for k, v in delta(stats(url), before).items()}
        result["peak_rss_mib"] = max(peak) / 1024
        baseline = [sys.executable, str(HERE / "baseline.py"), url, KEY, "10"]
        result["baseline"] = measure(runs, lambda: timed(baseline)[0])
    result["ratio"] = result["plan"]["median"] / result["baseline"]["median"]
    return result


def bench_apply(
    work: Path, skills: list[dict[str, str]], runs: int, parallelism: int
) -> dict[str, Any]:
    env = user_env(BENCH_KEY=KEY)
    requests: dict[str, int] = {}

    def apply() -> float:
        db = work / f"apply-{parallelism}.db"
        db.unlink(missing_ok=True)
        with emulator(db, "--latency-ms", "20") as url:
            repo = work / f"apply-{parallelism}"
            shutil.rmtree(repo, ignore_errors=True)
            write_repo(repo, skills, url)
            before = stats(url)
            seconds, _, _ = timed(
                skillsync(
                    "-C", str(repo), "apply", "--auto-approve", "--parallelism", str(parallelism)
                ),
                env,
            )
            requests.update(delta(stats(url), before))
        return seconds

    result = measure(runs, apply)
    result["requests"] = requests
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one run each")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "results.json")
    parser.add_argument(
        "--only", choices=["validate"], help="run one group of measurements and print it"
    )
    args = parser.parse_args()
    small, large, apply_n = (100, 1000, 100) if args.quick else (1000, 10_000, 1000)
    runs = 1 if args.quick else args.runs
    rng = random.Random(2026)
    bodies = _corpus_bodies()
    skills = [skill(rng, i, bodies) for i in range(large)]
    machine = {"cores": os.cpu_count(), "python": sys.version.split()[0]}
    results: dict[str, Any] = {"machine": machine, "inline_share": INLINE_SHARE}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="skillsync-bench-") as temp:
        work = Path(temp)
        for n in (small, large):
            print(f"validate {n} ...", flush=True)
            results[f"validate_{n}"] = bench_validate(work, skills[:n], runs)
        if args.only == "validate":
            for n in (small, large):
                print(_row(f"validate {n:,} files", results[f"validate_{n}"]))
            return
        for n in (small, large):
            print(f"plan {n} ...", flush=True)
            results[f"plan_{n}"] = bench_plan(work, skills[:n], runs)
        for parallelism in (1, 10):
            print(f"apply {apply_n} at parallelism {parallelism} ...", flush=True)
            results[f"apply_p{parallelism}"] = bench_apply(
                work, skills[:apply_n], runs, parallelism
            )
    results["speedup_apply"] = results["apply_p1"]["median"] / results["apply_p10"]["median"]
    results["total_seconds"] = time.perf_counter() - started
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print_table(results, small, large, apply_n)
    print(f"\n(written to {args.out}; {results['total_seconds']:.0f} s in all)")


def _row(label: str, m: dict[str, Any], bar: str = "") -> str:
    spread = f"{m['min']:.2f}-{m['max']:.2f}"
    return f"| {label} | {m['median']:.2f} s | {spread} s | {bar} |"


def print_table(r: dict[str, Any], small: int, large: int, apply_n: int) -> None:
    lines = [
        "| measurement | median | spread | bar (SPEC 8) |",
        "| --- | ---: | ---: | --- |",
        _row(f"validate {small:,} files", r[f"validate_{small}"]),
        _row(f"validate {large:,} files", r[f"validate_{large}"], "< 2 s"),
    ]
    for n in (small, large):
        p = r[f"plan_{n}"]
        lines.append(_row(f"plan {n:,} in-sync skills", p["plan"]))
        lines.append(_row(f"bare baseline, same requests ({n:,})", p["baseline"]))
        lines.append(f"| plan / baseline ({n:,}) | {p['ratio']:.2f}x | | <= 1.3x |")
    lines.append(
        f"| peak RSS, plan of {large:,} | {r[f'plan_{large}']['peak_rss_mib']:.0f} MiB "
        "| | < 200 MB |"
    )
    lines.append(_row(f"apply {apply_n:,} creates, 20 ms latency, parallelism 1", r["apply_p1"]))
    lines.append(_row(f"apply {apply_n:,} creates, 20 ms latency, parallelism 10", r["apply_p10"]))
    lines.append(f"| apply speed-up, parallelism 10 vs 1 | {r['speedup_apply']:.1f}x | | >= 6x |")
    for n in (small, large):
        reqs = r[f"plan_{n}"]["plan_requests"]
        lines.append(
            f"| requests of a plan of {n:,} | "
            f"{', '.join(f'{k}: {v}' for k, v in sorted(reqs.items()))} | | "
            "list pages + one read per skill |"
        )
    reqs = r["apply_p10"]["requests"]
    lines.append(
        f"| requests of an apply of {apply_n:,} creates | "
        f"{', '.join(f'{k}: {v}' for k, v in sorted(reqs.items()))} | | "
        "one write per change |"
    )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
