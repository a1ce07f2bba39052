"""The journal's tables, and the connection every part of the journal works through.

Request fields are columns, not JSON, so duplicate checks are indexed lookups and a
200,000-row import is stored in a fraction of a second. The columns are `api.request.FIELDS`,
in that order: the request contract is written once."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Self

from importer.api.request import FIELDS
from importer.errors import JournalUnavailable
from importer.journal.connection import SharedConnection

SCHEMA_VERSION = 1

REQUEST_FIELDS: tuple[str, ...] = FIELDS
"""Stored as columns, in the model's (and the API body's) order."""
REQUEST_COLUMNS: tuple[str, ...] = tuple("case_id" if f == "case" else f for f in FIELDS)
"""The column of each request field (`case` is an SQL keyword)."""
_REQUEST_COLUMNS = ", ".join(REQUEST_COLUMNS)
_REQUEST_PLACEHOLDERS = ",".join("?" * len(REQUEST_FIELDS))
_AMOUNT = REQUEST_FIELDS.index("amount")

_SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS imports (
    id TEXT PRIMARY KEY,
    file_name TEXT NOT NULL,
    file_path TEXT NOT NULL,
    sha256 TEXT,
    format TEXT,
    rows INTEGER NOT NULL DEFAULT 0,
    columns TEXT NOT NULL DEFAULT '[]',
    base_url TEXT NOT NULL,
    dry_run INTEGER NOT NULL,
    sandbox INTEGER NOT NULL,
    all_or_nothing INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL,
    started TEXT NOT NULL,
    finished TEXT,
    file_errors TEXT NOT NULL DEFAULT '[]',
    warnings TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS locks (
    key TEXT PRIMARY KEY,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    since TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS imports_sha ON imports (sha256, state);
CREATE TABLE IF NOT EXISTS rows (
    import_id TEXT NOT NULL,
    row INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    errors TEXT,
    source TEXT NOT NULL,
"""
    + "".join(f"    {column} TEXT,\n" for column in REQUEST_COLUMNS)
    + """    crediting_id TEXT,
    status TEXT,
    status_reason_locale TEXT,
    settled_amount TEXT,
    case_invoice_number TEXT,
    case_reference_number TEXT,
    http_status INTEGER,
    duplicate_of TEXT,
    intent_at TEXT,
    PRIMARY KEY (import_id, row)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS rows_credit_invoice
    ON rows (creditor, credit_invoice) WHERE outcome = 'credited';
CREATE TABLE IF NOT EXISTS attempts (
    import_id TEXT NOT NULL,
    row INTEGER NOT NULL,
    at TEXT NOT NULL,
    outcome TEXT NOT NULL,
    http_status INTEGER,
    note TEXT
);
CREATE INDEX IF NOT EXISTS attempts_row ON attempts (import_id, row);
CREATE TABLE IF NOT EXISTS corrected (
    import_id TEXT NOT NULL,
    row INTEGER NOT NULL,
    original_source TEXT NOT NULL,
    PRIMARY KEY (import_id, row)
) WITHOUT ROWID;
"""
)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Store:
    """The SQLite connection, opened with the schema; the journal's parts share it, and so do
    the posting lanes' threads (`journal.connection`)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._issued: set[str] = set()
        """Ids handed out by new_import_id, so two calls never return the same one even
        before either import is created."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = SharedConnection(
                sqlite3.connect(
                    self.path, isolation_level=None, timeout=30, check_same_thread=False
                )
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            self._db.execute(
                "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )
        except (sqlite3.Error, OSError) as exc:
            raise JournalUnavailable(f"journal {self.path}: cannot be opened ({exc})") from exc

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[SharedConnection]:
        with self._db.lock:  # the whole transaction: no other lane's statement inside it
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
