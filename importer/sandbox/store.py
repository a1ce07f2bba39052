"""SQLite storage for the sandbox: seeded cases, creditings, and the crediting transaction.

Why it looks like this:
- WAL mode, `synchronous=OFF`: readers never block the writer, and neither commits nor WAL
  checkpoints wait for fsync (checkpoint syncs cost ~25% of a crediting's time under NORMAL),
  which keeps the sandbox far from being the bottleneck of an import. Committed creditings
  survive a crash or kill of the sandbox process; a power loss of the machine may lose or
  damage the sandbox database, which holds made-up data only.
- Every crediting runs in one `BEGIN IMMEDIATE` transaction on one writer connection, under a
  process-wide lock: reference checks, the balance read, the settlement and both writes see
  one state, so concurrent posts on a case never lose an update. BEGIN IMMEDIATE also
  serialises against a second sandbox process on the same file.
- Money is integer öre in columns; the stored JSON documents hold a null placeholder where an
  amount goes, so the integer is the only source of truth and key order is kept for rendering.
- Fields the importer queries (creditor, creditor_reference, case ids, invoice numbers) are
  columns with indexes; everything else is queried from the JSON document.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from importer.errors import SandboxError
from importer.sandbox.cases import Case
from importer.sandbox.crediting import settle
from importer.sandbox.eve import ObjectIdFactory, compute_etag, http_date
from importer.sandbox.money import ore_to_number
from importer.sandbox.query import Column, ColumnMap, FieldKind, ListQuery
from importer.sandbox.validation import CreditingRequest, Issues, resolve_case

SCHEMA_VERSION = "importer-sandbox/1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cases (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    creditor TEXT NOT NULL,
    account TEXT NOT NULL,
    invoice_number TEXT,
    reference_number TEXT,
    remaining_ore INTEGER NOT NULL,
    state TEXT NOT NULL,
    created INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS cases_by_invoice ON cases (creditor, invoice_number);
CREATE TABLE IF NOT EXISTS creditings (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    creditor TEXT NOT NULL,
    case_id TEXT NOT NULL,
    creditor_reference TEXT,
    credit_invoice TEXT,
    amount_ore INTEGER NOT NULL,
    settled_ore INTEGER NOT NULL,
    status TEXT NOT NULL,
    created INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    etag TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS creditings_by_reference ON creditings (creditor_reference, creditor);
CREATE INDEX IF NOT EXISTS creditings_by_creditor ON creditings (creditor);
CREATE INDEX IF NOT EXISTS creditings_by_case ON creditings (case_id);
"""

_META_COLUMNS: ColumnMap = {
    "_id": Column("id", FieldKind.TEXT),
    "_created": Column("created", FieldKind.DATE),
    "_updated": Column("updated", FieldKind.DATE),
}


def _json_default(value: Any) -> Any:
    """Decimals from the parsed request or seed outside the money columns (e.g. extra case
    fields) are stored as JSON numbers."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _dump(doc: dict[str, Any]) -> str:
    return json.dumps(doc, default=_json_default, ensure_ascii=False, separators=(",", ":"))


def _finish(
    doc: dict[str, Any], created: int, updated: int, etag: str | None = None
) -> dict[str, Any]:
    """Add Eve's meta fields; the ETag is computed unless known (creditings store theirs)."""
    doc["_created"] = http_date(created)
    doc["_updated"] = http_date(updated)
    doc["_etag"] = etag or compute_etag(doc)
    return doc


@dataclass(frozen=True, slots=True)
class Collection:
    """One Eve resource: its table, which fields are columns, and how a row becomes a doc."""

    table: str
    columns: ColumnMap
    select: str
    render: Callable[[tuple[Any, ...]], dict[str, Any]]


def _render_case(row: tuple[Any, ...]) -> dict[str, Any]:
    case_id, remaining_ore, state, created, updated, doc_text = row
    doc = {"_id": case_id, **json.loads(doc_text)}
    doc["local_remaining_capital_amount"] = ore_to_number(remaining_ore)
    doc["state"] = state
    return _finish(doc, created, updated)


def _render_crediting(row: tuple[Any, ...]) -> dict[str, Any]:
    crediting_id, amount_ore, settled_ore, created, updated, etag, doc_text = row
    doc = {"_id": crediting_id, **json.loads(doc_text)}
    doc["amount"] = ore_to_number(amount_ore)
    doc["settled_amount"] = ore_to_number(settled_ore)
    return _finish(doc, created, updated, etag)


CASES = Collection(
    table="cases",
    columns={
        **_META_COLUMNS,
        "creditor": Column("creditor", FieldKind.TEXT),
        "account": Column("account", FieldKind.TEXT),
        "debt.invoice_number": Column("invoice_number", FieldKind.TEXT),
        "reference_number": Column("reference_number", FieldKind.TEXT),
        "local_remaining_capital_amount": Column("remaining_ore", FieldKind.MONEY),
        "state": Column("state", FieldKind.TEXT),
    },
    select="id, remaining_ore, state, created, updated, doc",
    render=_render_case,
)

CREDITINGS = Collection(
    table="creditings",
    columns={
        **_META_COLUMNS,
        "creditor": Column("creditor", FieldKind.TEXT),
        "case": Column("case_id", FieldKind.TEXT),
        "creditor_reference": Column("creditor_reference", FieldKind.TEXT),
        "credit_invoice": Column("credit_invoice", FieldKind.TEXT),
        "amount": Column("amount_ore", FieldKind.MONEY),
        "settled_amount": Column("settled_ore", FieldKind.MONEY),
        "status": Column("status", FieldKind.TEXT),
    },
    select="id, amount_ore, settled_ore, created, updated, etag, doc",
    render=_render_crediting,
)

_CASE_RECORD = "id, creditor, account, invoice_number, reference_number, remaining_ore, state"


class _TransactionCases:
    """The CaseDirectory validation reads, bound to the open write transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def creditor_exists(self, creditor: str) -> bool:
        row = self._conn.execute("SELECT 1 FROM cases WHERE creditor = ? LIMIT 1", (creditor,))
        return row.fetchone() is not None

    def case_by_id(self, case_id: str) -> Case | None:
        row = self._conn.execute(f"SELECT {_CASE_RECORD} FROM cases WHERE id = ?", (case_id,))
        found = row.fetchone()
        return Case(*found) if found else None

    def cases_by_invoice_number(self, creditor: str, invoice_number: str) -> list[Case]:
        rows = self._conn.execute(
            f"SELECT {_CASE_RECORD} FROM cases WHERE creditor = ? AND invoice_number = ? LIMIT 2",
            (creditor, invoice_number),
        )
        return [Case(*r) for r in rows]


class Store:
    """The sandbox's database. Thread-safe: one writer connection behind a lock, a pool of
    reader connections (WAL lets them read while a crediting commits)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._ids = ObjectIdFactory()
        self._write_lock = threading.Lock()
        self._pool_lock = threading.Lock()
        self._idle: list[sqlite3.Connection] = []
        self._all: list[sqlite3.Connection] = []
        try:
            self._writer = self._connect()
            self._writer.execute("PRAGMA journal_mode=WAL")
            self._writer.executescript(_SCHEMA)
            self._check_version()
        except sqlite3.Error as exc:
            self.close()
            raise SandboxError(f"database {path}: cannot be used ({exc})") from exc

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, timeout=10.0, isolation_level=None, check_same_thread=False
        )
        conn.execute("PRAGMA synchronous=OFF")
        self._all.append(conn)
        return conn

    def _check_version(self) -> None:
        row = self._writer.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if row is None:
            self._writer.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?)", (SCHEMA_VERSION,)
            )
        elif row[0] != SCHEMA_VERSION:
            raise SandboxError(
                f"database {self.path}: written by {row[0]}, this sandbox is {SCHEMA_VERSION}"
            )

    @contextmanager
    def _transaction(self, begin: str = "BEGIN IMMEDIATE") -> Iterator[sqlite3.Connection]:
        """The writer connection inside a transaction, serialised process-wide."""
        with self._write_lock:
            self._writer.execute(begin)
            try:
                yield self._writer
            except BaseException:
                self._writer.execute("ROLLBACK")
                raise
            self._writer.execute("COMMIT")

    @contextmanager
    def _reader(self) -> Iterator[sqlite3.Connection]:
        with self._pool_lock:
            conn = self._idle.pop() if self._idle else None
            if conn is None:
                conn = self._connect()
        try:
            yield conn
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            with self._pool_lock:
                self._idle.append(conn)

    def seed(self, cases: Callable[[], list[Case]], *, add: bool = False) -> int | None:
        """Insert the seed cases into an empty database; returns how many, or None when the
        database already has cases — they are never re-seeded, so balances survive restarts.
        With `add`, the cases the database lacks (by id) are inserted all the same; the ones it
        has keep their balances. `cases` is only called when seeding happens."""
        with self._transaction() as conn:
            if not add and conn.execute("SELECT 1 FROM cases LIMIT 1").fetchone():
                return None
            seed = cases()
            now = int(time.time())
            before = conn.total_changes
            conn.executemany(
                "INSERT OR IGNORE INTO cases (id, creditor, account, invoice_number,"
                " reference_number, remaining_ore, state, created, updated, doc)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        c.id,
                        c.creditor,
                        c.account,
                        c.invoice_number,
                        c.reference_number,
                        c.remaining_ore,
                        c.state,
                        now,
                        now,
                        _dump({**(c.document or {}), "local_remaining_capital_amount": None}),
                    )
                    for c in seed
                ],
            )
            return conn.total_changes - before

    def create_crediting(self, request: CreditingRequest) -> tuple[Issues, dict[str, Any] | None]:
        """Validate the references, apply the crediting rules and store the crediting, in one
        transaction. Returns the reference issues (nothing stored) or the stored document."""
        with self._transaction() as conn:
            issues, case = resolve_case(request, _TransactionCases(conn))
            if case is None:
                return issues, None
            now = int(time.time())
            result = settle(
                amount_ore=request.amount_ore, remaining_ore=case.remaining_ore, state=case.state
            )
            if result.settled_ore or result.state != case.state:
                conn.execute(
                    "UPDATE cases SET remaining_ore = ?, state = ?, updated = ? WHERE id = ?",
                    (result.remaining_ore, result.state, now, case.id),
                )
            doc = dict(request.sent)
            doc["case"] = case.id
            doc["amount"] = None
            registered = request.registration_epoch
            doc["client_registration_date"] = http_date(now if registered is None else registered)
            doc["account"] = case.account
            doc["settled_amount"] = None
            doc["status"] = result.status.value
            doc["status_reason_locale"] = result.reason
            doc["case_invoice_number"] = case.invoice_number
            doc["case_reference_number"] = case.reference_number
            crediting_id = self._ids.new()
            doc_text = _dump(doc)
            # A crediting never changes, so its ETag is computed once, from the document as
            # every GET renders it (the stored JSON with the amounts filled in).
            rendered = {"_id": crediting_id, **doc}
            rendered["amount"] = ore_to_number(request.amount_ore)
            rendered["settled_amount"] = ore_to_number(result.settled_ore)
            etag = compute_etag(rendered)
            conn.execute(
                "INSERT INTO creditings (id, creditor, case_id, creditor_reference,"
                " credit_invoice, amount_ore, settled_ore, status, created, updated, etag, doc)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    crediting_id,
                    request.creditor,
                    case.id,
                    doc.get("creditor_reference"),
                    doc.get("credit_invoice"),
                    request.amount_ore,
                    result.settled_ore,
                    result.status.value,
                    now,
                    now,
                    etag,
                    doc_text,
                ),
            )
        return issues, _finish(rendered, now, now, etag)

    def get(self, collection: Collection, item_id: str) -> dict[str, Any] | None:
        with self._reader() as conn:
            row = conn.execute(
                f"SELECT {collection.select} FROM {collection.table} WHERE id = ?", (item_id,)
            ).fetchone()
        return collection.render(row) if row else None

    def find(self, collection: Collection, query: ListQuery) -> tuple[list[dict[str, Any]], int]:
        """One page of documents and the total count, read from one snapshot."""
        with self._reader() as conn:
            conn.execute("BEGIN")
            total = conn.execute(
                f"SELECT count(*) FROM {collection.table} WHERE {query.where_sql}", query.params
            ).fetchone()[0]
            rows = conn.execute(
                f"SELECT {collection.select} FROM {collection.table} WHERE {query.where_sql}"
                f" ORDER BY {query.order_sql} LIMIT ? OFFSET ?",
                [*query.params, query.max_results, query.offset],
            ).fetchall()
            conn.execute("COMMIT")
        return [query.project(collection.render(r)) for r in rows], total

    def close(self) -> None:
        """Close every connection; the last close checkpoints the WAL into the database file."""
        with self._pool_lock:
            connections, self._all, self._idle = self._all, [], []
        for conn in reversed(connections):
            conn.close()
