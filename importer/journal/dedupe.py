"""What the journal knows about earlier creditings, for deciding that a row must not be sent
(the rules are `pipeline.dedupe_rules`). Each an indexed query:

* **credited credit notes** of other imports at the same API, with the amount and case they
  were credited for, so a later row can be told a duplicate from a conflict;
* **repeats**: credited rows of other imports with a new row's amount — the
  candidates it is compared with field by field (index rows_credited_amount);
* and, once posting is done, the `_id` of an original a duplicate was decided against
  before it had one."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from importer.journal.connection import JournalConnection
from importer.journal.figure_cache import bump_in
from importer.journal.schema import REQUEST_COLUMNS, REQUEST_FIELDS, reads

_CHUNK = 500
"""Values per `IN (…)`: well below SQLite's 999 bound parameters, with room for the rest."""

SELECT_CREDITING = (
    "SELECT r.import_id, r.row, r.crediting_id, r.case_invoice_number, "
    + ", ".join(f"r.{column}" for column in REQUEST_COLUMNS)
    + " FROM rows r JOIN imports i ON i.id = r.import_id"
)


@dataclass(frozen=True, slots=True)
class JournalCrediting:
    """A row of some import as the journal holds it: where it is and what it asked for."""

    import_id: str
    row: int
    crediting_id: str | None
    request: dict[str, Any]
    case_invoice_number: str | None = None


def crediting_of(values: Iterable[Any]) -> JournalCrediting:
    """A JournalCrediting from a `SELECT_CREDITING` row."""
    import_id, row, crediting_id, case_invoice_number, *fields = values
    request = {
        name: value for name, value in zip(REQUEST_FIELDS, fields, strict=True) if value is not None
    }
    if "amount" in request:
        request["amount"] = Decimal(request["amount"])
    return JournalCrediting(import_id, row, crediting_id, request, case_invoice_number)


class DedupeStore:
    """Look-ups of earlier creditings, across imports to the same API."""

    def __init__(self, db: JournalConnection) -> None:
        self._db = db

    @reads
    def has_credited(
        self, creditor: str, *, base_url: str, exclude_import: str | None = None
    ) -> bool:
        """Whether another import credited anything for this creditor through this API (one
        probe on an index): a creditor's first import needs no look-up per row."""
        return (
            self._db.execute(
                "SELECT 1 FROM rows r JOIN imports i ON i.id = r.import_id WHERE r.creditor=?"
                " AND r.outcome='credited' AND i.base_url=?"
                " AND (CAST(? AS TEXT) IS NULL OR r.import_id <> ?) LIMIT 1",
                (creditor, base_url, exclude_import, exclude_import),
            ).fetchone()
            is not None
        )

    @reads
    def credited_notes(
        self, base_url: str, creditor: str, notes: Iterable[str], *, exclude_import: str
    ) -> dict[str, JournalCrediting]:
        """The first credited row of another import at this API for each of these credit
        notes of the creditor."""
        found: dict[str, JournalCrediting] = {}
        for crediting in self._credited_among(
            base_url, creditor, "credit_invoice", sorted(set(notes)), exclude_import
        ):
            found.setdefault(crediting.request["credit_invoice"], crediting)
        return found

    @reads
    def credited_with_amounts(
        self, base_url: str, creditor: str, amounts: Iterable[Decimal], *, exclude_import: str
    ) -> Iterator[JournalCrediting]:
        """Credited rows of other imports at this API for the creditor with one of these
        amounts, oldest first (index rows_credited_amount)."""
        wanted = sorted({str(Decimal(a)) for a in amounts})
        yield from self._credited_among(base_url, creditor, "amount", wanted, exclude_import)

    @reads
    def sent_references(self, base_url: str, creditor: str, references: Iterable[str]) -> bool:
        """Whether this journal sent and credited one of these references of the creditor at
        this API (the row's intent recorded: not merely found there, as after a lost
        journal): it knows the imports that credited them, so it is not lost for them
        (`pipeline.generated_references`)."""
        wanted = sorted(set(references))
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            found = self._db.execute(
                "SELECT 1 FROM rows r JOIN imports i ON i.id = r.import_id WHERE r.creditor=?"
                " AND r.outcome='credited' AND i.base_url=? AND r.intent_at IS NOT NULL"
                f" AND r.creditor_reference IN ({','.join('?' * len(chunk))}) LIMIT 1",
                (creditor, base_url, *chunk),
            ).fetchone()
            if found is not None:
                return True
        return False

    def _credited_among(
        self,
        base_url: str,
        creditor: str,
        column: Literal["credit_invoice", "amount"],
        values: list[str],
        exclude_import: str,
    ) -> Iterator[JournalCrediting]:
        """Credited rows of other imports at this API for the creditor whose `column` is one
        of `values`, oldest first, asked _CHUNK values at a time (SQLite's variable limit)."""
        for start in range(0, len(values), _CHUNK):
            chunk = values[start : start + _CHUNK]
            for found_row in self._db.fetchall(
                f"{SELECT_CREDITING} WHERE r.creditor=? AND r.outcome='credited' AND i.base_url=?"
                f" AND r.import_id<>? AND r.{column} IN ({','.join('?' * len(chunk))})"
                " ORDER BY i.started, r.import_id, r.row",
                (creditor, base_url, exclude_import, *chunk),
            ):
                yield crediting_of(found_row)

    def point_at_originals(self, import_id: str) -> None:
        """Duplicates decided before their original was posted (an earlier row of the
        file, another importer's row in flight) get the original's `_id` once it has one."""
        with self._db.transaction() as db:
            waiting = db.fetchall(
                "SELECT row, duplicate_of FROM rows WHERE import_id=? AND outcome='duplicate'"
                " AND crediting_id IS NULL AND duplicate_of IS NOT NULL",
                (import_id,),
            )
            for row, pointer_text in waiting:
                # the pointer is read here, not in SQL: the JSON functions differ between
                # SQLite and PostgreSQL, and such rows are few (each found by its key)
                pointer = json.loads(pointer_text)
                original = db.fetchall(
                    "SELECT crediting_id FROM rows WHERE import_id=? AND row=?"
                    " AND outcome='credited' AND crediting_id IS NOT NULL",
                    (str(pointer.get("file_import_report")), int(pointer.get("row", -1))),
                )
                if original:
                    bump_in(db, import_id)
                    db.execute(
                        "UPDATE rows SET crediting_id=?, duplicate_of=?"
                        " WHERE import_id=? AND row=?",
                        (
                            original[0][0],
                            json.dumps({**pointer, "_id": original[0][0]}),
                            import_id,
                            row,
                        ),
                    )

    @reads
    def credited_rows_of(
        self, base_url: str, crediting_ids: Iterable[str]
    ) -> dict[str, tuple[str, int]]:
        """The credited row (import, row) the journal knows each of these creditings as, at
        this API: a crediting found by a look-up is not a row's own when another row holds
        it. (No index on crediting_id: asked only for creditings a look-up found.)"""
        wanted = sorted(set(crediting_ids))
        found: dict[str, tuple[str, int]] = {}
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            for crediting_id, import_id, row in self._db.fetchall(
                "SELECT r.crediting_id, r.import_id, r.row FROM rows r"
                " JOIN imports i ON i.id = r.import_id WHERE r.outcome='credited'"
                f" AND i.base_url=? AND r.crediting_id IN ({','.join('?' * len(chunk))})",
                (base_url, *chunk),
            ):
                found.setdefault(crediting_id, (import_id, row))
        return found

    @reads
    def first_attempt_at(self, import_id: str, row: int) -> datetime | None:
        """When the row's first attempt was recorded (or its intent, if earlier): what a
        crediting found under a reused reference must not be older than to be this row's."""
        (first, intent) = self._db.execute(
            "SELECT (SELECT MIN(at) FROM attempts WHERE import_id=? AND row=?),"
            " (SELECT intent_at FROM rows WHERE import_id=? AND row=?)",
            (import_id, row, import_id, row),
        ).fetchone()
        moments = [datetime.fromisoformat(m) for m in (first, intent) if m]
        return min(moments, default=None)

    @reads
    def crediting_owner(self, crediting_id: str) -> tuple[str, int] | None:
        """(import id, row) of the row the crediting `crediting_id` was recorded for."""
        found = self._db.fetchall(
            "SELECT import_id, row FROM rows WHERE crediting_id=? ORDER BY import_id LIMIT 1",
            (crediting_id,),
        )
        return (str(found[0][0]), int(found[0][1])) if found else None
