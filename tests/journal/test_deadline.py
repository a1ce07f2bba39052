"""The deadline on a round trip to a journal server (`journal.deadline`), on real sockets: a
wait past it is cancelled, and cut when the cancel is not answered, so the blocked read
returns; a cancel answered in time cuts nothing; the clock runs per round trip, so a bulk
write longer than the deadline as a whole, or a caller slow to make its rows, is no
round trip past it."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from importer.journal.deadline import RoundTripDeadline


@pytest.fixture
def link() -> Iterator[tuple[socket.socket, socket.socket]]:
    """The connection's end (`ours`) and the server's (`theirs`)."""
    ours, theirs = socket.socketpair()
    ours.settimeout(30)  # a test that fails, fails; it never hangs
    try:
        yield ours, theirs
    finally:
        ours.close()
        theirs.close()


def test_a_round_trip_past_its_deadline_is_cancelled_then_cut_so_the_read_returns(
    link: tuple[socket.socket, socket.socket],
) -> None:
    ours, _frozen = link
    cancels: list[float] = []
    deadline = RoundTripDeadline(
        0.5, cancels.append, lambda: ours.shutdown(socket.SHUT_RDWR), grace=0.5
    )
    began = time.monotonic()
    with deadline.watch():
        answer = ours.recv(1)  # the server never answers, nor the cancel
    took = time.monotonic() - began
    deadline.close()
    assert answer == b""  # cut: the read returned, the connection is lost
    assert cancels == [0.5]  # asked to cancel first, given the grace to do it
    assert deadline.overdue
    assert 0.9 <= took < 5, took


def test_a_cancel_answered_in_time_cuts_nothing(
    link: tuple[socket.socket, socket.socket],
) -> None:
    ours, theirs = link
    cuts: list[bool] = []
    deadline = RoundTripDeadline(
        0.3, lambda _grace: theirs.sendall(b"C"), lambda: cuts.append(True), grace=2
    )
    with deadline.watch():
        answer = ours.recv(1)
    time.sleep(2.5)  # past the grace: the round trip has ended, nothing is cut
    deadline.close()
    assert answer == b"C"
    assert cuts == []
    assert deadline.overdue  # what fails on it from now fails for the server's silence
    theirs.sendall(b"still usable")
    assert ours.recv(64) == b"still usable"


def test_a_bulk_write_longer_than_the_deadline_is_on_the_clock_row_by_row(
    link: tuple[socket.socket, socket.socket],
) -> None:
    """Ten rows, each answered in 0.2 s and made by a caller taking 0.2 s: four seconds in
    all against a deadline of 0.5 s, and no round trip past it."""
    ours, theirs = link
    deadline = RoundTripDeadline(
        0.5, lambda _grace: None, lambda: ours.shutdown(socket.SHUT_RDWR), grace=0.2
    )

    def rows() -> Iterator[int]:
        for row in range(10):
            time.sleep(0.2)  # the caller's own work: the server owes nothing meanwhile
            yield row

    with deadline.watch():
        for row in deadline.paced(rows()):
            ours.sendall(bytes([row]))
            time.sleep(0.2)  # the server's answer
            assert theirs.recv(1) == bytes([row])
    deadline.close()
    assert not deadline.overdue


def test_a_statement_inside_a_transaction_leaves_the_transactions_clock_running(
    link: tuple[socket.socket, socket.socket],
) -> None:
    """A transaction's statements are sent together and answered later (at COMMIT): the
    clock a statement restarts keeps running once it returns, until the transaction ends."""
    ours, _frozen = link
    deadline = RoundTripDeadline(
        0.5, lambda _grace: None, lambda: ours.shutdown(socket.SHUT_RDWR), grace=0.2
    )
    with deadline.watch():
        with deadline.watch():
            pass  # a statement queued, not answered
        answer = ours.recv(1)  # COMMIT, never answered
    deadline.close()
    assert answer == b""
    assert deadline.overdue


def test_an_extended_deadline_lets_a_long_statement_finish_and_ends_with_its_block(
    link: tuple[socket.socket, socket.socket],
) -> None:
    ours, theirs = link
    deadline = RoundTripDeadline(
        0.5, lambda _grace: None, lambda: ours.shutdown(socket.SHUT_RDWR), grace=0.2
    )
    with deadline.extended(5), deadline.watch():
        time.sleep(1.5)  # a migration rebuilding a table
        theirs.sendall(b"done")
        assert ours.recv(4) == b"done"
    assert deadline.seconds == 0.5
    deadline.close()
    assert not deadline.overdue
