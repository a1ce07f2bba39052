"""The server's errors never leave the journal raw either: every public method of `Journal`
works on a PostgreSQL journal, and once the server drops the journal's session (a restart, a
failover, the network) every one of them stops the run in one line naming the journal, with
no password in it — `JournalUnreadable` on a read, `JournalFailed` on a write, both exit 3
(resumable: the journal holds every row sent). A real server; the session really ended by
the server (`pg_terminate_backend`)."""

from __future__ import annotations

import pg_support
import psycopg
import pytest
from cli_support import closed_port
from test_journal_errors import CALLS, written_journal

from importer.errors import ConfigError, JournalFailed, JournalUnavailable, JournalUnreadable
from importer.journal import Journal
from importer.journal.server import JournalServer


@pytest.fixture
def server_journal(pg_server: pg_support.PgServer, pg_database: str) -> JournalServer:
    place = JournalServer(pg_server.url(pg_database), pg_support.PASSWORD)
    written_journal(place)
    return place


@pytest.mark.parametrize("method", sorted(CALLS))
def test_every_method_of_the_journal_works_on_a_server(
    server_journal: JournalServer, method: str
) -> None:
    with Journal(server_journal) as journal:
        CALLS[method](journal)


@pytest.mark.parametrize("method", sorted(CALLS))
def test_a_server_that_drops_the_session_stops_the_run_from_every_method(
    pg_server: pg_support.PgServer, pg_database: str, server_journal: JournalServer, method: str
) -> None:
    with Journal(server_journal) as journal:
        with pg_server.admin() as admin:
            ended = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (pg_database,),
            ).fetchall()
        assert (True,) in ended  # the journal's (a session just closed may linger)
        with pytest.raises((JournalUnreadable, JournalFailed, ConfigError)) as raised:
            CALLS[method](journal)
    message = str(raised.value)
    assert message.startswith(f"journal {server_journal.url}")
    assert "\n" not in message, message  # libpq's words span lines; the error is one
    assert pg_support.PASSWORD not in message
    assert isinstance(raised.value.__cause__, psycopg.Error)
    if method == "check_writable":  # before anything is sent: a journal that cannot be used
        assert isinstance(raised.value, ConfigError)
    else:
        assert raised.value.exit_code == 3


def test_a_server_that_cannot_be_reached_is_one_line_naming_the_journal() -> None:
    """libpq says "Connection refused" and, on a line of its own, a hint: the error the
    importer prints is one line all the same."""
    place = JournalServer(f"postgresql://importer@127.0.0.1:{closed_port()}/journal", "pw-0")
    with pytest.raises(JournalUnavailable) as refused:
        Journal(place)
    message = str(refused.value)
    assert message.startswith(f"journal {place.url}: cannot be opened (")
    assert "Connection refused" in message
    assert "\n" not in message, message


def test_a_url_naming_several_hosts_opens_the_first_that_takes_writes(
    pg_server: pg_support.PgServer, pg_database: str
) -> None:
    """The first host is down (a failover): libpq goes on to the next, and the journal,
    named by the URL as written, works there."""
    url = (
        f"postgresql://importer@127.0.0.1:{closed_port()},127.0.0.1:{pg_server.port}"
        f"/{pg_database}?target_session_attrs=read-write"
    )
    with Journal(JournalServer(url, pg_support.PASSWORD)) as journal:
        journal.check_writable()
        assert journal.imports.all() == []
        assert str(journal.path) == url
