"""Bulk-phase helpers: trusted model construction and the collector pause."""

from __future__ import annotations

import gc
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import BaseModel

from importer.api.request import FIELDS, CreditingRequest
from importer.bulk import SLOTS, gc_paused, trusted, trusted_all
from importer.outcomes import Outcome, RowError
from importer.report import Attempt, ReportRow


def test_trusted_builds_what_model_construct_builds() -> None:
    values = {
        "row": 7,
        "outcome": Outcome.CREDITED,
        "id": "a" * 24,
        "status": "warning",
        "status_reason_locale": "crediting.amount_exceeds_remaining",
        "settled_amount": Decimal("300.00"),
        "http_status": 201,
        "errors": [RowError(field="amount", code="c", message="m")],
        "request": {"amount": Decimal("450.00"), "invoice_number": "F-1002"},
        "source": {"Belopp": "450,00"},
        "original_source": None,
        "duplicate_of": None,
        "case_invoice_number": "F-1002",
        "case_reference_number": "70010002",
        "attempts": [Attempt(at=datetime(2026, 1, 1, tzinfo=UTC), outcome=Outcome.CREDITED)],
        "resolution": None,
    }
    assert set(values) == set(ReportRow.model_fields)  # every field, as `trusted` requires
    fast = trusted(ReportRow, dict(values), set(ReportRow.model_fields))
    slow = ReportRow.model_construct(**values)
    assert fast == slow
    assert fast.model_dump_json(by_alias=True) == slow.model_dump_json(by_alias=True)
    assert fast.model_fields_set == slow.model_fields_set


@pytest.mark.parametrize("enabled", [True, False])
def test_gc_paused_restores_the_collector_state(enabled: bool) -> None:
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        with gc_paused():
            assert not gc.isenabled()
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def test_pydantic_still_keeps_a_model_in_the_slots_trusted_construction_fills() -> None:
    """Trusted construction sets BaseModel's slots itself (no public API is fast enough:
    see `importer.bulk`). A pydantic release that renames, adds or drops one fails here."""
    assert BaseModel.__slots__ == SLOTS
    for slot in SLOTS:
        assert hasattr(BaseModel.__dict__[slot], "__set__")


def test_trusted_requests_are_indistinguishable_from_validated_ones() -> None:
    data = {
        "creditor": "5f1a2b3c4d5e6f7a8b9c0d1e",
        "case": None,
        "invoice_number": "1001",
        "currency": "SEK",
        "amount": Decimal("0.30"),
        "origin": "creditor_system",
        "credit_invoice": None,
        "client_registration_date": "Fri, 04 Jul 2025 00:00:00 GMT",
        "creditor_reference": "r-1",
        "account": None,
    }
    assert tuple(CreditingRequest.model_fields) == FIELDS
    fast, again = trusted_all(CreditingRequest, [dict(data), dict(data)], set(FIELDS))
    slow = CreditingRequest.model_validate(data)
    assert fast == slow == again
    assert fast.model_dump() == slow.model_dump()
    assert fast.model_dump_json() == slow.model_dump_json()
    assert fast.model_fields_set == slow.model_fields_set
    assert repr(fast) == repr(slow)
    assert fast.to_json_body() == slow.to_json_body()
    assert fast.model_copy(update={"amount": Decimal("1.00")}).amount == Decimal("1.00")
    assert again.model_fields_set == slow.model_fields_set  # the shared set was not changed
