"""Every round trip to a journal server has a deadline (`journal.statement_timeout`): a
server that freezes (its backend stopped while its machine still acknowledges TCP) stops a
read or a write in one line naming the journal and the seconds it was given (exit 3), and
the import's lock its session held is free once the server runs again; a write waiting on
another host's writer past it stops alike and keeps its session; the server ends the
transaction of a client that went silent inside it, freeing the writer lock; and a bulk
write or a report read longer than the deadline as a whole is no round trip past it.

A real server (tests/pg_support.py), its backends really stopped with SIGSTOP."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pg_support
import psycopg
import pytest
from test_journal import record, request, three_rows

from importer.errors import ImportLocked, JournalFailed, JournalUnreadable
from importer.journal import Journal, NewRow
from importer.journal.postgres import WRITER_LOCK, PgConnection
from importer.journal.server import JournalServer

DEADLINE = 1.0
BOUND = 15.0
"""Seconds within which a frozen server's round trip must have ended: the deadline, a tick,
two grace periods (each at most the deadline here) and a loaded machine's slack."""


def place(
    pg_server: pg_support.PgServer, database: str, deadline: float = DEADLINE
) -> JournalServer:
    return JournalServer(pg_server.url(database), pg_support.PASSWORD, deadline)


@pytest.fixture
def journal(pg_server: pg_support.PgServer, pg_database: str) -> Iterator[Journal]:
    with Journal(place(pg_server, pg_database)) as opened:
        opened.imports.create(record("imp-1"), three_rows())
        yield opened


def test_a_frozen_server_stops_a_read_within_the_deadline_in_one_line(
    pg_server: pg_support.PgServer, pg_database: str, journal: Journal
) -> None:
    with pg_server.frozen(pg_database):
        began = time.monotonic()
        with pytest.raises(JournalUnreadable) as stopped:
            journal.rows.all("imp-1")
        took = time.monotonic() - began
    assert took < BOUND, took
    assert str(stopped.value) == (
        f"journal {pg_server.url(pg_database)}: cannot be read (the server did not answer "
        "within 1 second, journal.statement_timeout); nothing more was sent. Once that is "
        "fixed, run the same command again: the journal says where it stopped"
    )
    assert stopped.value.exit_code == 3
    assert isinstance(stopped.value.__cause__, psycopg.OperationalError)  # cut: never answered


def test_a_frozen_server_stops_a_write_and_frees_the_import_lock_once_it_runs_again(
    pg_server: pg_support.PgServer, pg_database: str, journal: Journal
) -> None:
    journal.locks.acquire("imp-1")
    with pg_server.frozen(pg_database):
        began = time.monotonic()
        with pytest.raises(JournalFailed) as stopped:
            journal.rows.mark_intent("imp-1", 2)
        took = time.monotonic() - began
    assert took < BOUND, took
    message = str(stopped.value)
    assert message.startswith(
        f"journal {pg_server.url(pg_database)}: cannot be written (the server did not answer "
        "within 1 second, journal.statement_timeout); every row sent is in it"
    )
    assert "\n" not in message
    assert pg_support.PASSWORD not in message
    assert stopped.value.exit_code == 3
    with Journal(place(pg_server, pg_database, deadline=10)) as other:
        taken_by = time.monotonic() + BOUND
        while True:  # the frozen session, running again, reads the connection's end
            try:
                other.locks.acquire("imp-1")
                break
            except ImportLocked:
                assert time.monotonic() < taken_by, "the import's lock was never freed"
                time.sleep(0.1)
        # sent but never answered, like a COMMIT whose answer the network lost: the server,
        # running again, may still commit it; a row's intent that stands is looked up at
        # the API before anything is sent again, and nothing was sent for it
        assert other.rows.get("imp-1", 2).outcome.value in ("not_sent", "unknown")


def test_a_write_waiting_on_another_writer_past_the_deadline_stops_and_keeps_its_session(
    pg_server: pg_support.PgServer, pg_database: str, journal: Journal
) -> None:
    """Another host's writer that holds the journal's writer lock and goes quiet (alive,
    answering its own server): the write waiting on it stops as a frozen server's does; the
    server answered the cancel, so the session lives on and reads once the writer is done."""
    with pg_server.connect(pg_database) as other_host:
        other_host.execute("BEGIN")
        other_host.execute("SELECT pg_advisory_xact_lock(%s)", (WRITER_LOCK,))
        with pytest.raises(JournalFailed) as stopped:  # a claim reads under the writer lock
            journal.claims.take(
                "http://localhost:8080", "5f1a2b3c4d5e6f7a8b9c0d1e", "K1", "imp-1", 2
            )
        other_host.execute("ROLLBACK")
    assert "(the server did not answer within 1 second, journal.statement_timeout)" in str(
        stopped.value
    )
    assert isinstance(stopped.value.__cause__, TimeoutError)
    assert isinstance(stopped.value.__cause__.__cause__, psycopg.errors.QueryCanceled)
    assert journal.rows.get("imp-1", 2).outcome.value == "not_sent"


def test_a_new_imports_rows_go_in_while_another_host_holds_the_writer_lock(
    pg_server: pg_support.PgServer, pg_database: str, journal: Journal
) -> None:
    """Creating an import reads nothing to decide what it writes: a large file's rows, one
    transaction that may outlast the deadline, take no writer lock, so they neither wait for
    another host's writer nor hold back its claims until their deadline stops them."""
    rows = [NewRow(n, [f"F{n}"], request(f"F{n}", "1.00")) for n in range(2, 502)]
    with pg_server.connect(pg_database) as other_host:
        other_host.execute("BEGIN")
        other_host.execute("SELECT pg_advisory_xact_lock(%s)", (WRITER_LOCK,))
        journal.imports.create(record("imp-2"), rows)  # within the 1 s deadline, not stopped
        other_host.execute("ROLLBACK")
    assert len(journal.rows.all("imp-2")) == 500


def test_the_server_ends_the_transaction_of_a_client_gone_silent_in_it(
    pg_server: pg_support.PgServer, pg_database: str, journal: Journal
) -> None:
    """A client that stops inside a transaction (its host frozen) would hold the writer lock
    until keepalives end its session, if ever: the server ends its transaction a grace
    period after the client's own deadline, and every other host writes on."""
    silent = PgConnection.open(place(pg_server, pg_database))
    try:
        silent.connection.execute("BEGIN")
        silent.connection.execute("SELECT pg_advisory_xact_lock(%s)", (WRITER_LOCK,))
        began = time.monotonic()
        with Journal(place(pg_server, pg_database, deadline=20)) as waiting:
            waiting.rows.mark_intent("imp-1", 2)
            assert waiting.rows.get("imp-1", 2).outcome.value == "unknown"
        took = time.monotonic() - began
    finally:
        silent.close()
    assert took < BOUND, took


@pytest.mark.slow
def test_a_bulk_write_and_a_report_read_longer_than_the_deadline_finish(
    pg_server: pg_support.PgServer, pg_database: str
) -> None:
    """The deadline is per round trip, never per import: 40,000 rows written in one
    transaction and read back in blocks take longer than it, and nothing stops them."""
    rows = [
        NewRow(n, [f"F-{n}", "10.00", ""], request(f"F-{n}", "10.00")) for n in range(2, 40_002)
    ]
    with Journal(place(pg_server, pg_database)) as journal:
        began = time.monotonic()
        journal.imports.create(record("imp-big", rows=len(rows)), rows)
        read = sum(len(chunk) for chunk in journal.rows.chunks("imp-big", 1000))
        took = time.monotonic() - began
    assert read == len(rows)
    assert took > DEADLINE, f"{took:.2f} s proves nothing about a {DEADLINE} s deadline"


def test_a_migration_has_an_hour_on_both_ends_and_the_session_its_deadline_after(
    pg_server: pg_support.PgServer, pg_database: str
) -> None:
    """A migration may rebuild a large table by design (`PgConnection.patient`): its
    statements run past the usual deadline; after it, the session's deadline is back."""
    connection = PgConnection.open(place(pg_server, pg_database))
    try:
        with connection.patient(3600):
            assert connection.fetchall("SHOW statement_timeout") == [("1h",)]
            connection.execute("SELECT pg_sleep(2)")  # twice the deadline
        assert not connection.deadline.overdue
        assert connection.fetchall("SHOW statement_timeout") == [("6s",)]  # 1 s + the grace
        with pytest.raises(psycopg.errors.QueryCanceled):
            connection.execute("SELECT pg_sleep(3)")
        assert connection.deadline.overdue
    finally:
        connection.close()
