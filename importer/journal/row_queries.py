"""The rows of imports as read from the journal: in row order, by outcome, in chunks, one at a
time, with their attempts and raw answers."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from importer.journal.row_values import JournalRow, unpack_cells
from importer.journal.schema import (
    REQUEST_COLUMN_LIST,
    REQUEST_FIELDS,
    Store,
    reads,
)
from importer.outcomes import Outcome, RowError


class RowQueries(Store):
    """The rows of imports as read: in row order, by outcome, in chunks, one at a time."""

    _ROW_COLUMNS = (
        f"row, outcome, errors, source, {REQUEST_COLUMN_LIST}, crediting_id, status,"
        " status_reason_locale, settled_amount, case_invoice_number, case_reference_number,"
        " http_status, duplicate_of, intent_at"
    )

    @staticmethod
    def _row(values: Sequence[Any]) -> JournalRow:
        split = 4 + len(REQUEST_FIELDS)
        (row, outcome, errors, source, *request_values) = values[:split]
        rest = values[split:]
        request: dict[str, Any] | None = None
        if any(v is not None for v in request_values):
            request = {
                f: v for f, v in zip(REQUEST_FIELDS, request_values, strict=True) if v is not None
            }
            if "amount" in request:
                request["amount"] = Decimal(request["amount"])
        return JournalRow(
            row=row,
            outcome=Outcome(outcome),
            source=unpack_cells(source),
            request=request,
            errors=[RowError(**e) for e in json.loads(errors)] if errors else [],
            crediting_id=rest[0],
            status=rest[1],
            status_reason_locale=rest[2],
            settled_amount=Decimal(rest[3]) if rest[3] is not None else None,
            case_invoice_number=rest[4],
            case_reference_number=rest[5],
            http_status=rest[6],
            duplicate_of=json.loads(rest[7]) if rest[7] else None,
            intent_at=datetime.fromisoformat(rest[8]) if rest[8] else None,
        )

    @reads
    def rows(self, import_id: str, outcomes: Iterable[Outcome] | None = None) -> list[JournalRow]:
        sql = f"SELECT {self._ROW_COLUMNS} FROM rows WHERE import_id=?"
        params: list[Any] = [import_id]
        if outcomes is not None:
            wanted = [o.value for o in outcomes]
            if not wanted:  # `IN ()` is SQLite's, not standard SQL
                return []
            sql += f" AND outcome IN ({','.join('?' * len(wanted))})"
            params.extend(wanted)
        return [self._row(r) for r in self._db.execute(sql + " ORDER BY row", params)]

    @reads
    def pending(
        self, import_id: str, outcomes: Iterable[Outcome], size: int = 1000
    ) -> Iterator[JournalRow]:
        """The rows with these outcomes, in row order, read `size` at a time after the last
        row handed out: the posting loop changes each row as it goes (no cursor is open
        meanwhile), and a large import's rows are never all in memory at once. A row a
        person resolved by hand is not pending: a rerun leaves it alone."""
        wanted = [o.value for o in outcomes]
        if not wanted:
            return
        sql = (
            f"SELECT {self._ROW_COLUMNS} FROM rows WHERE import_id=? AND row>?"
            f" AND outcome IN ({','.join('?' * len(wanted))})"
            " AND NOT EXISTS (SELECT 1 FROM resolutions r"
            " WHERE r.import_id = rows.import_id AND r.row = rows.row) ORDER BY row LIMIT ?"
        )
        last = -1
        while chunk := self._db.fetchall(sql, (import_id, last, *wanted, size)):
            for values in chunk:
                yield self._row(values)
            last = chunk[-1][0]

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

    @reads
    def raw_answers(self, import_id: str, row: int) -> list[str]:
        """The answers of a row that did not fit, as the API sent them."""
        return [
            raw
            for (raw,) in self._db.execute(
                "SELECT raw FROM answers WHERE import_id=? AND row=? ORDER BY at",
                (import_id, row),
            )
        ]

    @reads
    def latest_intent(self, import_id: str) -> datetime | None:
        """When the last request whose answer never arrived left (rows still `unknown`)."""
        (latest,) = self._db.execute(
            "SELECT MAX(intent_at) FROM rows WHERE import_id=? AND outcome='unknown'",
            (import_id,),
        ).fetchone()
        return datetime.fromisoformat(latest) if latest else None

    @reads
    def awaiting_status(self, import_id: str) -> list[tuple[int, str]]:
        """(row, crediting id) of the credited rows whose status has not been read back:
        two columns, not whole rows — after a large import that is most of its rows."""
        return self._db.execute(
            "SELECT row, crediting_id FROM rows WHERE import_id=? AND outcome='credited'"
            " AND status IS NULL AND crediting_id IS NOT NULL ORDER BY row",
            (import_id,),
        ).fetchall()

    @reads
    def unread_statuses(self, import_id: str) -> int:
        """Credited rows whose status has not been read back and that carry no error: a row
        whose status did not fit (an undocumented one) is flagged for a person instead
        (`flagged`), reading it again would not make it fit."""
        (count,) = self._db.fetchall(
            "SELECT count(*) FROM rows WHERE import_id=? AND outcome='credited'"
            " AND status IS NULL AND crediting_id IS NOT NULL AND errors IS NULL",
            (import_id,),
        )[0]
        return int(count)

    @reads
    def crediting_owner(self, crediting_id: str) -> tuple[str, int] | None:
        """(import id, row) of the row the crediting `crediting_id` was recorded for."""
        found = self._db.fetchall(
            "SELECT import_id, row FROM rows WHERE crediting_id=? ORDER BY import_id LIMIT 1",
            (crediting_id,),
        )
        return (str(found[0][0]), int(found[0][1])) if found else None

    @reads
    def get_row(self, import_id: str, row: int) -> JournalRow | None:
        found = self._db.fetchall(
            f"SELECT {self._ROW_COLUMNS} FROM rows WHERE import_id=? AND row=?", (import_id, row)
        )
        return self._row(found[0]) if found else None

    @reads
    def attempts(
        self, import_id: str, rows: tuple[int, int] | None = None
    ) -> dict[int, list[tuple[str, str, int | None, str | None]]]:
        """Each row's attempts in order: (at, outcome, http_status, note); `rows` limits it
        to the rows numbered first..last."""
        sql = "SELECT row, at, outcome, http_status, note FROM attempts WHERE import_id=?"
        params: list[Any] = [import_id]
        if rows is not None:
            sql += " AND row BETWEEN ? AND ?"
            params.extend(rows)
        out: dict[int, list[tuple[str, str, int | None, str | None]]] = {}
        for row, at, outcome, http_status, note in self._db.execute(
            sql + " ORDER BY rowid", params
        ):
            out.setdefault(row, []).append((at, outcome, http_status, note))
        return out

    @reads
    def original_sources(
        self, import_id: str, rows: tuple[int, int] | None = None
    ) -> dict[int, list[str]]:
        """The cells the file first had, for each corrected row (`rows`: first..last)."""
        sql = "SELECT row, original_source FROM corrected WHERE import_id=?"
        params: list[Any] = [import_id]
        if rows is not None:
            sql += " AND row BETWEEN ? AND ?"
            params.extend(rows)
        return {row: unpack_cells(text) for row, text in self._db.execute(sql, params)}

    @reads
    def iter_rows(self, import_id: str, size: int) -> Iterator[list[JournalRow]]:
        """All rows in row order, `size` at a time: a large import's report is rendered
        without holding every row in memory."""
        cursor = self._db.execute(
            f"SELECT {self._ROW_COLUMNS} FROM rows WHERE import_id=? ORDER BY row", (import_id,)
        )
        while chunk := cursor.fetchmany(size):
            yield [self._row(values) for values in chunk]
