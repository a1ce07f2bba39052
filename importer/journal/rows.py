"""The writes that move a journal row from intent to outcome: the intent committed before a
request leaves, the outcome after it, statuses read back, verdicts, corrected rows. (Reads:
`row_queries`; the row's values: `row_values`.)"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from importer.api.answers import check as check_answer
from importer.journal.connection import JournalConnection
from importer.journal.row_queries import RowQueries
from importer.journal.row_values import (
    NewRow,
    decimal_text,
    errors_json,
    pack_cells,
    request_row_values,
)
from importer.journal.schema import (
    REQUEST_COLUMN_LIST,
    REQUEST_PLACEHOLDERS,
    iso_z,
    utcnow,
)
from importer.outcomes import Outcome, RowError


class RowStore(RowQueries):
    """The rows of imports as written: intent committed before a request leaves, the outcome
    after it, statuses read back, corrected rows replaced. (Reads: `RowQueries`.)"""

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
            if attempt:
                db.execute(
                    "INSERT INTO attempts VALUES (?,?,?,?,?,?)",
                    (import_id, row, iso_z(utcnow()), outcome.value, http_status, note),
                )
            if checked.raw is not None:
                db.execute(
                    "INSERT INTO answers VALUES (?,?,?,?)",
                    (import_id, row, iso_z(utcnow()), checked.raw),
                )

    def flag(self, import_id: str, row: int, errors: Sequence[RowError], note: str) -> None:
        """Errors on a row whose outcome stands (a credited row credited twice): the row
        keeps its crediting, the errors tell a person what to do."""
        with self._transaction() as db:
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

    def record_verdicts(
        self,
        import_id: str,
        verdicts: Iterable[tuple[int, Outcome, Sequence[RowError], dict[str, Any] | None, str]],
    ) -> None:
        """Rows the dedupe pass holds back (duplicate, or invalid for a credit-note
        conflict) as (row, outcome, errors, duplicate_of, note), in one commit: a re-sent
        file of 200,000 rows is one transaction."""
        now = iso_z(utcnow())
        with self._transaction() as db:
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
                    (errors_json(answer.errors), import_id, row),
                )
                db.execute(
                    "INSERT INTO answers VALUES (?,?,?,?)",
                    (import_id, row, iso_z(utcnow()), answer.raw or ""),
                )
            db.executemany(
                "UPDATE rows SET status=?, status_reason_locale=?, settled_amount=?,"
                " case_invoice_number=?, case_reference_number=? WHERE import_id=? AND row=?",
                [
                    (
                        crediting.get("status"),
                        crediting.get("status_reason_locale"),
                        decimal_text(crediting.get("settled_amount")),
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


def mark_intent_in(db: JournalConnection, import_id: str, row: int) -> None:
    """`mark_intent` inside a transaction the caller holds (a credit-note claim)."""
    db.execute(
        "UPDATE rows SET outcome='unknown', intent_at=? WHERE import_id=? AND row=?",
        (iso_z(utcnow()), import_id, row),
    )
