"""`importer journal copy --to URL`: a SQLite journal's whole history moved into an empty
journal on a PostgreSQL server, so a deployment that moves to a shared server keeps every
import, row, attempt, claim, correction and resolution it recorded.

Why it is shaped so:

* **A snapshot, not the live file.** The copy reads a consistent snapshot taken with SQLite's
  online backup (`upkeep.backup`, into a temporary folder), so an importer may keep writing
  the file meanwhile: the copy holds every transaction committed before the snapshot and
  none half. What is written after it is not in the copy; the output names the moment, and
  the switch to `journal.url` is made once the importers are stopped.
* **The snapshot is brought to this program's schema** (`journal.migrations`), the file
  itself is left as it is; a journal a newer importer wrote is refused, as every command
  refuses it. The server's journal is brought to the same schema (`journal.pg_migrations`)
  before anything is written, and a database holding another program's tables is refused.
* **The schema is walked, not listed.** Every table SQLite holds is copied, column by column
  by name; a table or column the two schemas do not share stops the copy before anything is
  written (a migration without its server step is a bug, not something to skip). The one
  column SQLite keeps implicitly, `attempts.rowid`, is copied as the server's explicit column,
  and the server's own counters (`audit.id`, `attempts.rowid`) continue after the copied
  values. Values are copied as SQLite holds them (amounts, moments and JSON are text there),
  so they arrive exactly, character for character.
* **One transaction, into an empty journal only.** The copy runs under the journal's writer
  lock, refuses a journal that already holds anything (a second copy is refused, never
  doubled), and checks the counts table by table before it commits: a failure anywhere
  (the server refusing a value, the server gone) leaves the server's journal empty."""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from importer.errors import ConfigError, InternalError, JournalFailed, JournalUnavailable
from importer.journal.connection import JournalConnection, damaged, said
from importer.journal.migrations import migrate
from importer.journal.schema import iso_z
from importer.journal.server import JournalServer, server_of, url_problem
from importer.upkeep.backup import backup_journal

BATCH = 5_000
"""Rows read from the snapshot and sent to the server at a time: a large journal is streamed,
never held in memory whole."""

SERVER_ONLY = frozenset({"journal_schema"})
"""The server's own bookkeeping (its schema version), which a SQLite journal keeps in
`PRAGMA user_version` instead: written by the migrations, never copied."""

SELF_NOTES = "meta"
"""The table of what a journal notes about itself (when it was last checked writable): a
journal that holds only that is still empty, and its notes are replaced by the source's."""


@dataclass(frozen=True, slots=True)
class CopyResult:
    source: Path
    target: JournalServer
    snapshot_at: str
    """When the snapshot was taken (UTC, as the journal writes moments)."""
    counts: tuple[tuple[str, int], ...]
    """Every table copied and its rows, equal on both sides when the copy committed."""

    def count(self, table: str) -> int:
        return dict(self.counts)[table]


def copy_target(url: str, password_env: str | None) -> JournalServer:
    """The server journal `url` names as a copy's target, held to `journal.url`'s rules (a
    URL with a password is refused, never echoed), its password from the variable
    `password_env` names or, without one, libpq's own (PGPASSWORD, ~/.pgpass)."""
    problem = url_problem(url)
    if problem is not None:
        raise ConfigError(f"journal copy --to {problem}; nothing was copied")
    return server_of(url, password_env)


def copy_journal(source: Path, target: JournalServer) -> CopyResult:
    """Copy the SQLite journal at `source` into the empty journal on `target`, in one
    transaction, and check the counts table by table. Never changes `source`."""
    source = Path(source)
    if not source.is_file():
        raise JournalUnavailable(f"journal {source}: there is no such file to copy")
    with tempfile.TemporaryDirectory(prefix="importer-copy-") as folder:
        snapshot_at = iso_z(datetime.now(UTC))
        snapshot = backup_journal(source, Path(folder) / "snapshot.sqlite").path
        with closing(sqlite3.connect(snapshot, isolation_level=None)) as db:
            try:
                migrate(db, source)  # messages name the journal, not its snapshot
                tables = _sqlite_tables(db)
            except sqlite3.Error as exc:
                raise damaged(exc, source) or JournalUnavailable(
                    f"journal {source}: cannot be read for the copy ({said(exc)})"
                ) from exc
            counts = _into_server(db, tables, source, target)
    return CopyResult(source, target, snapshot_at, counts)


def _sqlite_tables(db: sqlite3.Connection) -> dict[str, list[str]]:
    """Every table of the journal and its columns, in the order SQLite declares them."""
    names = [
        name
        for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
            " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
        )
    ]
    return {name: [c[1] for c in db.execute(f'PRAGMA table_info("{name}")')] for name in names}


def _into_server(
    db: sqlite3.Connection, tables: dict[str, list[str]], source: Path, target: JournalServer
) -> tuple[tuple[str, int], ...]:
    # imported here, not at the top: psycopg costs every other command 0.3 s to import
    from importer.journal.postgres import PgConnection

    server = PgConnection.open(target)  # brought to the schema; foreign or newer refused
    try:
        plan = _plan(tables, _server_tables(server), target)
        table = ""
        try:
            with server.transaction() as writer:
                _refuse_unless_empty(writer, plan, target)
                writer.execute(f"DELETE FROM {SELF_NOTES}")
                counts = []
                for table, (columns, identities) in plan.items():
                    copied = _copy_table(db, writer, table, columns, identities)
                    counts.append((table, _checked(db, writer, table, copied, target)))
        except JournalFailed as failed:
            cause = failed.__cause__ or failed
            where = f" while writing table {table}" if table else ""
            raise JournalFailed(
                f"journal copy to {target} failed{where} ({said(cause)}): nothing was copied, "
                "the server's journal is as it was; once that is fixed, run the same command "
                "again"
            ) from failed.__cause__
        except sqlite3.Error as exc:
            raise damaged(exc, source) or JournalUnavailable(
                f"journal {source}: its snapshot cannot be read for the copy to {target} "
                f"({said(exc)}); nothing was copied"
            ) from exc
    finally:
        server.close()
    return tuple(counts)


Plan = dict[str, tuple[list[str], list[str]]]
"""Table -> (its columns, by the server's order; the server's identity columns among them).
SQLite reads the same names: its implicit `rowid` is the server's explicit column of that
name (attempts)."""


def _server_tables(server: JournalConnection) -> dict[str, dict[str, bool]]:
    """Every table of the server's journal: column -> whether it is an identity column."""
    found: dict[str, dict[str, bool]] = {}
    for table, column, identity in server.fetchall(
        "SELECT table_name, column_name, is_identity FROM information_schema.columns"
        " WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
    ):
        if table not in SERVER_ONLY:
            found.setdefault(table, {})[column] = identity == "YES"
    return found


def _plan(
    tables: dict[str, list[str]], server: dict[str, dict[str, bool]], target: JournalServer
) -> Plan:
    """How each table is copied; a table or a column the two schemas do not share is a
    migration without its counterpart (a bug), stopping the copy before anything is
    written."""
    if set(tables) != set(server):
        only_here = ", ".join(sorted(set(tables) - set(server))) or "none"
        only_there = ", ".join(sorted(set(server) - set(tables))) or "none"
        raise InternalError(
            f"journal copy to {target}: the two journals' schemas differ (only in SQLite: "
            f"{only_here}; only on the server: {only_there}); nothing was copied"
        )
    plan: Plan = {}
    for table, columns in tables.items():
        written = list(server[table])
        missing = sorted(set(written) - set(columns) - {"rowid"})
        extra = sorted(set(columns) - set(written))
        if missing or extra:
            raise InternalError(
                f"journal copy to {target}: table {table} has other columns in the two "
                f"journals (only on the server: {missing}; only in SQLite: {extra}); "
                "nothing was copied"
            )
        plan[table] = (written, [c for c in written if server[table][c]])
    return plan


def _refuse_unless_empty(writer: JournalConnection, plan: Plan, target: JournalServer) -> None:
    """A journal holding anything but its own notes is refused: copying into it would mix
    two histories, or double one."""
    held = {
        table: writer.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        for table in plan
        if table != SELF_NOTES
    }
    if any(held.values()):
        imports = held.get("imports", 0)
        rows = ", ".join(f"{table} {n}" for table, n in held.items() if n)
        raise ConfigError(
            f"journal {target} already holds {imports} import(s) ({rows}): a journal is "
            "copied into an empty one only, so nothing was copied"
        )


def _copy_table(
    db: sqlite3.Connection,
    writer: JournalConnection,
    table: str,
    columns: list[str],
    identities: list[str],
) -> int:
    """Every row of `table`, in batches; returns how many were sent. Identity columns take
    the copied values (OVERRIDING SYSTEM VALUE) and their counters continue after them."""
    overriding = " OVERRIDING SYSTEM VALUE" if identities else ""
    insert = (
        f"INSERT INTO {table} ({', '.join(columns)}){overriding}"
        f" VALUES ({', '.join('?' * len(columns))})"
    )
    sent = 0
    for batch in _batches(db.execute(f"SELECT {', '.join(columns)} FROM {table}")):
        writer.executemany(insert, batch)
        sent += len(batch)
    for column in identities:
        writer.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'),"
            f" coalesce((SELECT max({column}) FROM {table}), 0) + 1, false)"
        )
    return sent


def _batches(cursor: sqlite3.Cursor) -> Iterator[list[Any]]:
    while batch := cursor.fetchmany(BATCH):
        yield batch


def _checked(
    db: sqlite3.Connection, writer: JournalConnection, table: str, sent: int, target: JournalServer
) -> int:
    """The rows of `table` on the server, checked against the snapshot's before the copy
    commits (reading them also surfaces a value the server refused, naming the table)."""
    (held,) = writer.execute(f"SELECT count(*) FROM {table}").fetchone()
    (there,) = db.execute(f"SELECT count(*) FROM {table}").fetchone()
    if not held == sent == there:
        raise InternalError(
            f"journal copy to {target}: table {table} holds {held} rows on the server, "
            f"{there} in the SQLite journal; nothing was copied"
        )
    return int(held)
