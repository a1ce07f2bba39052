"""When a row must not be sent because its money was (or is being) credited already.

Decided before a row is posted, in file order, from what is known at that moment — earlier
rows of the file, the journal, the API — so the decision never depends on timing (posting in
lanes relies on this). The rules (docs/outcomes.md):

* **Credit notes.** A credit note credited before for the creditor (earlier row, earlier
  import, or found at the API) with the same amount and case: `duplicate`, pointing at the
  original. With another amount or case it is not a duplicate but a disagreement that only a
  person can settle — treating it as a duplicate left 135 SEK uncredited without a word, and
  sending it would credit the note twice: `invalid`, code `credit_invoice_conflict`, naming
  both amounts or cases and where the earlier one is. A crediting found at the API by the
  note that carries this row's own generated reference (`pipeline.reference`), amount and case
  is no earlier credit but this row's own, which a lost or restored journal forgot (a power cut
  between the answer and its commit): `credited` with its `_id`, as a row without a note found
  under its reference is (`pipeline.api_lookup`). Called a duplicate of itself, it left money
  the API holds out of the report's credited and settled totals.
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
from importer.pipeline.reference import file_reference, is_generated
from importer.words import Language, number_text, text


@dataclass(frozen=True, slots=True)
class Earlier:
    """A crediting a new row is compared with, and how to point a person at it."""

    amount: Decimal | None
    cases: frozenset[str]
    """Every case key it is known under (by case id and by invoice number, when known)."""
    case_ref: tuple[str, str]
    """The case as a person names it: ("case", "64b0…") or ("invoice", "F-1")."""
    import_id: str | None
    row: int | None
    crediting_id: str | None
    reference: str | None = None
    """The `creditor_reference` of a crediting found at the API (None for one the journal
    knows): what tells a row's own crediting from an earlier credit of its note."""

    @property
    def where(self) -> str:
        return self.where_in("en")

    def where_in(self, language: Language) -> str:
        """Where the earlier crediting is, in words of `language`."""
        if self.import_id is not None and self.row is not None:
            return text("detail.where_import", language, id=self.import_id, row=self.row)
        if self.row is not None:
            return text("detail.where_row", language, row=self.row)
        return text("detail.where_api", language, id=self.crediting_id)

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
    crediting_id: str | None = None
    """The row's own crediting, found at the API, when the outcome is `credited`."""


def _case_ref(request: Mapping[str, Any]) -> tuple[str, str]:
    if request.get("case"):
        return ("case", str(request["case"]))
    return ("invoice", str(request.get("invoice_number")))


def _case_text(ref: tuple[str, str], language: Language) -> str:
    return text(f"detail.{ref[0]}", language, id=ref[1])


def _money(amount: Decimal | None, language: Language) -> str:
    """An amount in a sentence: as the file gave it in English (`135.00`), the Swedish way
    in Swedish (`135,00`)."""
    if amount is None or language == "en":
        return str(amount)
    return number_text(amount, language)


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
        _case_ref(request),
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
        _case_ref(crediting),
        origin[0] if origin else None,
        origin[1] if origin else None,
        str(crediting.get("_id") or "") or None,
        crediting.get("creditor_reference"),
    )


def is_own(request: Mapping[str, Any], earlier: Earlier) -> bool:
    """The crediting of the note is this row's own: found at the API under the reference the
    importer derived from this row's content (the same whatever the journal), with its amount
    and case. A reference the file supplied may be reused by another credit, so it never
    makes a crediting the row's own here."""
    reference = request.get("creditor_reference")
    return (
        is_generated(reference)
        and earlier.reference == reference
        and earlier.crediting_id is not None
        and _amount(request.get("amount")) == earlier.amount
        and case_key(request) in earlier.cases
    )


def note_verdict(
    row: int, request: Mapping[str, Any], earlier: Earlier, here: str, language: Language = "en"
) -> Verdict:
    """The verdict on a row whose credit note was credited before (`earlier`); a conflict's
    full message in `language` (`report.language`: it is the sentence a person acts on).
    The row's own crediting (`is_own`) makes it `credited` with that crediting."""
    note = request["credit_invoice"]
    if is_own(request, earlier):
        return Verdict(
            row,
            Outcome.CREDITED,
            [],
            None,
            "found at the API by its credit note under its own reference: credited by an "
            "earlier run this journal does not know of; not sent again",
            earlier.crediting_id,
        )
    amount = _amount(request.get("amount"))
    where = (
        earlier.where_in(language)
        if earlier.import_id != here
        else text("detail.where_row", language, row=earlier.row)
    )
    if amount == earlier.amount and case_key(request) in earlier.cases:
        return Verdict(
            row,
            Outcome.DUPLICATE,
            [
                RowError(
                    field="credit_invoice",
                    code="credit_invoice_already_credited",
                    message=text("detail.already_credited", language, note=note, where=where),
                )
            ],
            earlier.pointer,
            "duplicate credit note",
        )
    if amount != earlier.amount:
        key, before, now = (
            "detail.conflict_amount",
            _money(earlier.amount, language),
            _money(amount, language),
        )
    else:
        key = "detail.conflict_case"
        before = _case_text(earlier.case_ref, language)
        now = _case_text(_case_ref(request), language)
    message = text(key, language, note=note, earlier=before, where=where, amount=now)
    return Verdict(
        row,
        Outcome.INVALID,
        [
            RowError(
                field="credit_invoice",
                code="credit_invoice_conflict",
                message=message,
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


def repeat_verdict(
    row: int, earlier: Earlier, file_name: str | None, language: Language = "en"
) -> Verdict:
    of_file = f" ({file_name})" if file_name else ""
    return Verdict(
        row,
        Outcome.DUPLICATE,
        [
            RowError(
                field="",
                code="row_already_credited",
                message=text(
                    "detail.repeat",
                    language,
                    where=earlier.where_in(language) + of_file,
                    id=earlier.crediting_id,
                ),
            )
        ],
        earlier.pointer,
        "repeated row of an earlier import",
    )
