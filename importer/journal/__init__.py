"""The journal: every import and every row's state, in SQLite on disk (docs/pipeline.md).

It is what makes the importer exactly-once. A row's *intent* (outcome `unknown`) is committed
before its request leaves, its outcome after the answer; a crash in between leaves the row
`unknown`, which is reconciled by looking the crediting up, never by posting blindly. Reports
are rendered from here, so they can be regenerated at any time.

WAL with `synchronous=NORMAL`: every commit survives the process being killed (SIGKILL
included); a power loss may lose everything since the last checkpoint — the rows come back
without their outcome, and each is looked up at the API before it is sent again
(`pipeline.api_lookup`), so the intent commit needs no fsync (README, "Durability").

The journal is one object (`Journal`) made of parts, one concept each: `migrations` (the
tables, as ordered upgrades), `schema` (the connection), `imports`, `report_notes` (a report's
dialect and folder), `row_values`, `row_queries` and `rows` (a row, its reads, its writes),
`figures` (the few columns a list of imports counts), `audit` (changes made by hand,
append-only, and the rows resolved), `locks`, `dedupe`, `claims` (credit
notes claimed by rows in flight or credited) and `uncertain` (rows whose attempt was
uncertain). It depends
on the request contract (`api.request.FIELDS`) and the outcome vocabulary only, never on
validation.

SQLite's errors stop at this boundary: a write goes through `Store._transaction`, a read is
marked `@reads` (`schema.read_failure`), so a damaged file is `JournalDamaged` and anything
else `JournalFailed` (a write) or `JournalUnreadable` (a read), never a raw `sqlite3` error.
"""

from __future__ import annotations

from importer.journal.audit import AuditEntry, AuditStore, CellChange
from importer.journal.claims import ClaimStore
from importer.journal.dedupe import DedupeStore, JournalCrediting
from importer.journal.figures import Amounts, FigureStore, RowGroup
from importer.journal.imports import ImportRecord, ImportStore
from importer.journal.locks import LockStore
from importer.journal.migrations import SCHEMA_VERSION
from importer.journal.report_notes import ReportNotes
from importer.journal.row_values import JournalRow, NewRow
from importer.journal.rows import RowStore
from importer.journal.schema import damaged, utcnow
from importer.journal.uncertain import UncertainStore

__all__ = [
    "SCHEMA_VERSION",
    "Amounts",
    "AuditEntry",
    "CellChange",
    "ImportRecord",
    "Journal",
    "JournalCrediting",
    "JournalRow",
    "NewRow",
    "RowGroup",
    "damaged",
    "utcnow",
]


class Journal(
    ImportStore,
    ReportNotes,
    RowStore,
    LockStore,
    DedupeStore,
    ClaimStore,
    UncertainStore,
    FigureStore,
    AuditStore,
):
    """The SQLite journal. One instance per process, safe to share between threads (the
    posting lanes): see `journal.connection`."""
