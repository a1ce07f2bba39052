"""Per-case lanes: many rows in flight at once, each case's rows still in file order.

An import in strict file order takes rows x the API's response time (50,000 rows at 100 ms is
83 minutes). What the API needs in order is each *case's* creditings — each one settles against
the case's remaining capital — not the whole file's. So rows are posted by up to `lanes`
workers, under one rule: a row leaves only when every earlier row that shares one of its keys
(see `case_key`) has finished. That is a lane per key, served by a pool: a case with many rows
does not hold a worker idle while other cases wait, and a file that is all one case runs as
one lane does.

Keys are given by the caller. The pipeline gives a row its case key and, when credit-note dedupe
is on, its credit note: a row whose credit note an earlier row of the file also carries waits
for that row, so the dedupe check it makes when its turn comes sees the journal exactly as a
one-lane run would — the outcome does not depend on which lane was faster.

What a lane does with a row (intent committed, request sent, outcome committed, an unknown
answer reconciled before the lane moves on) is the caller's `post`: this module orders rows
and knows nothing of HTTP or the journal. `post` may also answer "not yet": a time before
which the row must not be taken up again — a request that may still be on its way to being
stored must not be looked up too early. The row then keeps its keys (the later rows of its
case wait), its worker goes on with other rows, and `post` is called for the row again once
that time has come. So even one lane does not stand still while a case settles.

Rows are pulled from the caller's iterator in file order into a bounded window (16 rows per
lane), so memory does not grow with the file.

With `lanes=1` the calling thread is the only worker and rows go in file order, as before
lanes existed — except that a held row lets the rows of other cases go first. With more, the
calling thread is one of the workers.

A failure of `post` (the API unreachable, the key refused) stops the others from starting new
rows; rows in flight finish (their outcome is committed), and the first failure is raised. A
set `stop` event does the same without an error: the result says rows were left.
"""

from __future__ import annotations

import heapq
import threading
from collections import deque
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Row = TypeVar("Row")

Post = Callable[[Row], float | None]
"""Post one row: None when it is settled, or a time (on the run's clock) before which it must
not be taken up again — it holds its keys meanwhile and is posted again at that time."""

HOLD_POLL = 0.5
"""Longest wait for a held row's time or a stop request without news from another lane: a
stop is seen within this while every lane is idle."""

WINDOW_PER_LANE = 16
"""Rows read ahead per lane: enough that lanes rarely wait for a free case (a 3,000-row file
over 500 cases keeps 32 lanes busy), small enough that memory stays flat in the lane count."""


@dataclass(slots=True)
class _Item(Generic[Row]):
    seq: int
    row: Row
    keys: Sequence[Hashable]
    started: bool = False

    def __lt__(self, other: _Item[Row]) -> bool:
        return self.seq < other.seq


@dataclass(frozen=True, slots=True)
class LaneRun:
    """What a run of the lanes did: how many rows were posted and whether any were left
    (stopped on request before every row was taken)."""

    lanes: int
    posted: int
    seconds: float
    left: bool


@dataclass(slots=True)
class _Scheduler(Generic[Row]):
    source: Iterator[Row]
    keys: Callable[[Row], Sequence[Hashable]]
    stop: threading.Event
    window: int
    clock: Callable[[], float]
    cond: threading.Condition = field(default_factory=threading.Condition)
    queues: dict[Hashable, deque[_Item[Row]]] = field(default_factory=dict)
    ready: list[_Item[Row]] = field(default_factory=list)
    held: list[tuple[float, int, _Item[Row]]] = field(default_factory=list)
    """Rows that answered "not yet", by the time they may go again; they keep their keys."""
    buffered: int = 0
    in_flight: int = 0
    posted: int = 0
    seq: int = 0
    exhausted: bool = False
    failure: BaseException | None = None

    # All methods below run with `cond` held.

    def _at_head(self, item: _Item[Row]) -> bool:
        return all(self.queues[key][0] is item for key in item.keys)

    def _admit(self, row: Row) -> None:
        item = _Item(self.seq, row, tuple(dict.fromkeys(self.keys(row))))
        self.seq += 1
        self.buffered += 1
        for key in item.keys:
            self.queues.setdefault(key, deque()).append(item)
        if self._at_head(item):
            heapq.heappush(self.ready, item)

    def _top_up(self) -> None:
        """Read rows in file order until the window is full or the source is done."""
        while not self.exhausted and self.buffered < self.window:
            try:
                row = next(self.source)
            except StopIteration:
                self.exhausted = True
                return
            self._admit(row)

    def take(self) -> _Item[Row] | None:
        """The earliest row free to go, waiting for one; None when there is nothing more
        to do (all done, a failure, or a stop)."""
        while True:
            if self.failure is not None or self.stop.is_set():
                return None
            try:
                self._top_up()
            except BaseException as exc:  # the source failed (the journal): stop everyone
                self.failure = exc
                self.cond.notify_all()
                return None
            now = self.clock()
            while self.held and self.held[0][0] <= now:
                heapq.heappush(self.ready, heapq.heappop(self.held)[2])
            if self.ready:
                item = heapq.heappop(self.ready)
                if not item.started:  # a held row was counted when it first started
                    item.started = True
                    self.buffered -= 1
                self.in_flight += 1
                return item
            if self.exhausted and self.buffered == 0 and not self.held:
                return None
            wait = HOLD_POLL if not self.held else min(HOLD_POLL, self.held[0][0] - now)
            self.cond.wait(wait)

    def finish(self, item: _Item[Row]) -> None:
        """The row is settled: the next row of each of its keys may go."""
        self.in_flight -= 1
        self.posted += 1
        for key in item.keys:
            queue = self.queues[key]
            queue.popleft()
            if not queue:
                del self.queues[key]
            elif not queue[0].started and self._at_head(queue[0]):
                heapq.heappush(self.ready, queue[0])
        self.cond.notify_all()

    def hold(self, item: _Item[Row], until: float) -> None:
        """The row is not settled yet: it keeps its keys and goes again at `until`."""
        self.in_flight -= 1
        heapq.heappush(self.held, (until, item.seq, item))
        self.cond.notify_all()

    def fail(self, exc: BaseException) -> None:
        self.in_flight -= 1
        if self.failure is None:
            self.failure = exc
        self.cond.notify_all()

    def left(self) -> bool:
        """Rows not taken (only after a stop): read one more from the source to know."""
        if self.buffered or self.held:
            return True
        self._top_up()
        return self.buffered > 0


def post_in_lanes(
    rows: Iterator[Row],
    post: Post[Row],
    *,
    lanes: int,
    keys: Callable[[Row], Sequence[Hashable]],
    stop: threading.Event,
    clock: Callable[[], float],
) -> LaneRun:
    """Post `rows` (in file order) with up to `lanes` in flight, a row never before the
    earlier rows that share a key with it. Raises the first failure of `post`. `clock` is the
    clock of the times `post` may answer (and of the run's duration)."""
    if lanes < 1:
        raise ValueError("lanes must be 1 or more")
    scheduler: _Scheduler[Row] = _Scheduler(
        rows, keys, stop, max(64, WINDOW_PER_LANE * lanes), clock
    )
    started = clock()

    def work() -> None:
        while True:
            with scheduler.cond:
                item = scheduler.take()
            if item is None:
                with scheduler.cond:
                    scheduler.cond.notify_all()  # a stop seen here must wake the others
                return
            try:
                until = post(item.row)
            except BaseException as exc:
                with scheduler.cond:
                    scheduler.fail(exc)
                return
            with scheduler.cond:
                if until is None:
                    scheduler.finish(item)
                else:
                    scheduler.hold(item, until)

    workers = [
        threading.Thread(target=work, name=f"lane-{n}", daemon=True) for n in range(1, lanes)
    ]
    for worker in workers:
        worker.start()
    try:
        work()
    finally:
        for worker in workers:
            worker.join()
    if scheduler.failure is not None:
        raise scheduler.failure
    with scheduler.cond:
        left = stop.is_set() and scheduler.left()
        return LaneRun(lanes, scheduler.posted, clock() - started, left)
