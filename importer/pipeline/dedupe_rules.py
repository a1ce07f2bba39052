"""When a row must not be sent because its money was (or is being) credited already.

Decided before a row is posted, in file order, from what is known at that moment — earlier
rows of the file, the journal, the API — so the decision never depends on timing (posting in
lanes relies on this). The rules (DESIGN.md §3, issue 9 §4, issue 10 §4):

* **Credit notes.** A credit note credited before for the creditor (earlier row, earlier
  import, or found at the API) with the same amount and case: `duplicate`, pointing at the
  original. With another amount or case it is not a duplicate but a disagreement that only a
  person can settle — treating it as a duplicate left 135 SEK uncredited without a word, and
  sending it would credit the note twice: `invalid`, code `credit_invoice_conflict`, naming
  both amounts or cases and where the earlier one is.
* **Repeats.** A row without a credit note identical in every mapped field (case or invoice
  number, amount, currency, date, the file's own reference, …) to a row credited by an
  earlier import for the same creditor at that API is `duplicate` of it: a re-sent or
  cumulative export. Identical rows inside one file are two credits — the file says so.

These functions are pure: the pass that gathers what is known and records the verdicts is
`importer.pipeline.dedupe`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from importer.api.request import FIELDS
from importer.case_key import case_key
from importer.outcomes import Outcome, RowError
from importer.pipeline.reference import file_reference


@dataclass(frozen=True, slots=True)
class Earlier:
    """A crediting a new row is compared with, and how to point a person at it."""

    amount: Decimal | None
    cases: frozenset[str]
    """Every case key it is known under (by case id and by invoice number, when known)."""
    case_text: str
    """The case as a person reads it: `case 64b0…` or `invoice F-1`."""
    import_id: str | None
    row: int | None
    crediting_id: str | None

    @property
    def where(self) -> str:
        if self.import_id is not None and self.row is not None:
            return f"import {self.import_id} row {self.row}"
        if self.row is not None:
            return f"row {self.row}"
        return f"crediting {self.crediting_id} found at the API"

    @property
    def pointer(self) -> dict[str, Any]:
        return {"file_import_report": self.import_id, "row": self.row, "_id": self.crediting_id}


@dataclass(frozen=True, slots=True)
class Verdict:
    """A row that is not to be sent, and why."""

    row: int
    outcome: Outcome
    errors: list[RowError]
    duplicate_of: dict[str, Any] | None
    note: str


def _case_text(request: Mapping[str, Any]) -> str:
    if request.get("case"):
        return f"case {request['case']}"
    return f"invoice {request.get('invoice_number')}"


def _amount(value: Any) -> Decimal | None:
    try:
        return None if value is None else Decimal(str(value))
    except InvalidOperation:
        return None


def earlier_of_request(
    request: Mapping[str, Any],
    import_id: str | None,
    row: int | None,
    crediting_id: str | None,
    case_invoice_number: str | None = None,
) -> Earlier:
    """A row of the journal (this import or another) as something to compare with."""
    cases = {case_key(request)}
    if case_invoice_number:
        cases.add(
            case_key({"creditor": request.get("creditor"), "invoice_number": case_invoice_number})
        )
    return Earlier(
        _amount(request.get("amount")),
        frozenset(cases),
        _case_text(request),
        import_id,
        row,
        crediting_id,
    )


def earlier_of_crediting(crediting: Mapping[str, Any], origin: tuple[str, int] | None) -> Earlier:
    """A crediting found at the API: known under its case id and each invoice number the
    API shows for it."""
    creditor = crediting.get("creditor")
    cases = set()
    if crediting.get("case"):
        cases.add(case_key({"case": crediting["case"]}))
    for name in ("invoice_number", "case_invoice_number"):
        if crediting.get(name):
            cases.add(case_key({"creditor": creditor, "invoice_number": crediting[name]}))
    return Earlier(
        _amount(crediting.get("amount")),
        frozenset(cases),
        _case_text(crediting),
        origin[0] if origin else None,
        origin[1] if origin else None,
        str(crediting.get("_id") or "") or None,
    )


def note_verdict(row: int, request: Mapping[str, Any], earlier: Earlier, here: str) -> Verdict:
    """The verdict on a row whose credit note was credited before (`earlier`)."""
    note = request["credit_invoice"]
    amount = _amount(request.get("amount"))
    where = earlier.where if earlier.import_id != here else f"row {earlier.row}"
    if amount == earlier.amount and case_key(request) in earlier.cases:
        return Verdict(
            row,
            Outcome.DUPLICATE,
            [
                RowError(
                    field="credit_invoice",
                    code="credit_invoice_already_credited",
                    message=f"Credit note {note} was already credited ({where}); not sent again.",
                )
            ],
            earlier.pointer,
            "duplicate credit note",
        )
    if amount != earlier.amount:
        differs = f"for {earlier.amount} ({where}); this row says {amount}"
    else:
        differs = f"on {earlier.case_text} ({where}); this row names {_case_text(request)}"
    return Verdict(
        row,
        Outcome.INVALID,
        [
            RowError(
                field="credit_invoice",
                code="credit_invoice_conflict",
                message=(
                    f"Credit note {note} was already credited {differs}. Not sent: a person "
                    "must decide which is right and credit any difference by hand."
                ),
            )
        ],
        None,
        "credit note credited before with another amount or case",
    )


def repeat_fingerprint(request: Mapping[str, Any]) -> tuple[Any, ...]:
    """Every mapped field of a request, the reference only when the file supplied it (a
    generated one is derived from the other fields and the row's occurrence, or, from before
    that, carries its import's id), the amount as an exact Decimal."""
    values: list[Any] = []
    for name in FIELDS:
        value = request.get(name)
        if name == "creditor_reference":
            value = file_reference(value)
        elif name == "amount":
            value = _amount(value)
        values.append(value)
    return tuple(values)


def repeat_verdict(row: int, earlier: Earlier, file_name: str | None) -> Verdict:
    of_file = f" ({file_name})" if file_name else ""
    return Verdict(
        row,
        Outcome.DUPLICATE,
        [
            RowError(
                field="",
                code="row_already_credited",
                message=(
                    f"This row is identical to {earlier.where}{of_file}, credited as "
                    f"{earlier.crediting_id}; not sent again. If it is a new credit, run with "
                    "--allow-repeats."
                ),
            )
        ],
        earlier.pointer,
        "repeated row of an earlier import",
    )
