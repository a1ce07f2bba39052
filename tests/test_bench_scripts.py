"""Every benchmark in bench/ still runs against the code it measures: each script, at its
smallest size (one size where it measures several, one setup where it compares several),
exits 0 and prints its figures and ratios. (Two had rotted after the package was restructured:
import_bench's (d) imported a module that no longer exists, xlsx_bench called a writer
helper with its old signature; the README's figures must come from scripts that run.)
Figures are never asserted: timings belong to bench/, not to the tests.

The scripts and the processes they start run unmeasured by coverage: a benchmark proves no
behaviour, so the coverage floor should not count the lines it happens to run, and measuring
them doubled the benchmarks' time (import_bench: 20 s of CPU measured, 9.5 s not)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_support import unmeasured

BENCH = Path(__file__).resolve().parents[1] / "bench"

CASES = [
    (
        "import_bench.py",
        [
            *["--rows", "300", "--post-rows", "20", "--latency-rows", "5"],
            *["--workbook-rows", "50", "--sizes", "40", "--memory-rows", "40", "--rounds", "2"],
        ],
        [
            *["(a) importer validate", "(b) importer run", "(c) importer run"],
            *["ratio importer/bare", "report.xlsx alone"],
            *["(e) 40 rows, median of 2: default formats", "(e) 40 rows, default formats: "],
        ],
    ),
    ("drop_bench.py", ["--files", "2", "--rows", "20"], ["ratio drop/baseline"]),
    (
        "drop_watch_memory.py",
        ["--files", "4", "--batch", "2"],
        ["RSS after the first", "RSS after all"],
    ),
    (
        "lanes_bench.py",
        ["--rows", "20", "--cases", "5", "--one-case-rows", "10"],
        ["8 lanes:", "peak RSS"],
    ),
    (
        "journal_backends_bench.py",
        ["--rows", "20", "--cases", "5", "--quick"],
        ["PostgreSQL/SQLite", "journal commits from 32 threads"],
    ),
    (
        "overview_bench.py",
        ["--imports", "3", "--rows", "40", "--rounds", "1"],
        ["ratio warm/baseline", "cold overview"],
    ),
    ("lookup_bench.py", ["--rows", "30", "--cases", "5"], ["ratio look-ups/posting"]),
    ("server_report_memory.py", ["--rows", "30"], ["peak RSS PostgreSQL/SQLite"]),
    ("sandbox_throughput.py", ["-n", "50"], ["sandbox capacity"]),
    ("workbook_layout.py", ["--rows", "100"], ["number_format", "layout as XML vs regular"]),
    ("xlsx_bench.py", ["--rows", "50", "--rounds", "1"], ["XlsxWriter is"]),
    (
        "suite_time.py",
        ["--limit", "2", "--workers", "0"],
        ["earlier tests: 1,229; found today: 2;", "earlier tests today:"],
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize(("script", "args", "says"), CASES, ids=[c[0] for c in CASES])
def test_the_benchmark_runs(script: str, args: list[str], says: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=BENCH.parent,
        env=unmeasured(os.environ),
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    for words in says:
        assert words in done.stdout, done.stdout[-2000:]


def test_every_benchmark_is_run_here() -> None:
    scripts = {p.name for p in BENCH.glob("*.py")}
    assert scripts == {case[0] for case in CASES}
