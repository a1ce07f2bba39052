"""A deadline on every round trip to a journal server (`journal.statement_timeout`): a server
that stops answering while its machine still acknowledges TCP (a backend process stopped, a
storage stall) stops the run in bounded time instead of holding it, and its locks, for ever.

Nothing else bounds that wait. TCP keepalives and `tcp_user_timeout` watch the peer's
kernel, which goes on acknowledging every probe and every byte sent to a frozen process; a
blocked read of psycopg has no timeout of its own. So a watchdog thread, one per connection,
watches the clock of the round trip in flight: when the server has not answered within the
deadline it asks the server to cancel the statement (the server's postmaster answers for a
backend that cannot), and when that does not end the wait within a grace period either (a
frozen process never sees the cancel), it shuts the connection's socket down, so the
blocked read returns at once and the driver reports the connection lost.

The clock runs only while the server owes an answer: a statement, a transaction from BEGIN
to COMMIT (whose statements are sent together and answered when one is read or at COMMIT),
each row of a bulk write (`paced`: while the caller prepares the next row, the server owes
nothing). So the deadline is per round trip, never per import: 200,000 rows written in one
transaction or a report read in blocks take as long as they need while the server keeps
answering.

Driver-free: the connection gives it how to cancel and how to cut (`journal.postgres`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import TypeVar

GRACE_SECONDS = 5.0
"""How long a cancel is given (to be sent, then to end the wait) before the socket is cut:
a server that is only slow answers a cancel within milliseconds; one that is frozen never
does. With the deadline's default of 30 s, a frozen server stops a run within about 41 s
(deadline + a tick + two graces), inside the 50 s a silent host's keepalives take."""

_T = TypeVar("_T")


class RoundTripDeadline:
    """The clock of the round trip in flight on one connection, and the watchdog that ends
    a round trip past `seconds`. `start`/`stop` nest (a statement inside a transaction
    restarts the clock and leaves it running for the transaction); they are called under
    the connection's lock, by one thread at a time, and cost a clock read each."""

    def __init__(
        self,
        seconds: float,
        cancel: Callable[[float], object],
        cut: Callable[[], object],
        *,
        grace: float = GRACE_SECONDS,
    ) -> None:
        self.seconds = seconds
        self.overdue = False
        """Whether a round trip on this connection ran past the deadline: what fails on it
        from then on fails because the server did not answer."""
        self._cancel = cancel
        self._cut = cut
        self._grace = min(grace, seconds)
        self._tick = min(1.0, seconds / 10)
        self._depth = 0
        self._since: float | None = None
        self._ended: float | None = None
        self._closed = threading.Event()
        self._watchdog = threading.Thread(
            target=self._watch, name="journal server deadline", daemon=True
        )
        self._watchdog.start()

    def start(self) -> None:
        """The server owes an answer from now (a statement sent; a transaction begun)."""
        self._depth += 1
        self._since = time.monotonic()

    def stop(self) -> None:
        """It answered: the clock stops once the outermost round trip has ended."""
        self._depth -= 1
        if self._depth == 0:
            self._since = None

    @contextmanager
    def watch(self) -> Iterator[None]:
        """`start` and `stop` around a block."""
        self.start()
        try:
            yield
        finally:
            self.stop()

    @contextmanager
    def extended(self, seconds: float) -> Iterator[None]:
        """A longer deadline for a block whose statements may run long by design (a
        migration rebuilding a large table): bounded still, for a frozen server."""
        usual, self.seconds = self.seconds, max(self.seconds, seconds)
        try:
            yield
        finally:
            self.seconds = usual

    def paced(self, items: Iterable[_T]) -> Iterator[_T]:
        """`items` for a bulk write, the clock stopped while the caller makes each one
        and restarted as it is handed to the server: each row is a round trip of its own."""
        iterator = iter(items)
        while True:
            since, self._since = self._since, None
            try:
                item = next(iterator)
            except StopIteration:
                self._since = time.monotonic() if since is not None else None
                return
            self._since = time.monotonic() if since is not None else None
            yield item

    def close(self) -> None:
        self._closed.set()

    def _watch(self) -> None:
        while not self._closed.wait(self._tick):
            since = self._since
            if since is None or since == self._ended:  # nothing owed, or ended already
                continue
            if time.monotonic() - since >= self.seconds:
                self._end(since)

    def _end(self, since: float) -> None:
        """Cancel the round trip begun at `since`; cut the connection if it still waits
        after the grace period. Once: a round trip cut stays cut."""
        self.overdue, self._ended = True, since
        with suppress(Exception):  # not answered either: the cut below ends it
            self._cancel(self._grace)
        ends = time.monotonic() + self._grace
        while self._since == since and time.monotonic() < ends:
            if self._closed.wait(self._tick):
                return
        if self._since == since:
            with suppress(OSError):  # already closed: nothing waits on it
                self._cut()
