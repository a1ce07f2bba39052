"""A night's drop summary kept in the journal (migration 7): where the drops of several
hosts sharing one journal on a server add up one summary a night (`drop.night`). The journal
is what those hosts share and trust — unlike the inbox, which an uploader may write — and
its writer lock makes each pass's read, merge and write one step on every host, so two
hosts never tell the same news twice or lose each other's files.

The summary is the JSON `drop.summary` writes, kept whole under the night's name; the
journal does not read into it."""

from __future__ import annotations

from collections.abc import Callable

from importer.journal.connection import JournalConnection
from importer.journal.schema import reads


class NightStore:
    """Nights by name (`2026-12-06`), each its summary's JSON text."""

    def __init__(self, db: JournalConnection) -> None:
        self._db = db

    @reads
    def get(self, night: str) -> str | None:
        found = self._db.fetchall("SELECT summary FROM drop_nights WHERE night=?", (night,))
        return str(found[0][0]) if found else None

    def update(self, night: str, change: Callable[[str | None], str | None]) -> None:
        """`change` the night's summary (None: there is none yet) in one write transaction,
        as the journal's one writer: no other host's pass reads or writes the night between
        the read and the write. `change` returns the new summary, or None to keep it as it
        is; it runs under the writer lock, so it must be quick (no network)."""
        with self._db.transaction() as db:
            found = db.execute("SELECT summary FROM drop_nights WHERE night=?", (night,)).fetchone()
            changed = change(None if found is None else str(found[0]))
            if changed is not None:
                db.execute(
                    "INSERT INTO drop_nights (night, summary) VALUES (?, ?)"
                    " ON CONFLICT (night) DO UPDATE SET summary = excluded.summary",
                    (night, changed),
                )
