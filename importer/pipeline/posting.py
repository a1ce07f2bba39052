"""Posting: intent → post → record for each row, in file order per case (docs/pipeline.md).

This is where exactly-once is kept:

* a row's intent is committed right before each attempt leaves (`journal.rows.mark_intent`) — for
  a row with a credit note, in one transaction with the note's claim (`journal.claims`), so
  two importers sharing a journal never send one note both (the attempt itself, intent to
  recorded answer, is `pipeline.sending`);
* a row whose answer never came, or whose answer names no crediting, holds its case back
  until `api.settle` seconds have passed since it was sent, then is looked up by the
  reconciler — never posted again blindly; rows of other cases go ahead meanwhile;
* after posting, every row that had an uncertain attempt is looked up once more
  (`pipeline.double_credit`).

Which rows must not be sent at all (duplicates, credit-note conflicts, repeats) was decided
before posting began (`pipeline.dedupe`); right before a row is sent for the first time the
API is asked about it once more, a block at a time (`pipeline.lookup_ahead`), so what another
importer credited meanwhile is not sent again.

Rows go one at a time in file order, or with `posting.lanes` > 1 several cases at once
(`pipeline.lanes`). `_post_one` is the whole per-row path and is the lanes' `post`: it
answers "not yet, until T" for a row whose attempt is uncertain, and the lanes hold that row
— its case (and credit note) waiting behind it, other cases going ahead, even with one lane —
and hand it back at T to be looked up. That hold is the one settle wait; the lanes only
decide which row may go next, so every rule above holds per row whatever the lane count."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from importer import logs
from importer.api.readback import StatusReader
from importer.case_key import case_key
from importer.config import Config
from importer.errors import ApiUnavailable, Interrupted, QueryRefused
from importer.journal import Journal, JournalRow
from importer.outcomes import Outcome
from importer.pipeline.dedupe import Dedupe
from importer.pipeline.double_credit import DoubleCredits
from importer.pipeline.lanes import LaneRun, post_in_lanes
from importer.pipeline.lookup_ahead import LookupAhead
from importer.pipeline.reconcile import Reconciler
from importer.pipeline.results import Progress
from importer.pipeline.sending import UNCERTAIN, RowSender

if TYPE_CHECKING:
    from importer.api.client import ApiClient


log = logs.get_logger("importer")


class Poster:
    """Posts an import's pending rows in `posting.lanes` lanes, each lane through an API
    client of its own (`client` gives the calling thread's)."""

    def __init__(
        self,
        config: Config,
        journal: Journal,
        target_name: str,
        *,
        client: Callable[[], ApiClient],
        connect: Callable[[], ApiClient],
        reconciler: Reconciler,
        dedupe: Dedupe,
        stop: threading.Event,
        progress: Progress | None,
    ) -> None:
        self._config = config
        self._journal = journal
        self._target_name = target_name
        self._client = client
        self._connect = connect
        self._reconciler = reconciler
        self._dedupe = dedupe
        self._stop = stop
        self._progress = progress
        self._sender = RowSender(config, journal, target_name, client=client, stop=stop)
        self.last_run: LaneRun | None = None
        """Lanes, rows posted and seconds of the latest `post_rows` that posted a row."""
        self._posted_now = False
        """Whether the latest `post_rows` took any row: only then is every credited row
        looked up again after posting (`DoubleCredits.sweep`)."""

    def post_rows(self, import_id: str, rows: Iterator[JournalRow], total: int) -> None:
        """Post the rows in `posting.lanes` lanes: each row by `_post_one`, a row never
        before the earlier rows of its case (or of its credit note). A row whose attempt is
        uncertain — or left `unknown` by an earlier run — is held until it has settled."""
        reader = StatusReader(self._connect)
        lock = threading.Lock()  # the reader, the progress count and the tries, shared
        tries: dict[int, int] = {}
        """Attempts so far of rows that were held (by row): bounded by `api.max_attempts`."""
        done = 0
        posted = False
        self._posted_now = False
        ahead = LookupAhead(self._dedupe, import_id, self._config.api.settle)

        def post(jrow: JournalRow) -> float | None:
            nonlocal done
            with lock:
                held_before = jrow.row in tries
            if held_before:  # taken up again after a hold: what the journal holds now
                current = self._journal.rows.get(import_id, jrow.row)
                assert current is not None
                jrow = current
            if ahead.decided(jrow):
                created: str | float | None = None  # found at the API just now: not sent
            else:
                follow = ahead.follow_until(jrow)
                if follow is not None:
                    return follow  # another importer credits this import's rows: it leads
                created = self._post_one(import_id, jrow, tries, lock)
                if isinstance(created, str):
                    ahead.sent(jrow, created)  # asked about again: another importer in step?
            if isinstance(created, float):
                return created  # held: its case waits, others go ahead
            with lock:
                tries.pop(jrow.row, None)
                if created is not None:
                    reader.add(jrow.row, created)
                    self._journal.statuses.record(import_id, reader.take())
                done += 1
                if self._progress is not None:
                    self._progress(done, total, lambda: self._attention_so_far(import_id))
            return None

        try:
            run = post_in_lanes(
                ahead.admitted(rows),
                post,
                lanes=self._config.posting.lanes,
                keys=self._lane_keys,
                stop=self._stop,
                clock=time.time,  # the clock of `_settled_at`
            )
            if run.posted:
                self.last_run = run
                self._posted_now = True
            if run.left:
                raise Interrupted("stopped on request; run the same command again to resume")
            posted = True
        finally:
            ahead.log()
            # A stopped run does not wait for lookups in flight (they may be retrying an API
            # that is down); the next run reads what is missing.
            self._journal.statuses.record(import_id, reader.close(wait=posted))

    def check_double_credits(self, import_id: str) -> None:
        """After posting: every row that had an uncertain attempt, looked up once more when
        its last attempt has settled. A stop request ends the wait at once."""
        double_credits = DoubleCredits(self._journal, self._target_name)
        due = double_credits.due(import_id, self._config.api.settle)
        if due is None:
            self._sweep(double_credits, import_id)
            return
        remaining = due - time.time()
        if remaining > 0:
            log.info("import.settle", seconds=round(remaining, 1))
            self._stop.wait(remaining)
        if self._stop.is_set():
            raise Interrupted("stopped on request; run the same command again to resume")
        double_credits.check(import_id, self._client().find_by_reference)
        self._sweep(double_credits, import_id)

    def _sweep(self, double_credits: DoubleCredits, import_id: str) -> None:
        """Every credited row looked up once more (`DoubleCredits.sweep`); not where the API
        refuses the look-up's filter and the operator accepted the journal alone
        (`dedupe.require_api_lookup: false`, named in every report already)."""
        if not self._posted_now:
            return  # nothing sent: nothing new to find (a rerun with all final)
        try:
            double_credits.sweep(import_id, self._client().find_in)
        except QueryRefused:
            if self._config.dedupe.require_api_lookup:
                raise
            log.warning("import.sweep_refused", import_id=import_id)

    def _lane_keys(self, jrow: JournalRow) -> tuple[str, ...]:
        """What a row must wait for: the earlier rows of its case and, with credit-note
        dedupe on, of its credit note — so no two rows of one note are in flight at once
        whatever the lanes do (`pipeline.lanes`)."""
        request = jrow.request or {}
        keys: tuple[str, ...] = (case_key(request),)
        note = request.get("credit_invoice")
        if self._config.dedupe.credit_invoice and note:
            keys += (f"credit_invoice:{request.get('creditor')}/{note}",)
        return keys

    def _attention_so_far(self, import_id: str) -> int:
        counts = self._journal.imports.outcome_counts(import_id)
        return sum(counts[o] for o in (Outcome.INVALID, Outcome.REJECTED, Outcome.UNKNOWN))

    def _settled_at(self, jrow: JournalRow) -> float:
        """When a row's last attempt may be looked up (epoch seconds): `api.settle` after it
        was sent — looked up too early, a request still on its way to being stored would be
        found missing and posted again. At once when nothing is looked up (`reconcile:
        manual` leaves it for a person)."""
        if self._config.reconcile == "manual":
            return 0.0
        sent = jrow.intent_at.timestamp() if jrow.intent_at is not None else time.time()
        return sent + self._config.api.settle

    # ------------------------------------------------------------------ one row

    def _post_one(
        self, import_id: str, jrow: JournalRow, tries: dict[int, int], lock: threading.Lock
    ) -> str | float | None:
        """Settle one row, the lanes' `post`. Returns the new crediting's id when this
        row's POST created one; a time (epoch seconds) when the row must be held until then
        (its attempt is uncertain and not settled yet); None when the row is settled
        otherwise. An `unknown` row (this run's or an earlier run's) is looked up once
        settled and posted again only if certainly not stored, at most `api.max_attempts`
        times in all."""
        request = jrow.request
        if request is None:  # pragma: no cover - invalid rows are never selected for posting
            return None
        if jrow.outcome is Outcome.UNKNOWN:
            until = self._settled_at(jrow)
            if until > time.time():
                log.info("import.settle", row=jrow.row, seconds=round(until - time.time(), 1))
                with lock:  # an earlier run's attempt counts; taken up again from the journal
                    tries.setdefault(jrow.row, 1)
                return until
            if self._reconciler.reconcile(import_id, jrow):
                return None
            with lock:
                sent = tries.setdefault(jrow.row, 1)
            if sent >= self._config.api.max_attempts:
                raise ApiUnavailable(
                    f"row {jrow.row}: the API kept failing without a clear answer; it is "
                    "left unknown and will be looked up when the import is run again"
                )
        uncertain = jrow.outcome is Outcome.UNKNOWN  # an earlier attempt may have been stored
        created = self._sender.send(import_id, jrow.row, request, uncertain=uncertain)
        if created is not UNCERTAIN:
            return created if isinstance(created, str) else None
        with lock:
            tries[jrow.row] = tries.get(jrow.row, 0) + 1
        after = self._journal.rows.get(import_id, jrow.row)
        assert after is not None
        return max(self._settled_at(after), time.time())
