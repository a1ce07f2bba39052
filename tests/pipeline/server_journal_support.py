"""A working folder whose journal is the test server's database (`journal.url`), as an
importer on a host of its own is set up: the end-to-end tests of a server journal, the drops
of a shared inbox and the drills run over one."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pg_support
import pytest
from pipeline.exactly_once_support import write_config


def server_section(server: pg_support.PgServer, database: str) -> dict[str, str]:
    """The `journal` section naming `database` on `server`, its password from the variable
    the `pg_database` fixture sets (never in the file)."""
    return {"url": server.url(database), "password_env": pg_support.PASSWORD_ENV}


def server_work(
    work: Path, pg_server: pg_support.PgServer, pg_database: str, **config: object
) -> Path:
    """A working folder whose config.yaml names the test server's database as its journal."""
    work.mkdir()
    write_config(work, **config, journal=server_section(pg_server, pg_database))
    return work


JOURNALS = ("sqlite", "postgresql")
"""The journals an end-to-end test runs over (`journal_setting`)."""


@dataclass(frozen=True)
class ServerJournal:
    """A test's journal database on the test server, read as a test looks at what the
    importer wrote."""

    server: pg_support.PgServer
    database: str

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """`sql`'s rows; none before the importer created its tables."""
        with self.server.connect(self.database) as db:
            if db.execute("SELECT to_regclass('imports')").fetchone() == (None,):
                return []
            return [tuple(row) for row in db.execute(sql).fetchall()]


def journal_setting(
    request: pytest.FixtureRequest, kind: str
) -> tuple[dict[str, str], ServerJournal | None]:
    """The `journal` section of a test's config.yaml for `kind` (one of JOURNALS) and, on a
    server, the database: the working folder's journal.sqlite, or a fresh database of the
    session's test server (the `pg_server` and `pg_database` fixtures, asked for only then,
    so a SQLite run starts no server)."""
    if kind == "sqlite":
        return {"path": "journal.sqlite"}, None
    server: pg_support.PgServer = request.getfixturevalue("pg_server")
    database: str = request.getfixturevalue("pg_database")
    return server_section(server, database), ServerJournal(server, database)
