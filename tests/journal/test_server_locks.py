"""On a PostgreSQL journal an import's lock is the server's session lock: a live holder is
named, a holder killed (on any host) frees it as its session ends, a row another host left
behind decides nothing, and the session's keepalives bound how long a silent host holds it.

A real server (tests/pg_support.py); holders are real processes, killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pg_support
import pytest
from journal_place_support import HOLD_LOCK
from test_journal import record, three_rows

from importer.errors import ImportLocked
from importer.journal import Journal
from importer.journal import postgres as pg_journal
from importer.journal.server import JournalServer


@pytest.fixture
def server_journal(pg_server: pg_support.PgServer, pg_database: str) -> JournalServer:
    return JournalServer(pg_server.url(pg_database), pg_support.PASSWORD)


def holder_process(place: JournalServer) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, place.url, "imp-1"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_killed_holders_lock_dies_with_its_session(server_journal: JournalServer) -> None:
    journal = Journal(server_journal)
    journal.imports.create(record("imp-1"), three_rows())
    holder = holder_process(server_journal)
    try:
        assert holder.stdout is not None
        line = holder.stdout.readline()
        assert line.startswith("HOLDING"), line
        with pytest.raises(ImportLocked) as caught:
            journal.locks.acquire("imp-1")
        assert f"process {holder.pid} on {socket.gethostname()}" in str(caught.value)
        journal.locks.release("imp-1")  # not the holder: releases nothing
        with pytest.raises(ImportLocked):
            journal.locks.acquire("imp-1")
        os.kill(holder.pid, signal.SIGKILL)  # no release: the session's end frees it
        holder.wait(timeout=10)
    finally:
        holder.kill()
        holder.communicate(timeout=10)
    deadline = time.monotonic() + 10  # the server notices the closed socket at once
    while True:
        try:
            journal.locks.acquire("imp-1")
            break
        except ImportLocked:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    journal.locks.acquire("imp-1")  # re-entrant for the holder
    rival = holder_process(server_journal)
    out, err = rival.communicate("", timeout=30)
    assert rival.returncode == 3, out + err
    assert f"process {os.getpid()}" in out
    journal.locks.release("imp-1")  # once releases it, however often it was taken
    follower = holder_process(server_journal)
    out, err = follower.communicate("", timeout=30)
    assert follower.returncode == 0, out + err
    assert "RELEASED" in out
    journal.close()


def test_a_lock_row_another_host_left_is_no_lock_on_a_server(
    pg_server: pg_support.PgServer, pg_database: str, server_journal: JournalServer
) -> None:
    # a host that lost power: its session is gone, so is its lock; the row only names
    with Journal(server_journal) as journal:
        journal.imports.create(record("imp-1"), three_rows())
        with pg_server.connect(pg_database) as db:
            db.execute("INSERT INTO locks VALUES ('import:imp-1', 4242, 'other-host.example', 'x')")
        journal.locks.acquire("imp-1")
        with pg_server.connect(pg_database) as db:
            found = db.execute("SELECT pid, host FROM locks WHERE key='import:imp-1'").fetchone()
        assert found == (os.getpid(), socket.gethostname())


def test_the_session_is_kept_alive_so_a_silent_host_frees_its_locks_within_a_minute(
    server_journal: JournalServer,
) -> None:
    connection = pg_journal.connect(server_journal)
    try:
        shown = {
            name: connection.fetchall(f"SHOW {name}")[0][0]
            for name in (
                "tcp_keepalives_idle",
                "tcp_keepalives_interval",
                "tcp_keepalives_count",
                "tcp_user_timeout",
            )
        }
        name = connection.fetchall("SHOW application_name")[0][0]
    finally:
        connection.close()
    assert shown == {
        "tcp_keepalives_idle": "20",
        "tcp_keepalives_interval": "10",
        "tcp_keepalives_count": "3",
        "tcp_user_timeout": "60000",
    }
    assert name == f"importer {os.getpid()} on {socket.gethostname()}"[:63]
