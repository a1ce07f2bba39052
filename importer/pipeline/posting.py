"""Posting: intent → post → record, in file order (DESIGN.md §2).

This is where exactly-once is kept:

* a row's intent is committed before its request leaves (`journal.mark_intent`) — for a row
  with a credit note, in one transaction with the note's claim (`journal.claims`), so two
  importers sharing a journal never send one note both;
* a row whose answer never came, or whose answer names no crediting, holds its case back
  until `api.settle` seconds have passed since it was sent (`pipeline.settle`), then is looked
  up by the reconciler — never posted again blindly; rows of other cases go ahead meanwhile;
* after posting, every row that had an uncertain attempt is looked up once more
  (`pipeline.double_credit`).

Which rows must not be sent at all (duplicates, credit-note conflicts, repeats) was decided
before posting began (`pipeline.dedupe`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import structlog

from importer.api.readback import StatusReader
from importer.case_key import case_key
from importer.config import Config
from importer.errors import ApiUnavailable, AuthenticationFailed, Interrupted
from importer.journal import Journal, JournalRow
from importer.outcomes import Outcome
from importer.pipeline.dedupe_rules import earlier_of_request, note_verdict
from importer.pipeline.double_credit import DoubleCredits
from importer.pipeline.reconcile import Reconciler, unproven_error
from importer.pipeline.results import Progress
from importer.pipeline.settle import SettleQueue

if TYPE_CHECKING:
    from importer.api.client import ApiClient


log = structlog.get_logger("importer")

_OUTCOME_OF = {  # by `PostKind` (a StrEnum: its members are these strings)
    "created": Outcome.CREDITED,
    "rejected": Outcome.REJECTED,
    "not_stored": Outcome.NOT_SENT,
    "maybe_stored": Outcome.UNKNOWN,
}

_UNCERTAIN = object()
"""`_post_one`'s answer for an attempt that may or may not have created a crediting."""


class Poster:
    """Posts an import's pending rows through one API client."""

    def __init__(
        self,
        config: Config,
        journal: Journal,
        target_name: str,
        *,
        client: Callable[[], ApiClient],
        connect: Callable[[], ApiClient],
        reconciler: Reconciler,
        stop: threading.Event,
        progress: Progress | None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._config = config
        self._journal = journal
        self._target_name = target_name
        self._client = client
        self._connect = connect
        self._reconciler = reconciler
        self._stop = stop
        self._progress = progress
        self._sleep = sleep

    def post_rows(self, import_id: str, rows: Iterable[JournalRow], total: int) -> None:
        """Post in file order. A row whose attempt is uncertain holds its case back until it
        has settled; rows of other cases go ahead meanwhile. A row left `unknown` by an
        earlier run is such a row from the start."""
        reader = StatusReader(self._connect)
        held = SettleQueue()
        posted = False
        try:
            for done, jrow in enumerate(rows):
                self._check_stop()
                for key in held.due(time.time()):
                    self._settle_case(import_id, key, held, reader)
                key = case_key(jrow.request or {})
                if held.holds(key):
                    held.wait_behind(key, jrow.row)
                else:
                    self._take_turn(import_id, jrow, key, held, reader)
                if self._progress is not None:
                    self._progress(done + 1, total, lambda: self._attention_so_far(import_id))
            while held:
                key, due = held.next_due()
                self._pause_until(due)
                self._settle_case(import_id, key, held, reader)
            posted = True
        finally:
            # A stopped run does not wait for lookups in flight (they may be retrying an API
            # that is down); the next run reads what is missing.
            self._journal.record_statuses(import_id, reader.close(wait=posted))

    def check_double_credits(self, import_id: str) -> None:
        """After posting: every row that had an uncertain attempt, looked up once more when
        its last attempt has settled."""
        double_credits = DoubleCredits(self._journal)
        due = double_credits.due(import_id, self._config.api.settle)
        if due is None:
            return
        self._pause_until(due)
        double_credits.check(import_id, self._client().find_by_reference)

    def _attention_so_far(self, import_id: str) -> int:
        counts = self._journal.outcome_counts(import_id)
        return sum(counts[o] for o in (Outcome.INVALID, Outcome.REJECTED, Outcome.UNKNOWN))

    # ----------------------------------------------------------------- settling

    def _pause_until(self, due: float) -> None:
        """Wait until `due` (epoch seconds); a stop request ends the wait at once."""
        remaining = due - time.time()
        if remaining > 0:
            log.info("import.settle", seconds=round(remaining, 1))
            if self._sleep is time.sleep:
                self._stop.wait(remaining)
            else:
                self._sleep(remaining)
        self._check_stop()

    def _check_stop(self) -> None:
        if self._stop.is_set():
            raise Interrupted("stopped on request; run the same command again to resume")

    def _settled_at(self, jrow: JournalRow) -> float:
        """When a row's last attempt may be looked up: `api.settle` after it was sent (at
        once when nothing is looked up: `reconcile: manual` leaves it for a person)."""
        if self._config.reconcile == "manual":
            return 0.0
        sent = jrow.intent_at.timestamp() if jrow.intent_at is not None else time.time()
        return sent + self._config.api.settle

    def _take_turn(
        self, import_id: str, jrow: JournalRow, key: str, held: SettleQueue, reader: StatusReader
    ) -> bool:
        """A row's turn has come: a row left `unknown` (by an earlier run) is settled and
        looked up, never posted straight away; any other is sent. True when the row now
        holds its case."""
        if jrow.outcome is Outcome.UNKNOWN:
            held.hold(key, jrow.row, self._settled_at(jrow))
            return True
        return self._send(import_id, jrow, key, held, reader)

    def _send(
        self,
        import_id: str,
        jrow: JournalRow,
        key: str,
        held: SettleQueue,
        reader: StatusReader,
        tries: int = 1,
    ) -> bool:
        """Post one row; True when its attempt was uncertain and now holds its case."""
        created = self._post_one(import_id, jrow)
        if created is _UNCERTAIN:
            sent = self._journal.get_row(import_id, jrow.row)
            assert sent is not None
            held.hold(key, jrow.row, self._settled_at(sent), tries)
            return True
        if isinstance(created, str):
            reader.add(jrow.row, created)
            self._journal.record_statuses(import_id, reader.take())
        return False

    def _settle_case(
        self, import_id: str, key: str, held: SettleQueue, reader: StatusReader
    ) -> None:
        """The case's uncertain row has settled: look it up; post it again only if it was
        certainly not stored; then give the rows that waited behind it their turn, in order,
        until one of them holds the case in its turn."""
        row, tries = held.head(key)
        jrow = self._journal.get_row(import_id, row)
        assert jrow is not None
        if jrow.outcome is Outcome.UNKNOWN and not self._reconciler.reconcile(import_id, jrow):
            if tries >= self._config.api.max_attempts:
                raise ApiUnavailable(
                    f"row {row}: the API kept failing without a clear answer; it is left "
                    "unknown and will be looked up when the import is run again"
                )
            if self._send(import_id, jrow, key, held, reader, tries + 1):
                return  # uncertain again: the case waits on
        while (following := held.take_next(key)) is not None:
            self._check_stop()
            next_row = self._journal.get_row(import_id, following)
            assert next_row is not None
            if self._take_turn(import_id, next_row, key, held, reader):
                return

    # ------------------------------------------------------------------ posting

    def _post_one(self, import_id: str, jrow: JournalRow) -> str | object | None:
        """Send one row. Returns the new crediting's id when this POST created one,
        `_UNCERTAIN` when the answer leaves it open, None when the row is settled otherwise."""
        from importer.api.client import PostKind  # loaded with the client (see the top)

        request = jrow.request
        if request is None:  # pragma: no cover - invalid rows are never selected for posting
            return None
        if not self._claim(import_id, jrow.row, request):
            return None
        try:
            result = self._client().post_crediting(request)
        except AuthenticationFailed:
            self._journal.record(
                import_id, jrow.row, Outcome.NOT_SENT, http_status=401, note="API key refused"
            )
            raise
        if result.kind is PostKind.UNPROVEN:
            self._journal.record(
                import_id,
                jrow.row,
                Outcome.UNKNOWN,
                http_status=result.http_status,
                errors=[unproven_error(result.http_status)],
                note=result.note,
            )
            return _UNCERTAIN
        self._journal.record(
            import_id,
            jrow.row,
            _OUTCOME_OF[result.kind],
            http_status=result.http_status,
            errors=result.errors,
            crediting=result.body if result.kind is PostKind.CREATED else None,
            note=result.note,
        )
        if result.kind is PostKind.CREATED:
            return str(result.body["_id"])
        if result.kind is PostKind.NOT_STORED:
            raise ApiUnavailable(
                f"the API at {self._target_name} did not take the request ({result.note}); "
                "nothing more was sent. Run the same command again to resume"
            )
        return _UNCERTAIN if result.kind is PostKind.MAYBE_STORED else None

    def _claim(self, import_id: str, row: int, request: dict[str, Any]) -> bool:
        """Commit the row's intent — with its credit note claimed in the same transaction,
        so a second importer sharing the journal cannot send the same note meanwhile. False
        when another row holds the note: this row is then recorded as its duplicate (or
        conflict) and not sent."""
        note = request.get("credit_invoice")
        if not (self._config.dedupe.credit_invoice and note):
            self._journal.mark_intent(import_id, row)
            return True
        holder = self._journal.claim(self._target_name, request["creditor"], note, import_id, row)
        if holder is None:
            return True
        verdict = note_verdict(
            row,
            request,
            earlier_of_request(
                holder.request,
                holder.import_id,
                holder.row,
                holder.crediting_id,
                holder.case_invoice_number,
            ),
            import_id,
        )
        self._journal.record_verdicts(
            import_id,
            [(verdict.row, verdict.outcome, verdict.errors, verdict.duplicate_of, verdict.note)],
        )
        return False
