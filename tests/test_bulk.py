"""Bulk-phase helpers: trusted model construction and the collector pause."""

from __future__ import annotations

import gc
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from importer.bulk import gc_paused, trusted
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
    }
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
