"""The crediting rules and the documents they produce (POST 201 body, item GET)."""

from __future__ import annotations

import time

from importer.sandbox.eve import parse_http_date

CASE_1 = "64b0c0ffee00000000000001"  # 12500.00 open
CASE_2 = "64b0c0ffee00000000000002"  # 300.00 open
CASE_3 = "64b0c0ffee00000000000003"  # 0, closed
CASE_5 = "64b0c0ffee00000000000005"  # 1999.90 open
CASE_6 = "64b0c0ffee00000000000006"  # 640.00 open

META_201 = {"_id", "_created", "_updated", "_etag", "_status", "_payment_status"}


def test_201_body_is_exactly_the_eve_meta_fields(api, new_crediting):
    response = api.post(new_crediting())
    assert response.status_code == 201
    body = response.json()
    assert set(body) == META_201
    assert body["_status"] == "OK"
    assert body["_payment_status"] == "completed"
    assert len(body["_id"]) == 24
    assert int(body["_id"], 16) >= 0
    assert len(body["_etag"]) == 40
    assert int(body["_etag"], 16) >= 0
    assert parse_http_date(body["_created"]) is not None
    assert body["_updated"] == body["_created"]


def test_item_get_returns_the_whole_stored_crediting(api, new_crediting):
    sent = new_crediting(
        amount=100.5,
        credit_invoice="KF-77",
        creditor_reference="ref-77",
        client_registration_date="Fri, 04 Jul 2025 14:35:29 GMT",
    )
    created = api.post(sent).json()
    doc = api.crediting(created["_id"])
    assert doc == {
        **sent,
        "_id": created["_id"],
        "_created": created["_created"],
        "_updated": created["_updated"],
        "_etag": created["_etag"],
        "account": "70a1b2c3d4e5f60718293a4b",
        "settled_amount": 100.5,
        "status": "completed",
        "status_reason_locale": None,
        "case_invoice_number": "F-1001",
        "case_reference_number": "70010001",
    }


def test_crediting_by_invoice_number_stores_the_resolved_case(api, new_crediting):
    created = api.post(new_crediting(drop=("case",), invoice_number="F-1002", amount=1.0)).json()
    doc = api.crediting(created["_id"])
    assert doc["case"] == CASE_2
    assert doc["invoice_number"] == "F-1002"
    assert doc["case_invoice_number"] == "F-1002"


def test_registration_date_defaults_to_now(api, new_crediting):
    before = int(time.time())
    doc = api.crediting(api.post(new_crediting()).json()["_id"])
    registered = parse_http_date(doc["client_registration_date"])
    assert registered is not None
    assert before - 1 <= registered <= time.time() + 1


def test_completed_settles_the_amount_and_lowers_the_balance(api, new_crediting):
    created = api.post(new_crediting(case=CASE_1, amount=100.5)).json()
    assert created["_payment_status"] == "completed"
    doc = api.crediting(created["_id"])
    assert (doc["status"], doc["settled_amount"], doc["status_reason_locale"]) == (
        "completed",
        100.5,
        None,
    )
    case = api.case(CASE_1)
    assert case["local_remaining_capital_amount"] == 12399.5
    assert case["state"] == "open"


def test_over_credit_is_a_warning_settling_the_remainder_and_closing_the_case(api, new_crediting):
    created = api.post(new_crediting(case=CASE_2, amount=500)).json()
    assert created["_payment_status"] == "warning"
    doc = api.crediting(created["_id"])
    assert doc["status"] == "warning"
    assert doc["amount"] == 500
    assert doc["settled_amount"] == 300
    assert doc["status_reason_locale"] == "crediting.amount_exceeds_remaining"
    case = api.case(CASE_2)
    assert (case["local_remaining_capital_amount"], case["state"]) == (0, "closed")


def test_closed_case_is_an_error_settling_nothing(api, new_crediting):
    before = api.case(CASE_3)
    response = api.post(new_crediting(case=CASE_3, amount=10))
    assert response.status_code == 201
    doc = api.crediting(response.json()["_id"])
    assert doc["status"] == "error"
    assert doc["settled_amount"] == 0
    assert doc["status_reason_locale"] == "crediting.case_closed"
    after = api.case(CASE_3)
    assert after["local_remaining_capital_amount"] == before["local_remaining_capital_amount"]
    assert after["_etag"] == before["_etag"]


def test_open_case_with_nothing_remaining_is_an_error(start_sandbox, api_for, cases_file, case_doc):
    api = api_for(start_sandbox(cases_path=cases_file([case_doc(1, 0, state="open")])))
    body = {
        "creditor": case_doc(1)["creditor"],
        "case": case_doc(1)["_id"],
        "currency": "SEK",
        "amount": 5,
        "origin": "creditor_system",
    }
    created = api.post(body).json()
    assert created["_payment_status"] == "error"
    doc = api.crediting(created["_id"])
    assert (doc["settled_amount"], doc["status_reason_locale"]) == (0, "crediting.case_closed")


def test_exact_amount_closes_the_case_and_the_next_crediting_is_an_error(api, new_crediting):
    first = api.post(new_crediting(case=CASE_6, amount=640)).json()
    assert first["_payment_status"] == "completed"
    case = api.case(CASE_6)
    assert (case["local_remaining_capital_amount"], case["state"]) == (0, "closed")
    second = api.post(new_crediting(case=CASE_6, amount=1)).json()
    assert second["_payment_status"] == "error"
    assert api.crediting(second["_id"])["status_reason_locale"] == "crediting.case_closed"


def test_balance_arithmetic_is_exact(api, new_crediting):
    # 1999.90 - 0.10 - 0.20 in binary floats drifts; in öre it is exactly 1999.60.
    for amount in (0.1, 0.2):
        assert api.post(new_crediting(case=CASE_5, amount=amount)).status_code == 201
    assert api.case(CASE_5)["local_remaining_capital_amount"] == 1999.6
    for _ in range(3):
        api.post(new_crediting(case=CASE_5, amount=666.53))
    case = api.case(CASE_5)
    assert case["local_remaining_capital_amount"] == 0.01
    assert case["state"] == "open"


def test_case_etag_and_updated_change_when_the_balance_does(api, new_crediting):
    before = api.case(CASE_1)
    api.post(new_crediting(case=CASE_1, amount=1))
    after = api.case(CASE_1)
    assert after["_etag"] != before["_etag"]
