"""422 rules of POST /creditor--creditings: Cerberus wording, one `_issues` entry per
offending field, nothing stored."""

from __future__ import annotations

import json
from typing import Any

import pytest

CREDITOR = "5f1a2b3c4d5e6f7a8b9c0d1e"
OTHER_CREDITOR = "6a7b8c9d0e1f2a3b4c5d6e7f"
CASE_1 = "64b0c0ffee00000000000001"
OTHER_CREDITORS_CASE = "64b0c0ffee00000000000009"


@pytest.fixture
def assert_rejected(api: Any) -> Any:
    """POST a body (dict, or raw JSON text) and check the 422 envelope, the exact `_issues`,
    and that nothing was stored and no balance moved."""

    def check(body: dict[str, Any] | str, issues: dict[str, Any]) -> None:
        before = api.case(CASE_1)["local_remaining_capital_amount"]
        response = api.post_raw(body.encode()) if isinstance(body, str) else api.post(body)
        assert response.status_code == 422, response.text
        payload = response.json()
        assert payload["_status"] == "ERR"
        assert payload["_error"] == {
            "code": 422,
            "message": "Insertion failure: 1 document(s) contain(s) error(s)",
        }
        assert payload["_issues"] == issues
        assert api.crediting_count() == 0
        assert api.case(CASE_1)["local_remaining_capital_amount"] == before

    return check


@pytest.mark.parametrize("field", ["creditor", "currency", "amount", "origin"])
def test_required_fields(assert_rejected, new_crediting, field):
    assert_rejected(new_crediting(drop=(field,)), {field: "required field"})


def test_unknown_field(assert_rejected, new_crediting):
    assert_rejected(new_crediting(colour="blue"), {"colour": "unknown field"})


def test_eve_meta_fields_are_unknown(assert_rejected, new_crediting):
    assert_rejected(new_crediting(_id="64b0c0ffee0000000000abcd"), {"_id": "unknown field"})


def test_unallowed_currency(assert_rejected, new_crediting):
    assert_rejected(new_crediting(currency="EUR"), {"currency": "unallowed value EUR"})


def test_unallowed_origin(assert_rejected, new_crediting):
    assert_rejected(new_crediting(origin="manual"), {"origin": "unallowed value manual"})


@pytest.mark.parametrize(
    "field", ["file_import_report", "settled_amount", "status", "status_reason_locale"]
)
def test_read_only_fields(assert_rejected, new_crediting, field):
    assert_rejected(new_crediting(**{field: "x"}), {field: "field is read-only"})


def test_case_and_invoice_number_together(assert_rejected, new_crediting):
    assert_rejected(
        new_crediting(invoice_number="F-1001"),
        {
            "case": "'invoice_number' must not be present with 'case'",
            "invoice_number": "'case' must not be present with 'invoice_number'",
        },
    )


def test_neither_case_nor_invoice_number(assert_rejected, new_crediting):
    assert_rejected(
        new_crediting(drop=("case",)),
        {"case": "required field", "invoice_number": "required field"},
    )


@pytest.mark.parametrize("field", ["creditor", "case", "account"])
@pytest.mark.parametrize(
    "value",
    [
        "5F1A2B3C4D5E6F7A8B9C0D1E",  # uppercase
        "5f1a2b3c4d5e6f7a8b9c0d1",  # 23 digits
        "5f1a2b3c4d5e6f7a8b9c0d1ez",  # 25 characters
        "zz1a2b3c4d5e6f7a8b9c0d1e",  # not hex
        12345,
    ],
    ids=["uppercase", "short", "long", "not-hex", "number"],
)
def test_ids_are_24_lowercase_hex(assert_rejected, new_crediting, field, value):
    assert_rejected(new_crediting(**{field: value}), {field: "must be of objectid type"})


@pytest.mark.parametrize(
    "amount", ["100.00", True, [100], {"value": 100}], ids=["string", "boolean", "list", "object"]
)
def test_amount_must_be_a_number(assert_rejected, new_crediting, amount):
    assert_rejected(new_crediting(amount=amount), {"amount": "must be of number type"})


@pytest.mark.parametrize("amount", ["0", "0.00", "-5", "-0.01"])
def test_amount_must_be_positive(assert_rejected, new_crediting, amount):
    body = new_crediting(amount="AMOUNT")
    text = json.dumps(body).replace('"AMOUNT"', amount)
    assert_rejected(text, {"amount": "min value is 0.01"})


@pytest.mark.parametrize("amount", ["100.001", "0.30000000000000004", "1.001e0"])
def test_amount_has_at_most_two_decimals(assert_rejected, new_crediting, amount):
    text = json.dumps(new_crediting(amount="AMOUNT")).replace('"AMOUNT"', amount)
    assert_rejected(text, {"amount": "must not have more than 2 decimals"})


def test_amount_with_two_problems_lists_both(assert_rejected, new_crediting):
    text = json.dumps(new_crediting(amount="AMOUNT")).replace('"AMOUNT"', "-0.001")
    assert_rejected(text, {"amount": ["must not have more than 2 decimals", "min value is 0.01"]})


def test_amount_has_a_maximum(assert_rejected, new_crediting):
    assert_rejected(
        new_crediting(amount=1_000_000_000_000), {"amount": "max value is 999999999999.99"}
    )


@pytest.mark.parametrize(
    "date",
    [
        "2025-07-04T14:35:29Z",
        "Fri, 04 Jul 2025 14:35:29 UTC",
        "Fri, 04 Jul 2025 14:35:29 +0000",
        "Fri, 31 Feb 2025 14:35:29 GMT",
        "Fri, 04 Jul 2025 25:35:29 GMT",
        "fri, 04 jul 2025 14:35:29 GMT",
        1720103729,
    ],
)
def test_client_registration_date_must_be_rfc1123(assert_rejected, new_crediting, date):
    assert_rejected(
        new_crediting(client_registration_date=date),
        {"client_registration_date": "must be of datetime type"},
    )


@pytest.mark.parametrize("field", ["credit_invoice", "creditor_reference", "invoice_number"])
def test_text_fields_must_be_strings(assert_rejected, new_crediting, field):
    drop = ("case",) if field == "invoice_number" else ()
    assert_rejected(new_crediting(drop=drop, **{field: 1001}), {field: "must be of string type"})


def test_null_is_not_allowed(assert_rejected, new_crediting):
    assert_rejected(
        new_crediting(credit_invoice=None), {"credit_invoice": "null value not allowed"}
    )


def test_account_must_match_the_case(assert_rejected, new_crediting):
    assert_rejected(
        new_crediting(account="71b2c3d4e5f60718293a4b5c"),
        {"account": "must be the case's account 70a1b2c3d4e5f60718293a4b"},
    )


def test_unknown_creditor(assert_rejected, new_crediting):
    unknown = "0123456789abcdef01234567"
    assert_rejected(
        new_crediting(creditor=unknown),
        {"creditor": f"value '{unknown}' must exist in resource 'creditors', field '_id'."},
    )


def test_unknown_case(assert_rejected, new_crediting):
    unknown = "64b0c0ffee0000000000ffff"
    assert_rejected(
        new_crediting(case=unknown),
        {"case": f"value '{unknown}' must exist in resource 'cases', field '_id'."},
    )


def test_case_of_another_creditor(assert_rejected, new_crediting):
    assert_rejected(
        new_crediting(case=OTHER_CREDITORS_CASE),
        {"case": f"case {OTHER_CREDITORS_CASE} does not belong to creditor {CREDITOR}"},
    )


def test_invoice_number_matching_no_case(assert_rejected, new_crediting):
    # B-3001 exists, but for the other creditor: invoice numbers resolve per creditor.
    assert_rejected(
        new_crediting(drop=("case",), invoice_number="B-3001"),
        {"invoice_number": f"no case of creditor {CREDITOR} has invoice number 'B-3001'"},
    )


def test_invoice_number_matching_several_cases(assert_rejected, new_crediting):
    assert_rejected(
        new_crediting(drop=("case",), invoice_number="F-2000"),
        {
            "invoice_number": f"invoice number 'F-2000' matches several cases of creditor "
            f"{CREDITOR}; send 'case' instead"
        },
    )


def test_every_offending_field_gets_one_entry(assert_rejected, new_crediting):
    assert_rejected(
        new_crediting(currency="NOK", origin="api", amount="1", file_import_report="r", x=1),
        {
            "currency": "unallowed value NOK",
            "origin": "unallowed value api",
            "amount": "must be of number type",
            "file_import_report": "field is read-only",
            "x": "unknown field",
        },
    )


# -- what passes ------------------------------------------------------------------------------


def test_invoice_number_resolves_the_case_per_creditor(api, new_crediting):
    # F-1001 is a case of both creditors; each creditor gets its own.
    mine = api.post(new_crediting(drop=("case",), invoice_number="F-1001"))
    theirs = api.post(
        new_crediting(drop=("case",), creditor=OTHER_CREDITOR, invoice_number="F-1001", amount=1.0)
    )
    assert mine.status_code == theirs.status_code == 201
    assert api.crediting(mine.json()["_id"])["case"] == CASE_1
    assert api.crediting(theirs.json()["_id"])["case"] == OTHER_CREDITORS_CASE


def test_matching_account_is_accepted(api, new_crediting):
    response = api.post(new_crediting(account="70a1b2c3d4e5f60718293a4b"))
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    ("text", "settled"), [("100", 100.0), ("1.500", 1.5), ("0.01", 0.01), ("1E+2", 100.0)]
)
def test_amounts_with_at_most_two_decimals_are_accepted(api, new_crediting, text, settled):
    body = json.dumps(new_crediting(amount="AMOUNT")).replace('"AMOUNT"', text)
    response = api.post_raw(body.encode())
    assert response.status_code == 201, response.text
    assert api.crediting(response.json()["_id"])["settled_amount"] == settled


def test_valid_rfc1123_date_is_kept(api, new_crediting):
    date = "Fri, 04 Jul 2025 14:35:29 GMT"
    response = api.post(new_crediting(client_registration_date=date))
    assert response.status_code == 201
    assert api.crediting(response.json()["_id"])["client_registration_date"] == date
