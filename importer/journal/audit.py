"""The audit trail of an import (who changed it by hand, when, how) and the rows a person
marked as handled. Append-only: an entry is only ever inserted (the tables' triggers refuse
UPDATE and DELETE, see `migrations._v4_audit_trail`); a resolution is a pointer at the entry
that made it, removed when the row is reopened, which is itself one more entry."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from importer.journal.connection import JournalConnection
from importer.journal.figure_cache import bump_in
from importer.journal.schema import iso_z, reads

AuditAction = Literal["correct", "resolve", "reopen"]


class CellChange(BaseModel):
    """One cell a correction changed: the row, the file's own column header, old and new."""

    row: int
    column: str
    old: str
    new: str


class AuditEntry(BaseModel):
    """One change made by hand to an import. `os_user` and `host` are always recorded; `by`
    is the name given with `--by`, beside them, never instead."""

    at: datetime
    action: AuditAction
    os_user: str
    host: str
    by: str | None = None
    note: str | None = None
    fix_file: str | None = None
    fix_sha256: str | None = None
    rows: list[int] = Field(default_factory=list)
    changes: list[CellChange] = Field(default_factory=list)


_INSERT = (
    "INSERT INTO audit (import_id, at, action, os_user, host, by_name, note, fix_file,"
    " fix_sha256, rows, changes) VALUES (?,?,?,?,?,?,?,?,?,?,?) RETURNING id"
)
_COLUMNS = "at, action, os_user, host, by_name, note, fix_file, fix_sha256, rows, changes"


def _entry(values: tuple[object, ...]) -> AuditEntry:
    """An entry from the `_COLUMNS` of its row (`rows` and `changes` are JSON)."""
    fields = dict(zip(_COLUMNS.replace("by_name", "by").split(", "), values, strict=True))
    fields["rows"] = json.loads(str(fields["rows"]))
    fields["changes"] = json.loads(str(fields["changes"]))
    return AuditEntry.model_validate(fields)


class AuditStore:
    """Appending to an import's audit trail, and the rows resolved by hand."""

    def __init__(self, db: JournalConnection) -> None:
        self._db = db

    def append(self, import_id: str, entry: AuditEntry) -> None:
        """One entry; for `resolve` the rows become resolved, for `reopen` they no longer
        are — in the same transaction as the entry, so no resolution lacks its record."""
        with self._db.transaction() as db:
            (audit_id,) = db.execute(
                _INSERT,
                (
                    import_id,
                    iso_z(entry.at),
                    entry.action,
                    entry.os_user,
                    entry.host,
                    entry.by,
                    entry.note,
                    entry.fix_file,
                    entry.fix_sha256,
                    json.dumps(entry.rows),
                    json.dumps([c.model_dump() for c in entry.changes], ensure_ascii=False),
                ),
            ).fetchone()
            bump_in(db, import_id)  # its resolutions (a correction's rows: `rows.replace`)
            if entry.action == "resolve":
                db.executemany(
                    "INSERT INTO resolutions VALUES (?,?,?) ON CONFLICT (import_id, row)"
                    " DO UPDATE SET audit_id = excluded.audit_id",
                    [(import_id, row, audit_id) for row in entry.rows],
                )
            elif entry.action == "reopen":
                db.executemany(
                    "DELETE FROM resolutions WHERE import_id=? AND row=?",
                    [(import_id, row) for row in entry.rows],
                )

    @reads
    def trail(self, import_id: str) -> list[AuditEntry]:
        """Every entry of the import, oldest first."""
        return [
            _entry(values)
            for values in self._db.fetchall(
                f"SELECT {_COLUMNS} FROM audit WHERE import_id=? ORDER BY id", (import_id,)
            )
        ]

    @reads
    def resolutions(self, import_id: str) -> dict[int, AuditEntry]:
        """{row: the entry that resolved it} for the rows resolved now."""
        columns = ", ".join(f"a.{c}" for c in _COLUMNS.split(", "))
        return {
            row: _entry(tuple(values))
            for row, *values in self._db.fetchall(
                f"SELECT r.row, {columns} FROM resolutions r JOIN audit a ON a.id = r.audit_id"
                " WHERE r.import_id=? ORDER BY r.row",
                (import_id,),
            )
        }
