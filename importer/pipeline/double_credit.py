"""Detecting what settling cannot prevent: a reference credited twice.

The settle time keeps a late-stored request from being posted again, but an API may store a
request later still. So every row that had more than one attempt, or an uncertain one, is
noted in the journal (`journal.uncertain`), and after posting — once the settle time has
passed since its last attempt — it is looked up by its reference once more. Two or more
creditings that may be the row's (`pipeline.ownership.could_be_its`: not another row's, nor
an older credit under a reused reference): the row keeps its outcome and is flagged
`credited_twice` with every `_id`, the import exits 1, and a sentence tells a person to
reverse one. Nothing is reversed
automatically: a reversal is money too."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from importer.journal import Journal, JournalRow
from importer.outcomes import CREDITED_TWICE, RowError
from importer.pipeline.ownership import could_be_its

Find = Callable[[str, str], list[dict[str, Any]]]
"""(creditor, reference) -> the creditings the API holds (`ApiClient.find_by_reference`)."""


class DoubleCredits:
    """The look-up after posting, over the rows of one import noted as uncertain."""

    def __init__(self, journal: Journal, base_url: str) -> None:
        self._journal = journal
        self._api = base_url

    def due(self, import_id: str, settle: float) -> float | None:
        """When the last noted credited row's last attempt has settled (epoch seconds);
        None when no credited row is noted."""
        rows = self._credited(import_id)
        if not rows:
            return None
        moments = [r.intent_at.timestamp() for r in rows if r.intent_at is not None]
        return max(moments, default=0.0) + settle

    def check(self, import_id: str, find: Find) -> int:
        """Look every noted credited row up once more; flag those credited twice. Returns
        how many were flagged. Rows still `unknown` stay noted for the next run."""
        flagged = 0
        for jrow in self._credited(import_id):
            request = jrow.request or {}
            reference = request.get("creditor_reference")
            if reference:
                found = could_be_its(
                    self._journal,
                    self._api,
                    import_id,
                    jrow,
                    find(request["creditor"], reference),
                )
                if len(found) > 1:
                    self._flag(import_id, jrow, reference, found)
                    flagged += 1
            self._journal.forget_uncertain(import_id, jrow.row)
        return flagged

    def _credited(self, import_id: str) -> list[JournalRow]:
        rows = (
            self._journal.get_row(import_id, n) for n in self._journal.uncertain_credited(import_id)
        )
        return [row for row in rows if row is not None]

    def _flag(
        self, import_id: str, jrow: JournalRow, reference: str, found: list[dict[str, Any]]
    ) -> None:
        ids = ", ".join(str(c.get("_id")) for c in found)
        error = RowError(
            field="creditor_reference",
            code=CREDITED_TWICE,
            message=(
                f"Amili holds {len(found)} creditings with reference {reference} ({ids}): "
                "this row was credited more than once. Reverse all but one of them in Amili."
            ),
        )
        kept = [e for e in jrow.errors if e.code != CREDITED_TWICE]
        self._journal.flag(import_id, jrow.row, [*kept, error], f"credited {len(found)} times")
