"""The lane scheduler (importer/pipeline/lanes.py) and the shared throttle
(importer/api/throttle.py), with real threads: a row never leaves before an earlier row that
shares a key with it, every row is posted exactly once, at most N are in flight, one lane is
strict file order on the calling thread, a failure or a stop ends the run without starting new
rows, a held row keeps its case waiting while others go ahead, and reading ahead is bounded.
The throttle holds every caller back during a pause and spaces requests at max_rate. The HTTP
side of lanes is in tests/pipeline/test_lanes_exactly_once.py."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from random import Random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from importer.api.throttle import Throttle
from importer.pipeline.lanes import WINDOW_PER_LANE, LaneRun, post_in_lanes

Row = tuple[int, tuple[str, ...]]  # (row number, keys)


class Recorder:
    """A `post` that records start and end order, concurrency and threads, sleeping a
    seeded little while so lanes really overlap."""

    def __init__(self, seed: int = 0, pause: float = 0.002) -> None:
        self.lock = threading.Lock()
        self.started: list[int] = []
        self.ended: list[int] = []
        self.active = 0
        self.peak = 0
        self.threads: set[int] = set()
        self.rng = Random(seed)
        self.pause = pause

    def __call__(self, row: Row) -> None:
        with self.lock:
            self.started.append(row[0])
            self.active += 1
            self.peak = max(self.peak, self.active)
            self.threads.add(threading.get_ident())
            delay = self.rng.uniform(0, self.pause)
        time.sleep(delay)
        with self.lock:
            self.active -= 1
            self.ended.append(row[0])


def run(
    rows: Sequence[Row],
    lanes: int,
    post: Callable[[Row], None],
    stop: threading.Event | None = None,
) -> LaneRun:
    return post_in_lanes(
        iter(rows),
        post,
        lanes=lanes,
        keys=lambda row: row[1],
        stop=stop or threading.Event(),
        clock=time.monotonic,
    )


class Timeline(Recorder):
    """Records one ordered log of ("start"|"end", row) events."""

    def __init__(self, seed: int = 0, pause: float = 0.002) -> None:
        super().__init__(seed, pause)
        self.log: list[tuple[str, int]] = []

    def __call__(self, row: Row) -> None:
        with self.lock:
            self.log.append(("start", row[0]))
        super().__call__(row)
        with self.lock:
            self.log.append(("end", row[0]))


def assert_waits_for_earlier_rows(rows: Sequence[Row], timeline: Timeline) -> None:
    keys_of = dict(rows)
    ended: set[int] = set()
    posted: list[int] = []
    for event, number in timeline.log:
        if event == "end":
            ended.add(number)
            continue
        posted.append(number)
        for earlier, keys in rows:
            if earlier >= number:
                break
            if set(keys) & set(keys_of[number]):
                assert earlier in ended, f"row {number} left before row {earlier} ended"
    assert sorted(posted) == [r for r, _ in rows], "a row was lost or posted twice"


def test_one_lane_is_strict_file_order_on_the_calling_thread() -> None:
    rows = [(n, (f"case{n % 3}",)) for n in range(50)]
    recorder = Recorder()
    result = run(rows, 1, recorder)
    assert recorder.started == list(range(50))
    assert recorder.threads == {threading.get_ident()}
    assert recorder.peak == 1
    assert (result.lanes, result.posted, result.left) == (1, 50, False)


def test_lanes_keep_each_case_in_order_and_overlap_cases() -> None:
    rng = Random(5)
    rows = [(n, (f"case{rng.randrange(12)}",)) for n in range(300)]
    timeline = Timeline(seed=5)
    result = run(rows, 8, timeline)
    assert_waits_for_earlier_rows(rows, timeline)
    assert 2 < timeline.peak <= 8
    assert timeline.started != sorted(timeline.started), "no row overtook another"
    assert result.posted == 300


def test_a_second_key_chains_rows_of_different_cases() -> None:
    """Rows of different cases with one credit note wait for each other (dedupe decided in
    file order, whatever lane is faster)."""
    rows = [
        (0, ("case-a", "note-1")),
        (1, ("case-b",)),
        (2, ("case-c", "note-1")),
        (3, ("case-d",)),
        (4, ("case-e", "note-1")),
    ]
    for seed in range(20):
        timeline = Timeline(seed=seed, pause=0.003)
        run(rows, 4, timeline)
        assert_waits_for_earlier_rows(rows, timeline)


def test_all_one_case_runs_one_at_a_time_in_file_order() -> None:
    rows = [(n, ("only-case",)) for n in range(60)]
    recorder = Recorder()
    run(rows, 8, recorder)
    assert recorder.started == list(range(60))
    assert recorder.peak == 1


@settings(max_examples=25, deadline=None)
@given(
    keys=st.lists(
        st.lists(st.sampled_from("abcdefg"), min_size=1, max_size=2), min_size=1, max_size=60
    ),
    lanes=st.integers(min_value=1, max_value=6),
    seed=st.integers(min_value=0, max_value=1000),
)
def test_any_keys_any_lanes_every_row_once_in_key_order(
    keys: list[list[str]], lanes: int, seed: int
) -> None:
    rows = [(n, tuple(k)) for n, k in enumerate(keys)]
    timeline = Timeline(seed=seed, pause=0.0005)
    result = run(rows, lanes, timeline)
    assert_waits_for_earlier_rows(rows, timeline)
    assert timeline.peak <= lanes
    assert result.posted == len(rows)


def test_failure_stops_new_rows_lets_those_in_flight_finish_and_is_raised() -> None:
    rows = [(n, (f"case{n}",)) for n in range(200)]
    timeline = Timeline(pause=0.005)

    def post(row: Row) -> None:
        timeline(row)
        if row[0] == 20:
            raise RuntimeError("API gone")

    with pytest.raises(RuntimeError, match="API gone"):
        run(rows, 4, post)
    starts = [n for e, n in timeline.log if e == "start"]
    ends = [n for e, n in timeline.log if e == "end"]
    assert sorted(starts) == sorted(ends), "a row was left half done"
    # After the failure, at most the rows already in flight (3 other lanes) were started.
    assert max(starts) < 20 + 4 + 1
    assert len(starts) < 200


def test_stop_leaves_the_rest_and_says_so() -> None:
    stop = threading.Event()
    rows = [(n, (f"case{n}",)) for n in range(100)]
    recorder = Recorder(pause=0.003)

    def post(row: Row) -> None:
        recorder(row)
        if row[0] == 10:
            stop.set()

    result = run(rows, 4, post, stop)
    assert result.left
    assert result.posted == len(recorder.ended) < 100
    assert sorted(recorder.started) == sorted(recorder.ended)


def test_stop_after_the_last_row_leaves_nothing() -> None:
    stop = threading.Event()
    rows = [(n, (f"case{n}",)) for n in range(5)]

    def post(row: Row) -> None:
        if row[0] == 4:
            stop.set()

    assert not run(rows, 1, post, stop).left


def test_reads_ahead_a_bounded_window_only() -> None:
    """Memory stays flat in the file's length: the source is read at most one window
    ahead of what was posted."""
    lanes = 4
    window = max(64, WINDOW_PER_LANE * lanes)
    pulled = 0
    ahead: list[int] = []
    posted = 0
    lock = threading.Lock()

    def source() -> Iterator[Row]:
        nonlocal pulled
        for n in range(2000):
            with lock:
                pulled += 1
                ahead.append(pulled - posted)
            yield (n, (f"case{n % 50}",))

    def post(row: Row) -> None:
        nonlocal posted
        with lock:
            posted += 1

    post_in_lanes(
        source(),
        post,
        lanes=lanes,
        keys=lambda row: row[1],
        stop=threading.Event(),
        clock=time.monotonic,
    )
    assert posted == 2000
    assert max(ahead) <= window + lanes


# ------------------------------------------------------------------------------- throttle


class FakeClock:
    """A clock that `sleep` advances: the throttle's waits, measured without waiting."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_throttle_pause_holds_requests_until_it_ends() -> None:
    clock = FakeClock()
    throttle = Throttle(clock=clock, sleep=clock.sleep)
    throttle.acquire()
    assert clock.slept == []
    throttle.pause(1.5)
    throttle.pause(0.5)  # a shorter pause never shortens the longer one
    throttle.acquire()
    assert clock.now == pytest.approx(101.5)
    assert throttle.pauses == 2


def test_throttle_max_rate_spaces_requests() -> None:
    clock = FakeClock()
    throttle = Throttle(max_rate=10, clock=clock, sleep=clock.sleep)
    for _ in range(11):
        throttle.acquire()
    assert clock.now == pytest.approx(101.0)  # 11 requests at 10/s: the 11th at +1 s


def test_throttle_pause_from_one_thread_holds_another() -> None:
    throttle = Throttle()
    started = time.monotonic()  # before the pause begins, so the wait counts all of it
    throttle.pause(0.3)
    waited: list[float] = []

    def wait() -> None:
        throttle.acquire()
        waited.append(time.monotonic() - started)

    worker = threading.Thread(target=wait)
    worker.start()
    worker.join()
    assert waited[0] >= 0.3


# ---------------------------------------------------------------------------- held rows


def test_a_held_row_keeps_its_case_waiting_while_other_cases_go_ahead_even_in_one_lane() -> None:
    """`post` answering "not yet" (a time): the row is posted again at that time; the later
    rows of its case wait for it, the rows of other cases do not."""
    rows = [(0, ("a",)), (1, ("a",)), (2, ("b",)), (3, ("c",)), (4, ("a",)), (5, ("b",))]
    log: list[tuple[int, float]] = []
    started = time.monotonic()
    asked: set[int] = set()

    def post(row: Row) -> float | None:
        now = time.monotonic()
        log.append((row[0], now - started))
        if row[0] == 0 and 0 not in asked:
            asked.add(0)
            return now + 0.3  # may still be in flight: not before 0.3 s from now
        return None

    result = post_in_lanes(
        iter(rows),
        post,
        lanes=1,
        keys=lambda row: row[1],
        stop=threading.Event(),
        clock=time.monotonic,
    )
    order = [number for number, _ in log]
    assert order == [0, 2, 3, 5, 0, 1, 4]  # b and c went ahead; a waited for row 0
    assert log[4][1] - log[0][1] >= 0.29  # row 0 again, not before its time
    assert result.posted == 6
    assert not result.left


def test_a_held_row_with_8_lanes_never_lets_its_case_overtake() -> None:
    rng = Random(9)
    rows = [(n, (f"case{rng.randrange(6)}",)) for n in range(120)]
    timeline = Timeline(seed=9)
    held_once: set[int] = set()

    def post(row: Row) -> float | None:
        if row[0] % 17 == 0 and row[0] not in held_once:
            held_once.add(row[0])
            return time.monotonic() + 0.02
        timeline(row)
        return None

    result = post_in_lanes(
        iter(rows),
        post,
        lanes=8,
        keys=lambda row: row[1],
        stop=threading.Event(),
        clock=time.monotonic,
    )
    assert_waits_for_earlier_rows(rows, timeline)
    assert result.posted == 120


def test_stop_while_a_row_is_held_leaves_it_and_returns_promptly() -> None:
    stop = threading.Event()
    rows = [(0, ("a",)), (1, ("a",))]

    def post(row: Row) -> float | None:
        threading.Timer(0.1, stop.set).start()
        return time.monotonic() + 30  # held for long: a stop must not wait for it

    started = time.monotonic()
    result = post_in_lanes(
        iter(rows), post, lanes=1, keys=lambda row: row[1], stop=stop, clock=time.monotonic
    )
    assert result.left
    assert result.posted == 0
    assert time.monotonic() - started < 2
