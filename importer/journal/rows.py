"""A journal row: what was read, what is (to be) sent, and what became of it; the row
queries, and the writes that move a row from intent to outcome."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from importer.api.answers import check as check_answer
from importer.journal.connection import SharedConnection
from importer.journal.schema import (
    _AMOUNT,
    _REQUEST_COLUMNS,
    _REQUEST_PLACEHOLDERS,
    REQUEST_FIELDS,
    Store,
    _iso,
    utcnow,
)
from importer.outcomes import Outcome, RowError


def _pack_cells(cells: Sequence[str]) -> str:
    """Raw cells are stored joined by the ASCII unit separator (cheap for large files); the
    rare row whose cells contain that character is stored as JSON instead."""
    joined = "\x1f".join(cells)
    if cells and joined.count("\x1f") == len(cells) - 1:
        return "U" + joined
    return "J" + json.dumps(list(cells), ensure_ascii=False)


def _unpack_cells(text: str) -> list[str]:
    if text[0] == "J":
        return json.loads(text[1:])
    return text[1:].split("\x1f") if len(text) > 1 else [""]


@dataclass(slots=True)
class JournalRow:
    """A row as stored: what was read, what is (to be) sent, and what became of it."""

    row: int
    outcome: Outcome
    source: Sequence[str]
    request: dict[str, Any] | None
    errors: list[RowError]
    crediting_id: str | None = None
    status: str | None = None
    status_reason_locale: str | None = None
    settled_amount: Decimal | None = None
    case_invoice_number: str | None = None
    case_reference_number: str | None = None
    http_status: int | None = None
    duplicate_of: dict[str, Any] | None = None
    intent_at: datetime | None = None
    """When the row's last request was about to leave (set by mark_intent)."""


@dataclass(slots=True)
class NewRow:
    row: int
    source: Sequence[str]
    request: dict[str, Any] | None
    """Request fields (amount a Decimal), or None when the row is invalid."""
    errors: Sequence[RowError] = ()
    outcome: Outcome = Outcome.NOT_SENT


def _decimal_text(value: Any) -> str | None:
    return None if value is None else str(Decimal(str(value)))


def _errors_json(errors: Sequence[RowError]) -> str | None:
    if not errors:
        return None
    return json.dumps([e.model_dump() for e in errors], ensure_ascii=False)


def _request_values(request: dict[str, Any] | None) -> tuple[Any, ...]:
    if request is None:
        return (None,) * len(REQUEST_FIELDS)
    values = [request.get(f) for f in REQUEST_FIELDS]
    amount = values[_AMOUNT]
    if amount is not None:
        values[_AMOUNT] = str(amount)  # Decimal as text: exact, never a float
    return tuple(values)


class RowStore(Store):
    """The rows of imports: read in row order, intent committed before a request leaves."""

    _ROW_COLUMNS = (
        f"row, outcome, errors, source, {_REQUEST_COLUMNS}, crediting_id, status,"
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
            source=_unpack_cells(source),
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

    def rows(self, import_id: str, outcomes: Iterable[Outcome] | None = None) -> list[JournalRow]:
        sql = f"SELECT {self._ROW_COLUMNS} FROM rows WHERE import_id=?"
        params: list[Any] = [import_id]
        if outcomes is not None:
            wanted = [o.value for o in outcomes]
            sql += f" AND outcome IN ({','.join('?' * len(wanted))})"
            params.extend(wanted)
        return [self._row(r) for r in self._db.execute(sql + " ORDER BY row", params)]

    def pending(
        self, import_id: str, outcomes: Iterable[Outcome], size: int = 1000
    ) -> Iterator[JournalRow]:
        """The rows with these outcomes, in row order, read `size` at a time after the last
        row handed out: the posting loop changes each row as it goes (no cursor is open
        meanwhile), and a large import's rows are never all in memory at once."""
        wanted = [o.value for o in outcomes]
        if not wanted:
            return
        sql = (
            f"SELECT {self._ROW_COLUMNS} FROM rows WHERE import_id=? AND row>?"
            f" AND outcome IN ({','.join('?' * len(wanted))}) ORDER BY row LIMIT ?"
        )
        last = -1
        while chunk := self._db.fetchall(sql, (import_id, last, *wanted, size)):
            for values in chunk:
                yield self._row(values)
            last = chunk[-1][0]

    def flagged(self, import_id: str) -> int:
        """Credited rows that carry an error (an answer that did not fit): money moved, and a
        person must look (exit 1)."""
        (count,) = self._db.execute(
            "SELECT count(*) FROM rows WHERE import_id=? AND outcome='credited'"
            " AND errors IS NOT NULL",
            (import_id,),
        ).fetchone()
        return int(count)

    def raw_answers(self, import_id: str, row: int) -> list[str]:
        """The answers of a row that did not fit, as the API sent them."""
        return [
            raw
            for (raw,) in self._db.execute(
                "SELECT raw FROM answers WHERE import_id=? AND row=? ORDER BY at",
                (import_id, row),
            )
        ]

    def latest_intent(self, import_id: str) -> datetime | None:
        """When the last request whose answer never arrived left (rows still `unknown`)."""
        (latest,) = self._db.execute(
            "SELECT MAX(intent_at) FROM rows WHERE import_id=? AND outcome='unknown'",
            (import_id,),
        ).fetchone()
        return datetime.fromisoformat(latest) if latest else None

    def awaiting_status(self, import_id: str) -> list[tuple[int, str]]:
        """(row, crediting id) of the credited rows whose status has not been read back:
        two columns, not whole rows — after a large import that is most of its rows."""
        return self._db.execute(
            "SELECT row, crediting_id FROM rows WHERE import_id=? AND outcome='credited'"
            " AND status IS NULL AND crediting_id IS NOT NULL ORDER BY row",
            (import_id,),
        ).fetchall()

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

    def get_row(self, import_id: str, row: int) -> JournalRow | None:
        found = self._db.fetchall(
            f"SELECT {self._ROW_COLUMNS} FROM rows WHERE import_id=? AND row=?", (import_id, row)
        )
        return self._row(found[0]) if found else None

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

    def original_sources(
        self, import_id: str, rows: tuple[int, int] | None = None
    ) -> dict[int, list[str]]:
        """The cells the file first had, for each corrected row (`rows`: first..last)."""
        sql = "SELECT row, original_source FROM corrected WHERE import_id=?"
        params: list[Any] = [import_id]
        if rows is not None:
            sql += " AND row BETWEEN ? AND ?"
            params.extend(rows)
        return {row: _unpack_cells(text) for row, text in self._db.execute(sql, params)}

    def iter_rows(self, import_id: str, size: int) -> Iterator[list[JournalRow]]:
        """All rows in row order, `size` at a time: a large import's report is rendered
        without holding every row in memory."""
        cursor = self._db.execute(
            f"SELECT {self._ROW_COLUMNS} FROM rows WHERE import_id=? ORDER BY row", (import_id,)
        )
        while chunk := cursor.fetchmany(size):
            yield [self._row(values) for values in chunk]

    def mark_intent(self, import_id: str, row: int) -> None:
        """Committed before the request leaves: if the process dies now, the row is
        `unknown` and will be looked up before anything is sent again."""
        with self._transaction() as db:
            mark_intent_in(db, import_id, row)

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
        with self._transaction() as db:
            db.execute(
                "UPDATE rows SET outcome=?, http_status=?, errors=?, crediting_id=?, status=?,"
                " status_reason_locale=?, settled_amount=?, case_invoice_number=?,"
                " case_reference_number=?, duplicate_of=? WHERE import_id=? AND row=?",
                (
                    outcome.value,
                    http_status,
                    _errors_json(errors),
                    crediting.get("_id"),
                    crediting.get("status"),
                    crediting.get("status_reason_locale"),
                    _decimal_text(crediting.get("settled_amount")),
                    crediting.get("case_invoice_number"),
                    crediting.get("case_reference_number"),
                    json.dumps(duplicate_of) if duplicate_of else None,
                    import_id,
                    row,
                ),
            )
            if attempt:
                db.execute(
                    "INSERT INTO attempts VALUES (?,?,?,?,?,?)",
                    (import_id, row, _iso(utcnow()), outcome.value, http_status, note),
                )
            if checked.raw is not None:
                db.execute(
                    "INSERT INTO answers VALUES (?,?,?,?)",
                    (import_id, row, _iso(utcnow()), checked.raw),
                )

    def flag(self, import_id: str, row: int, errors: Sequence[RowError], note: str) -> None:
        """Errors on a row whose outcome stands (a credited row credited twice): the row
        keeps its crediting, the errors tell a person what to do."""
        with self._transaction() as db:
            db.execute(
                "UPDATE rows SET errors=? WHERE import_id=? AND row=?",
                (_errors_json(errors), import_id, row),
            )
            (outcome,) = db.execute(
                "SELECT outcome FROM rows WHERE import_id=? AND row=?", (import_id, row)
            ).fetchone()
            db.execute(
                "INSERT INTO attempts VALUES (?,?,?,?,?,?)",
                (import_id, row, _iso(utcnow()), outcome, None, note),
            )

    def record_verdicts(
        self,
        import_id: str,
        verdicts: Iterable[tuple[int, Outcome, Sequence[RowError], dict[str, Any] | None, str]],
    ) -> None:
        """Rows the dedupe pass holds back (duplicate, or invalid for a credit-note
        conflict) as (row, outcome, errors, duplicate_of, note), in one commit: a re-sent
        file of 200,000 rows is one transaction."""
        now = _iso(utcnow())
        with self._transaction() as db:
            for row, outcome, errors, pointer, note in verdicts:
                db.execute(
                    "UPDATE rows SET outcome=?, errors=?, crediting_id=?, duplicate_of=?,"
                    " http_status=NULL WHERE import_id=? AND row=?",
                    (
                        outcome.value,
                        _errors_json(errors),
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

    def record_statuses(self, import_id: str, read: Sequence[tuple[int, dict[str, Any]]]) -> None:
        """Processing statuses read back from the API after the creditings were created:
        (row, crediting) pairs, in one commit."""
        if not read:
            return
        checked = [(row, check_answer(crediting)) for row, crediting in read]
        unusable = [(row, answer) for row, answer in checked if answer.errors]
        read = [(row, answer.fields) for row, answer in checked]
        with self._transaction() as db:
            for row, answer in unusable:
                db.execute(
                    "UPDATE rows SET errors=? WHERE import_id=? AND row=?",
                    (_errors_json(answer.errors), import_id, row),
                )
                db.execute(
                    "INSERT INTO answers VALUES (?,?,?,?)",
                    (import_id, row, _iso(utcnow()), answer.raw or ""),
                )
            db.executemany(
                "UPDATE rows SET status=?, status_reason_locale=?, settled_amount=?,"
                " case_invoice_number=?, case_reference_number=? WHERE import_id=? AND row=?",
                [
                    (
                        crediting.get("status"),
                        crediting.get("status_reason_locale"),
                        _decimal_text(crediting.get("settled_amount")),
                        crediting.get("case_invoice_number"),
                        crediting.get("case_reference_number"),
                        import_id,
                        row,
                    )
                    for row, crediting in read
                ],
            )

    def replace_row(self, import_id: str, new: NewRow) -> None:
        """A correction (`rerun --fix`): new cells and request for a row that is not final.
        The row's cells as the file first had them are kept (`corrected`, written by the
        first correction only), so the report shows them beside the corrected ones."""
        with self._transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO corrected SELECT import_id, row, source FROM rows"
                " WHERE import_id=? AND row=?",
                (import_id, new.row),
            )
            db.execute(
                f"UPDATE rows SET outcome=?, errors=?, source=?, http_status=NULL,"
                f" ({_REQUEST_COLUMNS}) = ({_REQUEST_PLACEHOLDERS}) WHERE import_id=? AND row=?",
                (
                    new.outcome.value,
                    _errors_json(new.errors),
                    _pack_cells(new.source),
                    *_request_values(new.request),
                    import_id,
                    new.row,
                ),
            )
            db.execute(
                "INSERT INTO attempts VALUES (?,?,?,?,?,?)",
                (import_id, new.row, _iso(utcnow()), new.outcome.value, None, "corrected"),
            )


def mark_intent_in(db: SharedConnection, import_id: str, row: int) -> None:
    """`mark_intent` inside a transaction the caller holds (a credit-note claim)."""
    db.execute(
        "UPDATE rows SET outcome='unknown', intent_at=? WHERE import_id=? AND row=?",
        (_iso(utcnow()), import_id, row),
    )
