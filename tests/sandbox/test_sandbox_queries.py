"""Collection GETs: `where` (equality, `$in`, dot notation), `sort`, paging, the
`max_results` cap, `_meta`, `X-Total-Count`, projection, and 400s for what cannot be answered."""

from __future__ import annotations

import pytest

CREDITOR = "5f1a2b3c4d5e6f7a8b9c0d1e"
OTHER_CREDITOR = "6a7b8c9d0e1f2a3b4c5d6e7f"
SEED_IDS = [f"64b0c0ffee{n:014x}" for n in range(1, 11)]


def ids(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["_id"] for item in response.json()["_items"]]


def test_cases_collection_has_items_meta_and_total_header(api):
    response = api.get("/cases")
    assert ids(response) == SEED_IDS
    assert response.json()["_meta"] == {"page": 1, "max_results": 25, "total": 10}
    assert response.headers["X-Total-Count"] == "10"


def test_paging(api):
    response = api.get("/cases", max_results=3, page=2)
    assert ids(response) == SEED_IDS[3:6]
    assert response.json()["_meta"] == {"page": 2, "max_results": 3, "total": 10}
    assert response.headers["X-Total-Count"] == "10"


def test_page_past_the_end_is_empty_with_the_total(api):
    response = api.get("/cases", max_results=5, page=3)
    assert ids(response) == []
    assert response.json()["_meta"]["total"] == 10


def test_max_results_is_silently_capped_at_100(start_sandbox, api_for, cases_file, case_doc):
    api = api_for(start_sandbox(cases_path=cases_file([case_doc(n) for n in range(1, 131)])))
    response = api.get("/cases", max_results=500)
    assert len(ids(response)) == 100
    assert response.json()["_meta"] == {"page": 1, "max_results": 100, "total": 130}
    assert len(ids(api.get("/cases", max_results=500, page=2))) == 30


def test_where_equality(api):
    response = api.get("/cases", where={"creditor": OTHER_CREDITOR})
    assert ids(response) == SEED_IDS[8:10]
    assert response.headers["X-Total-Count"] == "2"


def test_where_dot_notation(api):
    assert ids(api.get("/cases", where={"debt.invoice_number": "F-2000"})) == SEED_IDS[6:8]


def test_where_in(api):
    where = {"debt.invoice_number": {"$in": ["F-1002", "B-3001", "nope"]}}
    assert ids(api.get("/cases", where=where)) == [SEED_IDS[1], SEED_IDS[9]]


def test_where_combines_fields_with_and(api):
    where = {"creditor": CREDITOR, "debt.invoice_number": "F-1001"}
    assert ids(api.get("/cases", where=where)) == [SEED_IDS[0]]


def test_where_on_a_json_field_and_a_money_field(api):
    assert ids(api.get("/cases", where={"reference_number": "70010004"})) == [SEED_IDS[3]]
    assert ids(api.get("/cases", where={"local_remaining_capital_amount": 1999.9})) == [SEED_IDS[4]]
    big = ids(api.get("/cases", where={"local_remaining_capital_amount": {"$gte": 5000}}))
    assert big == [SEED_IDS[0], SEED_IDS[3], SEED_IDS[8]]


def test_where_on_state(api):
    assert ids(api.get("/cases", where={"state": "closed"})) == [SEED_IDS[2]]


def test_where_type_mismatch_matches_nothing(api):
    assert ids(api.get("/cases", where={"local_remaining_capital_amount": "300"})) == []


def test_where_null_matches_missing_fields(api):
    assert ids(api.get("/cases", where={"no_such_field": None})) == SEED_IDS


def test_sort_descending_and_ascending(api):
    desc = api.get("/cases", sort="-local_remaining_capital_amount", max_results=3)
    assert ids(desc) == [SEED_IDS[0], SEED_IDS[3], SEED_IDS[8]]
    asc = api.get("/cases", sort="debt.invoice_number,-reference_number")
    invoices = [(c["debt"]["invoice_number"], c["reference_number"]) for c in asc.json()["_items"]]
    assert invoices == sorted(invoices, key=lambda p: (p[0], -int(p[1])))


def test_sort_in_eve_native_syntax(api):
    response = api.get("/cases", sort='[("local_remaining_capital_amount", -1)]', max_results=1)
    assert ids(response) == [SEED_IDS[0]]


def test_creditings_lookup_by_creditor_reference(api, new_crediting):
    """The importer's reconciliation query."""
    wanted = None
    for n in range(5):
        created = api.post(new_crediting(amount=1, creditor_reference=f"row-{n}")).json()
        if n == 3:
            wanted = created["_id"]
    response = api.get(
        "/creditor--creditings", where={"creditor": CREDITOR, "creditor_reference": "row-3"}
    )
    assert ids(response) == [wanted]
    assert response.headers["X-Total-Count"] == "1"
    none = api.get(
        "/creditor--creditings", where={"creditor": OTHER_CREDITOR, "creditor_reference": "row-3"}
    )
    assert ids(none) == []


def test_creditings_where_status_and_in(api, new_crediting):
    completed = api.post(new_crediting(amount=1)).json()["_id"]
    closed = api.post(new_crediting(case="64b0c0ffee00000000000003", amount=1)).json()["_id"]
    assert ids(api.get("/creditor--creditings", where={"status": "error"})) == [closed]
    both = api.get("/creditor--creditings", where={"_id": {"$in": [completed, closed]}})
    assert ids(both) == [completed, closed]
    assert ids(api.get("/creditor--creditings", where={"amount": 1})) == [completed, closed]
    assert ids(api.get("/creditor--creditings", where={"settled_amount": 0})) == [closed]


def test_projection(api):
    doc = api.get("/cases", projection={"state": 1}, max_results=1).json()["_items"][0]
    assert set(doc) == {"_id", "_created", "_updated", "_etag", "state"}
    doc = api.get("/cases", projection={"debt": 0}, max_results=1).json()["_items"][0]
    assert "debt" not in doc
    assert "state" in doc


@pytest.mark.parametrize(
    "params",
    [
        {"where": "{not json"},
        {"where": "[1, 2]"},
        {"where": '{"state": {"$regex": "op"}}'},
        {"where": '{"debt": {"invoice_number": "F-1001"}}'},
        {"where": '{"state": {"$in": "open"}}'},
        {"sort": "bad field!"},
        {"page": "0"},
        {"page": "two"},
        {"max_results": "-1"},
        {"projection": "{nope"},
        {"projection": '{"state": 1, "debt": 0}'},
    ],
    ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()),
)
def test_unanswerable_queries_are_400(api, params):
    response = api.get("/cases", **params)
    assert response.status_code == 400
    body = response.json()
    assert body["_status"] == "ERR"
    assert body["_error"]["code"] == 400
    assert body["_error"]["message"]
