"""The journal's one connection, shared by the posting lanes (importer.pipeline.lanes): the
interface every part of the journal runs its SQL through (`JournalConnection`), and its SQLite
side (`SharedConnection`; the PostgreSQL side is `journal.postgres`).

Every statement runs under one re-entrant lock and a transaction holds it from BEGIN to
COMMIT, so one lane's update never lands inside another lane's transaction; reads the lanes
make while others write execute and fetch under the lock too (`fetchall`). One connection,
not one per lane: a lane's commits are two small updates per row (intent, outcome) in WAL
with synchronous=NORMAL — no fsync per commit. bench/lanes_bench.py measured 6,470 to 7,390 rows
(13,000 to 14,800 commits) a second from 32 threads on the shared 2-core machine under load:
8 to 9x what 32 lanes posted there, so the lock is not where the time goes.

The journal's SQL is written once, in the forms both databases read (`?` placeholders,
`INSERT … ON CONFLICT`, `RETURNING`, `CAST(? AS TEXT) IS NULL`); the PostgreSQL side turns
the placeholders into its own and nothing else."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol


class Cursor(Protocol):
    """What the journal reads from a statement's result, on either database."""

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def fetchmany(self, size: int = ...) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class JournalConnection(Protocol):
    """The connection the journal's parts share: each call under `lock`, a transaction
    (`transaction`) held under it too (`schema.Store._transaction`)."""

    lock: threading.RLock
    errors: tuple[type[Exception], ...]
    """The driver's errors, translated at the journal's boundary (`schema`)."""
    session_locks: bool
    """Whether an import's lock is the server's session lock (`journal.locks`), which dies
    with its holder on any host, or a row naming a process of this host."""

    def transaction(self) -> AbstractContextManager[None]:
        """BEGIN, as the one writer, … COMMIT, the connection's own way, under `lock`. An
        exception leaves the transaction open: the caller rolls it back (`in_transaction`)."""
        ...

    @property
    def in_transaction(self) -> bool: ...

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor: ...

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Any]: ...

    def executemany(self, sql: str, params: Iterable[Sequence[Any]]) -> Any: ...

    def close(self) -> None: ...


class SharedConnection:
    """The few `sqlite3.Connection` methods the journal uses, each under `lock`."""

    errors: tuple[type[Exception], ...] = (sqlite3.Error,)
    session_locks = False

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection
        self.lock = threading.RLock()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """SQLite's one writer at a time, taken at BEGIN: a transaction that reads before it
        writes (a claim) decides on what no other writer can change meanwhile."""
        with self.lock:
            self.execute("BEGIN IMMEDIATE")
            yield
            self.execute("COMMIT")

    @property
    def in_transaction(self) -> bool:
        return self.connection.in_transaction

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

    def close(self) -> None:
        with self.lock:
            self.connection.close()
