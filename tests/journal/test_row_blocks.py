"""An import's rows are read block by block on either backend (`rows.chunks`, what a report is
rendered from): every row once, in row order, and the memory a read takes stays one block's
whatever the import's size — on a server too, where one query's whole result would be held
by the driver until the last row is read. Real SQLite files and a real server; the memory is
the reading process's own (its peak RSS, reset before the read)."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from journal_place_support import PLACE_SCRIPT, place_arg
from test_journal import record, request

from importer.journal import Journal, NewRow
from importer.journal.server import JournalServer

ROWS = 40_000
GROWTH_MB = 10
"""What reading every row block by block may add to the reader's peak RSS. One query's whole
result of 40,000 rows held by libpq took 24 MB more (measured: 61 MB per 100,000 rows)."""

READ_ALL = (
    PLACE_SCRIPT
    + """
from importer.journal import Journal

def rss_kb(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field))

with Journal(journal_place(sys.argv[1])) as journal:
    next(journal.rows.chunks("imp-big", 1000))  # every import and cache warm
    before = rss_kb("VmRSS:")
    with open("/proc/self/clear_refs", "w") as reset:
        reset.write("5")  # the peak (VmHWM) from here
    rows = [len(chunk) for chunk in journal.rows.chunks("imp-big", 1000)]
    print(sum(rows), len(rows), (rss_kb("VmHWM:") - before) / 1024)
"""
)


def big_import(place: Path | JournalServer) -> None:
    rows = [
        NewRow(n, [f"F-{n}", "10.00", "en rad"], request(f"F-{n}", "10.00"))
        for n in range(2, ROWS + 2)
    ]
    with Journal(place) as journal:
        journal.imports.create(record("imp-big", rows=ROWS), rows)


@pytest.mark.slow
def test_a_large_imports_rows_are_read_in_blocks_in_the_memory_of_one(
    journal_place: Path | JournalServer,
) -> None:
    big_import(journal_place)
    with Journal(journal_place) as journal:  # the amounts too, AMOUNT_BLOCK at a time
        assert journal.figures.amounts("imp-big").read == Decimal("10.00") * ROWS
    done = subprocess.run(
        [sys.executable, "-c", READ_ALL, place_arg(journal_place)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    rows, blocks, growth_mb = done.stdout.split()
    assert (int(rows), int(blocks)) == (ROWS, ROWS // 1000)
    assert float(growth_mb) < GROWTH_MB, f"reading every row took {growth_mb} MB more"


def test_blocks_hold_every_row_once_in_row_order(journal_place: Path | JournalServer) -> None:
    rows = [NewRow(n, [f"F-{n}", "1.00", ""], request(f"F-{n}", "1.00")) for n in (2, 3, 5, 9, 10)]
    with Journal(journal_place) as journal:
        journal.imports.create(record("imp-1", rows=5), rows)
        journal.imports.create(record("imp-2", rows=5), rows)
        assert [[r.row for r in chunk] for chunk in journal.rows.chunks("imp-1", 2)] == [
            [2, 3],
            [5, 9],
            [10],
        ]
        assert [[r.row for r in chunk] for chunk in journal.rows.chunks("imp-1", 5)] == [
            [2, 3, 5, 9, 10]
        ]
        assert list(journal.rows.chunks("imp-3", 5)) == []
