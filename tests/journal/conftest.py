"""The journal's tests run against both backends: `journal_place` is a SQLite file in the
test's folder, or a fresh database on the session's PostgreSQL server (tests/pg_support.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pg_support
import pytest

from importer.journal.server import JournalServer

PLACE_SCRIPT = """
import os, sys
from pathlib import Path
from importer.journal.server import JournalServer
def journal_place(arg):
    if arg.startswith("postgresql://"):
        return JournalServer(arg, os.environ["IMPORTER_TEST_PG_PASSWORD"])
    return Path(arg)
"""
"""Prepended to a script a test runs as its own process: `journal_place(sys.argv[1])` opens
the journal the test names on its command line (`place_arg`)."""


@pytest.fixture(params=["sqlite", "postgresql"])
def journal_place(request: pytest.FixtureRequest, tmp_path: Path) -> Path | JournalServer:
    """Where a test's journal is, on each backend."""
    if request.param == "sqlite":
        return tmp_path / "journal.sqlite"
    server: pg_support.PgServer = request.getfixturevalue("pg_server")
    database = request.getfixturevalue("pg_database")
    return JournalServer(server.url(database), os.environ[pg_support.PASSWORD_ENV])


def place_arg(place: Path | JournalServer) -> str:
    """The journal's place on a script's command line (the password stays in the env)."""
    return place.url if isinstance(place, JournalServer) else str(place)
