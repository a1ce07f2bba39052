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
the run that finishes the import. `drop` posts through the same lanes and look-ups. What the
look-ups tell of other importers, and the waits for them, is `pipeline.other_importers`.

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
from importer.pipeline.other_importers import OtherImporters, Sent
from importer.pipeline.reference import is_generated

log = logs.get_logger("importer")

FRESH = 1.0
"""Seconds an answer of the API stays good enough to send a row on: a block of 100 asked at
once is sent within a quarter of a second at 8 lanes and 20 ms; a row held back longer (its
case waiting behind an uncertain row, one slow lane) is asked about again."""

_ASKED = (Outcome.NOT_SENT, Outcome.REJECTED)
"""Outcomes of rows asked about before they are sent: never sent, or refused outright."""


def _asked_here(dedupe: Dedupe, jrow: JournalRow) -> bool:
    """Whether the row is asked about right before it is sent: not sent yet (or refused),
    under a generated reference, while the API answers (the module docstring says why)."""
    return (
        dedupe.lookup is not None
        and jrow.outcome in _ASKED
        and jrow.request is not None
        and is_generated(jrow.request.get("creditor_reference"))
        and dedupe.api_lookup.asks(jrow.request, notes_by_reference=True)
    )


@dataclass(slots=True)
class _Block:
    """One look-up in flight: the rows it asks about, done when their answer is recorded."""

    rows: list[int]
    checks: dict[str, Sent] = field(default_factory=dict)
    """Rows this run sent, asked about in the same requests, by reference."""
    done: threading.Event = field(default_factory=threading.Event)
    decided: set[int] = field(default_factory=set)
    failed: bool = False
    error: BaseException | None = None
    """What the look-up raised: the lanes waiting for it raise it too, not send unasked."""


class _Answers:
    """How old the API's latest answer about each row is: whether it is still good enough
    to send the row on. Guarded by the look-ups' lock."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self.asked_at: dict[int, float] = {}
        """When each row's latest look-up was sent (this clock): what a wait for another
        importer is weighed against (`LookupAhead.follow_until`)."""
        self._answered_at: dict[int, float] = {}
        """When each row's latest answer came (this clock): what its freshness is counted
        from. A block's look-up that took longer than `FRESH` answers for all its rows — from
        its start they would all be stale on arrival, and each asked about again, a look-up
        of the whole window per row sent."""

    def record(self, row: int, asked_at: float, answered_at: float) -> None:
        self.asked_at[row] = asked_at
        self._answered_at[row] = answered_at

    def fresh(self, row: int, within: float) -> bool:
        answered_at = self._answered_at.get(row)
        return answered_at is not None and self._clock() - answered_at <= within

    def forget(self, row: int) -> None:
        """The row's answer predates what another importer credited since: asked again."""
        self._answered_at.pop(row, None)


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
        self._clock = clock
        self._others = OtherImporters(import_id, follow, dedupe.found_unknown_at, rng)
        self._lock = threading.Lock()
        self._window: OrderedDict[int, JournalRow] = OrderedDict()
        """Rows read into the lanes' window, neither sent nor decided yet, in file order."""
        self._asking: dict[int, _Block] = {}
        self._answers = _Answers(clock)
        self._decided: set[int] = set()
        self.asked = 0
        """Look-ups made (each one `$in` request of up to 100 rows)."""
        self.seconds = 0.0
        """Time lanes spent waiting for them, summed over lanes (wall clock)."""

    @property
    def in_step(self) -> int:
        """Look-ups that found rows this run sent credited by another importer too."""
        return self._others.in_step

    def admitted(self, rows: Iterator[JournalRow]) -> Iterator[JournalRow]:
        """The rows, as the lanes read them into their window: each to be asked about (with
        the rows after it) when a lane is about to send it."""
        for jrow in rows:
            if _asked_here(self._dedupe, jrow):
                with self._lock:
                    self._window[jrow.row] = jrow
            yield jrow

    def decided(self, jrow: JournalRow) -> bool:
        """Ask the API about this row unless its answer is fresh; True when that answer
        decided it (recorded `credited`, `duplicate` or held): it is not to be sent."""
        if not _asked_here(self._dedupe, jrow):
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
                        if not self._answers.fresh(jrow.row, FRESH):
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

    def _take_block(self, jrow: JournalRow) -> tuple[_Block, list[JournalRow]]:
        """This row and the rows of the window after it whose answer is missing or half as
        old as `FRESH`, up to 100 with the rows sent to check (`OtherImporters.checks`),
        marked as being asked."""
        rows = [jrow]
        room = self._others.room()
        for number, other in self._window.items():
            if len(rows) >= room:
                break
            if (
                number == jrow.row
                or number in self._asking
                or self._answers.fresh(number, FRESH / 2)
            ):
                continue
            rows.append(other)
        return self._mark(rows), rows

    def _refill(self) -> tuple[_Block, list[JournalRow]] | None:
        """The rows of the window to ask about before the answers in hand run out — asked by
        one lane while the others send rows already answered, so that they seldom wait —
        or None while no look-up is due (one is in flight, or half a block is answered)."""
        if self._asking:
            return None
        unanswered = [r for n, r in self._window.items() if not self._answers.fresh(n, FRESH / 2)]
        checks_due = self._others.checks_due()
        if not checks_due and (
            not unanswered or len(self._window) - len(unanswered) >= PAGE_SIZE // 2
        ):
            return None
        rows = unanswered[: self._others.room()]
        return self._mark(rows), rows

    def _mark(self, rows: list[JournalRow]) -> _Block:
        """A look-up of these rows, marked as being asked, with as many rows this run sent
        as fit in the same request (the oldest first; the rest go with the next look-up)."""
        block = _Block([r.row for r in rows], self._others.checks(len(rows)))
        for number in block.rows:
            self._asking[number] = block
        return block

    def sent(self, jrow: JournalRow, crediting_id: str) -> None:
        """This row was sent and created `crediting_id`: the next look-up asks about it too,
        to find another importer that credited it as well (the module docstring)."""
        request = jrow.request
        if request is None or not _asked_here(self._dedupe, jrow):
            return
        with self._lock:
            asked_at = self._answers.asked_at.get(jrow.row, float("-inf"))
            sent = Sent(request["creditor"], crediting_id, asked_at)
            self._others.sent(request["creditor_reference"], sent)

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
                        self._answers.record(number, asked_at, answered_at)
                self._decided |= block.decided
                for number in block.decided:  # decided: never asked about and judged again
                    self._window.pop(number, None)
                if block.failed:  # asked again with the next look-up
                    self._others.not_asked(block.checks)
                else:
                    self._others.answered(
                        len(block.decided), block.checks, doubled, asked_at, answered_at
                    )
            block.done.set()

    def follow_until(self, jrow: JournalRow) -> float | None:
        """For a row about to be sent that the API does not hold (`decided` said so): the
        time until which it waits, because another importer has been found crediting rows
        of this import since its latest look-up that found some; None to send it now. A row
        whose look-up was sent before such a wait ended is asked again once it is over (its
        answer forgotten, the time now returned: the lanes take it up at once), whatever
        that answer's age: it predates what the other importer credited meanwhile."""
        if not _asked_here(self._dedupe, jrow):
            return None
        with self._lock:
            until = self._others.until
            asked_at = self._answers.asked_at.get(jrow.row)
            now = self._clock()
            if asked_at is None or asked_at < until:
                if now < until:
                    return until
                self._answers.forget(jrow.row)
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
