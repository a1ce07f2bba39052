"""Migrations 4 (the audit trail) and 5 (rows resolved by hand): a journal at the version
before each opens in this release with its imports kept and the new table empty; the audit
trail refuses UPDATE and DELETE whoever sends them (its triggers), and a resolution points at
the entry that made it. SQLite on disk."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from importer.journal import AuditEntry, CellChange, Journal
from importer.journal.migrations import migrate, user_version

IMPORT = "20250704-143529-3fa2c1d9"


def _journal_at(path: Path, version: int) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    migrate(db, path, up_to=version)
    assert user_version(db) == version
    db.execute(
        "INSERT INTO imports (id, file_name, file_path, base_url, dry_run, sandbox, state,"
        " started) VALUES (?, 'credits.csv', '/inbox/credits.csv', 'http://api', 0, 0,"
        " 'finished', '2025-07-04T14:35:29.123Z')",
        (IMPORT,),
    )
    return db


def _entry(action: str, rows: list[int], **more: object) -> AuditEntry:
    return AuditEntry.model_validate(
        {
            "at": datetime(2026, 12, 7, 9, 30, tzinfo=UTC),
            "action": action,
            "os_user": "ops",
            "host": "batch-1",
            "rows": rows,
            **more,
        }
    )


def test_migration_4_adds_an_empty_audit_trail_to_a_journal_at_version_3(
    tmp_path: Path,
) -> None:
    path = tmp_path / "journal.sqlite"
    _journal_at(path, 3).close()
    with Journal(path) as journal:
        assert journal.imports.get(IMPORT) is not None
        assert journal.audit.trail(IMPORT) == []
        fix = _entry(
            "correct",
            [4],
            fix_file="report.csv",
            fix_sha256="ab" * 32,
            changes=[CellChange(row=4, column="Belopp", old="12,345", new="12,35")],
        )
        journal.audit.append(IMPORT, fix)
        assert journal.audit.trail(IMPORT) == [fix]


def test_the_audit_trail_refuses_update_and_delete(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    _journal_at(path, 3).close()
    with Journal(path) as journal:
        journal.audit.append(IMPORT, _entry("resolve", [4], note="handled by phone"))
    db = sqlite3.connect(path, isolation_level=None)
    for statement in (
        "UPDATE audit SET note='nothing happened'",
        "UPDATE audit SET os_user='someone else' WHERE id=1",
        "DELETE FROM audit",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute(statement)
    assert db.execute("SELECT note, os_user FROM audit").fetchall() == [("handled by phone", "ops")]


def test_migration_5_resolutions_follow_the_trail_and_reopen_appends(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    _journal_at(path, 4).close()
    with Journal(path) as journal:
        assert journal.audit.resolutions(IMPORT) == {}
        resolved = _entry("resolve", [4, 6], note="credited by hand", by="Anna L")
        journal.audit.append(IMPORT, resolved)
        assert journal.audit.resolutions(IMPORT) == {4: resolved, 6: resolved}
        journal.audit.append(IMPORT, _entry("reopen", [6], note="wrong row"))
        assert journal.audit.resolutions(IMPORT) == {4: resolved}
        assert [e.action for e in journal.audit.trail(IMPORT)] == ["resolve", "reopen"]
