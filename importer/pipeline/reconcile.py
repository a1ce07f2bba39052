"""Reconciling: a row whose answer never came (`unknown`), or whose answer named no crediting,
is settled by looking its crediting up by `creditor_reference`, never by posting blindly; and
the processing status of new creditings is read back.

Only a crediting that may be this row's counts (`pipeline.ownership.could_be_its`): a reused
reference finds November's crediting for December's row, and December's row was then
recorded credited with November's `_id` while its own money was never sent."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from importer.config import Config
from importer.journal import Journal, JournalRow
from importer.outcomes import Outcome, RowError
from importer.pipeline.found_verdicts import duplicate_verdict
from importer.pipeline.ownership import could_be_its, same_case_and_amount
from importer.pipeline.reference import is_generated

if TYPE_CHECKING:
    from importer.api.client import ApiClient


UNPROVEN_CODE = "crediting_unproven"
"""A 2xx that named no crediting: looked up, credited only if found."""


def unproven_error(http_status: int | None) -> RowError:
    return RowError(
        field="",
        code=UNPROVEN_CODE,
        message=(
            f"The API answered HTTP {http_status} but named no crediting; it was looked up by "
            "reference and is credited only if found. If it is still unknown, check in Amili "
            "before crediting it again."
        ),
    )


class Reconciler:
    """Settles `unknown` rows and reads statuses back, through the import's API client."""

    def __init__(
        self, config: Config, journal: Journal, client: Callable[[], ApiClient], base_url: str
    ) -> None:
        self._config = config
        self._journal = journal
        self._client = client
        self._api = base_url
        """The target's identity: what the journal keys creditings by."""

    def reconcile(self, import_id: str, jrow: JournalRow) -> bool:
        """Settle an `unknown` row by looking its crediting up. True when the row is settled
        (credited, or left for a person); False when it certainly was not stored and may be
        posted again with the same reference."""
        request = jrow.request or {}
        reference = request.get("creditor_reference")
        if self._config.reconcile == "manual" or not reference:
            why = (
                "reconcile is set to manual"
                if reference
                else "it has no creditor_reference to look it up by"
            )
            return self._leave_for_a_person(
                import_id,
                jrow.row,
                RowError(
                    field="",
                    code="outcome_unknown",
                    message=(
                        "The API did not answer; whether it was credited is unknown and "
                        f"{why}. Check in Amili before crediting it again."
                    ),
                ),
                "left for a person",
            )
        self._journal.uncertain.note(import_id, jrow.row)  # looked up once more after posting
        found = self._client().find_by_reference(request["creditor"], reference)
        matches = could_be_its(self._journal.dedupe, self._api, import_id, jrow, found)
        same = [m for m in matches if same_case_and_amount(m, request)]
        if not matches:
            if is_generated(reference) and self._credited_elsewhere(import_id, jrow, found):
                return True
            unproven = [e for e in jrow.errors if e.code == UNPROVEN_CODE]
            if unproven:
                # The API said yes but named no crediting, and none is found: sending it
                # again could credit it twice. A person decides.
                return self._leave_for_a_person(
                    import_id, jrow.row, unproven[0], "not found after an unproven answer"
                )
            return False
        if len(matches) == 1 and same and same[0].get("_id"):
            self._journal.rows.record(
                import_id,
                jrow.row,
                Outcome.CREDITED,
                crediting=same[0],
                note="reconciled: found by creditor_reference",
            )
            return True
        return self._leave_for_a_person(
            import_id,
            jrow.row,
            RowError(
                field="creditor_reference",
                code="reconcile_ambiguous",
                message=(
                    f"{len(matches)} crediting(s) in Amili carry reference {reference}"
                    + ("" if same else " but none matches this row's amount and case")
                    + "; a person must decide before it is credited again."
                ),
            ),
            "reconcile found no single match",
        )

    def _credited_elsewhere(
        self, import_id: str, jrow: JournalRow, found: list[dict[str, Any]]
    ) -> bool:
        """A crediting another import of this journal holds under this row's generated
        reference is the same credit (the reference is derived from the row's content): made
        while this row was unknown — by another file carrying the same row — it is not made
        twice. The row becomes that row's duplicate, as the look-up before sending would
        have made it. True when so recorded."""
        owners = self._journal.dedupe.credited_rows_of(
            self._api, (str(c.get("_id")) for c in found)
        )
        for crediting in found:
            owner = owners.get(str(crediting.get("_id")))
            if owner is not None and owner[0] != import_id:
                verdict = duplicate_verdict(jrow.row, crediting, owner)
                self._journal.rows.record_verdicts(
                    import_id,
                    [
                        (
                            verdict.row,
                            verdict.outcome,
                            verdict.errors,
                            verdict.duplicate_of,
                            verdict.note,
                        )
                    ],
                )
                return True
        return False

    def _leave_for_a_person(self, import_id: str, row: int, error: RowError, note: str) -> bool:
        """The row stays `unknown`, never reposted by this importer, with the reason why."""
        self._journal.rows.record(import_id, row, Outcome.UNKNOWN, errors=[error], note=note)
        return True

    def read_statuses(self, import_id: str) -> None:
        """A 201 can still be a business failure: read `status` of every new crediting with
        batched lookups (100 ids a request)."""
        pending = self._journal.statuses.awaiting(import_id)
        if not pending:
            return
        found = self._client().fetch_creditings(crediting_id for _, crediting_id in pending)
        self._journal.statuses.record(
            import_id, [(row, found[cid]) for row, cid in pending if cid in found]
        )
