"""Posting: intent → post → record for each row, in file order per case (DESIGN.md §2).

This is where exactly-once is kept: a row's intent is committed before its request leaves
(`journal.mark_intent`), its outcome after the answer; a row whose answer never came is
settled by the reconciler before anything more of its case is sent; a credit note already
credited is not posted again.

Rows go one at a time in file order, or with `posting.lanes` > 1 several cases at once
(`pipeline.lanes`): `_post_one` is the whole per-row path, the lanes only decide which row
may go next, so every rule above holds per row whatever the lane count."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import structlog

from importer.api.readback import StatusReader
from importer.case_key import case_key
from importer.config import Config
from importer.errors import ApiUnavailable, AuthenticationFailed, Interrupted
from importer.journal import Journal, JournalRow
from importer.outcomes import Outcome
from importer.pipeline.dedupe import CreditNotes
from importer.pipeline.lanes import LaneRun, post_in_lanes
from importer.pipeline.reconcile import Reconciler
from importer.pipeline.results import Progress

if TYPE_CHECKING:
    from importer.api.client import ApiClient


log = structlog.get_logger("importer")

_OUTCOME_OF = {  # by `PostKind` (a StrEnum: its members are these strings)
    "created": Outcome.CREDITED,
    "rejected": Outcome.REJECTED,
    "not_stored": Outcome.NOT_SENT,
    "maybe_stored": Outcome.UNKNOWN,
}


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
        credit_notes: CreditNotes,
        stop: threading.Event,
        progress: Progress | None,
    ) -> None:
        self._config = config
        self._journal = journal
        self._target_name = target_name
        self._client = client
        self._connect = connect
        self._reconciler = reconciler
        self._credit_notes = credit_notes
        self._stop = stop
        self._progress = progress
        self.last_run: LaneRun | None = None
        """Lanes, rows posted and seconds of the latest `post_rows` that posted a row."""

    def _settled_at(self, jrow: JournalRow) -> float:
        """When a row left `unknown` by an earlier run may be looked up (epoch seconds). Its
        request may still be on its way to being stored: looked up too early it would be
        found missing and posted again. So not before `api.read_timeout` has passed since it
        left — the time the dead run would itself have waited for the answer. Meanwhile the
        row holds its case and other cases go ahead (`pipeline.lanes`)."""
        if jrow.intent_at is None or self._config.reconcile == "manual":
            return 0.0
        return jrow.intent_at.timestamp() + self._config.api.read_timeout

    def post_rows(self, import_id: str, rows: Iterator[JournalRow], total: int) -> None:
        """Post the rows in `posting.lanes` lanes: each row by `_post_one`, a row never
        before the earlier rows of its case (or of its credit note)."""
        reader = StatusReader(self._connect)
        lock = threading.Lock()  # the reader and the progress count, shared by the lanes
        done = 0
        posted = False

        def post(jrow: JournalRow) -> float | None:
            nonlocal done
            if jrow.outcome is Outcome.UNKNOWN and (until := self._settled_at(jrow)) > time.time():
                log.info("import.settle", row=jrow.row, seconds=round(until - time.time(), 1))
                return until  # taken up again then; its case waits, others go ahead
            created = self._post_one(import_id, jrow)
            with lock:
                if created is not None:
                    reader.add(jrow.row, created)
                    self._journal.record_statuses(import_id, reader.take())
                done += 1
                if self._progress is not None:
                    self._progress(done, total, lambda: self._attention_so_far(import_id))
            return None

        try:
            run = post_in_lanes(
                rows,
                post,
                lanes=self._config.posting.lanes,
                keys=self._lane_keys,
                stop=self._stop,
                clock=time.time,  # the clock of `_settled_at`
            )
            if run.posted:
                self.last_run = run
            if run.left:
                raise Interrupted("stopped on request; run the same command again to resume")
            posted = True
        finally:
            # A stopped run does not wait for lookups in flight (they may be retrying an API
            # that is down); the next run reads what is missing.
            self._journal.record_statuses(import_id, reader.close(wait=posted))

    def _lane_keys(self, jrow: JournalRow) -> tuple[str, ...]:
        """What a row must wait for: the earlier rows of its case and, with credit-note
        dedupe on, of its credit note — so the dedupe check `_post_one` makes when the row's
        turn comes sees the same journal as in strict file order (`pipeline.lanes`)."""
        request = jrow.request or {}
        keys: tuple[str, ...] = (case_key(request),)
        note = request.get("credit_invoice")
        if self._config.dedupe.credit_invoice and note:
            keys += (f"credit_invoice:{request.get('creditor')}/{note}",)
        return keys

    def _attention_so_far(self, import_id: str) -> int:
        counts = self._journal.outcome_counts(import_id)
        return sum(counts[o] for o in (Outcome.INVALID, Outcome.REJECTED, Outcome.UNKNOWN))

    def _post_one(self, import_id: str, jrow: JournalRow) -> str | None:
        """Settle one row; the new crediting's id when this row's POST created one."""
        from importer.api.client import PostKind  # loaded with the client (see the top)

        request = jrow.request
        if request is None:  # pragma: no cover - invalid rows are never selected for posting
            return None
        if jrow.outcome is Outcome.UNKNOWN and self._reconciler.reconcile(import_id, jrow):
            return None
        if self._config.dedupe.credit_invoice and self._credit_notes.settle(
            import_id, jrow.row, request
        ):
            return None
        for _ in range(self._config.api.max_attempts):
            try:
                # The intent is committed right before each attempt leaves, after any pause
                # (a 429 on any lane holds them all): a resumed run counts its settle time
                # from when the request really left.
                result = self._client().post_crediting(
                    request, before_send=lambda: self._journal.mark_intent(import_id, jrow.row)
                )
            except AuthenticationFailed:
                self._journal.record(
                    import_id, jrow.row, Outcome.NOT_SENT, http_status=401, note="API key refused"
                )
                raise
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
                return str(result.body.get("_id") or "") or None
            if result.kind is PostKind.REJECTED:
                return None
            if result.kind is PostKind.NOT_STORED:
                raise ApiUnavailable(
                    f"the API at {self._target_name} did not take the request ({result.note}); "
                    "nothing more was sent. Run the same command again to resume"
                )
            # MAYBE_STORED: settle this row before anything else is sent.
            unknown = self._journal.get_row(import_id, jrow.row)
            assert unknown is not None
            if self._reconciler.reconcile(import_id, unknown):
                return None
        raise ApiUnavailable(
            f"row {jrow.row}: the API kept failing without a clear answer; it is left unknown "
            "and will be looked up when the import is run again"
        )
