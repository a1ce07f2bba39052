"""Each import's revision, and the figures a list of imports last computed for it at one
(migration 8), so the overview page written after every command reads the rows of the
imports that changed, not of every import the journal ever held.

The revision is optimistic concurrency, never a lock: every write of the journal that
changes what an import's figures are made of — its rows (outcome, status, errors, amounts,
cells, creditor), its resolutions, its warnings, state and source notes — bumps the
import's revision in the same transaction (`bump`, `bump_in`). A reader reads the
revisions first (`current`), computes the figures of the imports whose entry is stale, and
stores each with the revision it read before computing (`store`): a writer that commits
meanwhile has bumped the revision past it, so the entry is stale, never wrong; one that
committed before is in what the reader computed. On a server, the bump is a row update of
`imports`, so two hosts' bumps of one import follow each other; the credit-note claim's
function (`claims.SERVER_TAKE`) bumps after it took the writer lock, and an import's rows
are written by the one process holding its lock, so no transaction holding the writer lock
waits for an import's row that a transaction waiting for the writer lock holds.

Measured (`lanes_bench.journal_commits`, one thread, 50,000 rows, intent and outcome, SQLite,
five interleaved runs): 6,314 rows/s without the bump, 5,601 with it (median; the page of
`imports` is one more page a commit writes); an `importer run` of 50,000 rows took 101.4 and
107.7 s before, 105.1 and 99.2 s after (`import_bench.py --only d`): within the machine's
noise.

Not bumped: a report's folder (`report_notes.set_report_dir`: no figure reads it, and a dry
run, the one import whose figures come from its report, is never cached), a credit note's
claim taken over from another import (`claims`: no figure reads claims), locks and nights.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from importer.journal.connection import JournalConnection
from importer.journal.schema import reads

_BUMP = "UPDATE imports SET revision = revision + 1 WHERE id=?"


def bump(import_id: str) -> tuple[str, tuple[Any, ...]]:
    """The statement that bumps the import's revision, for a write's list of statements
    (`JournalConnection.write`)."""
    return (_BUMP, (import_id,))


def bump_in(db: JournalConnection, import_id: str) -> None:
    """Bump the import's revision inside the transaction the caller holds."""
    db.execute(_BUMP, (import_id,))


class Cached(NamedTuple):
    revision: int
    """The import's revision when read."""
    figures: str | None
    """The figures stored at that revision (JSON), or None when none are."""


class FigureCache:
    """The imports' revisions and the figures stored for them."""

    def __init__(self, db: JournalConnection) -> None:
        self._db = db

    @reads
    def current(self) -> dict[str, Cached]:
        """Every import's revision now, with the figures stored at exactly that revision:
        one statement, so each revision and its entry are read together."""
        return {
            import_id: Cached(int(revision), figures)
            for import_id, revision, figures in self._db.fetchall(
                "SELECT i.id, i.revision, f.figures FROM imports i LEFT JOIN import_figures f"
                " ON f.import_id = i.id AND f.revision = i.revision"
            )
        }

    def store(self, entries: Iterable[tuple[str, int, str]]) -> None:
        """(import id, the revision read before computing, figures JSON), in one short
        transaction; an entry whose import's revision moved on since is not stored (it
        would never be used). Raises as any write does: the caller decides that a cache
        not written is no failure."""
        rows = [(i, revision, figures, i, revision) for i, revision, figures in entries]
        if not rows:
            return
        with self._db.transaction() as db:
            db.executemany(
                "INSERT INTO import_figures (import_id, revision, figures)"
                " SELECT CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS TEXT)"
                " WHERE (SELECT revision FROM imports WHERE id=?) = ?"
                " ON CONFLICT (import_id) DO UPDATE"
                " SET revision = excluded.revision, figures = excluded.figures",
                rows,
            )
