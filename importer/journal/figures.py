"""An import's rows reduced to what a list of imports shows: rows counted by outcome, status,
whether they carry errors and whether a person resolved them; the amounts; and the few
credited rows that carry errors, with them.

A list of a year's imports (and the overview page, written after every import) reads every
row of every import: counting is SQLite's GROUP BY and the amounts are summed as Decimals
straight from their column: the overview of 365 imports of 1,000 rows took 2.8 to 3.2 s,
where building a row object each took 8.8 s (the shared 2-core machine, load 7 to 8)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import NamedTuple

from importer.journal.connection import JournalConnection
from importer.journal.row_values import unpack_cells
from importer.journal.schema import in_row_order, reads
from importer.outcomes import Outcome, RowError


class RowGroup(NamedTuple):
    """Rows of one import alike in what decides whether they need a person."""

    outcome: Outcome
    status: str | None
    errors: list[RowError]
    """The errors of a credited row that carries some (each such row is its own group);
    empty for every other group (see `FigureStore.row_groups`)."""
    resolved: bool
    rows: int


class Amounts(NamedTuple):
    read: Decimal
    credited: Decimal
    settled: Decimal


AMOUNT_BLOCK = 10_000
"""Rows whose amounts are read at once: one query for an import of up to that many rows (a
list of a year's imports reads every one), a few megabytes at most."""

_RESOLVED = (
    "EXISTS (SELECT 1 FROM resolutions r WHERE r.import_id = rows.import_id AND r.row = rows.row)"
)


class FigureStore:
    """The counts and amounts an import's figures are made of."""

    def __init__(self, db: JournalConnection) -> None:
        self._db = db

    @reads
    def row_groups(self, import_id: str) -> list[RowGroup]:
        """The import's rows grouped by outcome, status and resolved; a credited row with
        errors alone, with its errors — whether it needs a person depends on them (credited
        twice, an answer that did not fit). For every other outcome the errors say which
        step a person takes, not whether one is needed, so they are not read."""
        groups = [
            RowGroup(Outcome(outcome), status, [], bool(resolved), count)
            for outcome, status, resolved, count in self._db.fetchall(
                f"SELECT outcome, status, {_RESOLVED} AS resolved, count(*) FROM rows"
                " WHERE import_id=? AND NOT (outcome='credited' AND errors IS NOT NULL)"
                " GROUP BY outcome, status, resolved",
                (import_id,),
            )
        ]
        groups += [
            RowGroup(
                Outcome.CREDITED,
                status,
                [RowError(**e) for e in json.loads(errors)],
                bool(resolved),
                1,
            )
            for status, errors, resolved in self._db.fetchall(
                f"SELECT status, errors, {_RESOLVED} FROM rows"
                " WHERE import_id=? AND outcome='credited' AND errors IS NOT NULL",
                (import_id,),
            )
        ]
        return groups

    @reads
    def amounts(self, import_id: str) -> Amounts:
        """Every amount that could be read, those of credited rows, and what was settled
        (one pass over the import's rows, `AMOUNT_BLOCK` at a time: a large import's
        amounts are never all in memory; a credited row always has its amount)."""
        read = credited = settled = Decimal(0)
        for block in in_row_order(
            self._db,
            "SELECT row, amount, outcome='credited', settled_amount FROM rows"
            " WHERE import_id=? AND row>? AND amount IS NOT NULL ORDER BY row LIMIT ?",
            import_id,
            size=AMOUNT_BLOCK,
        ):
            for _, amount, is_credited, settled_amount in block:
                value = Decimal(amount)
                read += value
                if is_credited:
                    credited += value
                    if settled_amount is not None:
                        settled += Decimal(settled_amount)
        return Amounts(read, credited, settled)

    @reads
    def unread_sources(self, import_id: str) -> Iterator[list[list[str]]]:
        """The raw cells of the rows without an amount of their own (invalid rows: nothing
        to send), `AMOUNT_BLOCK` at a time: the amount their cell shows belongs to the
        control total as it does in the report (`importer.pipeline.amounts_read`)."""
        for block in in_row_order(
            self._db,
            "SELECT row, source FROM rows"
            " WHERE import_id=? AND row>? AND amount IS NULL ORDER BY row LIMIT ?",
            import_id,
            size=AMOUNT_BLOCK,
        ):
            yield [unpack_cells(source) for _, source in block]

    @reads
    def flagged(self, import_id: str) -> int:
        """Credited rows that carry an error (an answer that did not fit): money moved, and a
        person must look (exit 1)."""
        (count,) = self._db.execute(
            "SELECT count(*) FROM rows WHERE import_id=? AND outcome='credited'"
            " AND errors IS NOT NULL",
            (import_id,),
        ).fetchone()
        return int(count)
