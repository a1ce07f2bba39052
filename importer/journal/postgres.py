"""The journal's connection to a PostgreSQL server (`journal.url`): the interface of
`journal.connection` (`JournalConnection`), over one psycopg connection shared under a lock
as SQLite's is, opened on a journal brought to the schema (`journal.pg_migrations`), and the
place psycopg's errors become the exception tree.

Autocommit, with explicit transactions (`begin` … COMMIT), as on SQLite. Each transaction
first takes one transaction-level advisory lock, the journal's writer lock: writers follow
one another as SQLite's `BEGIN IMMEDIATE` makes them, on every host, so a transaction that
reads before it writes (a lock, an import's warnings) decides on what no other writer can
change meanwhile, under PostgreSQL's default isolation. Reads take no lock. A row's hot path
goes without it, in one statement and one round trip each: its intent and its outcome are
blind writes (`write`), and its credit-note claim is a function of the session
(`journal.claims`, defined at `open`) that takes the writer lock itself before it reads.

A host that loses power or its network holds its session (and with it its import locks,
`journal.locks`) until the server notices: TCP keepalives are set on both ends (probes
after 20 s of silence, every 10 s, 3 unanswered: the session is gone within about 50 s, and
`tcp_user_timeout` bounds unacknowledged writes at 60 s). The client's side makes a run whose
server went away stop (exit 3, resumable) rather than wait for ever.

A server that freezes instead (its backend stopped, its disk stalled) goes on acknowledging
TCP, which neither keepalives nor `tcp_user_timeout` can tell from a live one: every round
trip has a deadline (`journal.statement_timeout`, `journal.deadline`), past which the
statement is cancelled and, if that is not answered either, the connection cut; the run stops
as for a server gone, saying the server did not answer. The server applies the same bound a
grace period later (`statement_timeout`, `idle_in_transaction_session_timeout` on the
session), so a statement or a transaction whose client can no longer reach it ends there too
and frees the journal's writer lock.

This module is imported only when a journal names a server: psycopg takes about 0.3 s to
import, which every other command would pay."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from functools import lru_cache
from typing import Any, ClassVar

import psycopg
from psycopg import pq
from psycopg.conninfo import conninfo_to_dict

from importer.errors import JournalDamaged, JournalUnavailable, JournalUnreadable
from importer.journal.claims import SERVER_TAKE
from importer.journal.connection import Cursor, read_failure, said, write_failure
from importer.journal.deadline import GRACE_SECONDS, RoundTripDeadline
from importer.journal.group_commit import Queued, WriteGroups, one_statement
from importer.journal.pg_migrations import migrate_server
from importer.journal.server import WRITER_LOCK, JournalServer

DRIVER_ERRORS: tuple[type[Exception], ...] = (psycopg.Error,)

KEEPALIVE_SECONDS = {"idle": 20, "interval": 10, "count": 3}
"""Silence before the first probe, between probes, probes unanswered: a peer gone is
noticed within idle + interval x count = 50 s ("about a minute", README)."""
USER_TIMEOUT_MS = 60_000
SERVER_TIMEOUTS = ("statement_timeout", "idle_in_transaction_session_timeout")
MIGRATION_SECONDS = 3600.0
"""The deadline of a migration's statements: one may rebuild a large table by design."""


@lru_cache(maxsize=512)
def placeholders(sql: str) -> str:
    """The journal's SQL with psycopg's placeholders: `?` is `%s`, a literal `%` doubled.
    The journal's statements hold `?` only as placeholders (never inside a quoted text)."""
    return sql.replace("%", "%%").replace("?", "%s")


class PgConnection:
    """`journal.connection.JournalConnection` on a psycopg connection."""

    failures: ClassVar[tuple[type[Exception], ...]] = DRIVER_ERRORS
    session_locks: ClassVar[bool] = True
    on_server: ClassVar[bool] = True

    def __init__(self, connection: psycopg.Connection[Any], server: JournalServer) -> None:
        self.connection = connection
        self.path = server
        self.lock = threading.RLock()
        # A socket of our own on the connection's, for the deadline to shut down: a read
        # blocked on a frozen server returns, and the driver reports the connection lost.
        # Its own descriptor stays valid whatever the driver does with the connection's.
        self._socket = socket.socket(fileno=os.dup(connection.fileno()))
        self.deadline = RoundTripDeadline(
            server.statement_timeout,
            lambda grace: connection.cancel_safe(timeout=grace),
            lambda: self._socket.shutdown(socket.SHUT_RDWR),
        )
        self.groups = WriteGroups()

    @classmethod
    def open(cls, server: JournalServer) -> PgConnection:
        """Connect (`connect`), bring the server's journal to the schema
        (`journal.pg_migrations`) and define the session's function (the credit-note claim,
        `journal.claims.SERVER_TAKE`: in the session's own temporary schema, so it is always
        this program's, whichever importer versions share the journal); a server that
        cannot be reached or refuses is `JournalUnavailable`, as a SQLite file that cannot
        be opened is."""
        try:
            opened = connect(server)
        except DRIVER_ERRORS as exc:
            raise JournalUnavailable(f"journal {server}: cannot be opened ({said(exc)})") from exc
        try:
            migrate_server(opened, server, lambda: opened.patient(MIGRATION_SECONDS))
            opened.execute(SERVER_TAKE)
        except BaseException as exc:  # too new, foreign, the server gone: no session kept
            opened.close()
            if isinstance(exc, DRIVER_ERRORS):
                cause = opened._overdue(exc)  # a server that froze: it did not answer
                raise JournalUnavailable(
                    f"journal {server}: cannot be opened ({said(cause)})"
                ) from cause
            raise
        return opened

    @contextmanager
    def transaction(self, *, blind: bool = False) -> Iterator[PgConnection]:
        """`JournalConnection.transaction`: BEGIN, the writer lock, the statements and
        COMMIT in psycopg's pipeline mode: sent together, one round trip to the server for a
        transaction that reads nothing back (a row's intent, its outcome) where each
        statement would be one. A statement whose answer is read (a claim's holder) is sent,
        with those before it, when read."""
        # the whole transaction under the lock (no other lane's statement inside it) and
        # on the clock: its statements are answered when one is read or at COMMIT
        with self.lock, self.deadline.watch():
            try:
                try:
                    with self.connection.pipeline():
                        self.connection.execute("BEGIN")
                        if not blind:  # a blind one decides nothing on what it reads
                            self.connection.execute(
                                "SELECT pg_advisory_xact_lock(%s)", (WRITER_LOCK,)
                            )
                        yield self
                        self.connection.execute("COMMIT")
                except BaseException:
                    if self.in_transaction:
                        self.connection.execute("ROLLBACK")
                    raise
            except DRIVER_ERRORS as exc:
                with suppress(*DRIVER_ERRORS):
                    if self.in_transaction:
                        self.connection.execute("ROLLBACK")
                cause = self._overdue(exc)
                raise write_failure(cause, self.path) from cause

    def write(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> Cursor:
        """`JournalConnection.write`, with the lanes' writes committed in groups: the
        statements as one (`one_statement`), queued; one writer at a time leads, taking
        every write queued so far to the server in one transaction and one round trip
        (`_commit_group`), and each writer returns once its group's COMMIT is answered
        (woken by the leader, not queued behind the next group for the connection). No
        writer lock: no read of theirs decides them. Under load the group grows by itself:
        while one round trip is out, the other lanes' writes queue for the next."""
        sql, params = one_statement(statements)
        mine = Queued(placeholders(sql), params)
        if self.lock.acquire(blocking=False):  # free, or this thread's own (re-entered)
            try:
                if self.in_transaction:  # this thread's own transaction: the write joins it
                    with self.deadline.watch():
                        self._commit_group([mine])
                    return self._answer(mine)
            finally:
                self.lock.release()
        self.groups.join(mine, self._lead)
        return self._answer(mine)

    def _lead(self, group: list[Queued]) -> None:
        with self.lock, self.deadline.watch():
            self._commit_group(group)

    def _answer(self, queued: Queued) -> Cursor:
        """What a write's group answered it, or its failure as `write_failure` says (a
        group past the deadline: the server did not answer, `_overdue`)."""
        if queued.cursor is None:
            failure = self._overdue(
                queued.failure or RuntimeError("the write's group left it unanswered")
            )
            raise write_failure(failure, self.path) from failure
        return queued.cursor

    def _commit_group(self, group: list[Queued]) -> None:
        """One write as it is (autocommit: its own transaction), several between BEGIN and
        COMMIT in pipeline mode, sent together; a failure fails every write of the group
        (none is committed, each writer raises it)."""
        try:
            if len(group) == 1 or self.in_transaction:
                for queued in group:
                    queued.cursor = self.connection.execute(queued.sql, queued.params)
                return
            try:
                with self.connection.pipeline():
                    self.connection.execute("BEGIN")
                    cursors = [self.connection.execute(q.sql, q.params) for q in group]
                    self.connection.execute("COMMIT")
            except BaseException:
                with suppress(*DRIVER_ERRORS):
                    if self.in_transaction:
                        self.connection.execute("ROLLBACK")
                raise
            for queued, cursor in zip(group, cursors, strict=True):
                queued.cursor = cursor
        except BaseException as exc:  # the others of the group learn it from `failure`
            for queued in group:
                queued.failure = exc
            if not isinstance(exc, DRIVER_ERRORS):
                raise

    @property
    def in_transaction(self) -> bool:
        status = self.connection.info.transaction_status
        return status not in (pq.TransactionStatus.IDLE, pq.TransactionStatus.UNKNOWN)

    def read_failure(self, exc: BaseException) -> JournalDamaged | JournalUnreadable:
        """`journal.connection.read_failure` for this server."""
        return read_failure(self._overdue(exc), self.path)

    def _overdue(self, exc: BaseException) -> BaseException:
        """What to say of `exc`: once a round trip ran past the deadline, whatever fails on
        this connection (the statement cancelled, the connection cut, the next statement on
        it) fails because the server did not answer, with `exc` as its cause."""
        if not self.deadline.overdue:
            return exc
        seconds = self.deadline.seconds
        overdue = TimeoutError(
            f"the server did not answer within {seconds:g} second{'' if seconds == 1 else 's'}"
            ", journal.statement_timeout"
        )
        overdue.__cause__ = exc
        return overdue

    @contextmanager
    def patient(self, seconds: float) -> Iterator[None]:
        """A longer deadline, on both ends, for statements long by design (a migration)."""
        with self.lock, self.deadline.extended(seconds):
            self.execute("SELECT set_config('statement_timeout', ?, false)", (f"{seconds}s",))
            yield  # failed: the caller closes the connection (`open`)
            self.execute("RESET statement_timeout")  # to the session's, `connect`'s

    def execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor[Any]:
        with self.lock, self.deadline.watch():
            return self.connection.execute(placeholders(sql), params)

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self.lock, self.deadline.watch():
            return self.connection.execute(placeholders(sql), params).fetchall()

    def executemany(self, sql: str, params: Iterable[Sequence[Any]]) -> psycopg.Cursor[Any]:
        with self.lock, self.deadline.watch():
            cursor = self.connection.cursor()
            cursor.executemany(placeholders(sql), self.deadline.paced(params))
            return cursor

    def close(self) -> None:
        with self.lock:
            self.deadline.close()
            try:
                self.connection.close()
            finally:
                self._socket.close()


def connect(server: JournalServer) -> PgConnection:
    """Connect as the URL says, with keepalives on both ends unless the URL sets its own,
    and an application name that says which process of which host holds a session."""
    params: dict[str, Any] = conninfo_to_dict(server.url)
    params.setdefault("connect_timeout", "10")
    params.setdefault("keepalives", "1")
    for name, seconds in KEEPALIVE_SECONDS.items():
        params.setdefault(f"keepalives_{name}", str(seconds))
    params.setdefault("tcp_user_timeout", str(USER_TIMEOUT_MS))
    # the server's own bound a grace period after the client's: a statement or a
    # transaction whose client cannot reach it (to cancel, to go on) ends there too
    server_ms = round((server.statement_timeout + GRACE_SECONDS) * 1000)
    server_side = " ".join(
        [f"-c tcp_keepalives_{name}={seconds}" for name, seconds in KEEPALIVE_SECONDS.items()]
        + [f"-c tcp_user_timeout={USER_TIMEOUT_MS}"]
        + [f"-c {name}={server_ms}" for name in SERVER_TIMEOUTS]
    )
    params["options"] = f"{server_side} {params.get('options', '')}".strip()
    params.setdefault("application_name", f"importer {os.getpid()} on {socket.gethostname()}"[:63])
    if server.password is not None:
        params["password"] = server.password
    return PgConnection(psycopg.connect(autocommit=True, **params), server)
