"""Per-case lanes: `importer run --lanes N` against one sandbox at `--latency-ms
20`, with every baseline measured in the same run against that same sandbox process.

1. A 3,000-row file over 500 cases with 1, 8 and 32 lanes: rows/s end to end (process start,
   reading, journal, posting, status read-back and all three report formats) and the
   posting rate the run's summary prints; peak RSS of each run.
2. The sandbox's own ceiling: a bare concurrent client (one keep-alive `http.client`
   connection per thread, 32 threads, nothing but POST and read the answer — the `wrk` way;
   wrk itself is not installed here) posting the same number of creditings.
3. A file that is all one case, with 1 and 8 lanes: lanes must cost nothing there.
4. The journal under 32 threads: intent + outcome commits per second on one shared
   connection, against what 32 lanes ask of it.

Targets: 8 lanes >= 0.9 x 8 / 20 ms = 360 rows/s and >= 7x one lane; 32 lanes
as a share of the sandbox's ceiling; one case: 8 lanes <= 5% over 1 lane; peak RSS at 32
lanes <= 1 lane + 50 MB. Printed, never asserted; the machine's load is printed too (the
host is shared).

    python bench/lanes_bench.py [--rows 3000] [--cases 500] [--one-case-rows 1000]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from import_bench import CREDITOR, run_measured, start_sandbox, write_cases, write_credits

from importer.journal import ImportRecord, Journal, NewRow, utcnow
from importer.journal.server import JournalServer
from importer.outcomes import Outcome

LATENCY_MS = 20
KEY = "bench-key"


def run_import(
    work: Path,
    data: Path,
    url: str,
    lanes: int,
    *,
    label: str = "",
    journal: str = "journal:\n  path: journal.sqlite\n",
) -> dict[str, float]:
    """One `importer run` in a fresh folder (its own journal and reports), of a copy of
    `data` whose credit notes and references are this run's own: the importer asks the API
    for the file's credit notes before posting, so the same notes again would all
    be `duplicate` and nothing would be posted. `label` tells runs of the same file and
    lanes apart; `journal` is the configuration's journal section (a server's, say)."""
    folder = work / f"run-{data.stem}-{lanes}{label}"
    folder.mkdir()
    tag = f"{data.stem}{lanes}{label}"
    own = folder / data.name
    own.write_text(
        data.read_text(encoding="utf-8").replace("KF-", f"KF{tag}-").replace("REF-", f"R{tag}-"),
        encoding="utf-8",
    )
    data = own
    (folder / "config.yaml").write_text(
        f"defaults:\n  creditor: {CREDITOR}\nreport:\n  dir: reports\n{journal}",
        encoding="utf-8",
    )
    cmd = [sys.executable, "-m", "importer", "run", str(data), "--api-url", url]
    cmd += ["--lanes", str(lanes)]
    elapsed, rss_mb, code, output = run_measured(cmd, folder)  # inherits AMILI_API_KEY
    text = output.decode("utf-8", "replace")
    if code != 0:
        raise SystemExit(f"importer run --lanes {lanes} exited {code}:\n{text[-2000:]}")
    posting = re.search(r"posting\s+\d+ lanes?, (\d+) rows at ([\d.]+) rows/s", text)
    if posting is None:
        raise SystemExit(f"no posting line in the summary:\n{text[-2000:]}")
    rows = int(posting[1])
    return {
        "seconds": elapsed,
        "rows_per_s": rows / elapsed,
        "posting_rows_per_s": float(posting[2]),
        "rss_mb": rss_mb,
    }


def bare_concurrent(url: str, count: int, threads: int, cases: int) -> float:
    """Requests/s the sandbox serves to `threads` bare keep-alive clients."""
    parts = urlsplit(url)
    headers = {"x-api-key": KEY, "Content-Type": "application/json"}
    failures: list[str] = []

    def worker(index: int) -> None:
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
        try:
            for n in range(index, count, threads):
                body = {
                    "creditor": CREDITOR,
                    "invoice_number": f"INV-{n % cases:07d}",
                    "currency": "SEK",
                    "amount": 1.25,
                    "origin": "creditor_system",
                    "creditor_reference": f"bare-{n}",
                }
                connection.request("POST", "/creditor--creditings", json.dumps(body), headers)
                response = connection.getresponse()
                text = response.read()
                if response.status != 201:
                    failures.append(f"{response.status} {text[:200]!r}")
                    return
        finally:
            connection.close()

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    started = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit(f"bare client: unexpected answer {failures[0]}")
    return count / elapsed


def journal_commits(
    work: Path, rows: int, threads: int, place: Path | JournalServer | None = None
) -> float:
    """Rows per second whose intent and outcome (two commits each) `threads` threads can
    journal through one shared Journal — what the lanes do besides waiting for the API.
    `place`: the journal (a server's, say); by default a SQLite file in `work`."""
    journal = Journal(place or work / "commits.sqlite")
    record = ImportRecord(
        id="bench",
        file_name="bench.csv",
        file_path="bench.csv",
        sha256=None,
        format="csv",
        rows=rows,
        columns=[],
        base_url="http://127.0.0.1:1",
        dry_run=False,
        sandbox=True,
        all_or_nothing=False,
        state="open",
        started=utcnow(),
        finished=None,
        file_errors=[],
        warnings=[],
    )
    request = {
        "creditor": CREDITOR,
        "invoice_number": "INV-1",
        "currency": "SEK",
        "amount": "1.25",
        "origin": "creditor_system",
    }
    journal.imports.create(
        record, [NewRow(n, ["x"], dict(request), [], Outcome.NOT_SENT) for n in range(rows)]
    )
    crediting = {"_id": "65" + "0" * 22, "status": "completed"}

    def worker(index: int) -> None:
        for n in range(index, rows, threads):
            journal.rows.mark_intent("bench", n)
            journal.rows.record("bench", n, Outcome.CREDITED, http_status=201, crediting=crediting)

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    started = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - started
    journal.close()
    return rows / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--one-case-rows", type=int, default=1000)
    args = parser.parse_args()
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(Path(__file__).parents[1] / "importer")],
        check=True,
    )
    os.environ["AMILI_API_KEY"] = KEY
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="lanes-bench-") as tmp:
        work = Path(tmp)
        cases = work / "cases.json"
        write_cases(cases, max(args.cases, 1))
        spread = work / "spread.csv"
        write_credits(spread, args.rows, cases=args.cases, seed=12)
        one_case = work / "onecase.csv"
        write_credits(one_case, args.one_case_rows, cases=1, seed=13)

        proc, url = start_sandbox(work, cases, LATENCY_MS, "lanes")
        try:
            runs = {n: run_import(work, spread, url, n) for n in (1, 8, 32)}
            ceiling = bare_concurrent(url, args.rows, 32, args.cases)
            single = {n: run_import(work, one_case, url, n) for n in (1, 8)}
        finally:
            proc.terminate()
            proc.wait()
        commits = journal_commits(work, args.rows, 32)
    load_after = os.getloadavg()

    one = runs[1]["rows_per_s"]
    print(
        f"\n`--latency-ms {LATENCY_MS}`, {args.rows:,} rows over {args.cases} cases, one sandbox"
        f" process; load average {load_before[0]:.1f} before, {load_after[0]:.1f} after"
        f" ({os.cpu_count()} CPUs)\n"
    )
    print("| run | rows/s end to end | posting rows/s | vs 1 lane | peak RSS MB |")
    print("|---|---:|---:|---:|---:|")
    for n, r in runs.items():
        print(
            f"| {n} lane{'s' if n > 1 else ''} | {r['rows_per_s']:.0f} |"
            f" {r['posting_rows_per_s']:.0f} | {r['rows_per_s'] / one:.2f}x |"
            f" {r['rss_mb']:.0f} |"
        )
    print(f"| bare client, 32 connections (sandbox ceiling) | {ceiling:.0f} | | | |")
    for n, r in single.items():
        print(
            f"| all one case ({args.one_case_rows:,} rows), {n} lane{'s' if n > 1 else ''} |"
            f" {r['rows_per_s']:.0f} | {r['posting_rows_per_s']:.0f} | | {r['rss_mb']:.0f} |"
        )
    print()
    target = 0.9 * 8 * 1000 / LATENCY_MS
    eight = runs[8]
    print(
        f"8 lanes: {eight['rows_per_s']:.0f} rows/s end to end, {eight['posting_rows_per_s']:.0f}"
        f" posting (target {target:.0f}); {eight['rows_per_s'] / one:.2f}x one lane"
        f" end to end, {eight['posting_rows_per_s'] / runs[1]['posting_rows_per_s']:.2f}x posting"
        " (target 7x)"
    )
    print(
        f"32 lanes: {runs[32]['posting_rows_per_s']:.0f} rows/s posting ="
        f" {runs[32]['posting_rows_per_s'] / ceiling:.2f} of the sandbox's ceiling"
        f" ({ceiling:.0f} requests/s to a bare 32-connection client)"
    )
    over = single[8]["seconds"] / single[1]["seconds"] - 1
    print(f"all one case: 8 lanes take {over:+.1%} over 1 lane (target <= +5%)")
    rss = runs[32]["rss_mb"] - runs[1]["rss_mb"]
    print(f"peak RSS: 32 lanes {rss:+.0f} MB over 1 lane (target <= +50 MB)")
    print(
        f"journal: {commits:,.0f} rows/s (intent + outcome commits) from 32 threads on one"
        f" connection = {commits / max(runs[32]['posting_rows_per_s'], 1):.0f}x what 32 lanes"
        " posted"
    )


if __name__ == "__main__":
    main()
