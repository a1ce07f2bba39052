"""The overview page (`write_overview`, rewritten after every command) on a journal of
N imports of M rows each, with the figures each import keeps (`journal.figure_cache`)
against today's path without them, in one run on one journal:

* baseline: the overview with nothing kept and keeping refused, so every import's counts
  and figures are computed from its rows, as before they were kept (today's path, plus one
  refused write);
* cold: the overview with nothing kept yet (computes every import, keeps the figures);
* warm: the overview after one more import of M rows (computes that one import only);
* unchanged: the overview again, nothing new.

Each is the median of `--rounds` interleaved rounds. Printed, never asserted (timings belong
here, not in the tests); the machine's load is printed too (the host is shared).

    python bench/overview_bench.py [--imports 100] [--rows 5000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import logging
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from importer import logs
from importer.journal import ImportRecord, Journal, NewRow
from importer.outcomes import Outcome, RowError
from importer.pipeline.overview import write_overview

CREDITOR = "5f1a2b3c4d5e6f7a8b9c0d1e"
INVALID = RowError(field="amount", code="amount_not_a_number", message="not a number")


def add_import(journal: Journal, n: int, rows: int) -> None:
    """An import of `rows` rows: nearly all credited, one in fifty invalid (its amount
    cell read from the source, as the figures do)."""
    record = ImportRecord(
        id=f"imp-{n:05d}",
        file_name=f"credits-{n}.csv",
        file_path=f"/inbox/credits-{n}.csv",
        sha256=f"{n:064x}",
        format="csv",
        rows=rows,
        columns=["invoice_number", "amount"],
        base_url="http://127.0.0.1:1",
        dry_run=False,
        sandbox=True,
        all_or_nothing=False,
        state="finished",
        started=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=n),
        finished=datetime(2026, 1, 1, 1, tzinfo=UTC) + timedelta(days=n),
        file_errors=[],
        warnings=[],
    )

    def row(r: int) -> NewRow:
        amount = f"{1 + r % 997}.{r % 100:02d}"
        if r % 50 == 0:
            return NewRow(r + 2, [f"INV-{r}", "12,5 kr"], None, [INVALID], Outcome.INVALID)
        request = {
            "creditor": CREDITOR,
            "invoice_number": f"INV-{r}",
            "currency": "SEK",
            "amount": Decimal(amount),
            "origin": "creditor_system",
        }
        return NewRow(r + 2, [f"INV-{r}", amount], request, [], Outcome.CREDITED)

    journal.imports.create(record, (row(r) for r in range(rows)))
    journal.notes.set_source_dialect(record.id, ",", ".", {"amount_column": 1})


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def keeping(path: Path, *, refused: bool) -> None:
    """Forget every import's kept figures; `refused`: and refuse to keep any (a trigger),
    so each overview takes today's path, every import from its rows."""
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM import_figures")
        db.execute("DROP TRIGGER IF EXISTS refused")
        if refused:
            db.execute(
                "CREATE TRIGGER refused BEFORE INSERT ON import_figures"
                " BEGIN SELECT RAISE(ABORT, 'not kept: the baseline'); END"
            )
    db.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--imports", type=int, default=100)
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    logs.configure(logging.WARNING, json=False)  # the baseline's refused writes: debug
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        path, reports = work / "journal.sqlite", work / "reports"
        started = time.perf_counter()
        with Journal(path) as journal:
            for n in range(args.imports):
                add_import(journal, n, args.rows)
        print(
            f"journal: {args.imports} imports x {args.rows} rows written in "
            f"{time.perf_counter() - started:.1f} s; load average {os.getloadavg()[0]:.1f}"
        )
        with Journal(path) as journal:  # warm-up: modules, templates, the file's pages
            write_overview(journal, reports)
        figures: dict[str, list[float]] = {"baseline": [], "cold": [], "warm": [], "same": []}
        extra = args.imports
        for _ in range(args.rounds):
            keeping(path, refused=True)
            with Journal(path) as journal:
                figures["baseline"].append(timed(lambda: write_overview(journal, reports)))
            keeping(path, refused=False)
            with Journal(path) as journal:
                figures["cold"].append(timed(lambda: write_overview(journal, reports)))
                add_import(journal, extra, args.rows)
                extra += 1
                figures["warm"].append(timed(lambda: write_overview(journal, reports)))
                figures["same"].append(timed(lambda: write_overview(journal, reports)))
        median = {name: statistics.median(values) for name, values in figures.items()}
        for name, words in (
            ("baseline", "baseline overview (every import from its rows, today's path)"),
            ("cold", "cold overview (nothing kept yet)"),
            ("warm", "warm overview (one more import since)"),
            ("same", "unchanged overview (nothing new)"),
        ):
            spread = ", ".join(f"{v:.3f}" for v in figures[name])
            print(f"{words}: {median[name]:.3f} s (rounds {spread})")
        print(
            f"ratio warm/baseline {median['warm'] / median['baseline']:.3f}x, "
            f"unchanged/baseline {median['same'] / median['baseline']:.3f}x, "
            f"cold/baseline {median['cold'] / median['baseline']:.2f}x "
            f"(median of {args.rounds}; load average {os.getloadavg()[0]:.1f})"
        )


if __name__ == "__main__":
    sys.exit(main())
