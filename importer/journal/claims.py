"""Credit-note claims: two importers sharing a journal never send one credit note both.

Given different files with the same credit notes, each importer checked "already credited?"
before the other had credited, and both posted. A claim closes that window: claiming a
credit note (API, creditor, credit note) is one write transaction together with the row's
intent, and the primary key of `claims` lets only one row hold it. A claim counts while its
row is in flight (`unknown`) or `credited`; a row that ended otherwise (rejected, not sent)
leaves a stale claim the next claimant takes over, and so does a row whose credit note a
correction changed."""

from __future__ import annotations

from importer.journal.connection import JournalConnection
from importer.journal.dedupe import SELECT_CREDITING, JournalCrediting, crediting_of
from importer.journal.rows import mark_intent_in
from importer.journal.schema import reads


class ClaimStore:
    """Claiming a credit note for a row, with the row's intent."""

    def __init__(self, db: JournalConnection) -> None:
        self._db = db

    def take(
        self, base_url: str, creditor: str, credit_invoice: str, import_id: str, row: int
    ) -> JournalCrediting | None:
        """Claim the credit note for this row and commit the row's intent in the same
        transaction. Returns the holder — another row, in flight or credited — instead when
        the note is already claimed; then nothing is changed."""
        with self._db.transaction() as db:
            holder = _holder(db, base_url, creditor, credit_invoice, import_id, row)
            if holder is not None:
                return holder
            db.execute(
                "INSERT INTO claims VALUES (?,?,?,?,?) ON CONFLICT (api, creditor, credit_invoice)"
                " DO UPDATE SET import_id = excluded.import_id, row = excluded.row",
                (base_url, creditor, credit_invoice, import_id, row),
            )
            mark_intent_in(db, import_id, row)
        return None

    @reads
    def holder(
        self, base_url: str, creditor: str, credit_invoice: str, import_id: str, row: int
    ) -> JournalCrediting | None:
        """The row — another than this one, in flight or credited — that holds the credit
        note's claim now, or None: what `take` would answer, without claiming."""
        return _holder(self._db, base_url, creditor, credit_invoice, import_id, row)


def _holder(
    db: JournalConnection,
    base_url: str,
    creditor: str,
    credit_invoice: str,
    import_id: str,
    row: int,
) -> JournalCrediting | None:
    found = db.execute(
        f"{SELECT_CREDITING} JOIN claims c ON c.import_id = r.import_id AND c.row = r.row"
        " WHERE c.api=? AND c.creditor=? AND c.credit_invoice=?"
        " AND r.outcome IN ('unknown', 'credited') AND NOT (r.import_id=? AND r.row=?)"
        # a row corrected (`rerun --fix`) to another credit note holds it no more
        " AND r.credit_invoice = c.credit_invoice",
        (base_url, creditor, credit_invoice, import_id, row),
    ).fetchone()
    return None if found is None else crediting_of(found)
