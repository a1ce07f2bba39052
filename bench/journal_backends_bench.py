"""The journal on SQLite against the journal on PostgreSQL over loopback, in one run, with
the same sandbox process:

1. `importer run` of a 5,000-row file at `--latency-ms 1` with 32 lanes, where the journal
   (two commits a row), not the API, sets the pace: rows/s end to end and posting, on each.
   Target: PostgreSQL >= 0.7x SQLite's rows/s.
2. The same at `--latency-ms 20` with 8 lanes, where the API sets the pace: both within 10%.
3. Rows (intent + outcome commits) per second from 32 threads on one shared `Journal`.

The server is a throwaway PostgreSQL 15 (tests/pg_support.py) with fsync on and
synchronous_commit off — what SQLite's WAL with synchronous=NORMAL promises: a killed process
loses nothing, a power cut may lose the last commits — each run in a fresh database;
`--synchronous-commit on` measures the server's default instead (every commit waits for its
WAL flush). Printed, never asserted; the machine's load is printed too (the host is shared).

    python bench/journal_backends_bench.py [--rows 5000] [--cases 500]
        [--synchronous-commit on] [--quick]

`--quick` measures only the first setup (the journal's pace): the script end to end, each
figure and ratio printed, at a fraction of the time (the tests run it so).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import pg_support
from import_bench import start_sandbox, write_cases, write_credits
from lanes_bench import KEY, journal_commits, run_import

from importer.journal.server import JournalServer

SETUPS = ((1, 32), (20, 8))
"""(latency ms, lanes): where the journal sets the pace, and where the API does."""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument(
        "--synchronous-commit",
        choices=("off", "on"),
        default="off",
        help="the server's synchronous_commit (off: SQLite's synchronous=NORMAL promise)",
    )
    parser.add_argument("--quick", action="store_true", help="only the first setup")
    args = parser.parse_args()
    setups = SETUPS[:1] if args.quick else SETUPS
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(Path(__file__).parents[1] / "importer")],
        check=True,
    )
    os.environ["AMILI_API_KEY"] = KEY
    os.environ[pg_support.PASSWORD_ENV] = pg_support.PASSWORD
    load_before = os.getloadavg()
    server = pg_support.start(
        pg_support.LIKE_SQLITE_NORMAL
        if args.synchronous_commit == "off"
        else "-c fsync=on -c synchronous_commit=on"
    )
    runs: dict[tuple[int, int, str], dict[str, float]] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="journal-backends-") as tmp:
            work = Path(tmp)
            cases = work / "cases.json"
            write_cases(cases, max(args.cases, 1))
            data = work / "credits.csv"
            write_credits(data, args.rows, cases=args.cases, seed=21)
            for latency, lanes in setups:
                proc, url = start_sandbox(work, cases, latency, f"api{latency}")
                try:
                    runs[latency, lanes, "sqlite"] = run_import(
                        work, data, url, lanes, label=f"s{latency}"
                    )
                    journal = (
                        f"journal:\n  url: {server.url(server.database())}\n"
                        f"  password_env: {pg_support.PASSWORD_ENV}\n"
                    )
                    runs[latency, lanes, "postgresql"] = run_import(
                        work, data, url, lanes, label=f"p{latency}", journal=journal
                    )
                finally:
                    proc.terminate()
                    proc.wait()
            commits = {
                "sqlite": journal_commits(work, args.rows, 32),
                "postgresql": journal_commits(
                    work,
                    args.rows,
                    32,
                    JournalServer(server.url(server.database()), pg_support.PASSWORD),
                ),
            }
    finally:
        server.stop()
    load_after = os.getloadavg()

    print(
        f"\n{args.rows:,} rows over {args.cases} cases; load average {load_before[0]:.1f}"
        f" before, {load_after[0]:.1f} after ({os.cpu_count()} CPUs);"
        f" PostgreSQL with fsync on, synchronous_commit {args.synchronous_commit}\n"
    )
    print("| latency, lanes | journal | rows/s end to end | posting rows/s | seconds |")
    print("|---|---|---:|---:|---:|")
    for (latency, lanes, backend), r in runs.items():
        print(
            f"| {latency} ms, {lanes} lanes | {backend} | {r['rows_per_s']:.0f} |"
            f" {r['posting_rows_per_s']:.0f} | {r['seconds']:.1f} |"
        )
    print()
    for latency, lanes in setups:
        sqlite, pg = runs[latency, lanes, "sqlite"], runs[latency, lanes, "postgresql"]
        target = ">= 0.70x" if latency == 1 else "0.90x to 1.10x"
        print(
            f"{latency} ms, {lanes} lanes: PostgreSQL/SQLite"
            f" {pg['rows_per_s'] / sqlite['rows_per_s']:.2f}x end to end,"
            f" {pg['posting_rows_per_s'] / sqlite['posting_rows_per_s']:.2f}x posting"
            f" (target {target})"
        )
    print(
        f"journal commits from 32 threads: SQLite {commits['sqlite']:,.0f} rows/s,"
        f" PostgreSQL {commits['postgresql']:,.0f} rows/s (two commits a row):"
        f" {commits['postgresql'] / commits['sqlite']:.2f}x"
    )


if __name__ == "__main__":
    main()
