"""Posting: intent → post → record, one row at a time in file order (DESIGN.md §2).

This is where exactly-once is kept: a row's intent is committed before its request leaves
(`journal.mark_intent`), its outcome after the answer; a row whose answer never came is
settled by the reconciler before anything else is sent; a credit note already credited is
not posted again."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import structlog

from importer.api.readback import StatusReader
from importer.config import Config
from importer.errors import ApiUnavailable, AuthenticationFailed, Interrupted
from importer.journal import Journal, JournalRow, utcnow
from importer.outcomes import Outcome
from importer.pipeline.dedupe import CreditNotes
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
        credit_notes: CreditNotes,
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
        self._credit_notes = credit_notes
        self._stop = stop
        self._progress = progress
        self._sleep = sleep

    def let_in_flight_settle(self, import_id: str) -> None:
        """A request that was in flight when an earlier run died may still be on its way to
        being stored: looking it up too early would find nothing and post it again. So wait
        until `api.read_timeout` has passed since the latest such request left — the time the
        dead run would itself have waited for the answer."""
        latest = self._journal.latest_intent(import_id)
        if latest is None:
            return
        remaining = self._config.api.read_timeout - (utcnow() - latest).total_seconds()
        if remaining > 0:
            log.info("import.settle", seconds=round(remaining, 1))
            self._sleep(remaining)

    def post_rows(self, import_id: str, rows: Iterable[JournalRow], total: int) -> None:
        reader = StatusReader(self._connect)
        posted = False
        try:
            for done, jrow in enumerate(rows):
                if self._stop.is_set():
                    raise Interrupted("stopped on request; run the same command again to resume")
                created = self._post_one(import_id, jrow)
                if created is not None:
                    reader.add(jrow.row, created)
                    self._journal.record_statuses(import_id, reader.take())
                if self._progress is not None:
                    self._progress(done + 1, total, lambda: self._attention_so_far(import_id))
            posted = True
        finally:
            # A stopped run does not wait for lookups in flight (they may be retrying an API
            # that is down); the next run reads what is missing.
            self._journal.record_statuses(import_id, reader.close(wait=posted))

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
            self._journal.mark_intent(import_id, jrow.row)
            try:
                result = self._client().post_crediting(request)
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
