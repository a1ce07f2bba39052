"""The journal's tests run against both backends: `journal_place` is a SQLite file in the
test's folder, or a fresh database on the session's PostgreSQL server (tests/pg_support.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pg_support
import pytest

from importer.journal.server import JournalServer


@pytest.fixture(params=["sqlite", "postgresql"])
def journal_place(request: pytest.FixtureRequest, tmp_path: Path) -> Path | JournalServer:
    """Where a test's journal is, on each backend."""
    if request.param == "sqlite":
        return tmp_path / "journal.sqlite"
    server: pg_support.PgServer = request.getfixturevalue("pg_server")
    database = request.getfixturevalue("pg_database")
    return JournalServer(server.url(database), os.environ[pg_support.PASSWORD_ENV])
