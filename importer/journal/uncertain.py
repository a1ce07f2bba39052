"""Rows that ever had an uncertain attempt: after posting, each credited one is
looked up by its reference once more (`pipeline.double_credit`), and the import's rows
flagged as credited twice are counted for its exit code."""

from __future__ import annotations

from importer.journal.connection import JournalConnection
from importer.journal.figure_cache import bump_in
from importer.journal.schema import reads
from importer.outcomes import CREDITED_TWICE


class UncertainStore:
    """Rows whose attempt was uncertain, until they are looked up once more."""

    def __init__(self, db: JournalConnection) -> None:
        self._db = db

    def note(self, import_id: str, row: int) -> None:
        with self._db.transaction() as db:
            db.execute(
                "INSERT INTO uncertain VALUES (?,?) ON CONFLICT DO NOTHING", (import_id, row)
            )
            bump_in(db, import_id)

    @reads
    def credited(self, import_id: str) -> list[int]:
        """The noted rows of the import that are credited now, in row order."""
        return [
            row
            for (row,) in self._db.fetchall(
                "SELECT u.row FROM uncertain u JOIN rows r ON r.import_id = u.import_id"
                " AND r.row = u.row WHERE u.import_id=? AND r.outcome='credited' ORDER BY u.row",
                (import_id,),
            )
        ]

    def forget(self, import_id: str, row: int) -> None:
        """Looked up once more: not again."""
        with self._db.transaction() as db:
            db.execute("DELETE FROM uncertain WHERE import_id=? AND row=?", (import_id, row))
            bump_in(db, import_id)

    @reads
    def credited_twice(self, import_id: str) -> int:
        """Credited rows of the import flagged as credited twice (they need a person)."""
        (count,) = self._db.execute(
            "SELECT COUNT(*) FROM rows WHERE import_id=? AND outcome='credited' AND errors LIKE ?",
            (import_id, f'%"code": "{CREDITED_TWICE}"%'),
        ).fetchone()
        return int(count)
