"""Peak memory of `importer report ID` for a large import, with the journal on PostgreSQL and
on SQLite: the report is rendered block by block (`report.render`), so its peak should not
grow with the import's rows on either backend.

An import of `--rows` rows is written straight through the journal's API (`imports.create`)
and one UPDATE marks them all credited (a row's outcome at a time would take minutes); then
`importer report ID` runs as its own process and its peak RSS (`ru_maxrss`) is read when it
ends. The server is a
throwaway PostgreSQL 15 (tests/pg_support.py). Printed, never asserted.

    python bench/server_report_memory.py [--rows 100000] [--formats json,csv]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import pg_support

from importer.journal import ImportRecord, Journal, NewRow
from importer.journal.server import JournalServer

ROOT = Path(__file__).resolve().parents[1]
PEAK_AT_EXIT = """
import atexit, runpy, sys
out = sys.argv[1]
def peak():
    with open("/proc/self/status") as status:
        hwm = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(out, "w") as written:
        written.write(hwm)
atexit.register(peak)
sys.argv = ["importer", *sys.argv[2:]]
runpy.run_module("importer", run_name="__main__", alter_sys=True)
"""
"""`python -m importer ARGS` that writes its peak RSS (VmHWM, kB) to a file as it exits:
the process's own, where `ru_maxrss` would count the parent it was forked from."""

CREDITOR = "5f1a2b3c4d5e6f7a8b9c0d1e"
COLUMNS = ["Fakturanummer", "Ärende", "Belopp", "Kreditfaktura", "Notering"]
CREDITED = (
    "UPDATE rows SET outcome = 'credited', http_status = 201, status = 'completed',"
    " crediting_id = 'c' || row, settled_amount = amount WHERE import_id = 'imp-large'"
)


def rows(count: int) -> list[NewRow]:
    return [
        NewRow(
            n,
            [f"F-{n}", f"case-{n % 997}", f"{n % 5000}.50", f"K-{n}", "en kreditering"],
            {
                "creditor": CREDITOR,
                "case": f"case-{n % 997}",
                "invoice_number": f"F-{n}",
                "currency": "SEK",
                "amount": Decimal(f"{n % 5000}.50"),
                "origin": "creditor_system",
                "credit_invoice": f"K-{n}",
            },
        )
        for n in range(2, count + 2)
    ]


def write_import(place: Path | JournalServer, count: int) -> None:
    started = datetime.now(UTC)
    record = ImportRecord(
        id="imp-large",
        file_name="large.csv",
        file_path="/inbox/large.csv",
        sha256="0" * 64,
        format="csv",
        rows=count,
        columns=COLUMNS,
        base_url="http://localhost:8080",
        dry_run=False,
        sandbox=False,
        all_or_nothing=False,
        state="finished",
        started=started,
        finished=started,
        file_errors=[],
        warnings=[],
    )
    with Journal(place) as journal:
        journal.imports.create(record, rows(count))


def peak_rss_of_report(work: Path, journal: dict[str, object], formats: list[str]) -> float:
    """MB: the peak RSS of `importer report imp-large` in its own process."""
    config = {"report": {"dir": str(work / "reports"), "formats": formats}, "journal": journal}
    (work / "config.yaml").write_text(json.dumps(config), encoding="utf-8")
    peak = work / "peak.kB"
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", PEAK_AT_EXIT, str(peak), "report", "imp-large"],
        cwd=work,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    if done.returncode not in (0, 1):
        raise SystemExit(f"importer report failed: {done.stderr}")
    print(f" {time.monotonic() - began:.1f} s", end="")
    return int(peak.read_text()) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--formats", default="json,csv")
    args = parser.parse_args()
    formats = args.formats.split(",")
    os.environ[pg_support.PASSWORD_ENV] = pg_support.PASSWORD
    server = pg_support.start()
    try:
        with tempfile.TemporaryDirectory(prefix="server-report-") as tmp:
            work = Path(tmp)
            database = server.database()
            write_import(JournalServer(server.url(database), pg_support.PASSWORD), args.rows)
            with server.connect(database) as db:
                db.execute(CREDITED)
            sqlite_file = work / "journal.sqlite"
            write_import(sqlite_file, args.rows)
            with sqlite3.connect(sqlite_file) as db:
                db.execute(CREDITED)
            print(f"{args.rows:,} credited rows, report formats {','.join(formats)}:")
            print("  PostgreSQL:", end="")
            on_server = peak_rss_of_report(
                work,
                {"url": server.url(database), "password_env": pg_support.PASSWORD_ENV},
                formats,
            )
            print(f", peak RSS {on_server:.0f} MB")
            print("  SQLite:    ", end="")
            on_file = peak_rss_of_report(work, {"path": str(sqlite_file)}, formats)
            print(f", peak RSS {on_file:.0f} MB")
            print(f"peak RSS PostgreSQL/SQLite {on_server / on_file:.2f}x")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
