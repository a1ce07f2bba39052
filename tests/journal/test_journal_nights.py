"""A night's drop summary kept in the journal (`journal.nights`), on SQLite and on a server:
the read, the change and the write are one step for every connection, so passes of several
hosts adding to one night at once lose none of each other's additions."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from importer.journal import Journal
from importer.journal.server import JournalServer


def test_a_night_is_kept_by_name_and_a_change_that_says_nothing_writes_nothing(
    journal_place: Path | JournalServer,
) -> None:
    with Journal(journal_place) as journal:
        assert journal.nights.get("2027-01-14") is None
        journal.nights.update("2027-01-14", lambda stored: None)
        assert journal.nights.get("2027-01-14") is None
        journal.nights.update("2027-01-14", lambda stored: '{"files": ["a.csv"]}')
        journal.nights.update("2027-01-15", lambda stored: '{"files": []}')
        seen: list[str | None] = []
        journal.nights.update("2027-01-14", seen.append)
        assert seen == ['{"files": ["a.csv"]}']
        assert journal.nights.get("2027-01-14") == '{"files": ["a.csv"]}'
        assert journal.nights.get("2027-01-15") == '{"files": []}'


def test_two_connections_adding_to_one_night_at_once_lose_nothing(
    journal_place: Path | JournalServer,
) -> None:
    """Two journals (two hosts' connections), each adding 25 files to one night from its own
    thread, interleaved: all 50 are in the night."""
    with Journal(journal_place):
        pass  # created once, before the two open it

    def add(host: str) -> None:
        with Journal(journal_place) as journal:
            for n in range(25):

                def change(stored: str | None, n: int = n) -> str:
                    files = [] if stored is None else json.loads(stored)["files"]
                    return json.dumps({"files": [*files, f"{host}-{n}"]})

                journal.nights.update("2027-01-14", change)

    hosts = [threading.Thread(target=add, args=(host,)) for host in ("a", "b")]
    for thread in hosts:
        thread.start()
    for thread in hosts:
        thread.join()
    with Journal(journal_place) as journal:
        stored = journal.nights.get("2027-01-14")
    assert stored is not None
    files = json.loads(stored)["files"]
    assert sorted(files) == sorted(f"{host}-{n}" for host in ("a", "b") for n in range(25))
