"""Sending one row: one attempt of one row's POST, from the intent committed right before it
leaves to the answer recorded in the journal (`pipeline.posting` decides which row goes when,
and what an uncertain attempt waits for).

The intent is committed right before each attempt leaves, after any pause, so a row's settle
time counts from when its request really left; for a row with a credit note it is committed
in one transaction with the note's claim (`journal.claims`), so two importers sharing a
journal never send one note both: the row that loses the claim is recorded as the holder's
duplicate (or conflict) and nothing leaves."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from importer.api.answers import RAW
from importer.config import Config
from importer.errors import ApiUnavailable, AuthenticationFailed, Interrupted
from importer.journal import Journal
from importer.outcomes import Outcome
from importer.pipeline.dedupe_rules import earlier_of_request, note_verdict
from importer.pipeline.reconcile import unproven_error

if TYPE_CHECKING:
    from importer.api.client import ApiClient, PostResult


_OUTCOME_OF = {  # by `PostKind` (a StrEnum: its members are these strings)
    "created": Outcome.CREDITED,
    "rejected": Outcome.REJECTED,
    "not_stored": Outcome.NOT_SENT,
    "maybe_stored": Outcome.UNKNOWN,
}


UNCERTAIN = object()
"""`RowSender.send`'s answer for an attempt that may or may not have created a crediting."""


class _ClaimLost(Exception):
    """Raised from `before_send` when another row holds the credit note: nothing leaves."""


class RowSender:
    """Sends one row at a time through the calling thread's client (`client`)."""

    def __init__(
        self,
        config: Config,
        journal: Journal,
        target_name: str,
        *,
        client: Callable[[], ApiClient],
        stop: threading.Event,
    ) -> None:
        self._config = config
        self._journal = journal
        self._target_name = target_name
        self._client = client
        self._stop = stop

    def send(
        self, import_id: str, row: int, request: dict[str, Any], *, uncertain: bool
    ) -> str | object | None:
        """Send one row (the client retries only what certainly was not stored). Returns the
        new crediting's id, `UNCERTAIN` when the answer leaves it open, None when the row is
        settled otherwise (rejected, or another row holds its credit note). `uncertain`: an
        earlier attempt of the row may have been stored."""
        from importer.api.client import PostKind  # loaded with the client (see the top)

        try:
            # The intent (and claim) is committed right before each attempt leaves, after
            # any pause (a 429 on any lane holds them all): the settle time counts from
            # when the request really left.
            attempts = 0

            def before_send() -> None:
                nonlocal attempts
                attempts += 1
                if attempts == 2 or (attempts == 1 and uncertain):
                    # More than one attempt: looked up once more after posting.
                    self._journal.uncertain.note(import_id, row)
                self._claim(import_id, row, request)

            result = self._client().post_crediting(request, before_send=before_send)
        except _ClaimLost:
            return None
        except AuthenticationFailed:
            self._journal.rows.record(
                import_id, row, Outcome.NOT_SENT, http_status=401, note="API key refused"
            )
            raise
        except Interrupted:  # raised in a wait before sending: this attempt stored nothing
            if not uncertain:  # else the row stays unknown: looked up before any resend
                self._journal.rows.record(import_id, row, Outcome.NOT_SENT, note="stopped")
            raise
        self._record(import_id, row, result)
        if result.kind is PostKind.CREATED:
            return str(result.body["_id"])
        if result.kind is PostKind.NOT_STORED and self._stop.is_set():
            raise Interrupted("stopped on request; run the same command again to resume")
        if result.kind is PostKind.NOT_STORED:
            raise ApiUnavailable(
                f"the API at {self._target_name} did not take the request ({result.note}); "
                "nothing more was sent. Run the same command again to resume"
            )
        if result.kind in (PostKind.MAYBE_STORED, PostKind.UNPROVEN):
            return UNCERTAIN
        return None

    def _record(self, import_id: str, row: int, result: PostResult) -> None:
        from importer.api.client import PostKind

        if result.kind is PostKind.UNPROVEN:
            self._journal.rows.record(
                import_id,
                row,
                Outcome.UNKNOWN,
                http_status=result.http_status,
                errors=[unproven_error(result.http_status)],
                # An answer that is not a JSON object is kept raw and flagged (api.answers);
                # one that is (without an `_id`) proves nothing to keep.
                crediting=result.body if RAW in result.body else None,
                note=result.note,
            )
            return
        self._journal.rows.record(
            import_id,
            row,
            _OUTCOME_OF[result.kind],
            http_status=result.http_status,
            errors=result.errors,
            crediting=result.body if result.kind is PostKind.CREATED else None,
            note=result.note,
        )

    def _claim(self, import_id: str, row: int, request: dict[str, Any]) -> None:
        """Commit the row's intent — with its credit note claimed in the same transaction,
        so a second importer sharing the journal cannot send the same note meanwhile. When
        another row holds the note, this row is recorded as its duplicate (or conflict) and
        `_ClaimLost` keeps the request from leaving. (On a retry of a request certainly not
        stored, the row still holds its own claim: claiming again only renews the intent.)"""
        note = request.get("credit_invoice")
        if not (self._config.dedupe.credit_invoice and note):
            self._journal.rows.mark_intent(import_id, row)
            return
        holder = self._journal.claims.take(
            self._target_name, request["creditor"], note, import_id, row
        )
        if holder is None:
            return
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
            self._config.report.language,
        )
        self._journal.rows.record_verdicts(
            import_id,
            [(verdict.row, verdict.outcome, verdict.errors, verdict.duplicate_of, verdict.note)],
        )
        raise _ClaimLost
