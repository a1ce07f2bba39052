"""The journal: every import and every row's state, in SQLite on disk (DESIGN.md §2).

It is what makes the importer exactly-once. A row's *intent* (outcome `unknown`) is committed
before its request leaves, its outcome after the answer; a crash in between leaves the row
`unknown`, which is reconciled by looking the crediting up, never by posting blindly. Reports
are rendered from here, so they can be regenerated at any time.

WAL with `synchronous=NORMAL`: every commit survives the process being killed (SIGKILL
included); only a power loss may lose the last commits. Request fields are columns, not JSON,
so duplicate checks are indexed lookups and a 200,000-row import is stored in a fraction of a
second."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from operator import itemgetter
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from importer.errors import ImporterError, ImportLocked
from importer.outcomes import Outcome, RowError
from importer.validation import CreditingRequest

SCHEMA_VERSION = 1

_SCHEMA = """
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
    creditor TEXT,
    case_id TEXT,
    invoice_number TEXT,
    currency TEXT,
    amount TEXT,
    origin TEXT,
    credit_invoice TEXT,
    client_registration_date TEXT,
    creditor_reference TEXT,
    account TEXT,
    crediting_id TEXT,
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
"""

REQUEST_FIELDS: tuple[str, ...] = tuple(CreditingRequest.model_fields)
"""Stored as columns, in the model's (and the API body's) order."""
_REQUEST_COLUMNS = ", ".join("case_id" if f == "case" else f for f in REQUEST_FIELDS)
_REQUEST_PLACEHOLDERS = ",".join("?" * len(REQUEST_FIELDS))
_AMOUNT = REQUEST_FIELDS.index("amount")


def utcnow() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _pack_cells(cells: Sequence[str]) -> str:
    """Raw cells are stored joined by the ASCII unit separator (cheap for large files); the
    rare row whose cells contain that character is stored as JSON instead."""
    joined = "\x1f".join(cells)
    if cells and joined.count("\x1f") == len(cells) - 1:
        return "U" + joined
    return "J" + json.dumps(list(cells), ensure_ascii=False)


def _unpack_cells(text: str) -> list[str]:
    if text[0] == "J":
        return json.loads(text[1:])
    return text[1:].split("\x1f") if len(text) > 1 else [""]


class ImportRecord(BaseModel):
    """One import as the journal knows it."""

    id: str
    file_name: str
    file_path: str
    sha256: str | None
    format: str | None
    rows: int
    columns: list[str]
    base_url: str
    dry_run: bool
    sandbox: bool
    all_or_nothing: bool
    state: str
    """`open` (rows may still be posted), `finished`, or `rejected` (file rejected as a whole)."""
    started: datetime
    finished: datetime | None
    file_errors: list[RowError]
    warnings: list[str]


@dataclass(slots=True)
class JournalRow:
    """A row as stored: what was read, what is (to be) sent, and what became of it."""

    row: int
    outcome: Outcome
    source: Sequence[str]
    request: dict[str, Any] | None
    errors: list[RowError]
    crediting_id: str | None = None
    status: str | None = None
    status_reason_locale: str | None = None
    settled_amount: Decimal | None = None
    case_invoice_number: str | None = None
    case_reference_number: str | None = None
    http_status: int | None = None
    duplicate_of: dict[str, Any] | None = None
    intent_at: datetime | None = None
    """When the row's last request was about to leave (set by mark_intent)."""


@dataclass(slots=True)
class NewRow:
    row: int
    source: Sequence[str]
    request: dict[str, Any] | None
    """Request fields (amount a Decimal), or None when the row is invalid."""
    errors: Sequence[RowError] = ()
    outcome: Outcome = Outcome.NOT_SENT


def _decimal_text(value: Any) -> str | None:
    return None if value is None else str(Decimal(str(value)))


def _errors_json(errors: Sequence[RowError]) -> str | None:
    if not errors:
        return None
    return json.dumps([e.model_dump() for e in errors], ensure_ascii=False)


def _request_values(request: dict[str, Any] | None) -> tuple[Any, ...]:
    if request is None:
        return (None,) * len(REQUEST_FIELDS)
    values = [request.get(f) for f in REQUEST_FIELDS]
    amount = values[_AMOUNT]
    if amount is not None:
        values[_AMOUNT] = str(amount)  # Decimal as text: exact, never a float
    return tuple(values)


class Journal:
    """The SQLite journal. One instance per process; not shared across threads."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._issued: set[str] = set()
        """Ids handed out by new_import_id, so two calls never return the same one even
        before either import is created."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            self._db.execute(
                "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )
        except (sqlite3.Error, OSError) as exc:
            raise ImporterError(f"journal {self.path}: cannot be opened ({exc})") from None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # ----------------------------------------------------------------- imports

    def new_import_id(self, sha256: str | None, started: datetime) -> str:
        """Readable and sortable: `20261124-204500-3fa2c1d9` (UTC time, file hash prefix)."""
        base = f"{started.astimezone(UTC):%Y%m%d-%H%M%S}-{(sha256 or 'nofile0')[:8]}"
        candidate, n = base, 1
        while (
            candidate in self._issued
            or self._db.execute("SELECT 1 FROM imports WHERE id=?", (candidate,)).fetchone()
        ):
            n += 1
            candidate = f"{base}-{n}"
        self._issued.add(candidate)
        return candidate

    def create_import(self, record: ImportRecord, rows: Iterable[NewRow]) -> None:
        """The import and all its rows in one transaction: either the whole file is in the
        journal or none of it is."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO imports (id, file_name, file_path, sha256, format, rows, columns,"
                " base_url, dry_run, sandbox, all_or_nothing, state, started, finished,"
                " file_errors, warnings) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    record.id,
                    record.file_name,
                    record.file_path,
                    record.sha256,
                    record.format,
                    record.rows,
                    json.dumps(record.columns, ensure_ascii=False),
                    record.base_url,
                    int(record.dry_run),
                    int(record.sandbox),
                    int(record.all_or_nothing),
                    record.state,
                    _iso(record.started),
                    _iso(record.finished) if record.finished else None,
                    json.dumps([e.model_dump() for e in record.file_errors], ensure_ascii=False),
                    json.dumps(record.warnings, ensure_ascii=False),
                ),
            )
            db.executemany(
                f"INSERT INTO rows (import_id, row, outcome, errors, source, {_REQUEST_COLUMNS})"
                f" VALUES (?,?,?,?,?,{_REQUEST_PLACEHOLDERS})",
                (
                    (
                        record.id,
                        r.row,
                        r.outcome.value,
                        _errors_json(r.errors),
                        _pack_cells(r.source),
                        *_request_values(r.request),
                    )
                    for r in rows
                ),
            )

    def _import_from_row(self, row: sqlite3.Row | tuple[Any, ...]) -> ImportRecord:
        (
            id_,
            file_name,
            file_path,
            sha256,
            fmt,
            rows,
            columns,
            base_url,
            dry_run,
            sandbox,
            aon,
            state,
            started,
            finished,
            file_errors,
            warnings,
        ) = row
        return ImportRecord(
            id=id_,
            file_name=file_name,
            file_path=file_path,
            sha256=sha256,
            format=fmt,
            rows=rows,
            columns=json.loads(columns),
            base_url=base_url,
            dry_run=bool(dry_run),
            sandbox=bool(sandbox),
            all_or_nothing=bool(aon),
            state=state,
            started=datetime.fromisoformat(started),
            finished=datetime.fromisoformat(finished) if finished else None,
            file_errors=[RowError(**e) for e in json.loads(file_errors)],
            warnings=json.loads(warnings),
        )

    _IMPORT_COLUMNS = (
        "id, file_name, file_path, sha256, format, rows, columns, base_url, dry_run, sandbox,"
        " all_or_nothing, state, started, finished, file_errors, warnings"
    )

    def get_import(self, import_id: str) -> ImportRecord | None:
        row = self._db.execute(
            f"SELECT {self._IMPORT_COLUMNS} FROM imports WHERE id=?", (import_id,)
        ).fetchone()
        return self._import_from_row(row) if row else None

    def imports(self) -> list[ImportRecord]:
        return [
            self._import_from_row(r)
            for r in self._db.execute(
                f"SELECT {self._IMPORT_COLUMNS} FROM imports ORDER BY started, id"
            )
        ]

    def find_import(self, sha256: str, base_url: str, *, state: str) -> ImportRecord | None:
        """The latest real (not dry-run) import of these exact bytes to this API in `state`."""
        row = self._db.execute(
            f"SELECT {self._IMPORT_COLUMNS} FROM imports WHERE sha256=? AND base_url=?"
            " AND state=? AND dry_run=0 ORDER BY started DESC LIMIT 1",
            (sha256, base_url, state),
        ).fetchone()
        return self._import_from_row(row) if row else None

    def set_state(self, import_id: str, state: str, finished: datetime | None = None) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE imports SET state=?, finished=? WHERE id=?",
                (state, _iso(finished) if finished else None, import_id),
            )

    def outcome_counts(self, import_id: str) -> dict[Outcome, int]:
        counts = dict.fromkeys(Outcome, 0)
        for outcome, n in self._db.execute(
            "SELECT outcome, COUNT(*) FROM rows WHERE import_id=? GROUP BY outcome", (import_id,)
        ):
            counts[Outcome(outcome)] = n
        return counts

    # -------------------------------------------------------------------- lock

    def acquire_lock(self, import_id: str) -> None:
        """Two importers never work on one import at once."""
        self._acquire(f"import:{import_id}", f"import {import_id}")

    def release_lock(self, import_id: str) -> None:
        self._release(f"import:{import_id}")

    @contextmanager
    def file_lock(self, sha256: str, base_url: str, name: str) -> Iterator[None]:
        """Held while a file is read, journaled and posted, so two importers given the same
        file at once cannot both create an import of it (and post it twice)."""
        key = f"file:{base_url}:{sha256}"
        self._acquire(key, f"file {name}")
        try:
            yield
        finally:
            self._release(key)

    def _acquire(self, key: str, what: str) -> None:
        """A lock whose holder on this host is gone (killed) is stale and taken over; a live
        or foreign holder is named, so an operator knows whom to wait for."""
        host, pid = socket.gethostname(), os.getpid()
        with self._transaction() as db:
            held = db.execute("SELECT pid, host, since FROM locks WHERE key=?", (key,)).fetchone()
            if held is not None and (held[0], held[1]) != (pid, host):
                holder_pid, holder_host, since = held
                if holder_host != host or _process_alive(holder_pid):
                    raise ImportLocked(
                        f"{what} is being worked on by process {holder_pid} on "
                        f"{holder_host} since {since}; wait for it to finish"
                    )
            db.execute(
                "INSERT OR REPLACE INTO locks (key, pid, host, since) VALUES (?,?,?,?)",
                (key, pid, host, _iso(utcnow())),
            )

    def _release(self, key: str) -> None:
        with self._transaction() as db:
            db.execute(
                "DELETE FROM locks WHERE key=? AND pid=? AND host=?",
                (key, os.getpid(), socket.gethostname()),
            )

    # -------------------------------------------------------------------- rows

    _ROW_COLUMNS = (
        f"row, outcome, errors, source, {_REQUEST_COLUMNS}, crediting_id, status,"
        " status_reason_locale, settled_amount, case_invoice_number, case_reference_number,"
        " http_status, duplicate_of, intent_at"
    )

    @staticmethod
    def _row(values: Sequence[Any]) -> JournalRow:
        split = 4 + len(REQUEST_FIELDS)
        (row, outcome, errors, source, *request_values) = values[:split]
        rest = values[split:]
        request: dict[str, Any] | None = None
        if any(v is not None for v in request_values):
            request = {
                f: v for f, v in zip(REQUEST_FIELDS, request_values, strict=True) if v is not None
            }
            if "amount" in request:
                request["amount"] = Decimal(request["amount"])
        return JournalRow(
            row=row,
            outcome=Outcome(outcome),
            source=_unpack_cells(source),
            request=request,
            errors=[RowError(**e) for e in json.loads(errors)] if errors else [],
            crediting_id=rest[0],
            status=rest[1],
            status_reason_locale=rest[2],
            settled_amount=Decimal(rest[3]) if rest[3] is not None else None,
            case_invoice_number=rest[4],
            case_reference_number=rest[5],
            http_status=rest[6],
            duplicate_of=json.loads(rest[7]) if rest[7] else None,
            intent_at=datetime.fromisoformat(rest[8]) if rest[8] else None,
        )

    def rows(self, import_id: str, outcomes: Iterable[Outcome] | None = None) -> list[JournalRow]:
        sql = f"SELECT {self._ROW_COLUMNS} FROM rows WHERE import_id=?"
        params: list[Any] = [import_id]
        if outcomes is not None:
            wanted = [o.value for o in outcomes]
            sql += f" AND outcome IN ({','.join('?' * len(wanted))})"
            params.extend(wanted)
        return [self._row(r) for r in self._db.execute(sql + " ORDER BY row", params)]

    def pending(
        self, import_id: str, outcomes: Iterable[Outcome], size: int = 1000
    ) -> Iterator[JournalRow]:
        """The rows with these outcomes, in row order, read `size` at a time after the last
        row handed out: the posting loop changes each row as it goes (no cursor is open
        meanwhile), and a large import's rows are never all in memory at once."""
        wanted = [o.value for o in outcomes]
        if not wanted:
            return
        sql = (
            f"SELECT {self._ROW_COLUMNS} FROM rows WHERE import_id=? AND row>?"
            f" AND outcome IN ({','.join('?' * len(wanted))}) ORDER BY row LIMIT ?"
        )
        last = -1
        while chunk := self._db.execute(sql, (import_id, last, *wanted, size)).fetchall():
            for values in chunk:
                yield self._row(values)
            last = chunk[-1][0]

    def latest_intent(self, import_id: str) -> datetime | None:
        """When the last request whose answer never arrived left (rows still `unknown`)."""
        (latest,) = self._db.execute(
            "SELECT MAX(intent_at) FROM rows WHERE import_id=? AND outcome='unknown'",
            (import_id,),
        ).fetchone()
        return datetime.fromisoformat(latest) if latest else None

    def awaiting_status(self, import_id: str) -> list[tuple[int, str]]:
        """(row, crediting id) of the credited rows whose status has not been read back:
        two columns, not whole rows — after a large import that is most of its rows."""
        return self._db.execute(
            "SELECT row, crediting_id FROM rows WHERE import_id=? AND outcome='credited'"
            " AND status IS NULL AND crediting_id IS NOT NULL ORDER BY row",
            (import_id,),
        ).fetchall()

    def get_row(self, import_id: str, row: int) -> JournalRow | None:
        found = self._db.execute(
            f"SELECT {self._ROW_COLUMNS} FROM rows WHERE import_id=? AND row=?", (import_id, row)
        ).fetchone()
        return self._row(found) if found else None

    def attempts(
        self, import_id: str, rows: tuple[int, int] | None = None
    ) -> dict[int, list[tuple[str, str, int | None, str | None]]]:
        """Each row's attempts in order: (at, outcome, http_status, note); `rows` limits it
        to the rows numbered first..last."""
        sql = "SELECT row, at, outcome, http_status, note FROM attempts WHERE import_id=?"
        params: list[Any] = [import_id]
        if rows is not None:
            sql += " AND row BETWEEN ? AND ?"
            params.extend(rows)
        out: dict[int, list[tuple[str, str, int | None, str | None]]] = {}
        for row, at, outcome, http_status, note in self._db.execute(
            sql + " ORDER BY rowid", params
        ):
            out.setdefault(row, []).append((at, outcome, http_status, note))
        return out

    def iter_rows(self, import_id: str, size: int) -> Iterator[list[JournalRow]]:
        """All rows in row order, `size` at a time: a large import's report is rendered
        without holding every row in memory."""
        cursor = self._db.execute(
            f"SELECT {self._ROW_COLUMNS} FROM rows WHERE import_id=? ORDER BY row", (import_id,)
        )
        while chunk := cursor.fetchmany(size):
            yield [self._row(values) for values in chunk]

    def mark_intent(self, import_id: str, row: int) -> None:
        """Committed before the request leaves: if the process dies now, the row is
        `unknown` and will be looked up before anything is sent again."""
        with self._transaction() as db:
            db.execute(
                "UPDATE rows SET outcome='unknown', intent_at=? WHERE import_id=? AND row=?",
                (_iso(utcnow()), import_id, row),
            )

    def record(
        self,
        import_id: str,
        row: int,
        outcome: Outcome,
        *,
        http_status: int | None = None,
        errors: Sequence[RowError] = (),
        crediting: dict[str, Any] | None = None,
        duplicate_of: dict[str, Any] | None = None,
        note: str | None = None,
        attempt: bool = True,
    ) -> None:
        """A row's outcome (and the attempt that produced it) in one commit."""
        crediting = crediting or {}
        with self._transaction() as db:
            db.execute(
                "UPDATE rows SET outcome=?, http_status=?, errors=?, crediting_id=?, status=?,"
                " status_reason_locale=?, settled_amount=?, case_invoice_number=?,"
                " case_reference_number=?, duplicate_of=? WHERE import_id=? AND row=?",
                (
                    outcome.value,
                    http_status,
                    _errors_json(errors),
                    crediting.get("_id"),
                    crediting.get("status"),
                    crediting.get("status_reason_locale"),
                    _decimal_text(crediting.get("settled_amount")),
                    crediting.get("case_invoice_number"),
                    crediting.get("case_reference_number"),
                    json.dumps(duplicate_of) if duplicate_of else None,
                    import_id,
                    row,
                ),
            )
            if attempt:
                db.execute(
                    "INSERT INTO attempts VALUES (?,?,?,?,?,?)",
                    (import_id, row, _iso(utcnow()), outcome.value, http_status, note),
                )

    def record_statuses(self, import_id: str, read: Sequence[tuple[int, dict[str, Any]]]) -> None:
        """Processing statuses read back from the API after the creditings were created:
        (row, crediting) pairs, in one commit."""
        if not read:
            return
        with self._transaction() as db:
            db.executemany(
                "UPDATE rows SET status=?, status_reason_locale=?, settled_amount=?,"
                " case_invoice_number=?, case_reference_number=? WHERE import_id=? AND row=?",
                [
                    (
                        crediting.get("status"),
                        crediting.get("status_reason_locale"),
                        _decimal_text(crediting.get("settled_amount")),
                        crediting.get("case_invoice_number"),
                        crediting.get("case_reference_number"),
                        import_id,
                        row,
                    )
                    for row, crediting in read
                ],
            )

    def replace_row(self, import_id: str, new: NewRow) -> None:
        """A correction (`rerun --fix`): new cells and request for a row that is not final."""
        with self._transaction() as db:
            db.execute(
                f"UPDATE rows SET outcome=?, errors=?, source=?, http_status=NULL,"
                f" ({_REQUEST_COLUMNS}) = ({_REQUEST_PLACEHOLDERS}) WHERE import_id=? AND row=?",
                (
                    new.outcome.value,
                    _errors_json(new.errors),
                    _pack_cells(new.source),
                    *_request_values(new.request),
                    import_id,
                    new.row,
                ),
            )
            db.execute(
                "INSERT INTO attempts VALUES (?,?,?,?,?,?)",
                (import_id, new.row, _iso(utcnow()), new.outcome.value, None, "corrected"),
            )

    def find_credited(
        self,
        creditor: str,
        credit_invoice: str,
        *,
        base_url: str,
        exclude: tuple[str, int] | None = None,
    ) -> tuple[str, int, str | None] | None:
        """The first credited row with this creditor's credit note, in any import to the
        same API: a credit issued in the sandbox is no reason to withhold a real one."""
        for import_id, row, crediting_id in self._db.execute(
            "SELECT r.import_id, r.row, r.crediting_id FROM rows r"
            " JOIN imports i ON i.id = r.import_id WHERE r.creditor=? AND r.credit_invoice=?"
            " AND r.outcome='credited' AND i.base_url=? ORDER BY r.import_id, r.row",
            (creditor, credit_invoice, base_url),
        ):
            if exclude is None or (import_id, row) != exclude:
                return import_id, row, crediting_id
        return None

    def has_credited(self, creditor: str, *, base_url: str) -> bool:
        """Whether any row of this creditor was credited through this API (one probe on an
        index): a first import needs no look-up per credit note."""
        return (
            self._db.execute(
                "SELECT 1 FROM rows r JOIN imports i ON i.id = r.import_id WHERE r.creditor=?"
                " AND r.outcome='credited' AND i.base_url=? LIMIT 1",
                (creditor, base_url),
            ).fetchone()
            is not None
        )

    def find_credited_many(
        self, keys: set[tuple[str, str]], *, base_url: str
    ) -> dict[tuple[str, str], tuple[str, int, str | None]]:
        """`find_credited` for a whole file at once (a dry run of 200,000 rows would
        otherwise make 200,000 queries): {(creditor, credit_invoice): first credited row}."""
        found: dict[tuple[str, str], tuple[str, int, str | None]] = {}
        # Creditors with nothing credited yet (one probe each, on index rows_credit_invoice)
        # need no look-up per credit note: a first import of a large file costs no queries.
        live = {
            creditor
            for creditor in set(map(itemgetter(0), keys))
            if self.has_credited(creditor, base_url=base_url)
        }
        if not live:
            return found
        by_creditor: dict[str, list[str]] = {}
        for creditor, credit_invoice in keys:
            if creditor not in live:
                continue
            by_creditor.setdefault(creditor, []).append(credit_invoice)
        for creditor, invoices in by_creditor.items():
            for start in range(0, len(invoices), 500):
                chunk = invoices[start : start + 500]
                for credit_invoice, import_id, row, crediting_id in self._db.execute(
                    "SELECT r.credit_invoice, r.import_id, r.row, r.crediting_id FROM rows r"
                    " JOIN imports i ON i.id = r.import_id WHERE r.creditor=?"
                    " AND r.outcome='credited' AND i.base_url=? AND r.credit_invoice IN"
                    f" ({','.join('?' * len(chunk))}) ORDER BY r.import_id DESC, r.row DESC",
                    (creditor, base_url, *chunk),
                ):
                    found[(creditor, credit_invoice)] = (import_id, row, crediting_id)
        return found


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
