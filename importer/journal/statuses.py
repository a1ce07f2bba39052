"""The processing statuses of credited rows, read back from the API after the creditings
were created: which rows still wait for theirs, and the statuses once read."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from importer.api.answers import check as check_answer
from importer.journal.connection import JournalConnection
from importer.journal.figure_cache import bump_in
from importer.journal.row_values import decimal_text, errors_json
from importer.journal.schema import iso_z, reads, utcnow


class StatusStore:
    """Statuses awaited and read back, per import."""

    def __init__(self, db: JournalConnection) -> None:
        self._db = db

    @reads
    def awaiting(self, import_id: str) -> list[tuple[int, str]]:
        """(row, crediting id) of the credited rows whose status has not been read back:
        two columns, not whole rows — after a large import that is most of its rows."""
        return self._db.execute(
            "SELECT row, crediting_id FROM rows WHERE import_id=? AND outcome='credited'"
            " AND status IS NULL AND crediting_id IS NOT NULL ORDER BY row",
            (import_id,),
        ).fetchall()

    @reads
    def unread(self, import_id: str) -> int:
        """Credited rows whose status has not been read back and that carry no error: a row
        whose status did not fit (an undocumented one) is flagged for a person instead
        (`figures.flagged`), reading it again would not make it fit."""
        (count,) = self._db.fetchall(
            "SELECT count(*) FROM rows WHERE import_id=? AND outcome='credited'"
            " AND status IS NULL AND crediting_id IS NOT NULL AND errors IS NULL",
            (import_id,),
        )[0]
        return int(count)

    def record(self, import_id: str, read: Sequence[tuple[int, dict[str, Any]]]) -> None:
        """Processing statuses read back from the API after the creditings were created:
        (row, crediting) pairs, in one commit."""
        if not read:
            return
        checked = [(row, check_answer(crediting)) for row, crediting in read]
        unusable = [(row, answer) for row, answer in checked if answer.errors]
        read = [(row, answer.fields) for row, answer in checked]
        with self._db.transaction() as db:
            bump_in(db, import_id)  # once for the batch
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
