"""How long the README's test command takes for the tests that existed at an earlier release,
beside the whole suite of today, measured in the same run.

The goal set for the suite is about the tests that existed when it was set: they run in four
minutes or less, with coverage, on the project's 2-core machine when idle, so that the drills
added since (PostgreSQL, Chromium, Eve, several hosts at once) fit beside them. Those tests
are listed in `bench/data/tests-at-a9e72ed.txt` (`pytest --collect-only -q` at commit a9e72ed,
1,229 tests; they took 447 s then). Each is found in today's suite by its id; a test moved to
another module since is found by its name when that name is unique today; a test parametrised
since by journal backend (`[1]` then, `[1-sqlite]` and `[1-postgresql]` now) is taken on
SQLite, as it ran then. Tests merged into others or renamed are left out and counted.

Run:  python bench/suite_time.py [--whole] [--workers 4] [--limit N] [--ids FILE]
`--whole` also times the whole suite (the README's figure). The tests run with the README's
options (`-n 4 --cov`), their coverage data in a temporary folder, never the checkout's.
Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EARLIER = ROOT / "bench" / "data" / "tests-at-a9e72ed.txt"
_BY_BACKEND = re.compile(r"\[(\d+)\]$")


def collected(cwd: Path) -> list[str]:
    """Today's test ids, as `pytest --collect-only -q` lists them."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return [line for line in done.stdout.splitlines() if "::" in line]


def today_of(earlier: list[str], today: list[str]) -> tuple[list[str], list[str]]:
    """Each earlier test's id today (see the module's docstring), and the earlier ids not
    found."""
    present = set(today)
    by_name: dict[str, list[str]] = {}
    for test in today:
        by_name.setdefault(test.split("::", 1)[1], []).append(test)
    found: dict[str, None] = {}
    lost = []
    for test in earlier:
        candidates = [test, _BY_BACKEND.sub(r"[\1-sqlite]", test)]
        same = [c for c in candidates if c in present]
        moved = by_name.get(test.split("::", 1)[1], [])
        if same:
            found[same[0]] = None
        elif len(moved) == 1:
            found[moved[0]] = None
        else:
            lost.append(test)
    return list(found), lost


def timed_pytest(args: list[str], work: Path, workers: int) -> tuple[float, float, str]:
    """The README's test command over `args`: wall seconds, CPU seconds of every process it
    started, and its last line (the counts). Coverage's data goes to `work`, so the
    checkout's own (and a test run this may be part of) is never touched."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}
    env["COVERAGE_FILE"] = str(work / ".coverage")
    cmd = [sys.executable, "-m", "pytest", "-q", "-n", str(workers), "--cov"]
    cmd += ["-p", "no:cacheprovider", "--basetemp", str(work / "tmp"), *args]
    before = os.times()
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = os.times()
    cpu = after.children_user - before.children_user
    cpu += after.children_system - before.children_system
    counts = [line for line in done.stdout.splitlines() if " in " in line and "passed" in line]
    if done.returncode != 0 or not counts:
        print(done.stdout[-3000:], done.stderr[-2000:])
        _FAILED.append(done.returncode or 1)
    return wall, cpu, (counts or ["no count"])[-1].strip("= ")


_FAILED: list[int] = []
"""Exit codes of the pytest runs that failed: the times are printed all the same, and the
script exits with the first."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--whole", action="store_true", help="time the whole suite too")
    parser.add_argument("--workers", type=int, default=4, help="pytest -n (the README's: 4)")
    parser.add_argument("--limit", type=int, default=0, help="run only the first N (a check)")
    parser.add_argument("--ids", type=Path, default=EARLIER, help="the earlier tests' ids")
    options = parser.parse_args()
    earlier = options.ids.read_text(encoding="utf-8").split("\n")
    earlier = [test for test in earlier if "::" in test]
    found, lost = today_of(earlier, collected(ROOT))
    if options.limit:
        found = found[: options.limit]
    print(
        f"earlier tests: {len(earlier):,}; found today: {len(found):,}; "
        f"merged or renamed since, left out: {len(lost):,}"
    )
    with tempfile.TemporaryDirectory(prefix="suite-time-") as folder:
        work = Path(folder)
        listed = work / "tests.txt"
        listed.write_text("\n".join(found) + "\n", encoding="utf-8")
        wall, cpu, counts = timed_pytest([f"@{listed}"], work, options.workers)
        print(f"earlier tests today: {wall:.1f} s wall, {cpu:.1f} s CPU ({counts})")
        if options.whole:
            whole, whole_cpu, whole_counts = timed_pytest([], work, options.workers)
            print(f"whole suite: {whole:.1f} s wall, {whole_cpu:.1f} s CPU ({whole_counts})")
            print(f"ratio earlier tests/whole suite: {wall / whole:.2f} (wall)")
    if _FAILED:
        raise SystemExit(f"pytest exited {_FAILED[0]}: the times above include failed tests")


if __name__ == "__main__":
    main()
