"""The rows of imports: read in row order, by outcome, in chunks or one at a time, and
written from intent to outcome — the intent committed before a request leaves, the outcome
after it, verdicts, corrected rows. (A row's attempts and raw answers: `row_history`; the
statuses read back: `statuses`; the row's values: `row_values`.)"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from importer.api.answers import check as check_answer
from importer.journal.connection import JournalConnection
from importer.journal.figure_cache import bump, bump_in
from importer.journal.row_values import (
    ROW_COLUMNS,
    JournalRow,
    NewRow,
    decimal_text,
    errors_json,
    pack_cells,
    request_row_values,
    row_of,
)
from importer.journal.schema import (
    REQUEST_COLUMN_LIST,
    REQUEST_PLACEHOLDERS,
    in_row_order,
    iso_z,
    reads,
    utcnow,
)
from importer.outcomes import Outcome, RowError


class RowStore:
    """The rows of imports as read, and as written: intent committed before a request
    leaves, the outcome after it, corrected rows replaced."""

    def __init__(self, db: JournalConnection) -> None:
        self._db = db

    @reads
    def all(self, import_id: str, outcomes: Iterable[Outcome] | None = None) -> list[JournalRow]:
        sql = f"SELECT {ROW_COLUMNS} FROM rows WHERE import_id=?"
        params: list[Any] = [import_id]
        if outcomes is not None:
            wanted = [o.value for o in outcomes]
            if not wanted:  # `IN ()` is SQLite's, not standard SQL
                return []
            sql += f" AND outcome IN ({','.join('?' * len(wanted))})"
            params.extend(wanted)
        return [row_of(r) for r in self._db.execute(sql + " ORDER BY row", params)]

    @reads
    def get(self, import_id: str, row: int) -> JournalRow | None:
        found = self._db.fetchall(
            f"SELECT {ROW_COLUMNS} FROM rows WHERE import_id=? AND row=?", (import_id, row)
        )
        return row_of(found[0]) if found else None

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
            f"SELECT {ROW_COLUMNS} FROM rows WHERE import_id=? AND row>?"
            f" AND outcome IN ({','.join('?' * len(wanted))})"
            " AND NOT EXISTS (SELECT 1 FROM resolutions r"
            " WHERE r.import_id = rows.import_id AND r.row = rows.row) ORDER BY row LIMIT ?"
        )
        last = -1
        while chunk := self._db.fetchall(sql, (import_id, last, *wanted, size)):
            for values in chunk:
                yield row_of(values)
            last = chunk[-1][0]

    @reads
    def chunks(self, import_id: str, size: int) -> Iterator[list[JournalRow]]:
        """All rows in row order, `size` at a time (`schema.in_row_order`): a large
        import's report is rendered without holding every row in memory, on a server too."""
        sql = f"SELECT {ROW_COLUMNS} FROM rows WHERE import_id=? AND row>? ORDER BY row LIMIT ?"
        for chunk in in_row_order(self._db, sql, import_id, size=size):
            yield [row_of(values) for values in chunk]

    @reads
    def latest_intent(self, import_id: str) -> datetime | None:
        """When the last request whose answer never arrived left (rows still `unknown`)."""
        (latest,) = self._db.execute(
            "SELECT MAX(intent_at) FROM rows WHERE import_id=? AND outcome='unknown'",
            (import_id,),
        ).fetchone()
        return datetime.fromisoformat(latest) if latest else None

    def mark_intent(self, import_id: str, row: int) -> None:
        """Committed before the request leaves: if the process dies now, the row is
        `unknown` and will be looked up before anything is sent again."""
        self._db.write([_intent(import_id, row), bump(import_id)])

    def record(
        self,
        import_id: str,
        row: int,
        outcome: Outcome,
        *,
        http_status: int | None = None,
        errors: Sequence[RowError] = (),
        crediting: dict[str, Any] | None = None,
        duplicate_of: dict[str, Any] | None = None,
        note: str | None = None,
        attempt: bool = True,
    ) -> None:
        """A row's outcome (and the attempt that produced it) in one commit. The crediting
        is checked first (importer.api.answers): what does not fit is an error on the row and
        the answer is kept raw, never stored in a column the report must format."""
        checked = check_answer(crediting or {})
        crediting = checked.fields
        errors = [*errors, *checked.errors]
        statements: list[tuple[str, Sequence[Any]]] = [
            (
                "UPDATE rows SET outcome=?, http_status=?, errors=?, crediting_id=?, status=?,"
                " status_reason_locale=?, settled_amount=?, case_invoice_number=?,"
                " case_reference_number=?, duplicate_of=? WHERE import_id=? AND row=?",
                (
                    outcome.value,
                    http_status,
                    errors_json(errors),
                    crediting.get("_id"),
                    crediting.get("status"),
                    crediting.get("status_reason_locale"),
                    decimal_text(crediting.get("settled_amount")),
                    crediting.get("case_invoice_number"),
                    crediting.get("case_reference_number"),
                    json.dumps(duplicate_of) if duplicate_of else None,
                    import_id,
                    row,
                ),
            )
        ]
        if attempt:
            statements.append(
                (
                    "INSERT INTO attempts VALUES (?,?,?,?,?,?)",
                    (import_id, row, iso_z(utcnow()), outcome.value, http_status, note),
                )
            )
        if checked.raw is not None:
            statements.append(
                (
                    "INSERT INTO answers VALUES (?,?,?,?)",
                    (import_id, row, iso_z(utcnow()), checked.raw),
                )
            )
        self._db.write([*statements, bump(import_id)])

    def flag(self, import_id: str, row: int, errors: Sequence[RowError], note: str) -> None:
        """Errors on a row whose outcome stands (a credited row credited twice): the row
        keeps its crediting, the errors tell a person what to do."""
        with self._db.transaction() as db:
            db.execute(
                "UPDATE rows SET errors=? WHERE import_id=? AND row=?",
                (errors_json(errors), import_id, row),
            )
            (outcome,) = db.execute(
                "SELECT outcome FROM rows WHERE import_id=? AND row=?", (import_id, row)
            ).fetchone()
            db.execute(
                "INSERT INTO attempts VALUES (?,?,?,?,?,?)",
                (import_id, row, iso_z(utcnow()), outcome, None, note),
            )
            bump_in(db, import_id)

    def record_verdicts(
        self,
        import_id: str,
        verdicts: Iterable[tuple[int, Outcome, Sequence[RowError], dict[str, Any] | None, str]],
    ) -> None:
        """Rows the dedupe pass holds back (duplicate, or invalid for a credit-note
        conflict) as (row, outcome, errors, duplicate_of, note), in one commit: a re-sent
        file of 200,000 rows is one transaction."""
        now = iso_z(utcnow())
        with self._db.transaction() as db:
            bump_in(db, import_id)  # once for the batch
            for row, outcome, errors, pointer, note in verdicts:
                db.execute(
                    "UPDATE rows SET outcome=?, errors=?, crediting_id=?, duplicate_of=?,"
                    " http_status=NULL WHERE import_id=? AND row=?",
                    (
                        outcome.value,
                        errors_json(errors),
                        pointer.get("_id") if pointer else None,
                        json.dumps(pointer) if pointer else None,
                        import_id,
                        row,
                    ),
                )
                db.execute(
                    "INSERT INTO attempts VALUES (?,?,?,?,?,?)",
                    (import_id, row, now, outcome.value, None, note),
                )

    def replace(self, import_id: str, new: NewRow) -> None:
        """A correction (`rerun --fix`): new cells and request for a row that is not final.
        The row's cells as the file first had them are kept (`corrected`, written by the
        first correction only), so the report shows them beside the corrected ones."""
        with self._db.transaction() as db:
            db.execute(
                "INSERT INTO corrected SELECT import_id, row, source FROM rows"
                " WHERE import_id=? AND row=? ON CONFLICT DO NOTHING",
                (import_id, new.row),
            )
            db.execute(
                f"UPDATE rows SET outcome=?, errors=?, source=?, http_status=NULL,"
                f" ({REQUEST_COLUMN_LIST}) = ({REQUEST_PLACEHOLDERS}) WHERE import_id=? AND row=?",
                (
                    new.outcome.value,
                    errors_json(new.errors),
                    pack_cells(new.source),
                    *request_row_values(new.request),
                    import_id,
                    new.row,
                ),
            )
            db.execute(
                "INSERT INTO attempts VALUES (?,?,?,?,?,?)",
                (import_id, new.row, iso_z(utcnow()), new.outcome.value, None, "corrected"),
            )
            bump_in(db, import_id)


def mark_intent_in(db: JournalConnection, import_id: str, row: int) -> None:
    """`mark_intent` inside a transaction the caller holds (a credit-note claim)."""
    db.execute(*_intent(import_id, row))
    bump_in(db, import_id)


def _intent(import_id: str, row: int) -> tuple[str, tuple[Any, ...]]:
    return (
        "UPDATE rows SET outcome='unknown', intent_at=? WHERE import_id=? AND row=?",
        (iso_z(utcnow()), import_id, row),
    )
