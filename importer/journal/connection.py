"""The journal's one SQLite connection, shared by the posting lanes (importer.pipeline.lanes).

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
from collections.abc import Iterable, Mapping, Sequence
from typing import Any


class SharedConnection:
    """The few `sqlite3.Connection` methods the journal uses, each under `lock`."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection
        self.lock = threading.RLock()

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
