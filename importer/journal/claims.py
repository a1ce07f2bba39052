"""Credit-note claims: two importers sharing a journal never send one credit note both.

Given different files with the same credit notes, each importer checked "already credited?"
before the other had credited, and both posted. A claim closes that window: claiming a
credit note (API, creditor, credit note) is one write transaction together with the row's
intent, and the primary key of `claims` lets only one row hold it. A claim counts while its
row is in flight (`unknown`) or `credited`; a row that ended otherwise (rejected, not sent)
leaves a stale claim the next claimant takes over, and so does a row whose credit note a
correction changed.

The holder is read before the claim is written, so the claim is decided as the journal's one
writer at a time: SQLite's `BEGIN IMMEDIATE`; on a server, the writer lock taken first inside
`SERVER_TAKE`, a function of the session, whose next statement reads with a snapshot taken
after the lock was granted. That function reads, claims and sets the intent in one round
trip, where a transaction sent from here would take two (its read answered before it
writes) and five statements."""

from __future__ import annotations

from importer.journal.connection import JournalConnection
from importer.journal.dedupe import SELECT_CREDITING, JournalCrediting, crediting_of
from importer.journal.rows import mark_intent_in
from importer.journal.schema import REQUEST_COLUMNS, iso_z, reads, utcnow
from importer.journal.server import WRITER_LOCK

_HELD = (
    " JOIN claims c ON c.import_id = r.import_id AND c.row = r.row"
    " WHERE c.api={api} AND c.creditor={creditor} AND c.credit_invoice={note}"
    " AND r.outcome IN ('unknown', 'credited') AND NOT (r.import_id={import_id} AND r.row={row})"
    # a row corrected (`rerun --fix`) to another credit note holds it no more
    " AND r.credit_invoice = c.credit_invoice"
)
"""Which row — another than the claimant, in flight or credited — holds a credit note: the
one condition both forms of the claim read."""

_HELD_BY_PARAMS = _HELD.format(
    api="p_api", creditor="p_creditor", note="p_note", import_id="p_import", row="p_row"
)

SERVER_TAKE = f"""CREATE FUNCTION pg_temp.importer_take_claim(
    p_api text, p_creditor text, p_note text, p_import text, p_row integer, p_at text)
RETURNS SETOF rows LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock({WRITER_LOCK});
    RETURN QUERY SELECT r.* FROM rows r JOIN imports i ON i.id = r.import_id{_HELD_BY_PARAMS};
    IF FOUND THEN
        RETURN;
    END IF;
    INSERT INTO claims VALUES (p_api, p_creditor, p_note, p_import, p_row)
        ON CONFLICT (api, creditor, credit_invoice)
        DO UPDATE SET import_id = excluded.import_id, row = excluded.row;
    UPDATE rows SET outcome = 'unknown', intent_at = p_at
        WHERE import_id = p_import AND row = p_row;
    UPDATE imports SET revision = revision + 1 WHERE id = p_import;
END $$"""
"""`ClaimStore.take` on a server, defined in each session (`journal.postgres`): the holder
it returns, or none when the claim and the row's intent are written."""

_TAKE_ON_SERVER = (
    "SELECT import_id, row, crediting_id, case_invoice_number, "
    + ", ".join(REQUEST_COLUMNS)
    + " FROM pg_temp.importer_take_claim(?,?,?,?,?,?)"
)


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
        if self._db.on_server:
            found = self._db.write(
                [
                    (
                        _TAKE_ON_SERVER,
                        (base_url, creditor, credit_invoice, import_id, row, iso_z(utcnow())),
                    )
                ]
            ).fetchone()
            return None if found is None else crediting_of(found)
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
        SELECT_CREDITING + _HELD.format(api="?", creditor="?", note="?", import_id="?", row="?"),
        (base_url, creditor, credit_invoice, import_id, row),
    ).fetchone()
    return None if found is None else crediting_of(found)
