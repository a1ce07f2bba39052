"""A working folder whose journal is the test server's database (`journal.url`), as an
importer on a host of its own is set up: the end-to-end tests of a server journal, the drops
of a shared inbox and the drills run over one."""

from __future__ import annotations

from pathlib import Path

import pg_support
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
