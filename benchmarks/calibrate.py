"""How fast is this machine against the reference machine the bars are stated for?

The bars of the README (Performance) hold "on the 2-core reference machine". Release
f949f56 was measured there (its README: validate of 10,000 files in 0.53 s cold and
0.30 s after one change). This script runs that release's own validate benchmark here,
from a temporary git worktree of this checkout, and prints the ratio of each figure to
the reference one: divide this machine's figures by it to read them at the reference
speed. Run it right before or after ``python benchmarks/run.py --only validate``: on a
shared machine the ratio moves with the machine's load.

Usage: python benchmarks/calibrate.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RELEASE = "f949f56"
REFERENCE = {"cold": 0.53, "one_change": 0.30}
"""Seconds for validate of 10,000 files on the reference machine, from f949f56's README."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="skillsync-calibrate-") as temp:
        checkout = Path(temp) / "release"
        git = ["git", "-C", str(ROOT)]
        subprocess.run([*git, "worktree", "add", "--detach", str(checkout), RELEASE], check=True)
        try:
            shared = ROOT.parent / "shared"
            if shared.is_dir():  # the release's benchmark takes bodies from the corpus there
                (Path(temp) / "shared").symlink_to(shared)
            out = Path(temp) / "results.json"
            env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
            command = [sys.executable, "benchmarks/run.py", "--only", "validate"]
            subprocess.run(
                [*command, "--runs", str(args.runs), "--out", str(out)],
                cwd=checkout,  # python -m skillsync imports the release from here
                env=env,
                check=True,
            )
            measured = json.loads(out.read_text())["validate_10000"]
        finally:
            subprocess.run([*git, "worktree", "remove", "--force", str(checkout)], check=True)
    print(f"\nrelease {RELEASE}, validate of 10,000 files, here against the reference machine:")
    for key, reference in REFERENCE.items():
        here = measured[key]["median"]
        print(f"  {key}: {here:.2f} s here, {reference:.2f} s there: ratio {here / reference:.2f}")


if __name__ == "__main__":
    main()
