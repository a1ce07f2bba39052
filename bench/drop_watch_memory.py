"""Memory of a long `importer drop --watch`: does it stay flat, file after file?

A drop in watch mode runs for weeks. Everything a pass makes for a file (clients, their
sessions and watchdogs, the stop's callbacks) must be gone when the file is done, or the
process grows with every file. This runs one `importer drop --watch` (its own process) over
`--files` small files (1,000 of `--rows` 2), fed `--batch` (10) at a time as the previous ones
are archived — so it makes many passes, each with its own clients — against the sandbox (its
own process), and prints the drop's resident memory after the first 100 files and at the end.

Figures are printed, never asserted.

Run:  python bench/drop_watch_memory.py [--files 1000] [--rows 2] [--batch 10]
"""

from __future__ import annotations

import argparse
import csv
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from drop_bench import CASES, CREDITOR, KEY, start_sandbox, write_cases

FIRST = 100
"""Files after which the first figure is taken (the start-up's own growth is over by then)."""


def write_file(path: Path, rows: int, seed: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["invoice_number", "amount", "currency", "credit_invoice"])
        for i in range(rows):
            invoice = f"INV-{(seed * rows + i) % CASES:07d}"
            writer.writerow([invoice, f"{1 + i % 50}.00", "SEK", f"KF-{seed:05d}-{i:03d}"])


def archived(inbox: Path) -> int:
    return sum(1 for _ in (inbox / "done").glob("*/*.csv"))


def mib(process: psutil.Process) -> float:
    return process.memory_info().rss / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=2)
    parser.add_argument("--batch", type=int, default=10)
    args = parser.parse_args()
    env = dict(os.environ, AMILI_API_KEY=KEY)
    env.pop("IMPORTER_CONFIG", None)
    first_at = min(FIRST, args.files)
    with tempfile.TemporaryDirectory(prefix="importer-drop-memory-") as tmp:
        work = Path(tmp)
        cases = work / "cases.json"
        write_cases(cases)
        (work / "config.yaml").write_text(
            f"defaults:\n  creditor: {CREDITOR}\ndrop:\n  settle_seconds: 0\n"
            "report:\n  formats: [json]\n",
            encoding="utf-8",
        )
        inbox = work / "inbox"
        inbox.mkdir()
        api, url = start_sandbox(work, cases, 0)
        cmd = [sys.executable, "-m", "importer", "drop", str(inbox), "--watch"]
        cmd += ["--interval", "0.05", "--api-url", url]
        log = (work / "drop.log").open("w", encoding="utf-8")  # a pipe would fill and block it
        drop = subprocess.Popen(cmd, cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=log)
        watched = psutil.Process(drop.pid)
        written = 0
        first: float | None = None
        started = time.monotonic()
        try:
            while True:
                done = archived(inbox)
                if first is None and done >= first_at:
                    first = mib(watched)
                if done >= args.files:
                    break
                if drop.poll() is not None:
                    raise SystemExit(f"the drop ended early (exit {drop.returncode})")
                if done == written:  # the batch is archived: drop the next one
                    for _ in range(min(args.batch, args.files - written)):
                        write_file(inbox / f"credits-{written:05d}.csv", args.rows, written)
                        written += 1
                time.sleep(0.02)
            last = mib(watched)
            seconds = time.monotonic() - started
        finally:
            drop.send_signal(signal.SIGTERM)
            drop.wait(timeout=120)
            log.close()
            api.terminate()
            api.wait()
        if drop.returncode != 0:
            print((work / "drop.log").read_text(encoding="utf-8")[-2000:])
            raise SystemExit(f"the drop exited {drop.returncode}")
    assert first is not None
    print(
        f"drop --watch: {args.files} files x {args.rows} rows, {args.batch} per pass, "
        f"{seconds:.1f} s"
    )
    print(f"  RSS after the first {first_at:>5} files: {first:7.1f} MiB")
    print(f"  RSS after all {args.files:>5} files:       {last:7.1f} MiB")
    growth = (last - first) / max(1, args.files - first_at) * 1024
    print(f"  growth per file after the first {first_at}: {growth:+.1f} KiB")


if __name__ == "__main__":
    main()
