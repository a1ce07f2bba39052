"""Credit-note dedupe (DESIGN.md §3 `duplicate`): a credit note (creditor, credit invoice)
already credited through the same API is never posted again. One rule, two moments: a whole
file at once for a dry run (`mark_file`), one row just before it is posted (`settle`); both
word the row error the same way (`duplicate_error`)."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import compress
from typing import Any

from importer.journal import Journal
from importer.outcomes import Outcome, RowError


class CreditNotes:
    """The journal's credited credit notes, as seen by one target."""

    def __init__(self, journal: Journal, base_url: str) -> None:
        self._journal = journal
        self._base_url = base_url

    def mark_file(
        self,
        numbers: list[int],
        fields: dict[str, list[Any]],
        valid: list[bool] | None,
        outcomes: list[Outcome],
        errors: list[Sequence[RowError]],
    ) -> None:
        """A whole file at once (a dry run: nothing is credited, so the journal cannot say what
        an earlier row of the same file did): a credit note an earlier import credited, or an
        earlier row of the file carries, is marked duplicate in `outcomes` and `errors`."""
        creditors, invoices = fields["creditor"], fields["credit_invoice"]
        if valid is not None:
            creditors, invoices = list(compress(creditors, valid)), list(compress(invoices, valid))
        if (
            len(set(creditors)) == 1
            and len(set(invoices)) == len(invoices)
            and not self._journal.has_credited(creditors[0], base_url=self._base_url)
        ):
            return  # the usual file: settled without a loop over its rows
        creditors, invoices = fields["creditor"], fields["credit_invoice"]
        keyed = [i for i, note in enumerate(invoices) if note and (valid is None or valid[i])]
        keys = [(creditors[i], invoices[i]) for i in keyed]
        earlier = self._journal.find_credited_many(set(keys), base_url=self._base_url)
        first: dict[tuple[str, str], int] = {}
        for index, key in zip(keyed, keys, strict=True):
            if key in earlier:
                import_id, row, _ = earlier[key]
                outcomes[index] = Outcome.DUPLICATE
                errors[index] = [duplicate_error(key[1], row, import_id)]
            elif key in first:
                outcomes[index] = Outcome.DUPLICATE
                errors[index] = [duplicate_error(key[1], first[key])]
            else:
                first[key] = numbers[index]

    def settle(self, import_id: str, row: int, request: dict[str, Any]) -> bool:
        """One row about to be posted: True when its credit note was already credited (by
        an earlier row of this import or by another import to the same API) and the row is
        now recorded `duplicate` instead."""
        if not request.get("credit_invoice"):
            return False
        original = self._journal.find_credited(
            request["creditor"],
            request["credit_invoice"],
            base_url=self._base_url,
            exclude=(import_id, row),
        )
        if original is None:
            return False
        orig_import, orig_row, orig_id = original
        self._journal.record(
            import_id,
            row,
            Outcome.DUPLICATE,
            errors=[
                duplicate_error(
                    request["credit_invoice"],
                    orig_row,
                    None if orig_import == import_id else orig_import,
                )
            ],
            crediting={"_id": orig_id},
            duplicate_of={"file_import_report": orig_import, "row": orig_row, "_id": orig_id},
            note="duplicate credit note",
        )
        return True


def duplicate_error(credit_invoice: str, row: int | None, import_id: str | None = None) -> RowError:
    where = f"row {row}" if import_id is None else f"import {import_id} row {row}"
    return RowError(
        field="credit_invoice",
        code="credit_invoice_already_credited",
        message=f"Credit note {credit_invoice} was already credited ({where}); not sent again.",
    )
