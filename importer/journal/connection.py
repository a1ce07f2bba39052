"""The journal's one connection: opened on a journal brought to the current schema, shared
by every part of the journal and by the posting lanes (importer.pipeline.lanes), and the one
place the database's errors become the exception tree. `JournalConnection` is what every part
relies on; `SharedConnection` is its SQLite side (a file, `journal.migrations`), and
`journal.postgres.PgConnection` its PostgreSQL side (a server, `journal.url`).

The parts of the journal (`journal.imports`, `journal.rows`, …) hold this object and run
every statement through its methods (`execute`, `fetchall`, `executemany`, `transaction`);
none of them imports a driver, and `@reads` (`journal.schema`) catches what `failures` names.
So `sqlite3` is imported here and in `journal.migrations` only, and `psycopg` in
`journal.postgres` only. The journal's SQL is written once, in the forms both databases read
(`?` placeholders, `INSERT … ON CONFLICT`, `RETURNING`, `CAST(? AS TEXT) IS NULL`, no
`IN ()`, no JSON functions); the PostgreSQL side turns the placeholders into its own and
nothing else.

Every statement runs under one re-entrant lock and a transaction holds it from BEGIN to
COMMIT, so one lane's update never lands inside another lane's transaction; reads the lanes
make while others write execute and fetch under the lock too (`fetchall`). One connection,
not one per lane: a lane's commits are two small updates per row (intent, outcome) in WAL
with synchronous=NORMAL — no fsync per commit. bench/lanes_bench.py measured 6,470 to 7,390 rows
(13,000 to 14,800 commits) a second from 32 threads on the shared 2-core machine under load:
8 to 9x what 32 lanes posted there, so the lock is not where the time goes."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from typing import Any, ClassVar, NoReturn, Protocol

from importer.errors import (
    ImporterError,
    JournalDamaged,
    JournalFailed,
    JournalUnavailable,
    JournalUnreadable,
)
from importer.journal.migrations import migrate
from importer.journal.server import JournalServer

OPEN_TIMEOUT = 30.0
"""Seconds to keep trying to open a journal another process is creating or migrating: two
importers started together on a fresh journal can meet a lock that SQLite reports as busy
without waiting (setting WAL mode, the schema), and that is no reason to refuse the run."""

LOCK_TIMEOUT = 30.0
"""Seconds a statement waits for a lock another process holds on the journal (SQLite's busy
timeout) before it fails as locked: another importer's write transaction is short, so
waiting that long means something holds the file, and the run says so in one line."""

_DAMAGED = frozenset({"SQLITE_CORRUPT", "SQLITE_NOTADB"})


def _busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def said(exc: BaseException) -> str:
    """What the database said, on one line: libpq puts its hints on lines of their own
    ("Connection refused" then "Is the server running…"), and the importer's error is one
    line wherever it is printed."""
    return " ".join(str(exc).split())


def damaged(exc: BaseException, path: Path | JournalServer) -> JournalDamaged | None:
    """The honest error for SQLite's "database disk image is malformed" (and "file is not a
    database"), wherever in a run SQLite first notices it; None for any other exception.
    A damaged page may be read only when a query reaches it, so no check at opening is
    enough (and a full integrity check costs seconds on a large journal)."""
    if not isinstance(exc, sqlite3.DatabaseError):
        return None
    if getattr(exc, "sqlite_errorname", "") not in _DAMAGED:
        return None
    return _damaged_saying(said(exc), path)


def schema_not_text(path: Path) -> JournalDamaged:
    """The honest error for a `UnicodeDecodeError` out of a `sqlite3` call on the journal's
    file. SQLite calls a damaged schema malformed quoting the file's own bytes; where those
    are not UTF-8, Python's sqlite3 cannot decode its message and raises this in place of
    the `DatabaseError`. The journal's statements are ASCII: the bytes are the file's."""
    return _damaged_saying("its schema holds bytes that are not text", path)


def _damaged_saying(what: str, path: Path | JournalServer) -> JournalDamaged:
    return JournalDamaged(
        f"journal {path}: SQLite reports the file damaged ({what}); nothing more was sent. "
        "Restore it from a backup, or move it aside and check in Amili what was credited"
    )


def read_failure(
    exc: BaseException, path: Path | JournalServer
) -> JournalDamaged | JournalUnreadable:
    """The one translation of the database's errors on the journal's reads (its writes are
    translated by `write_failure`): a damaged file is `JournalDamaged`, anything else SQLite
    or the server refuses (locked past the timeout, an I/O error, a table gone, the server
    gone) is `JournalUnreadable` — a library caller meets the exception tree, never `sqlite3`
    or `psycopg`."""
    return damaged(exc, path) or JournalUnreadable(
        f"journal {path}: cannot be read ({said(exc)}); nothing more was sent. Once that is "
        "fixed, run the same command again: the journal says where it stopped"
    )


def write_failure(exc: BaseException, path: Path | JournalServer) -> JournalDamaged | JournalFailed:
    """The one translation of the database refusing a write (disk full, locked past the
    timeout, the server gone), raised after the rollback: `JournalFailed`, one line; a
    damaged file is `JournalDamaged` (`damaged`): a rerun would not help."""
    return damaged(exc, path) or JournalFailed(
        f"journal {path}: cannot be written ({said(exc)}); every row sent is in it "
        "and is looked up before anything is sent again: once that is fixed, run "
        "the same command again"
    )


class Cursor(Protocol):
    """What the journal reads from a statement's result, on either database."""

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def fetchmany(self, size: int = ...) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class JournalConnection(Protocol):
    """The connection every part of the journal shares: each call under `lock`, a
    transaction (`transaction`) held under it from BEGIN to COMMIT."""

    lock: threading.RLock
    failures: ClassVar[tuple[type[Exception], ...]]
    """What this database raises when it refuses a statement: `@reads` catches these and
    raises `read_failure` instead."""
    session_locks: ClassVar[bool]
    """Whether an import's lock is the server's session lock (`journal.locks`), which dies
    with its holder on any host, or a row naming a process of this host."""
    on_server: ClassVar[bool]
    """Whether the journal is on a PostgreSQL server, where a part may call what the session
    defines on it (the credit-note claim's function, `journal.claims`), or in a SQLite file."""

    @property
    def path(self) -> Path | JournalServer:
        """Where the journal is, as messages name it (a server's URL never holds a
        password)."""
        ...

    @property
    def in_transaction(self) -> bool: ...

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor: ...

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Any]: ...

    def executemany(self, sql: str, params: Iterable[Sequence[Any]]) -> Any: ...

    def read_failure(self, exc: BaseException) -> JournalDamaged | JournalUnreadable: ...

    def transaction(self, *, blind: bool = False) -> AbstractContextManager[JournalConnection]:
        """One write, all or nothing, as the database's one writer at a time (a transaction
        that reads before it writes, a claim, decides on what no other writer can change
        meanwhile); the database refusing it is raised as `write_failure` says, after the
        rollback. `blind`: nothing in it reads to decide what it writes (a new import and
        its rows): on a server it goes without the writer lock, so a long one (a large
        file's rows) holds no other host's claims back past their deadline."""
        ...

    def write(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> Cursor:
        """Statements that no read of theirs decides (a row's intent, its outcome), each on
        other rows than the others, as one transaction, all or nothing; returns the last
        one's cursor. On SQLite that is a `transaction` like any other; on a server it is
        one statement (the others become its data-modifying `WITH` clauses) sent in one
        round trip without the writer lock: nothing another writer does meanwhile can make
        a blind write wrong, and the row's hot path is where a round trip counts. The
        database refusing it is raised as `write_failure` says."""
        ...

    def close(self) -> None: ...


class SharedConnection:
    """The few `sqlite3.Connection` methods the journal uses, each under `lock`."""

    failures: ClassVar[tuple[type[Exception], ...]] = (sqlite3.Error,)
    session_locks: ClassVar[bool] = False
    on_server: ClassVar[bool] = False

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self.connection = connection
        self.path = path
        self.lock = threading.RLock()

    @classmethod
    def open(cls, path: Path) -> SharedConnection:
        """The journal at `path`, created or brought to the current schema; a journal another
        process is creating or migrating is waited for up to `OPEN_TIMEOUT`."""
        deadline = time.monotonic() + OPEN_TIMEOUT
        while True:
            connection: sqlite3.Connection | None = None
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                connection = sqlite3.connect(
                    path, isolation_level=None, timeout=LOCK_TIMEOUT, check_same_thread=False
                )
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute("PRAGMA synchronous=NORMAL")
                migrate(connection, path)
            except sqlite3.OperationalError as exc:
                if not _busy(exc) or time.monotonic() >= deadline:
                    _unavailable(exc, path)
                if connection is not None:
                    with suppress(sqlite3.Error):
                        connection.close()
                time.sleep(0.05)
            except (sqlite3.Error, OSError) as exc:
                _unavailable(exc, path)
            except UnicodeDecodeError as exc:
                if connection is not None:
                    connection.close()
                raise schema_not_text(path) from exc
            except ImporterError:  # a journal the program must not use (too new, foreign)
                if connection is not None:
                    connection.close()
                raise
            else:
                return cls(connection, path)

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> sqlite3.Cursor:
        with self.lock:
            return self.connection.execute(sql, params)

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Execute and read every row under the lock: a cursor stepped outside it could
        interleave with another lane's transaction."""
        with self.lock:
            return self.connection.execute(sql, params).fetchall()

    def executemany(self, sql: str, params: Iterable[Sequence[Any]]) -> sqlite3.Cursor:
        with self.lock:
            return self.connection.executemany(sql, params)

    def executescript(self, script: str) -> sqlite3.Cursor:
        with self.lock:
            return self.connection.executescript(script)

    def read_failure(self, exc: BaseException) -> JournalDamaged | JournalUnreadable:
        """`read_failure` for this journal's file."""
        return read_failure(exc, self.path)

    @property
    def in_transaction(self) -> bool:
        return self.connection.in_transaction

    @contextmanager
    def transaction(self, *, blind: bool = False) -> Iterator[SharedConnection]:
        """`JournalConnection.transaction`: SQLite's one writer at a time is taken at BEGIN
        (IMMEDIATE), blind or not: a file has one writer at a time whatever it writes."""
        with self.lock:  # the whole transaction: no other lane's statement inside it
            try:
                self.connection.execute("BEGIN IMMEDIATE")
                try:
                    yield self
                except BaseException:
                    if self.connection.in_transaction:
                        self.connection.execute("ROLLBACK")
                    raise
                self.connection.execute("COMMIT")
            except sqlite3.Error as exc:
                with suppress(sqlite3.Error):
                    if self.connection.in_transaction:
                        self.connection.execute("ROLLBACK")
                raise write_failure(exc, self.path) from exc

    def write(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> sqlite3.Cursor:
        """`JournalConnection.write`: a `transaction` of the statements."""
        with self.transaction():
            cursors = [self.connection.execute(sql, params) for sql, params in statements]
        return cursors[-1]

    def close(self) -> None:
        with self.lock:
            self.connection.close()


def _unavailable(exc: sqlite3.Error | OSError, path: Path) -> NoReturn:
    honest = damaged(exc, path)
    if honest is not None:
        raise honest from exc
    raise JournalUnavailable(f"journal {path}: cannot be opened ({said(exc)})") from exc
