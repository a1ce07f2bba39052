"""The journal's one SQLite connection: opened on a journal brought to the current schema
(`journal.migrations`), shared by every part of the journal and by the posting lanes
(importer.pipeline.lanes), and the one place SQLite's errors become the exception tree.

The parts of the journal (`journal.imports`, `journal.rows`, …) hold this object and run
every statement through its methods (`execute`, `fetchall`, `executemany`, `transaction`);
none of them imports `sqlite3`, and `@reads` (`journal.schema`) catches what `failures` names.
So `sqlite3` is imported here and in `journal.migrations` only: a journal on another database
supplies its own connection with these methods (and, where its SQL differs from SQLite's, its
own statements in the parts).

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
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, ClassVar, NoReturn

from importer.errors import (
    ImporterError,
    JournalDamaged,
    JournalFailed,
    JournalUnavailable,
    JournalUnreadable,
)
from importer.journal.migrations import migrate

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


def damaged(exc: BaseException, path: Path) -> JournalDamaged | None:
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


def read_failure(exc: BaseException, path: Path) -> JournalDamaged | JournalUnreadable:
    """The one translation of SQLite's errors on the journal's reads (its writes are
    translated by `SharedConnection.transaction`): a damaged file is `JournalDamaged`,
    anything else SQLite refuses (locked past the timeout, an I/O error, a table gone) is
    `JournalUnreadable` — a library caller meets the exception tree, never `sqlite3`."""
    return damaged(exc, path) or JournalUnreadable(
        f"journal {path}: cannot be read ({exc}); nothing more was sent. Once that is "
        "fixed, run the same command again: the journal says where it stopped"
    )


class SharedConnection:
    """The few `sqlite3.Connection` methods the journal uses, each under `lock`."""

    failures: ClassVar[tuple[type[Exception], ...]] = (sqlite3.Error,)
    """What this database raises when it refuses a statement: `@reads` catches these and
    raises `read_failure` instead."""

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

    @contextmanager
    def transaction(self) -> Iterator[SharedConnection]:
        """One write, all or nothing; SQLite refusing it (disk full, locked past the timeout)
        stops the run as `JournalFailed`, one line, after the rollback; a damaged file is
        `JournalDamaged` (`damaged`): a rerun would not help."""
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
                honest = damaged(exc, self.path)
                if honest is not None:
                    raise honest from exc
                raise JournalFailed(
                    f"journal {self.path}: cannot be written ({exc}); every row sent is in it "
                    "and is looked up before anything is sent again: once that is fixed, run "
                    "the same command again"
                ) from exc

    def close(self) -> None:
        with self.lock:
            self.connection.close()


def _unavailable(exc: sqlite3.Error | OSError, path: Path) -> NoReturn:
    honest = damaged(exc, path)
    if honest is not None:
        raise honest from exc
    raise JournalUnavailable(f"journal {path}: cannot be opened ({exc})") from exc
