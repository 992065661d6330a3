"""How fast is this machine against the reference machine the bars are stated for?

The bars of the README (Performance) hold "on the 2-core reference machine". Release
f949f56 was measured there (its README: validate of 10,000 files in 0.53 s cold and
0.30 s after one change). This script runs that release here, from a temporary git
worktree of this checkout, and prints the ratio of its figures to the reference ones:
divide this machine's figures by it to read them at the reference speed.

Two ways:
- ``python benchmarks/calibrate.py``: the release's whole validate benchmark, cold and
  after one change. Run it right before or after ``python benchmarks/run.py --only
  validate``: on a shared machine the ratio moves with the machine's load, so the two are
  best measured close together.
- ``python benchmarks/calibrate.py --paired N``: closer still, for the bar that is
  nearest: validate after one change. N rounds, each one run of the release (10,000 YAML
  files, as its benchmark writes them) and one run of this checkout (10,000 SKILL.md
  folders, as ``run.py`` writes them), back to back, in alternating order. Each round
  gives this checkout's figure at the reference speed from its own ratio, so a slow
  minute of the machine slows both runs of a round and cancels out.

Usage: python benchmarks/calibrate.py [--runs N] [--paired N]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import run  # this checkout's benchmarks/run.py, beside this script

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RELEASE = "f949f56"
REFERENCE = {"cold": 0.53, "one_change": 0.30}
"""Seconds for validate of 10,000 files on the reference machine, from f949f56's README."""
SIZE = 10_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--paired", type=int, metavar="N", help="N rounds of paired one-change runs instead"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="skillsync-calibrate-") as temp:
        checkout = Path(temp) / "release"
        git = ["git", "-C", str(ROOT)]
        subprocess.run([*git, "worktree", "add", "--detach", str(checkout), RELEASE], check=True)
        try:
            shared = ROOT.parent / "shared"
            if shared.is_dir():  # the release's benchmark takes bodies from the corpus there
                (Path(temp) / "shared").symlink_to(shared)
            if args.paired:
                paired(Path(temp), checkout, args.paired)
            else:
                whole(Path(temp), checkout, args.runs)
        finally:
            subprocess.run([*git, "worktree", "remove", "--force", str(checkout)], check=True)


def whole(temp: Path, checkout: Path, runs: int) -> None:
    out = temp / "results.json"
    command = [sys.executable, "benchmarks/run.py", "--only", "validate"]
    subprocess.run(
        [*command, "--runs", str(runs), "--out", str(out)],
        cwd=checkout,  # python -m skillsync imports the release from here
        env=run.user_env(temp / "cache"),  # the release's run.py sets one per run
        check=True,
    )
    measured = json.loads(out.read_text())["validate_10000"]
    print(f"\nrelease {RELEASE}, validate of 10,000 files, here against the reference machine:")
    for key, reference in REFERENCE.items():
        here = measured[key]["median"]
        print(f"  {key}: {here:.2f} s here, {reference:.2f} s there: ratio {here / reference:.2f}")


class Side:
    """One repository, the skillsync that validates it, and its warm cache."""

    def __init__(self, repo: Path, code: Path, cache: Path, edit: str) -> None:
        self.repo, self.code, self.cache, self.edit = repo, code, cache, edit
        self.edited = 0

    def validate(self) -> float:
        """One validate of the whole repository: seconds (the process, as a user waits)."""
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "skillsync", "-C", str(self.repo), "validate"],
            cwd=self.code,  # python -m skillsync imports the skillsync found here
            env=run.user_env(self.cache),
            stdout=subprocess.DEVNULL,
            check=True,
        )
        return time.perf_counter() - start

    def change_one(self) -> float:
        """Validate after one skill file changed (its version, as run.py's benchmark does)."""
        path = self.repo / self.edit.format(index=self.edited)
        self.edited += 1
        path.write_text(path.read_text().replace("version: ", "version: 9", 1))
        return self.validate()


def paired(temp: Path, checkout: Path, rounds: int) -> None:
    release_repo, folders_repo = temp / "yaml", temp / "folders"
    print(f"writing {SIZE:,} YAML files with the release's benchmark ...", flush=True)
    writer = (
        "import random, sys; from pathlib import Path; sys.path.insert(0, 'benchmarks'); "
        "import run; rng = random.Random(2026); bodies = run._corpus_bodies(); "
        f"run.write_repo(Path(sys.argv[1]), [run.skill(rng, i, bodies) for i in range({SIZE})])"
    )
    subprocess.run(
        [sys.executable, "-c", writer, str(release_repo)],
        cwd=checkout,
        env=run.user_env(temp / "cache"),
        check=True,
    )
    print(f"writing {SIZE:,} SKILL.md folders with this checkout's benchmark ...", flush=True)
    rng = random.Random(2026)
    bodies = run._corpus_bodies()
    run.write_repo(folders_repo, [run.skill(rng, i, bodies) for i in range(SIZE)], layout="folders")
    sides = {
        "release": Side(
            release_repo, checkout, temp / "cache-release", "skills/skill-{index:05d}.yaml"
        ),
        "folders": Side(
            folders_repo, ROOT, temp / "cache-folders", "skills/skill-{index:05d}/SKILL.md"
        ),
    }
    for side in sides.values():  # fill each cache, then trust it as run.py does
        side.validate()
    time.sleep(run.RACY)
    for side in sides.values():
        side.validate()
    print(f"\n{rounds} rounds, validate after one change (seconds here):")
    print(
        "| round | release, 10,000 YAML files | this checkout, 10,000 SKILL.md folders "
        "| ratio | folders at the reference speed |"
    )
    print("| --- | --- | --- | --- | --- |")
    rows = []
    for index in range(rounds):
        order = ("release", "folders") if index % 2 == 0 else ("folders", "release")
        seconds = {name: sides[name].change_one() for name in order}
        ratio = seconds["release"] / REFERENCE["one_change"]
        rows.append((seconds["release"], seconds["folders"], ratio, seconds["folders"] / ratio))
        release, folders, ratio, at_reference = rows[-1]
        print(
            f"| {index + 1} | {release:.2f} | {folders:.2f} | {ratio:.2f} | {at_reference:.2f} |",
            flush=True,
        )
    figures = sorted(row[3] for row in rows)
    fastest = min(row[0] for row in rows), min(row[1] for row in rows)
    print(
        f"\nSKILL.md folders after one change, at the reference speed: median "
        f"{statistics.median(figures):.2f} s, {figures[0]:.2f}-{figures[-1]:.2f} s over "
        f"{rounds} rounds; from the fastest run of each side: "
        f"{fastest[1] / (fastest[0] / REFERENCE['one_change']):.2f} s (bar: 0.5 s)"
    )


if __name__ == "__main__":
    main()
