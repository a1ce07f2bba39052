"""The journal's schema on a PostgreSQL server: it starts at the schema of today (one step),
is recorded in `journal_schema`, holds the same tables, columns and indexes as a SQLite
journal at the same version, refuses a journal a newer importer wrote and a database that is
not a journal, and two processes opening a fresh one at once both succeed. A real server."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pg_support
import psycopg
import pytest
from journal_place_support import PLACE_SCRIPT

from importer.errors import JournalTooNew, JournalUnavailable
from importer.journal import SCHEMA_VERSION, AuditEntry, Journal
from importer.journal.pg_migrations import BASELINE, STEPS
from importer.journal.server import JournalServer
from importer.pipeline.history import list_imports


@pytest.fixture
def server(pg_server: pg_support.PgServer, pg_database: str) -> JournalServer:
    return JournalServer(pg_server.url(pg_database), pg_support.PASSWORD)


def version_of(pg_server: pg_support.PgServer, database: str) -> list[tuple[int]]:
    with pg_server.connect(database) as db:
        return db.execute("SELECT version FROM journal_schema").fetchall()


def test_every_migration_since_the_baseline_has_its_server_step() -> None:
    # A migration appended to journal.migrations without a step in pg_migrations.STEPS
    # fails here: a server journal would stop at the version before it.
    assert BASELINE <= SCHEMA_VERSION
    assert sorted(STEPS) == list(range(BASELINE, SCHEMA_VERSION + 1))


def test_a_fresh_server_journal_is_created_once_at_the_current_version(
    pg_server: pg_support.PgServer, pg_database: str, server: JournalServer
) -> None:
    with Journal(server) as journal:
        assert journal.imports.all() == []
    assert version_of(pg_server, pg_database) == [(SCHEMA_VERSION,)]
    with Journal(server):  # opened again: nothing to do, nothing changed
        pass
    assert version_of(pg_server, pg_database) == [(SCHEMA_VERSION,)]


def _sqlite_schema(path: Path) -> dict[str, list[str]]:
    with Journal(path):
        pass
    db = sqlite3.connect(path)
    tables = [
        name
        for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    shape = {t: [row[1] for row in db.execute(f"PRAGMA table_info({t})")] for t in tables}
    shape["(indexes)"] = sorted(
        name
        for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type='index' AND sql IS NOT NULL"
        )
    )
    db.close()
    return shape


def test_the_server_schema_is_the_sqlite_schema_of_the_same_version(
    tmp_path: Path, pg_server: pg_support.PgServer, pg_database: str, server: JournalServer
) -> None:
    with Journal(server):
        pass
    with pg_server.connect(pg_database) as db:
        columns = db.execute(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
        ).fetchall()
        indexes = db.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
            " AND indexname NOT LIKE '%_pkey'"
        ).fetchall()
    shape: dict[str, list[str]] = {}
    for table, column in columns:
        shape.setdefault(table, []).append(column)
    shape["(indexes)"] = sorted(name for (name,) in indexes)
    # the server's own version table, and the two columns SQLite gives implicitly
    del shape["journal_schema"]
    shape["attempts"].remove("rowid")
    assert _sqlite_schema(tmp_path / "journal.sqlite") == shape


def test_a_server_journal_newer_than_the_program_is_refused(
    pg_server: pg_support.PgServer, pg_database: str, server: JournalServer
) -> None:
    with Journal(server):
        pass
    with pg_server.connect(pg_database) as db:
        db.execute("UPDATE journal_schema SET version = %s", (SCHEMA_VERSION + 2,))
    with pytest.raises(JournalTooNew) as refused:
        Journal(server)
    assert str(refused.value) == (
        f"journal {server.url} was written by a newer importer (schema {SCHEMA_VERSION + 2},"
        f" this program knows {SCHEMA_VERSION}): upgrade the importer; nothing was sent"
    )


@pytest.mark.parametrize("version", [-1, 3])
def test_a_server_journal_at_a_version_no_importer_writes_is_refused(
    pg_server: pg_support.PgServer, pg_database: str, server: JournalServer, version: int
) -> None:
    """A server's journal is at 0 (being created), the baseline or later: another version
    (another tool's, a hand's) is refused in one line, never "internal error (KeyError)"."""
    with Journal(server):
        pass
    with pg_server.connect(pg_database) as db:
        db.execute("UPDATE journal_schema SET version = %s", (version,))
    with pytest.raises(JournalUnavailable) as refused:
        Journal(server)
    assert str(refused.value) == (
        f"journal {server.url}: schema version {version}, which no importer writes (not a "
        "journal, or damaged); nothing was sent. Restore it from a backup"
    )
    assert version_of(pg_server, pg_database) == [(version,)]


def test_a_database_that_is_not_a_journal_is_refused_and_left_alone(
    pg_server: pg_support.PgServer, pg_database: str, server: JournalServer
) -> None:
    with pg_server.connect(pg_database) as db:
        db.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY)")
    with pytest.raises(JournalUnavailable, match="not a journal"):
        Journal(server)
    with pg_server.connect(pg_database) as db:
        tables = db.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        ).fetchall()
    assert tables == [("accounts",)]


def test_a_wrong_password_is_one_line_that_does_not_open_the_journal(
    pg_server: pg_support.PgServer, pg_database: str
) -> None:
    wrong = JournalServer(pg_server.url(pg_database), "not-the-password")
    with pytest.raises(JournalUnavailable) as refused:
        Journal(wrong)
    message = str(refused.value)
    assert message.startswith(f"journal {wrong.url}: cannot be opened (")
    assert "password authentication failed" in message
    assert "not-the-password" not in message


def test_two_processes_opening_a_fresh_server_journal_at_once_both_succeed(
    tmp_path: Path, pg_server: pg_support.PgServer, pg_database: str, server: JournalServer
) -> None:
    gate = tmp_path / "gate"
    gate.mkdir()
    code = PLACE_SCRIPT + textwrap.dedent(
        """
        import time
        from importer.journal import Journal
        gate, n = Path(sys.argv[2]), int(sys.argv[3])
        (gate / sys.argv[4]).touch()
        while len(list(gate.iterdir())) < n:  # every process imported: open together
            time.sleep(0.001)
        with Journal(journal_place(sys.argv[1])) as journal:
            print(len(journal.imports.all()))
        """
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", code, server.url, str(gate), "4", str(n)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=os.environ.copy(),
        )
        for n in range(4)
    ]
    results = [(*p.communicate(timeout=60), p.returncode) for p in processes]
    assert [(out, code) for out, _, code in results] == [("0\n", 0)] * 4, results
    assert version_of(pg_server, pg_database) == [(SCHEMA_VERSION,)]


def test_the_audit_trail_refuses_update_and_delete_on_a_server(
    pg_server: pg_support.PgServer, pg_database: str, server: JournalServer
) -> None:
    with Journal(server) as journal:
        journal.audit.append(
            "imp-1",
            AuditEntry(
                at=datetime(2026, 12, 7, tzinfo=UTC), action="resolve", os_user="o", host="h"
            ),
        )
    with pg_server.connect(pg_database) as db:
        for statement in ("UPDATE audit SET note = 'x'", "DELETE FROM audit"):
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                db.execute(statement)
        assert db.execute("SELECT count(*) FROM audit").fetchone() == (1,)


def test_migration_8_on_a_server_gives_each_import_a_revision_and_keeps_its_rows(
    pg_server: pg_support.PgServer, pg_database: str, server: JournalServer
) -> None:
    with Journal(server):
        pass
    with pg_server.connect(pg_database) as db:  # the journal as schema 7 left it, one import
        db.execute("DROP TABLE import_figures")
        db.execute("ALTER TABLE imports DROP COLUMN revision")
        db.execute("UPDATE journal_schema SET version = 7")
        db.execute(
            "INSERT INTO imports (id, file_name, file_path, base_url, dry_run, sandbox, state,"
            " started) VALUES ('imp-1', 'credits.csv', '/inbox/credits.csv',"
            " 'http://localhost:8080', 0, 0, 'finished', '2025-07-04T14:35:29.123Z')"
        )
        db.execute(
            "INSERT INTO rows (import_id, row, outcome, source, creditor, amount)"
            " VALUES ('imp-1', 2, 'credited', '[]', '5f1a2b3c4d5e6f7a8b9c0d1e', '12.50')"
        )
    with Journal(server) as journal:
        (entry,) = list_imports(journal)
        assert entry.figures.amount_credited == Decimal("12.50")
        assert journal.figure_cache.current()["imp-1"] == (0, entry.figures.cached(entry.counts))
        assert [r.row for r in journal.rows.all("imp-1")] == [2]
    assert version_of(pg_server, pg_database) == [(8,)]
