"""A row's writes on a server journal (its intent, its outcome, its claim) committed in
groups: the lanes' writes queued while the connection is busy go to the server together, in
one transaction. Each writer is told what became of its own write: committed, or — when any
write of its group is refused — not committed, with nothing of the group kept."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pg_support
import pytest
from test_journal import record

from importer.errors import JournalFailed
from importer.journal import Journal, NewRow
from importer.journal.postgres import PgConnection
from importer.journal.server import JournalServer
from importer.outcomes import Outcome

ROWS = range(2, 8)
FIRST = 8
SET_STATUS = "UPDATE rows SET outcome='credited', http_status=? WHERE import_id='imp-1' AND row=?"


@pytest.fixture
def server_journal(pg_server: pg_support.PgServer, pg_database: str) -> JournalServer:
    return JournalServer(pg_server.url(pg_database), pg_support.PASSWORD)


def write_as_one_group(connection: PgConnection, statuses: dict[int, object]) -> dict[int, str]:
    """Each row's write from a thread of its own, all queued while the connection is busy (the
    test holds it, as a round trip out would, with a first write leading and waiting for it),
    then let go at once: the first write goes alone, the others as one group. What each
    was told."""
    told: dict[int, str] = {}

    def write(row: int, status: object) -> None:
        try:
            connection.write([(SET_STATUS, (status, row))])
            told[row] = "committed"
        except JournalFailed:
            told[row] = "failed"

    first = threading.Thread(target=write, args=(FIRST, 201))
    threads = [threading.Thread(target=write, args=item) for item in statuses.items()]
    with connection.lock:
        first.start()
        wait_for(lambda: connection.groups.leading)
        for thread in threads:
            thread.start()
        wait_for(lambda: len(connection.groups.queued) == len(threads))
    for thread in [first, *threads]:
        thread.join(timeout=30)
    assert told.pop(FIRST) == "committed"
    return told


def wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, "the writes did not queue within 30 s"
        time.sleep(0.01)


def test_writes_committed_as_one_group_are_each_told_and_a_refused_one_keeps_none_of_it(
    server_journal: JournalServer,
) -> None:
    with Journal(server_journal) as journal:
        journal.imports.create(
            record("imp-1"), [NewRow(row, [f"F{row}"], None) for row in [*ROWS, FIRST]]
        )
    connection = PgConnection.open(server_journal)
    try:
        told = write_as_one_group(connection, dict.fromkeys(ROWS, 201))
        assert told == dict.fromkeys(ROWS, "committed")
        # one write the server refuses (not a number for an integer column) in the group
        told = write_as_one_group(connection, {**dict.fromkeys(ROWS, 422), 5: "not a status"})
        assert told == dict.fromkeys(ROWS, "failed")
    finally:
        connection.close()
    with Journal(server_journal) as journal:
        kept = {row: journal.rows.get("imp-1", row) for row in ROWS}
    assert {row: (r.outcome, r.http_status) for row, r in kept.items() if r} == dict.fromkeys(
        ROWS, (Outcome.CREDITED, 201)
    )
