"""The look-up before sending: what asking the API costs next to posting, measured in one run
against one sandbox at `--latency-ms 20`.

Before any row is sent the importer asks the API whether it already holds it (`$in` by
reference, 100 a request, paged: importer/pipeline/api_lookup.py). This bench imports a file
of rows without credit notes (so every row is asked about by its reference) with 8 lanes:

1. **first import** — nothing is found: the look-ups are pure overhead. They are asked twice:
   every row once before posting (`dedupe.api_lookup seconds=`: nothing is posted meanwhile)
   and again, a block at a time, as the lanes are about to send it
   (`posting.api_lookup seconds=`: the time lanes waited for those answers, summed over the
   lanes; the other lanes post meanwhile, so a lane's share is that sum over the lane
   count). The posting time is what the run's summary prints (rows / rows/s) and includes
   the look-ups made while posting. Target: the look-ups' share of the posting time (before
   posting, plus a lane's wait while posting) <= 10%.
2. **the same file again with the journal lost** (a fresh folder) — every row is found and
   nothing is posted: the whole run, and its look-ups, against the first import's posting.
3. **the intent commit, durable or not** — the journal's per-row commit (one UPDATE in WAL)
   with `synchronous=NORMAL` (what the journal uses) and `FULL` (an fsync per commit), on
   this machine's disk: what making the intent survive a power cut would cost per row,
   against the 20 ms a row's POST takes.

Printed, never asserted (the host is shared; its load is printed too).

    python bench/lookup_bench.py [--rows 5000] [--cases 500] [--lanes 8] [--commits 500]
"""

from __future__ import annotations

import argparse
import os
import re
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from import_bench import CREDITOR, run_measured, start_sandbox, write_cases

LATENCY_MS = 20
KEY = "bench-key"


def write_plain_credits(path: Path, rows: int, cases: int) -> None:
    """Rows without credit notes or references, each unique by case, amount and date."""
    lines = ["invoice_number,amount,client_registration_date"]
    lines += [
        f"INV-{i % cases:07d},{1 + i // cases}.{i % 100:02d},2026-{i % 12 + 1:02d}-15"
        for i in range(rows)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def run_import(folder: Path, data: Path, url: str, lanes: int) -> dict[str, float]:
    folder.mkdir()
    (folder / "config.yaml").write_text(
        f"defaults:\n  creditor: {CREDITOR}\nreport:\n  dir: reports\n  formats: [json]\n"
        "journal:\n  path: journal.sqlite\n",
        encoding="utf-8",
    )
    cmd = [sys.executable, "-m", "importer", "run", str(data), "--api-url", url]
    cmd += ["--lanes", str(lanes), "--log-json"]
    elapsed, _, code, output = run_measured(cmd, folder)  # inherits AMILI_API_KEY
    text = output.decode("utf-8", "replace")
    if code != 0:
        raise SystemExit(f"importer run exited {code}:\n{text[-2000:]}")
    asked = re.search(r'"asked": (\d+), "seconds": ([\d.]+), "event": "dedupe.api_lookup"', text)
    if asked is None:
        raise SystemExit(f"no dedupe.api_lookup line in the log:\n{text[-2000:]}")
    ahead = re.search(r'"asked": (\d+), "seconds": ([\d.]+), "event": "posting.api_lookup"', text)
    posting = re.search(r"posting\s+\d+ lanes?, (\d+) rows at ([\d.]+) rows/s", text)
    posted_s = int(posting[1]) / float(posting[2]) if posting else 0.0
    return {
        "seconds": elapsed,
        "lookups": float(asked[1]),
        "lookup_s": float(asked[2]),
        "ahead": float(ahead[1]) if ahead else 0.0,
        "ahead_s": float(ahead[2]) if ahead else 0.0,
        "posting_s": posted_s,
    }


def commit_ms(path: Path, commits: int, synchronous: str) -> float:
    """Milliseconds per intent-like commit (an UPDATE of one row, autocommitted) in WAL."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={synchronous}")
    db.execute("CREATE TABLE rows (row INTEGER PRIMARY KEY, outcome TEXT, intent_at TEXT)")
    db.executemany("INSERT INTO rows VALUES (?, 'not_sent', NULL)", ((n,) for n in range(commits)))
    started = time.perf_counter()
    for n in range(commits):
        db.execute(
            "UPDATE rows SET outcome='unknown', intent_at=? WHERE row=?", (str(time.time()), n)
        )
    elapsed = time.perf_counter() - started
    db.close()
    return elapsed * 1000 / commits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--lanes", type=int, default=8)
    parser.add_argument("--commits", type=int, default=500)
    args = parser.parse_args()
    os.environ["AMILI_API_KEY"] = KEY
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        cases = work / "cases.json"
        write_cases(cases, args.cases)
        data = work / "credits.csv"
        write_plain_credits(data, args.rows, args.cases)
        sandbox, url = start_sandbox(work, cases, LATENCY_MS, "api")
        try:
            first = run_import(work / "first", data, url, args.lanes)
            again = run_import(work / "journal-lost", data, url, args.lanes)
        finally:
            sandbox.terminate()
            sandbox.wait()
        normal = commit_ms(work / "normal.sqlite", args.commits, "NORMAL")
        full = commit_ms(work / "full.sqlite", args.commits, "FULL")
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{args.rows} rows without credit notes, {args.lanes} lanes, sandbox at {LATENCY_MS} ms")
    print(f"machine load average: {load}")
    posting = first["posting_s"]
    lane_wait = first["ahead_s"] / args.lanes
    print(
        f"first import: posting {posting:.2f} s; look-ups before posting "
        f"{first['lookup_s']:.2f} s in {first['lookups']:.0f} call(s) (100 references a "
        f"request); while posting {first['ahead']:.0f} call(s), lanes waited "
        f"{first['ahead_s']:.2f} s in all ({lane_wait:.2f} s a lane); whole run "
        f"{first['seconds']:.2f} s"
    )
    share = (first["lookup_s"] + lane_wait) / posting if posting else float("nan")
    print(f"ratio look-ups/posting: {share:.3f} (target <= 0.10)")
    print(
        f"journal lost, same file again: nothing posted, whole run {again['seconds']:.2f} s, "
        f"look-ups {again['lookup_s']:.2f} s in {again['lookups']:.0f} call(s) "
        f"(ratio to the first posting: {again['lookup_s'] / posting if posting else 0:.3f})"
    )
    print(
        f"intent commit: synchronous=NORMAL {normal:.3f} ms, FULL {full:.3f} ms a row "
        f"(FULL/NORMAL {full / normal:.1f}x; FULL adds {(full - normal) / LATENCY_MS:.1%} "
        f"of a {LATENCY_MS} ms POST)"
    )


if __name__ == "__main__":
    main()
