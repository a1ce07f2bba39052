"""Other importers crediting rows of this import while this run posts them, as the look-ups
right before sending find them (`pipeline.lookup_ahead`, whose docstring tells why and what
was measured): until when the rows this run is about to send wait for them.

Rows a look-up finds credited that this run has not sent mean another importer is crediting
this import now: the rows to send wait `follow` seconds, and are asked about again. Rows
this run sent that the API holds another crediting of mean another importer walks the file
in step with this run: every row not sent yet waits a random time, drawn per process, so
that one of the two resumes first and leads. The rows this run sent are asked about for
that in the same requests as the rows about to be sent."""

from __future__ import annotations

import random
from collections import OrderedDict
from dataclasses import dataclass

from importer import logs
from importer.api.queries import PAGE_SIZE

log = logs.get_logger("importer")

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


@dataclass(frozen=True, slots=True)
class Sent:
    """A row this run sent: what it is asked about by after sending."""

    creditor: str
    crediting_id: str
    asked_at: float
    """When the look-up it was sent on was asked (the lanes' clock)."""


class OtherImporters:
    """What the look-ups right before sending tell of other importers crediting this
    import's rows, over one posting run. Not locked itself: the look-ups' lock guards it."""

    def __init__(
        self,
        import_id: str,
        follow: float,
        found_unknown_at: float | None,
        rng: random.Random | None = None,
    ) -> None:
        """`follow`: how long rows wait for another importer (`api.settle`);
        `found_unknown_at`: when the look-up before posting last found rows credited that
        this journal does not know of; `rng`: what draws the wait on meeting an importer in
        step (seeded from the system by default, so two processes draw apart)."""
        self._import_id = import_id
        self._follow = follow
        self._rng = rng or random.Random()
        found = found_unknown_at
        self.until = found + follow if found is not None else 0.0
        """Until when rows the API does not hold wait for another importer crediting this
        import's rows: `follow` after the latest look-up that found some this journal does
        not know of — before posting too: a lost journal's run and an importer on another
        host both leave them, and only the next look-ups tell which."""
        self._unchecked: OrderedDict[str, Sent] = OrderedDict()
        """Rows this run sent that no look-up has asked about since, by reference, in the
        order sent."""
        self._check_every = CHECK_FIRST
        """Rows sent after which a look-up is due to ask about them (`CHECK_FIRST`)."""
        self._met_at = float("-inf")
        """When this run last found another importer in step: rows sent on older answers
        were doubled in that encounter, already waited for."""
        self.in_step = 0
        """Look-ups that found rows this run sent credited by another importer too."""

    def sent(self, reference: str, sent: Sent) -> None:
        """This row was sent: a coming look-up asks about it too."""
        self._unchecked[reference] = sent

    def room(self) -> int:
        """How many rows to send a look-up asks about: up to 100 values in all, of which
        the rows sent to check take up to half."""
        return PAGE_SIZE - min(len(self._unchecked), PAGE_SIZE // 2)

    def checks_due(self) -> bool:
        """Enough rows were sent since the last look-up that asked about them."""
        return len(self._unchecked) >= self._check_every

    def checks(self, rows: int) -> dict[str, Sent]:
        """The rows sent that fit in a look-up of `rows` rows to send (the oldest first; the
        rest go with the next look-up), taken as being asked about."""
        checks: dict[str, Sent] = {}
        while self._unchecked and rows + len(checks) < PAGE_SIZE:
            reference, sent = self._unchecked.popitem(last=False)
            checks[reference] = sent
        if checks and self._check_every <= PAGE_SIZE:
            self._check_every *= 2
        return checks

    def not_asked(self, checks: dict[str, Sent]) -> None:
        """A look-up failed: the rows sent it was to ask about go with the next one."""
        self._unchecked.update(checks)

    def answered(
        self,
        decided: int,
        checks: dict[str, Sent],
        doubled: set[str],
        asked_at: float,
        answered_at: float,
    ) -> None:
        """A look-up's answer: `decided` rows about to be sent were found credited, and the
        references `doubled` of the rows sent it asked about (`checks`) were credited by
        another importer too."""
        if decided:
            self.until = max(self.until, asked_at + self._follow)
            log.info(
                "posting.found_meanwhile",
                import_id=self._import_id,
                rows=decided,
                wait=self._follow,
            )
        met = [r for r in doubled if checks[r].asked_at > self._met_at]
        if met:
            self._fall_back(len(met), answered_at)

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
        self.until = max(self.until, now + wait)
        self._met_at = now
        self._check_every = CHECK_FIRST  # resumed in step again: found within a few rows
        log.warning(
            "posting.in_step",
            import_id=self._import_id,
            rows=doubled,
            wait=round(wait, 3),
        )
