"""The case a crediting request is for, as one comparable key.

Creditings of one case affect each other (the API settles them against the case's remaining
balance, in the order they arrive); creditings of different cases do not. So this key is what
orders work: rows of one key wait for each other (a row whose earlier attempt may still be in
flight holds back the later rows of its case), rows of different keys may go ahead. It is
also how two credit-note rows are compared for "the same case".

A request names its case either by id (`case`) or by the creditor's invoice number, which the
API resolves per creditor — so an invoice number is only a key together with its creditor.
The two spellings of one case cannot be told apart without asking the API: they are different
keys, which errs on the side of waiting less, never of crediting twice."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def case_key(request: Mapping[str, Any]) -> str:
    """`case:<id>`, or `invoice:<creditor>/<invoice number>`; `row-without-case` when a
    request names neither (validation never lets one through, but the key must not fail)."""
    case = request.get("case")
    if case:
        return f"case:{case}"
    invoice = request.get("invoice_number")
    if invoice:
        return f"invoice:{request.get('creditor') or ''}/{invoice}"
    return "row-without-case"
