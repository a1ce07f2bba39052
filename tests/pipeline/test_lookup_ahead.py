"""The look-up right before sending (`pipeline.lookup_ahead`), with a fake API answer and a
fake clock: a look-up slower than `FRESH` must still let the row go, and a look-up that
failed must not let the rows waiting for it be sent unasked."""

from __future__ import annotations

import random
import threading
import time
from types import SimpleNamespace

from importer.journal import JournalRow
from importer.outcomes import Outcome
from importer.pipeline.lookup_ahead import FRESH, LookupAhead
from importer.pipeline.other_importers import CHECK_FIRST


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def rows(n: int) -> list[JournalRow]:
    return [
        JournalRow(
            row=r,
            outcome=Outcome.NOT_SENT,
            source=[],
            request={"creditor": "c", "amount": r, "creditor_reference": f"imp1-{r:032x}"},
            errors=[],
        )
        for r in range(2, n + 2)
    ]


def fake_dedupe(ask_api) -> SimpleNamespace:
    """`ask_api(import_id, block)` answers the rows; no sent row is found credited twice."""
    return SimpleNamespace(
        lookup=object(),
        api_lookup=SimpleNamespace(asks=lambda request, **_: True),
        found_unknown_at=None,
        ask_while_posting=lambda import_id, block, sent: (ask_api(import_id, block), set()),
    )


def test_a_look_up_slower_than_fresh_still_lets_the_row_go() -> None:
    """An API answering a look-up in more than FRESH seconds (1.1 s: a slow API, a retry
    after a 429 or a timeout): the row asked about must be sent after its look-up, not asked
    about again and again (measured against the sandbox at --latency-ms 1100: 6 rows, 2
    lanes, no row sent in 60 s; before the change 7.3 s)."""
    clock = Clock()
    asked: list[list[int]] = []

    def ask_api(import_id: str, block: list[JournalRow], **_: object) -> set[int]:
        asked.append([r.row for r in block])
        if len(asked) > 5:
            raise AssertionError(f"asked {len(asked)} times about row 2 alone")
        clock.now += FRESH + 0.1  # the answer takes longer than FRESH
        return set()

    ahead = LookupAhead(fake_dedupe(ask_api), "imp", follow=60.0, clock=clock)
    window = rows(3)
    list(ahead.admitted(iter(window)))
    assert ahead.decided(window[0]) is False
    assert len(asked) == 1


def test_rows_waiting_for_a_look_up_that_failed_are_not_sent_unasked() -> None:
    """Two lanes: one asks about a block and its look-up fails (the API unreachable); the
    other lane, waiting for that answer for a row of the block, must not go on to send
    that row without any answer."""
    clock = Clock()
    started = threading.Event()
    release = threading.Event()

    def ask_api(import_id: str, block: list[JournalRow], **_: object) -> set[int]:
        started.set()
        release.wait(5)
        raise ConnectionError("the API did not answer the look-up")

    ahead = LookupAhead(fake_dedupe(ask_api), "imp", follow=60.0, clock=clock)
    window = rows(3)
    list(ahead.admitted(iter(window)))
    failures: list[BaseException] = []

    def first_lane() -> None:
        try:
            ahead.decided(window[0])
        except ConnectionError as exc:
            failures.append(exc)

    lane = threading.Thread(target=first_lane)
    lane.start()
    assert started.wait(5)
    answers: list[object] = []

    def second_lane() -> None:
        try:
            answers.append(ahead.decided(window[1]))
        except BaseException as exc:
            answers.append(exc)

    waiting = threading.Thread(target=second_lane)
    waiting.start()
    time.sleep(0.3)  # the second lane waits for the first lane's answer
    release.set()
    lane.join(5)
    waiting.join(5)
    assert failures, "the asking lane did not raise"
    # False means "not decided: send it" - row 3 would be POSTed with no answer at all.
    assert answers, "the waiting lane never answered"
    assert answers[0] is not False, "a row whose look-up failed was let go"


def test_a_row_the_look_up_decided_is_not_asked_about_and_judged_again() -> None:
    """A row a look-up decided (held for a person, or a duplicate) stays in the window until
    a lane takes it; a later look-up must not ask about it again — judged again, its own
    verdict now reads as an attempt of the row and a crediting found for it (another row's)
    became `credited` with that row's `_id`: measured with `reference.generate: false`,
    identical rows and an API answering out of order, row 85 was recorded `invalid`, then
    `credited` with row 84's crediting 54 ms later — one credit never sent."""
    clock = Clock()
    asked: list[list[int]] = []

    def ask_api(import_id: str, block: list[JournalRow], **_: object) -> set[int]:
        asked.append([r.row for r in block])
        clock.now += 0.6  # an answer slower than FRESH / 2
        return {3} if len(asked) == 1 else set()

    ahead = LookupAhead(fake_dedupe(ask_api), "imp", follow=0.0, clock=clock)
    window = rows(3)  # rows 2, 3, 4
    list(ahead.admitted(iter(window)))
    assert ahead.decided(window[0]) is False  # asks about 2, 3, 4: 3 is decided
    assert ahead.follow_until(window[0]) is None  # row 2 sent
    ahead.decided(window[2])  # row 4: the answers run out, the window asked again
    assert all(3 not in block for block in asked[1:]), asked


def test_rows_a_slow_look_up_answered_are_sent_on_that_answer_not_asked_again_one_by_one() -> None:
    """A look-up taking longer than FRESH (1.3 s behind a slow gateway) answers for its whole
    block: the next rows of the block are sent on that answer, not each asked about again
    (measured against the sandbox with look-ups taking 1.3 s: 400 rows, one lane, one
    look-up of the whole window per row - 378 look-ups, 0.8 rows/s, 535 s; 8 lanes
    3.2 rows/s)."""
    clock = Clock()
    asked: list[list[int]] = []

    def ask_api(import_id: str, block: list[JournalRow], **_: object) -> set[int]:
        asked.append([r.row for r in block])
        clock.now += FRESH + 0.3  # the answer takes longer than FRESH
        return set()

    ahead = LookupAhead(fake_dedupe(ask_api), "imp", follow=60.0, clock=clock)
    window = rows(10)
    list(ahead.admitted(iter(window)))
    for jrow in window[:3]:  # one lane sends the first rows, 20 ms apart
        assert ahead.decided(jrow) is False
        assert ahead.follow_until(jrow) is None
        clock.now += 0.02
    assert len(asked) == 1, f"{len(asked)} look-ups for 3 rows of one answered block: {asked}"


def test_a_row_asked_with_the_look_up_that_found_another_importer_is_asked_again_before_sent() -> (
    None
):
    """A look-up that finds rows another importer credited meanwhile makes the rows it asked
    about wait and be asked again; when that look-up took longer than the wait itself (1.3 s
    against `api.settle` 1 s), the wait is over when its answer comes - the rows must still
    be asked again, not sent on the answer that predates what the other importer credited."""
    clock = Clock()
    asked: list[list[int]] = []

    def ask_api(import_id: str, block: list[JournalRow], **_: object) -> set[int]:
        asked.append([r.row for r in block])
        clock.now += 1.3
        return {3} if len(asked) == 1 else set()

    ahead = LookupAhead(fake_dedupe(ask_api), "imp", follow=1.0, clock=clock)
    window = rows(3)  # rows 2, 3, 4: row 3 credited by another importer meanwhile
    list(ahead.admitted(iter(window)))
    assert ahead.decided(window[0]) is False
    held = ahead.follow_until(window[0])
    assert held is not None, "row 2 sent on the answer that found another importer at work"
    assert ahead.decided(window[0]) is False  # asked again, nothing found
    assert len(asked) == 2
    assert ahead.follow_until(window[0]) is None


def test_rows_sent_found_credited_again_make_the_next_rows_wait_ever_longer_random_whiles() -> None:
    """Another importer posting the same rows in step is found by asking, with the next
    rows, about the rows this run sent: one of them credited again makes every row not sent
    yet wait between `follow` and twice that (drawn at random: of two importers that both
    find each other, one resumes first and leads). Rows doubled in that same encounter,
    found by a later look-up, do not make them wait again; meeting again (the two drew
    waits too close) draws from a span twice as wide."""
    clock = Clock()
    checked: list[set[str]] = []

    def ask_while_posting(
        import_id: str, block: list[JournalRow], sent: dict[str, tuple[str, str]]
    ) -> tuple[set[int], set[str]]:
        checked.append(set(sent))
        assert all(own == f"id-{ref}" for ref, (_, own) in sent.items())
        return set(), set(sent)  # every row sent was credited by another importer too

    dedupe = fake_dedupe(lambda import_id, block: set())
    dedupe.ask_while_posting = ask_while_posting
    ahead = LookupAhead(dedupe, "imp", follow=1.0, clock=clock, rng=random.Random(7))
    window = rows(4 * CHECK_FIRST + 1)
    list(ahead.admitted(iter(window)))
    for jrow in window[:CHECK_FIRST]:  # asked about in one look-up and sent
        assert ahead.decided(jrow) is False
        assert ahead.follow_until(jrow) is None
        ahead.sent(jrow, f"id-{jrow.request['creditor_reference']}")
    assert checked == [set()]

    clock.now += 0.2
    met_at = clock.now
    assert ahead.decided(window[CHECK_FIRST]) is False  # the next look-up asks about them
    assert len(checked[1]) == CHECK_FIRST
    until = ahead.follow_until(window[CHECK_FIRST])
    assert until is not None, "the next row sent at once beside another importer in step"
    assert until == met_at + random.Random(7).uniform(1.0, 2.0)
    assert ahead.in_step == 1

    for jrow in window[CHECK_FIRST + 1 : 2 * CHECK_FIRST + 1]:  # in flight meanwhile
        ahead.sent(jrow, f"id-{jrow.request['creditor_reference']}")
    clock.now = until
    assert ahead.follow_until(window[-1]) == until  # the wait over: asked again
    assert ahead.decided(window[-1]) is False
    assert len(checked[2]) == CHECK_FIRST
    assert ahead.in_step == 1, "rows doubled in the encounter already met made it wait again"
    assert ahead.follow_until(window[-1]) is None

    for jrow in window[2 * CHECK_FIRST + 1 :]:  # asked since (twice as many): in step again
        ahead.sent(jrow, f"id-{jrow.request['creditor_reference']}")
    clock.now += 0.1
    met_again = clock.now
    assert ahead.decided(window[CHECK_FIRST]) is False
    assert ahead.in_step == 2
    draws = random.Random(7)
    draws.uniform(1.0, 2.0)
    # met again: the span drawn from doubles, so two close draws seldom meet a third time
    assert ahead.follow_until(window[CHECK_FIRST]) == met_again + draws.uniform(1.0, 4.0)
