"""The journal: every import and every row's state, in SQLite on disk or on a PostgreSQL
server (`journal.url`; docs/pipeline.md, docs/journal.md).

It is what makes the importer exactly-once. A row's *intent* (outcome `unknown`) is committed
before its request leaves, its outcome after the answer; a crash in between leaves the row
`unknown`, which is reconciled by looking the crediting up, never by posting blindly. Reports
are rendered from here, so they can be regenerated at any time.

WAL with `synchronous=NORMAL`: every commit survives the process being killed (SIGKILL
included); a power loss may lose everything since the last checkpoint — the rows come back
without their outcome, and each is looked up at the API before it is sent again
(`pipeline.api_lookup`), so the intent commit needs no fsync (README, "Durability").

The journal is one object (`Journal`) composed of parts, one concept each, all over one
shared connection (`connection.JournalConnection`): a `connection.SharedConnection` on a
SQLite file (with `migrations`, the only modules that import `sqlite3`) or a
`postgres.PgConnection` on a server (with `pg_migrations`; the only module that imports
`psycopg`). The parts' SQL is the same on both:

* `journal.imports.all` — creating, finding and finishing imports (`imports`);
* `journal.notes` — a report's dialect and folder (`report_notes`);
* `journal.rows.all` — a row from intent to outcome, and its reads (`rows`; its values:
  `row_values`);
* `journal.statuses` — the processing statuses read back after posting (`statuses`);
* `journal.history` — a row's attempts, raw answers and the cells a correction replaced
  (`row_history`);
* `journal.locks` — which process works on which import or file (`locks`);
* `journal.dedupe` — what the journal knows of earlier creditings (`dedupe`);
* `journal.claims` — credit notes claimed by rows in flight or credited (`claims`);
* `journal.uncertain` — rows whose attempt was uncertain (`uncertain`);
* `journal.figures` — the counts and amounts a list of imports shows (`figures`);
* `journal.figure_cache` — each import's revision and the figures last computed at one
  (`figure_cache`);
* `journal.audit` — changes made by hand, append-only, and the rows resolved (`audit`);
* `journal.nights` — a night's drop summary, shared by the hosts of one journal (`nights`).

A caller that needs one concept can take that part alone (`pipeline.ownership` takes
`journal.dedupe`). A part holds the connection and nothing of the others, and is no subclass
of anything: a part that must write in another's transaction runs that part's statement
inside its own (`claims` commits the row's intent with `rows.mark_intent_in`). Opening,
closing and the write check are the journal's own (`Journal`). It
depends on the request contract (`api.request.FIELDS`) and the outcome vocabulary only,
never on validation.

The database's errors stop at this boundary: a write goes through the connection's
`transaction` (`connection.write_failure`), a read is marked `@reads`
(`connection.read_failure`), so a damaged file is `JournalDamaged` and anything else
`JournalFailed` (a write) or `JournalUnreadable` (a read), never a raw `sqlite3` or
`psycopg` error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Self

from importer.errors import ConfigError, JournalFailed
from importer.journal.audit import AuditEntry, AuditStore, CellChange
from importer.journal.claims import ClaimStore
from importer.journal.connection import JournalConnection, SharedConnection, damaged, said
from importer.journal.dedupe import DedupeStore, JournalCrediting
from importer.journal.figure_cache import Cached, FigureCache
from importer.journal.figures import Amounts, FigureStore, RowGroup
from importer.journal.imports import ImportRecord, ImportStore
from importer.journal.locks import LockStore
from importer.journal.migrations import SCHEMA_VERSION
from importer.journal.nights import NightStore
from importer.journal.report_notes import ReportNotes
from importer.journal.row_history import RowHistory
from importer.journal.row_values import JournalRow, NewRow
from importer.journal.rows import RowStore
from importer.journal.schema import ROW_MAX, iso_z, utcnow
from importer.journal.server import JournalServer
from importer.journal.statuses import StatusStore
from importer.journal.uncertain import UncertainStore

__all__ = [
    "ROW_MAX",
    "SCHEMA_VERSION",
    "Amounts",
    "AuditEntry",
    "AuditStore",
    "Cached",
    "CellChange",
    "ClaimStore",
    "DedupeStore",
    "FigureCache",
    "FigureStore",
    "ImportRecord",
    "ImportStore",
    "Journal",
    "JournalCrediting",
    "JournalRow",
    "LockStore",
    "NewRow",
    "NightStore",
    "ReportNotes",
    "RowGroup",
    "RowHistory",
    "RowStore",
    "StatusStore",
    "UncertainStore",
    "damaged",
    "utcnow",
]


class Journal:
    """The journal, on a SQLite file (a path) or a PostgreSQL server (`JournalServer`,
    `config.journal.place()`). One instance per process, safe to share between threads (the
    posting lanes): every part works through the one connection."""

    def __init__(self, place: Path | JournalServer) -> None:
        self.path: Path | JournalServer = place if isinstance(place, JournalServer) else Path(place)
        """Where the journal is, as messages name it (a server's URL never holds a password)."""
        self._db: JournalConnection
        if isinstance(self.path, JournalServer):
            # imported here, not at the top: psycopg costs every other command 0.3 s to import
            from importer.journal.postgres import PgConnection

            self._db = PgConnection.open(self.path)
        else:
            self._db = SharedConnection.open(self.path)
        self.imports = ImportStore(self._db)
        self.notes = ReportNotes(self._db)
        self.rows = RowStore(self._db)
        self.statuses = StatusStore(self._db)
        self.history = RowHistory(self._db)
        self.locks = LockStore(self._db)
        self.dedupe = DedupeStore(self._db)
        self.claims = ClaimStore(self._db)
        self.uncertain = UncertainStore(self._db)
        self.figures = FigureStore(self._db)
        self.figure_cache = FigureCache(self._db)
        self.audit = AuditStore(self._db)
        self.nights = NightStore(self._db)

    def close(self) -> None:
        self._db.close()

    def check_writable(self) -> None:
        """A real write transaction, before anything is sent: a journal on a read-only or
        full disk is found now (exit 2, nothing sent), not after the first POST."""
        try:
            with self._db.transaction() as db:
                db.execute(
                    "INSERT INTO meta VALUES ('checked_writable', ?)"
                    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (iso_z(utcnow()),),
                )
        except JournalFailed as failed:  # `transaction` said why; a damaged file passes
            raise ConfigError(
                f"journal {self.path} cannot be written ({said(failed.__cause__ or failed)});"
                " nothing was sent"
            ) from failed.__cause__
        except OSError as exc:
            raise ConfigError(
                f"journal {self.path} cannot be written ({said(exc)}); nothing was sent"
            ) from exc

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
