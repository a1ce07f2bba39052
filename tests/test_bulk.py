"""Bulk phases: the collector pause restores what it found, and the request models a row-wise
caller gets from checked values are indistinguishable from validated ones."""

from __future__ import annotations

import gc
from decimal import Decimal

import pytest

from importer.api.request import FIELDS, CreditingRequest
from importer.bulk import gc_paused
from importer.validation.checked import instances


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


def test_requests_of_checked_values_are_indistinguishable_from_validated_ones() -> None:
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
    fast, again = instances([dict(data), dict(data)])
    slow = CreditingRequest.model_validate(data)
    assert fast == slow == again
    assert fast.model_dump() == slow.model_dump()
    assert fast.model_dump_json() == slow.model_dump_json()
    assert fast.model_fields_set == slow.model_fields_set
    assert repr(fast) == repr(slow)
    assert fast.to_json_body() == slow.to_json_body()
    assert fast.model_copy(update={"amount": Decimal("1.00")}).amount == Decimal("1.00")
    assert again.model_fields_set == slow.model_fields_set  # the shared set was not changed
