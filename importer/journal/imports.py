"""Imports as the journal knows them: one record per file run, created with all its rows in
one transaction."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from importer.journal.connection import JournalConnection
from importer.journal.figure_cache import bump_in
from importer.journal.row_values import NewRow, errors_json, pack_cells, request_row_values
from importer.journal.schema import REQUEST_COLUMN_LIST, REQUEST_PLACEHOLDERS, iso_z, reads
from importer.outcomes import ImportWarning, Outcome, RowError


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
    warnings: list[ImportWarning]


def _record_of(row: Sequence[Any]) -> ImportRecord:
    """An `imports` row (`ImportStore._IMPORT_COLUMNS`, in that order) as its record."""
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
        warnings=[ImportWarning.stored(w) for w in json.loads(warnings)],
    )


class ImportStore:
    """Creating, finding and finishing imports."""

    def __init__(self, db: JournalConnection) -> None:
        self._db = db
        self._issued: set[str] = set()
        """Ids handed out by `new_id`, so two calls never return the same one even before
        either import is created."""

    @reads
    def new_id(self, sha256: str | None, started: datetime) -> str:
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

    def create(self, record: ImportRecord, rows: Iterable[NewRow]) -> None:
        """The import and all its rows in one transaction: either the whole file is in the
        journal or none of it is. Blind (it reads nothing, the import's id is its primary
        key): on a server a large file's rows hold no other host's writer back."""
        with self._db.transaction(blind=True) as db:
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
                    iso_z(record.started),
                    iso_z(record.finished) if record.finished else None,
                    json.dumps([e.model_dump() for e in record.file_errors], ensure_ascii=False),
                    json.dumps(
                        [w.model_dump(exclude_defaults=True) for w in record.warnings],
                        ensure_ascii=False,
                    ),
                ),
            )
            db.executemany(
                f"INSERT INTO rows (import_id, row, outcome, errors, source, {REQUEST_COLUMN_LIST})"
                f" VALUES (?,?,?,?,?,{REQUEST_PLACEHOLDERS})",
                (
                    (
                        record.id,
                        r.row,
                        r.outcome.value,
                        errors_json(r.errors),
                        pack_cells(r.source),
                        *request_row_values(r.request),
                    )
                    for r in rows
                ),
            )

    _IMPORT_COLUMNS = (
        "id, file_name, file_path, sha256, format, rows, columns, base_url, dry_run, sandbox,"
        " all_or_nothing, state, started, finished, file_errors, warnings"
    )

    @reads
    def get(self, import_id: str) -> ImportRecord | None:
        row = self._db.execute(
            f"SELECT {self._IMPORT_COLUMNS} FROM imports WHERE id=?", (import_id,)
        ).fetchone()
        return _record_of(row) if row else None

    @reads
    def all(self) -> list[ImportRecord]:
        return [
            _record_of(r)
            for r in self._db.execute(
                f"SELECT {self._IMPORT_COLUMNS} FROM imports ORDER BY started, id"
            )
        ]

    @reads
    def find(
        self, sha256: str, base_url: str, *, state: str, creditor: str | None = None
    ) -> ImportRecord | None:
        """The latest real (not dry-run) import of these exact bytes to this API in `state`,
        for `creditor` when one is given.

        The creditor of an import is the one its rows were credited for: an import counts
        for `creditor` when some row of it is `creditor`'s, or when no row names any (all
        invalid: nothing says whose they were). A file imported for the main creditor and
        moved into another creditor's folder is then not "already imported" for that one,
        while a file whose rows name their own creditor is, wherever it is moved.
        `creditor` None (no default creditor, no --creditor: the rows name their own) leaves
        the bytes alone to decide."""
        row = self._db.execute(
            f"SELECT {self._IMPORT_COLUMNS} FROM imports AS i WHERE sha256=? AND base_url=?"
            " AND state=? AND dry_run=0 AND (CAST(? AS TEXT) IS NULL"
            " OR EXISTS (SELECT 1 FROM rows WHERE import_id=i.id AND creditor=?)"
            " OR NOT EXISTS (SELECT 1 FROM rows WHERE import_id=i.id AND creditor IS NOT NULL))"
            " ORDER BY started DESC LIMIT 1",
            (sha256, base_url, state, creditor, creditor),
        ).fetchone()
        return _record_of(row) if row else None

    def set_state(self, import_id: str, state: str, finished: datetime | None = None) -> None:
        with self._db.transaction() as db:
            db.execute(
                "UPDATE imports SET state=?, finished=? WHERE id=?",
                (state, iso_z(finished) if finished else None, import_id),
            )
            bump_in(db, import_id)

    def add_warning(self, import_id: str, warning: str | ImportWarning) -> None:
        """A file-level warning for the report, noted once however often a run meets it."""
        stored = (
            warning.model_dump(exclude_defaults=True)
            if isinstance(warning, ImportWarning)
            else warning
        )
        with self._db.transaction() as db:
            (text,) = db.execute("SELECT warnings FROM imports WHERE id=?", (import_id,)).fetchone()
            warnings = json.loads(text)
            if stored not in warnings:
                db.execute(
                    "UPDATE imports SET warnings=? WHERE id=?",
                    (json.dumps([*warnings, stored], ensure_ascii=False), import_id),
                )
                bump_in(db, import_id)

    def remove_warnings(self, import_id: str, codes: Collection[str]) -> None:
        """Forget the import's warnings with these codes (a condition a new run re-checks)."""
        with self._db.transaction() as db:
            row = db.execute("SELECT warnings FROM imports WHERE id=?", (import_id,)).fetchone()
            if row is None:
                return
            warnings = json.loads(row[0])
            kept = [w for w in warnings if not (isinstance(w, dict) and w.get("code") in codes)]
            if kept != warnings:
                db.execute(
                    "UPDATE imports SET warnings=? WHERE id=?",
                    (json.dumps(kept, ensure_ascii=False), import_id),
                )
                bump_in(db, import_id)

    @reads
    def outcome_counts(self, import_id: str) -> dict[Outcome, int]:
        counts = dict.fromkeys(Outcome, 0)
        for outcome, n in self._db.execute(
            "SELECT outcome, COUNT(*) FROM rows WHERE import_id=? GROUP BY outcome", (import_id,)
        ):
            counts[Outcome(outcome)] = n
        return counts

    @reads
    def creditors(self, import_id: str) -> list[str]:
        """The creditor ids an import's rows were (to be) credited for, in order."""
        return [
            creditor
            for (creditor,) in self._db.execute(
                "SELECT DISTINCT creditor FROM rows WHERE import_id=? AND creditor IS NOT NULL"
                " ORDER BY creditor",
                (import_id,),
            )
        ]
