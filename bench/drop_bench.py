"""Benchmark `importer drop` against `importer run` over the same night of files.

A night: `--files` files (20) of `--rows` rows (5,000) each, posted into the sandbox (its own
process) answering every request after `--latency-ms` (5). Measured in the same run, each side
against a fresh sandbox, journal and report folder, with the default configuration (every
report format on):

  baseline  the sum of the wall times of `importer run FILE`, one process per file, in order;
  drop      the wall time of one `importer drop INBOX` over the same files (settle time 0).

Both sides run at the same time (each against its own sandbox), so on a machine shared with
other work they live through the same load; `--sequential` runs them one after the other.

Prints both and the drop's overhead (drop / baseline - 1; the issue's target is at most 5%).
Timings are printed, never asserted.

Run:  python bench/drop_bench.py [--files 20] [--rows 5000] [--latency-ms 5]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

CREDITOR = "5f1a2b3c4d5e6f7a8b9c0d1e"
ACCOUNT = "70a1b2c3d4e5f60718293a4b"
KEY = "bench-key"
CASES = 1000


def write_cases(path: Path) -> None:
    docs = [
        {
            "_id": f"{0x650000000000000000000000 + i:024x}",
            "creditor": CREDITOR,
            "account": ACCOUNT,
            "debt": {"invoice_number": f"INV-{i:07d}"},
            "reference_number": f"9{i:07d}",
            "currency": "SEK",
            "local_remaining_capital_amount": 1_000_000_000,
            "state": "open",
        }
        for i in range(CASES)
    ]
    path.write_text(json.dumps(docs), encoding="utf-8")


def write_night(folder: Path, files: int, rows: int) -> list[Path]:
    """`files` credit files, each with its own credit notes: nothing is held back as a
    duplicate, so both sides post every row."""
    folder.mkdir()
    paths = []
    for n in range(files):
        rng = random.Random(n)
        path = folder / f"night-{n + 1:02d}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["invoice_number", "amount", "currency", "credit_invoice"])
            for i in range(rows):
                writer.writerow(
                    [f"INV-{i % CASES:07d}", f"{rng.randint(1, 500_000) / 100:.2f}", "SEK",
                     f"KF-{n:02d}-{i:07d}"]
                )  # fmt: skip
        paths.append(path)
    return paths


def start_sandbox(work: Path, cases: Path, latency_ms: int) -> tuple[subprocess.Popen[str], str]:
    cmd = [
        sys.executable, "-m", "importer", "sandbox", "--port", "0", "--cases", str(cases),
        "--db", str(work / "api.sqlite"), "--api-key", KEY, "--latency-ms", str(latency_ms),
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    if not url.startswith("http"):
        raise SystemExit(f"the sandbox did not start: {url!r}")
    return proc, url


def side(
    root: Path, name: str, cases: Path, latency_ms: int
) -> tuple[Path, str, subprocess.Popen[str]]:
    work = root / name
    work.mkdir()
    (work / "config.yaml").write_text(
        f"defaults:\n  creditor: {CREDITOR}\ndrop:\n  settle_seconds: 0\n", encoding="utf-8"
    )
    proc, url = start_sandbox(work, cases, latency_ms)
    return work, url, proc


def run_checked(cmd: list[str], work: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        print(done.stdout[-2000:], done.stderr[-2000:])
        raise SystemExit(f"{' '.join(cmd[2:4])} failed with exit {done.returncode}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--latency-ms", type=int, default=5)
    parser.add_argument(
        "--sequential",
        action="store_true",
        help="all runs first, then the drop (default: both sides at the same time)",
    )
    args = parser.parse_args()
    # Installed packages are compiled at install time; an editable checkout would otherwise
    # make every timed process compile the importer from source.
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(Path(__file__).parents[1] / "importer")],
        check=True,
    )
    env = dict(os.environ, AMILI_API_KEY=KEY)
    env.pop("IMPORTER_CONFIG", None)
    with tempfile.TemporaryDirectory(prefix="importer-drop-bench-") as tmp:
        root = Path(tmp)
        cases = root / "cases.json"
        write_cases(cases)
        night = write_night(root / "night", args.files, args.rows)
        total_rows = args.files * args.rows

        run_work, run_url, run_api = side(root, "run", cases, args.latency_ms)
        drop_work, drop_url, drop_api = side(root, "drop", cases, args.latency_ms)
        inbox = drop_work / "inbox"
        inbox.mkdir()
        for path in night:
            shutil.copy(path, inbox / path.name)
        runs: list[float] = []
        drops: list[float] = []

        def run_side() -> None:
            for path in night:
                cmd = [sys.executable, "-m", "importer", "run", str(path), "--api-url", run_url]
                runs.append(run_checked(cmd, run_work, env))

        def drop_side() -> None:
            cmd = [sys.executable, "-m", "importer", "drop", str(inbox), "--api-url", drop_url]
            drops.append(run_checked(cmd, drop_work, env))

        try:
            if args.sequential:
                run_side()
                drop_side()
            else:  # side by side: both live through the same load on a shared machine
                threads = [threading.Thread(target=run_side), threading.Thread(target=drop_side)]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
        finally:
            for api in (run_api, drop_api):
                api.terminate()
                api.wait()
        if len(runs) != len(night) or not drops:
            raise SystemExit("a side did not finish (see above)")
        baseline, drop = sum(runs), drops[0]
        done = sorted(p.name for p in (inbox / "done").glob("*/*.csv"))
        if len(done) != len(night):
            raise SystemExit(f"the drop archived {len(done)} of {len(night)} files to done/")

    ceiling = total_rows * args.latency_ms / 1000
    mode = "one side after the other" if args.sequential else "both sides at the same time"
    print(
        f"night: {args.files} files x {args.rows:,} rows = {total_rows:,} rows, "
        f"sandbox --latency-ms {args.latency_ms} (posting alone: at least {ceiling:.0f} s); {mode}"
    )
    print(
        f"  baseline, sum of {args.files} `importer run`: {baseline:.1f} s "
        f"({total_rows / baseline:,.0f} rows/s; per file {min(runs):.2f}-{max(runs):.2f} s)"
    )
    print(f"  `importer drop`, one pass:          {drop:.1f} s ({total_rows / drop:,.0f} rows/s)")
    print(f"  ratio drop/baseline: {drop / baseline:.3f}  (overhead {drop / baseline - 1:+.1%})")


if __name__ == "__main__":
    main()
