"""The connection every part of the journal works through, opened on a journal brought to the
current schema (`journal.migrations`, which holds the tables).

Request fields are columns, not JSON, so duplicate checks are indexed lookups and a
200,000-row import is stored in a fraction of a second. The columns are `api.request.FIELDS`,
in that order: the request contract is written once."""

from __future__ import annotations

import functools
import inspect
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Concatenate, NoReturn, ParamSpec, Self, TypeVar, cast

from importer.api.request import FIELDS
from importer.errors import (
    ConfigError,
    ImporterError,
    JournalDamaged,
    JournalFailed,
    JournalUnavailable,
    JournalUnreadable,
)
from importer.journal.connection import JournalConnection, SharedConnection
from importer.journal.migrations import migrate
from importer.journal.server import JournalServer

OPEN_TIMEOUT = 30.0
"""Seconds to keep trying to open a journal another process is creating or migrating: two
importers started together on a fresh journal can meet a lock that SQLite reports as busy
without waiting (setting WAL mode, the schema), and that is no reason to refuse the run."""

REQUEST_FIELDS: tuple[str, ...] = FIELDS
"""Stored as columns, in the model's (and the API body's) order. A new request field needs a
migration adding its column."""
REQUEST_COLUMNS: tuple[str, ...] = tuple("case_id" if f == "case" else f for f in FIELDS)
"""The column of each request field (`case` is an SQL keyword)."""
REQUEST_COLUMN_LIST = ", ".join(REQUEST_COLUMNS)
REQUEST_PLACEHOLDERS = ",".join("?" * len(REQUEST_FIELDS))
AMOUNT_INDEX = REQUEST_FIELDS.index("amount")

_DAMAGED = frozenset({"SQLITE_CORRUPT", "SQLITE_NOTADB"})


def _busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def damaged(exc: BaseException, path: Path | JournalServer) -> JournalDamaged | None:
    """The honest error for SQLite's "database disk image is malformed" (and "file is not a
    database"), wherever in a run SQLite first notices it; None for any other exception.
    A damaged page may be read only when a query reaches it, so no check at opening is
    enough (and a full integrity check costs seconds on a large journal)."""
    if not isinstance(exc, sqlite3.DatabaseError):
        return None
    if getattr(exc, "sqlite_errorname", "") not in _DAMAGED:
        return None
    return JournalDamaged(
        f"journal {path}: SQLite reports the file damaged ({exc}); nothing more was sent. "
        "Restore it from a backup, or move it aside and check in Amili what was credited"
    )


def read_failure(exc: Exception, path: Path | JournalServer) -> JournalDamaged | JournalUnreadable:
    """The one translation of the database's errors on the journal's reads (its writes are
    translated by `Store._transaction`): a damaged file is `JournalDamaged`, anything else
    SQLite or the server refuses (locked past the timeout, an I/O error, a table gone, the
    server gone) is `JournalUnreadable` — a library caller meets the exception tree, never
    `sqlite3` or `psycopg`."""
    return damaged(exc, path) or JournalUnreadable(
        f"journal {path}: cannot be read ({exc}); nothing more was sent. Once that is "
        "fixed, run the same command again: the journal says where it stopped"
    )


_S = TypeVar("_S", bound="Store")
_P = ParamSpec("_P")
_R = TypeVar("_R")


def reads(method: Callable[Concatenate[_S, _P], _R]) -> Callable[Concatenate[_S, _P], _R]:
    """Marks a read of the journal: its SQLite errors are raised as `read_failure` says,
    with the cause chained. A generator is covered over its whole iteration, where its
    queries run. A plain `try`, not a context manager: it costs nothing until it catches,
    and `get_row` is called once per row posted."""
    if inspect.isgeneratorfunction(method):

        @functools.wraps(method)
        def each(self: _S, /, *args: _P.args, **kwargs: _P.kwargs) -> Iterator[Any]:
            try:
                yield from cast(Iterator[Any], method(self, *args, **kwargs))
            except self._db.errors as exc:
                raise read_failure(exc, self.path) from exc

        return cast(Callable[Concatenate[_S, _P], _R], each)

    @functools.wraps(method)
    def read(self: _S, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return method(self, *args, **kwargs)
        except self._db.errors as exc:
            raise read_failure(exc, self.path) from exc

    return read


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso_z(moment: datetime) -> str:
    """A moment as the journal stores it: UTC, milliseconds, `Z` (sorts as text)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Store:
    """The connection, opened with the schema: a SQLite file (a path) or a PostgreSQL
    server (`JournalServer`). The journal's parts share it, and so do the posting lanes'
    threads (`journal.connection`)."""

    def __init__(self, path: Path | JournalServer) -> None:
        self.path: Path | JournalServer = path if isinstance(path, JournalServer) else Path(path)
        """Where the journal is, as messages name it (a server's URL never holds a password)."""
        self._issued: set[str] = set()
        """Ids handed out by new_import_id, so two calls never return the same one even
        before either import is created."""
        self._db: JournalConnection
        if isinstance(self.path, JournalServer):
            self._open_server(self.path)
            return
        deadline = time.monotonic() + OPEN_TIMEOUT
        while True:
            try:
                self._open(self.path)
            except sqlite3.OperationalError as exc:
                if not _busy(exc) or time.monotonic() >= deadline:
                    self._fail(exc)
                with suppress(AttributeError, sqlite3.Error):  # connect itself may have failed
                    self._db.close()
                time.sleep(0.05)
            except (sqlite3.Error, OSError) as exc:
                self._fail(exc)
            except ImporterError:  # a journal the program must not use (too new, foreign)
                self._db.close()
                raise
            else:
                return

    def _open(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        shared = SharedConnection(
            sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
        )
        self._db = shared
        shared.execute("PRAGMA journal_mode=WAL")
        shared.execute("PRAGMA synchronous=NORMAL")
        migrate(shared.connection, path)

    def _open_server(self, server: JournalServer) -> None:
        """Connect and bring the server's journal to the schema (`journal.pg_migrations`).
        Imported here, not at the top: psycopg costs every other command 0.3 s to import."""
        from importer.journal import pg_migrations, postgres

        try:
            self._db = postgres.connect(server)
        except postgres.DRIVER_ERRORS as exc:
            raise JournalUnavailable(f"journal {server}: cannot be opened ({exc})") from exc
        try:
            pg_migrations.migrate_server(self._db, server)
        except BaseException as exc:
            self._db.close()
            if isinstance(exc, postgres.DRIVER_ERRORS):
                raise JournalUnavailable(f"journal {server}: cannot be opened ({exc})") from exc
            raise

    def _fail(self, exc: sqlite3.Error | OSError) -> NoReturn:
        honest = damaged(exc, self.path)
        if honest is not None:
            raise honest from exc
        raise JournalUnavailable(f"journal {self.path}: cannot be opened ({exc})") from exc

    def close(self) -> None:
        self._db.close()

    def check_writable(self) -> None:
        """A real write transaction, before anything is sent: a journal on a read-only or
        full disk is found now (exit 2, nothing sent), not after the first POST."""
        try:
            with self._transaction() as db:
                db.execute(
                    "INSERT INTO meta VALUES ('checked_writable', ?)"
                    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (iso_z(utcnow()),),
                )
        except JournalFailed as failed:  # `_transaction` said why; a damaged file passes
            raise ConfigError(
                f"journal {self.path} cannot be written ({failed.__cause__}); nothing was sent"
            ) from failed.__cause__
        except OSError as exc:
            raise ConfigError(
                f"journal {self.path} cannot be written ({exc}); nothing was sent"
            ) from exc

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[JournalConnection]:
        """One write, all or nothing; the database refusing it (disk full, locked past the
        timeout, the server gone) stops the run as `JournalFailed`, one line, after the
        rollback; a damaged file is `JournalDamaged` (`damaged`): a rerun would not help."""
        with self._db.lock:  # the whole transaction: no other lane's statement inside it
            try:
                try:
                    with self._db.transaction():
                        yield self._db
                except BaseException:
                    if self._db.in_transaction:
                        self._db.execute("ROLLBACK")
                    raise
            except self._db.errors as exc:
                with suppress(*self._db.errors):
                    if self._db.in_transaction:
                        self._db.execute("ROLLBACK")
                honest = damaged(exc, self.path)
                if honest is not None:
                    raise honest from exc
                raise JournalFailed(
                    f"journal {self.path}: cannot be written ({exc}); every row sent is in it "
                    "and is looked up before anything is sent again: once that is fixed, run "
                    "the same command again"
                ) from exc
