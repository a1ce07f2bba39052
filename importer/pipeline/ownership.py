"""Whose is a crediting found at the API: this row's, another row's, or cannot be told.

Every look-up by reference — before a row is sent (`pipeline.api_lookup`), after an
uncertain attempt (`pipeline.reconcile`) and in the sweep after posting
(`pipeline.double_credit`) — answers with creditings, and only some of them may be this
row's. A reference the importer generated is derived from the row's content
(`pipeline.reference`), so what it finds is a crediting of the same credit. A reference the
file supplied may be reused: November's `RABATT-INV-0005` is not December's. So a crediting
found under a file's reference is this row's only if it credits the same thing (case or
invoice, amount, currency, date and credit note), the journal knows no other row it belongs
to, and — where both are known — it was created after this row's first attempt left."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any

from importer.journal import DedupeStore, JournalRow
from importer.pipeline.reference import is_generated

CLOCK_MARGIN = timedelta(minutes=5)
"""How far the API's clock (`_created`) and this host's (a row's intent) may disagree: a
crediting created more than this before a row's first attempt left is not that attempt's."""


def _moment(value: Any) -> datetime | None:
    """An RFC 1123 date as the API writes it, or None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None


def _amount(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def same_case_and_amount(found: Mapping[str, Any], request: Mapping[str, Any]) -> bool:
    """The crediting credits the same amount on the same case (by case id, or by the invoice
    number the row names and the API shows)."""
    amount = _amount(request.get("amount"))
    if amount is None or _amount(found.get("amount")) != amount:
        return False
    if request.get("case"):
        return bool(found.get("case") == request["case"])
    invoice = request.get("invoice_number")
    return invoice is not None and invoice in (
        found.get("invoice_number"),
        found.get("case_invoice_number"),
    )


def same_credit(found: Mapping[str, Any], request: Mapping[str, Any]) -> bool | None:
    """Whether the crediting credits exactly this row's credit: case, amount, currency,
    credit note and date. None when that cannot be told: everything else matches but the row
    gives no date (the API dates a crediting sent without one itself)."""
    if not same_case_and_amount(found, request):
        return False
    if (found.get("currency") or "SEK") != (request.get("currency") or "SEK"):
        return False
    if (found.get("credit_invoice") or None) != (request.get("credit_invoice") or None):
        return False
    date = _moment(request.get("client_registration_date"))
    if date is None:
        return None
    return _moment(found.get("client_registration_date")) == date


def created_before(found: Mapping[str, Any], moment: datetime | None) -> bool:
    """The crediting was created before `moment` (less the clock margin): it cannot be what
    an attempt that left at `moment` stored. False when either time is unknown."""
    created = _moment(found.get("_created"))
    if created is None or moment is None:
        return False
    return created < moment - CLOCK_MARGIN


def could_be_its(
    dedupe: DedupeStore,
    base_url: str,
    import_id: str,
    jrow: JournalRow,
    found: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """The creditings found under a row's reference that may be this row's: none the journal
    knows as another row's and, under a reference the file supplied, none that credits
    another thing or was created before the row's first attempt left."""
    request = jrow.request or {}
    here = (import_id, jrow.row)
    owners = dedupe.credited_rows_of(base_url, (str(c.get("_id")) for c in found))
    kept = [c for c in found if owners.get(str(c.get("_id")), here) == here]
    if is_generated(request.get("creditor_reference")):
        return kept
    first = dedupe.first_attempt_at(import_id, jrow.row)
    return [
        c for c in kept if same_credit(c, request) is not False and not created_before(c, first)
    ]
