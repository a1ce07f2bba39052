"""Asking the API again right before a row is sent, not only once before the first POST.

The look-up before posting (`pipeline.dedupe`) decides every row before anything is sent, but a
second importer with a journal of its own, started while this one is posting the same file, was
only ever looked for at that moment: what it credited afterwards was sent again, so the window
was the whole posting time. Here every row still to be sent for the first time is asked about
again as the lanes are about to send it: when a lane takes a row whose answer is missing or
older than `FRESH` seconds, it asks the API about that row and the rows read into the lanes'
window after it (up to 100, one `$in` request, `api.queries.PAGE_SIZE`), and each row found is
decided as before posting (`Dedupe.ask_while_posting`: `pipeline.api_lookup`,
`pipeline.ownership`) instead of sent — but a crediting this journal does not know is another
importer's here, never this run's (the row was not at the API when posting began, and this run
has not sent it): `duplicate` of it, or held for a person. Another lane that takes a row of a
block still being asked waits for that answer. Before the answers in hand run out (fewer than
half a block), the lane taking a row asks about the next rows of the window first, while the
other lanes send rows already answered: one lane waits for a look-up, not all of them. So a row
is sent at most `FRESH` seconds after the API's latest answer that it did not hold it came
(counted from the answer, not the question: a look-up slower than `FRESH` answers for its whole
block, or every row of it would be stale on arrival and asked about again alone).

That alone does not keep two importers apart: one that follows another through the same
file skips what the other credited faster than the other posts, catches it up, and from
then on both ask about each row before either has posted it — they walk the file in step,
crediting every row twice (measured: 87 of 100 rows with a look-up before every single
row). So a row found here is taken as what it is: it was not at the API when posting began
(the look-up before posting would have decided it), so another importer is crediting rows
of this import *now*. This run then lets it lead: the rows it is about to send that the API
does not hold yet wait `api.settle` seconds (the lanes' hold: their cases wait, nothing
else) and are asked about again, for as long as each look-up still finds new creditings.
When the other has credited them, they are found and not sent; when it has stopped (a look-up
finds nothing new), they are sent. Rows the look-up before posting found credited that this
journal does not know make the rows to send wait once the same way: a lost or restored
journal leaves such rows, and so does an importer on another host posting now — only the
next look-up tells which.

Two importers that start (or resume from a wait) within one look-up of each other find
nothing of each other's that way: each asks about the next rows before the other has posted
them, and they walk the whole file in step, crediting every row twice (measured, 8 lanes:
the whole file in 2 of 5 runs started together; 112-223 of 300 rows with their first POSTs
released together). So each look-up also asks about the rows this run sent since the
previous one (their references in the same `$in` requests, up to 100 values in all; the next
rows make room for up to half): a crediting under one of them that is not this run's means
another importer sent the row too, asking about it before this run's crediting was stored.
Every row not sent yet then waits a random time between `follow` and twice that, drawn per
process (the span doubling with each meeting, up to 8 times `follow`: two draws close enough
to meet again grow ever rarer), and is asked about again: of two importers that find each
other so, the one that resumes first leads, and the other's look-up finds its creditings and
follows as above. Of the rows doubled, the later of the two sends finds it at its next
look-up, so one encounter costs the rows sent between two look-ups: the first such look-up
is due after `CHECK_FIRST` rows sent, once posting starts and after each wait (then after
twice as many, until the look-ups made for the next rows anyway carry them). Measured, first
POSTs released together: 15-23 rows credited twice of 300 or 600 at 8 lanes and 20 ms, 1-8
of 300 at one lane; three importers, 8-22 of 300; started together without that release,
none in 8 runs of 1,000 rows. Both drawing waits within one look-up of each other meet
again, costing another such encounter; three importers find each other the same way. Rows
doubled are flagged `credited_twice` by the look-up after posting (exit 1); rows sent on an
answer older than the last encounter that are found doubled later belong to it and do not
make the rows wait again. A look-up that fails stops the run as before (exit 3); the sent
rows it was to ask about are asked, with every credited row, by the look-up after posting of
the run that finishes the import. `drop` posts through the same lanes and look-ups.

Only rows with a generated reference are asked here: it is unique to the row (its content and
its occurrence among identical rows), so what a look-up finds by it is this row's crediting
and nothing else. A row without one — `reference.generate: false`, or the file's own
reference, which identical rows of a file share — is found by its content or by a reference
its identical twin carries too: asked while the twin is in flight, the look-up finds the
twin's crediting and can only hold the row for a person or give it the twin's `_id`
(measured: 8 of 120 identical pairs held, one given its twin's `_id`). Such rows are asked
once, before posting, as they always were; two importers posting them at once are flagged
`credited_twice` after posting, not prevented.

Rows left `unknown` by an uncertain attempt (this run's or an earlier one's) are not asked
here: their look-up is the reconciler's, after they settle. Rows with a credit note are
asked about by their note before posting and claimed at their intent (`journal.claims`),
which only importers sharing the journal see; here they are asked by their generated
reference, which carries the note (`ApiLookup.asks`): another journal's crediting of the
same row is found (measured before: two importers, the second started once 10 rows were
stored, 259 creditings for 150 rows with credit notes)."""

from __future__ import annotations

import random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from importer import logs
from importer.api.queries import PAGE_SIZE
from importer.journal import JournalRow
from importer.outcomes import Outcome
from importer.pipeline.dedupe import Dedupe
from importer.pipeline.reference import is_generated

log = logs.get_logger("importer")

FRESH = 1.0
"""Seconds an answer of the API stays good enough to send a row on: a block of 100 asked at
once is sent within a quarter of a second at 8 lanes and 20 ms; a row held back longer (its
case waiting behind an uncertain row, one slow lane) is asked about again."""

CHECK_FIRST = 8
"""Rows sent after which the first look-up that asks about them is due, once posting starts
and again after each wait for another importer (doubled after each such look-up, until
the look-ups made anyway for the next rows ask about them): two importers that start, or
resume, in step are found within a few rows, while a long run asks no more often than
before."""

MEETINGS_SPREAD = 3
"""Meetings with an importer in step after which the span of the random wait stops doubling
(up to 8 times `follow`): two importers that resume within one look-up of each other meet
again (after 1 to 2 s of wait, a look-up of 0.1 s under load does so about one time in
five), a second time one in fifteen, a third one in thirty-five."""

_ASKED = (Outcome.NOT_SENT, Outcome.REJECTED)
"""Outcomes of rows asked about before they are sent: never sent, or refused outright."""


@dataclass(frozen=True, slots=True)
class _Sent:
    """A row this run sent: what it is asked about by after sending."""

    creditor: str
    crediting_id: str
    asked_at: float
    """When the look-up it was sent on was asked (the lanes' clock)."""


@dataclass(slots=True)
class _Block:
    """One look-up in flight: the rows it asks about, done when their answer is recorded."""

    rows: list[int]
    checks: dict[str, _Sent] = field(default_factory=dict)
    """Rows this run sent, asked about in the same requests, by reference."""
    done: threading.Event = field(default_factory=threading.Event)
    decided: set[int] = field(default_factory=set)
    failed: bool = False
    error: BaseException | None = None
    """What the look-up raised: the lanes waiting for it raise it too, not send unasked."""


class LookupAhead:
    """The look-up right before sending, over one import's posting run."""

    def __init__(
        self,
        dedupe: Dedupe,
        import_id: str,
        follow: float,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        """`follow`: how long rows wait while another importer credits rows of this import
        (`api.settle`); `clock`: the lanes' clock, of the times `follow_until` answers;
        `rng`: what draws the wait on meeting an importer in step (seeded from the system
        by default, so two processes draw apart)."""
        self._dedupe = dedupe
        self._import_id = import_id
        self._follow = follow
        self._clock = clock
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self._window: OrderedDict[int, JournalRow] = OrderedDict()
        """Rows read into the lanes' window, neither sent nor decided yet, in file order."""
        self._asking: dict[int, _Block] = {}
        self._asked_at: dict[int, float] = {}
        """When each row's latest look-up was sent (this clock): what a wait for another
        importer is weighed against (`follow_until`)."""
        self._answered_at: dict[int, float] = {}
        """When each row's latest answer came (this clock): what its freshness is counted
        from. A block's look-up that took longer than `FRESH` answers for all its rows — from
        its start they would all be stale on arrival, and each asked about again, a look-up
        of the whole window per row sent."""
        self._decided: set[int] = set()
        self._unchecked: OrderedDict[str, _Sent] = OrderedDict()
        """Rows this run sent that no look-up has asked about since, by reference, in the
        order sent."""
        self._check_every = CHECK_FIRST
        """Rows sent after which a look-up is due to ask about them (`CHECK_FIRST`)."""
        self._met_at = float("-inf")
        """When this run last found another importer in step: rows sent on older answers
        were doubled in that encounter, already waited for."""
        found = dedupe.found_unknown_at
        self._other_until = found + follow if found is not None else 0.0
        """Until when rows the API does not hold wait for another importer crediting this
        import's rows: `follow` after the latest look-up that found some this journal does
        not know of — before posting too: a lost journal's run and an importer on another
        host both leave them, and only the next look-ups tell which."""
        self.asked = 0
        """Look-ups made (each one `$in` request of up to 100 rows)."""
        self.in_step = 0
        """Look-ups that found rows this run sent credited by another importer too."""
        self.seconds = 0.0
        """Time lanes spent waiting for them, summed over lanes (wall clock)."""

    def _asks(self, jrow: JournalRow) -> bool:
        return (
            self._dedupe.lookup is not None
            and jrow.outcome in _ASKED
            and jrow.request is not None
            and is_generated(jrow.request.get("creditor_reference"))
            and self._dedupe.api_lookup.asks(jrow.request, notes_by_reference=True)
        )

    def admitted(self, rows: Iterator[JournalRow]) -> Iterator[JournalRow]:
        """The rows, as the lanes read them into their window: each to be asked about (with
        the rows after it) when a lane is about to send it."""
        for jrow in rows:
            if self._asks(jrow):
                with self._lock:
                    self._window[jrow.row] = jrow
            yield jrow

    def decided(self, jrow: JournalRow) -> bool:
        """Ask the API about this row unless its answer is fresh; True when that answer
        decided it (recorded `credited`, `duplicate` or held): it is not to be sent."""
        if not self._asks(jrow):
            return False
        started = time.perf_counter()
        try:
            while True:
                with self._lock:
                    if jrow.row in self._decided:
                        self._window.pop(jrow.row, None)
                        return True
                    block = self._asking.get(jrow.row)
                    if block is None:
                        if not self._fresh(jrow.row, FRESH):
                            block, rows = self._take_block(jrow)
                            break
                        refill = self._refill()
                        if refill is None:
                            return False
                        block, rows = refill  # this row is sent after asking ahead
                        break
                block.done.wait()  # another lane is asking: its answer, then check again
                if block.error is not None:
                    raise block.error  # no answer: this row is not sent either
            self._ask(block, rows)
            if jrow.row in block.rows:  # answered just now, however long the answer took
                with self._lock:
                    if jrow.row in self._decided:
                        self._window.pop(jrow.row, None)
                        return True
                return False
            return self.decided(jrow)
        finally:
            with self._lock:
                self.seconds += time.perf_counter() - started

    def _fresh(self, row: int, within: float) -> bool:
        answered_at = self._answered_at.get(row)
        return answered_at is not None and self._clock() - answered_at <= within

    def _take_block(self, jrow: JournalRow) -> tuple[_Block, list[JournalRow]]:
        """This row and the rows of the window after it whose answer is missing or half as
        old as `FRESH`, up to 100 with the rows sent to check (`_checks`), marked as being
        asked."""
        rows = [jrow]
        room = PAGE_SIZE - min(len(self._unchecked), PAGE_SIZE // 2)
        for number, other in self._window.items():
            if len(rows) >= room:
                break
            if number == jrow.row or number in self._asking or self._fresh(number, FRESH / 2):
                continue
            rows.append(other)
        return self._mark(rows), rows

    def _refill(self) -> tuple[_Block, list[JournalRow]] | None:
        """The rows of the window to ask about before the answers in hand run out — asked by
        one lane while the others send rows already answered, so that they seldom wait —
        or None while no look-up is due (one is in flight, or half a block is answered)."""
        if self._asking:
            return None
        unanswered = [r for n, r in self._window.items() if not self._fresh(n, FRESH / 2)]
        checks_due = len(self._unchecked) >= self._check_every
        if not checks_due and (
            not unanswered or len(self._window) - len(unanswered) >= PAGE_SIZE // 2
        ):
            return None
        rows = unanswered[: PAGE_SIZE - min(len(self._unchecked), PAGE_SIZE // 2)]
        return self._mark(rows), rows

    def _mark(self, rows: list[JournalRow]) -> _Block:
        """A look-up of these rows, marked as being asked, with as many rows this run sent
        as fit in the same request (the oldest first; the rest go with the next look-up)."""
        block = _Block([r.row for r in rows])
        while self._unchecked and len(rows) + len(block.checks) < PAGE_SIZE:
            reference, sent = self._unchecked.popitem(last=False)
            block.checks[reference] = sent
        if block.checks and self._check_every <= PAGE_SIZE:
            self._check_every *= 2
        for number in block.rows:
            self._asking[number] = block
        return block

    def sent(self, jrow: JournalRow, crediting_id: str) -> None:
        """This row was sent and created `crediting_id`: the next look-up asks about it too,
        to find another importer that credited it as well (the module docstring)."""
        request = jrow.request
        if request is None or not self._asks(jrow):
            return
        with self._lock:
            asked_at = self._asked_at.get(jrow.row, float("-inf"))
            sent = _Sent(request["creditor"], crediting_id, asked_at)
            self._unchecked[request["creditor_reference"]] = sent

    def _ask(self, block: _Block, rows: list[JournalRow]) -> None:
        asked_at = self._clock()
        doubled: set[str] = set()
        try:
            sent = {ref: (s.creditor, s.crediting_id) for ref, s in block.checks.items()}
            block.decided, doubled = self._dedupe.ask_while_posting(self._import_id, rows, sent)
        except BaseException as exc:
            block.failed = True
            block.error = exc
            raise
        finally:
            answered_at = self._clock()
            with self._lock:
                self.asked += 1
                for number in block.rows:
                    del self._asking[number]
                    if not block.failed:
                        self._asked_at[number] = asked_at
                        self._answered_at[number] = answered_at
                if block.failed:  # asked again with the next look-up
                    self._unchecked.update(block.checks)
                self._decided |= block.decided
                for number in block.decided:  # decided: never asked about and judged again
                    self._window.pop(number, None)
                if block.decided:
                    self._other_until = max(self._other_until, asked_at + self._follow)
                    log.info(
                        "posting.found_meanwhile",
                        import_id=self._import_id,
                        rows=len(block.decided),
                        wait=self._follow,
                    )
                met = [r for r in doubled if block.checks[r].asked_at > self._met_at]
                if met:
                    self._fall_back(len(met), answered_at)
            block.done.set()

    def _fall_back(self, doubled: int, now: float) -> None:
        """Rows this run sent were credited by another importer too: both asked about the
        same rows before either had posted them, and walk the file in step. Every row not
        sent yet waits a random time between `follow` and twice that (drawn per process: one
        of the two resumes first and leads), then is asked again: the other's creditings
        are found and it is followed, as any importer found crediting this import's rows.
        Two waits drawn within a look-up of each other meet again: each meeting doubles the
        span drawn from (`MEETINGS_SPREAD`), so meeting again grows ever less likely."""
        self.in_step += 1
        spread = 2 ** min(self.in_step, MEETINGS_SPREAD)
        wait = self._rng.uniform(self._follow, spread * self._follow)
        self._other_until = max(self._other_until, now + wait)
        self._met_at = now
        self._check_every = CHECK_FIRST  # resumed in step again: found within a few rows
        log.warning(
            "posting.in_step",
            import_id=self._import_id,
            rows=doubled,
            wait=round(wait, 3),
        )

    def follow_until(self, jrow: JournalRow) -> float | None:
        """For a row about to be sent that the API does not hold (`decided` said so): the
        time until which it waits, because another importer has been found crediting rows
        of this import since its latest look-up that found some; None to send it now. A row
        whose look-up was sent before such a wait ended is asked again once it is over (its
        answer forgotten, the time now returned: the lanes take it up at once), whatever
        that answer's age: it predates what the other importer credited meanwhile."""
        if not self._asks(jrow):
            return None
        with self._lock:
            until = self._other_until
            asked_at = self._asked_at.get(jrow.row)
            now = self._clock()
            if asked_at is None or asked_at < until:
                if now < until:
                    return until
                self._answered_at.pop(jrow.row, None)
                return now
            self._window.pop(jrow.row, None)  # sent now
            return None

    def log(self) -> None:
        log.info(
            "posting.api_lookup",
            import_id=self._import_id,
            in_step=self.in_step,
            asked=self.asked,
            seconds=round(self.seconds, 3),
        )
