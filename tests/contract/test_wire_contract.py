"""The client reads the wire format as an independent server writes it, not only as our own
sandbox does (`docs/sandbox.md`). Every case runs twice — against a real Eve server
(`eve_server.py`) and against the sandbox — so a disagreement between the two shows: a
misreading of Eve's format made in both the client and the sandbox would agree with itself,
but not with Eve.

What is compared is the wire (`docs/api.md`): a valid crediting answered 201 with an `_id`;
a body the server's schema refuses answered 422 with `_issues` per field; `where` look-ups
with `$in` by credit note, by reference and by `_id`; paging by `_meta`/`_links` when the
server caps `max_results` below the 100 the client asks (Eve's `PAGINATION_LIMIT` is 50);
404s for a base URL without the collection; 401 for a wrong key. The crediting rules (cases,
balances, statuses) are the sandbox's alone and are not asked of Eve."""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from decimal import Decimal

import pytest
import requests
from eve_server import eve_server

from importer.api.client import ApiClient, PostKind
from importer.config import ApiConfig
from importer.errors import AuthenticationFailed
from importer.sandbox import Sandbox

CREDITOR = "5f1a2b3c4d5e6f7a8b9c0d1e"
KEY = "contract-key"
OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")
INVOICES = ("F-1001", "F-1002", "F-1003")
"""Invoice numbers of the sandbox's sample cases (Eve takes any)."""


@contextmanager
def _sandbox() -> Iterator[str]:
    with Sandbox(api_key=KEY) as sandbox:
        yield sandbox.url


SERVERS: dict[str, Callable[[], AbstractContextManager[str]]] = {
    "eve": lambda: eve_server(KEY),
    "eve-links-only": lambda: eve_server(KEY, links_only=True),
    "sandbox": _sandbox,
}


@pytest.fixture(params=sorted(SERVERS))
def server(request: pytest.FixtureRequest) -> Iterator[str]:
    """The base URL of one of the two servers, fresh for the test."""
    with SERVERS[request.param]() as url:
        yield url


@pytest.fixture
def client(server: str) -> Iterator[ApiClient]:
    made = ApiClient(server, KEY, ApiConfig(), sleep=lambda _s: None, rng=random.Random(7))
    yield made
    made.close()


def body(n: int, **extra: object) -> dict[str, object]:
    return {
        "creditor": CREDITOR,
        "invoice_number": INVOICES[n % len(INVOICES)],
        "currency": "SEK",
        "amount": Decimal("1.00"),
        "origin": "creditor_system",
        "credit_invoice": f"KF-{n}",
        "client_registration_date": "Fri, 04 Jul 2025 14:35:29 GMT",
        "creditor_reference": f"ref-{n}",
        **extra,
    }


def test_a_valid_crediting_is_created_with_an_object_id(client: ApiClient) -> None:
    result = client.post_crediting(body(1))
    assert result.kind is PostKind.CREATED
    assert result.http_status == 201
    assert OBJECT_ID.match(result.body["_id"])
    assert result.body["_status"] == "OK"


def test_a_body_the_schema_refuses_is_a_422_rejection_naming_the_field(client: ApiClient) -> None:
    result = client.post_crediting(body(2, currency="USD"))
    assert result.kind is PostKind.REJECTED
    assert result.http_status == 422
    assert [error.field for error in result.errors] == ["currency"]
    assert result.errors[0].message


def test_a_stored_crediting_is_found_by_id_reference_and_credit_note(client: ApiClient) -> None:
    created = client.post_crediting(body(3)).body["_id"]
    by_id = client.fetch_creditings([created, "a" * 24])
    assert list(by_id) == [created]
    assert by_id[created]["creditor_reference"] == "ref-3"
    (found,) = client.find_by_reference(CREDITOR, "ref-3")
    assert found["_id"] == created
    assert client.find_by_reference(CREDITOR, "ref-none") == []
    notes = client.find_by_credit_invoices(CREDITOR, ["KF-3", "KF-none"])
    assert [item["_id"] for item in notes["KF-3"]] == [created]
    assert "KF-none" not in notes


def test_a_lookup_pages_through_a_server_that_caps_its_pages(client: ApiClient) -> None:
    """120 creditings, asked for by 130 credit notes in `$in` chunks of 100: Eve answers at
    most 50 a page whatever `max_results` asks, the sandbox 100; the client reads them all."""
    for n in range(120):
        assert client.post_crediting(body(n)).kind is PostKind.CREATED
    found = client.find_by_credit_invoices(CREDITOR, [f"KF-{n}" for n in range(130)])
    assert sorted(found) == sorted(f"KF-{n}" for n in range(120))
    assert all(len(items) == 1 for items in found.values())


def test_a_base_url_without_the_collection_is_named_as_the_setting_to_fix(server: str) -> None:
    wrong = ApiClient(
        server + "/no-such-prefix", KEY, ApiConfig(), sleep=lambda _s: None, rng=random.Random(7)
    )
    try:
        result = wrong.post_crediting(body(4))
    finally:
        wrong.close()
    assert result.kind is PostKind.NOT_STORED
    assert result.http_status == 404
    assert result.note is not None
    assert "check api.base_url" in result.note


def test_a_wrong_key_is_refused_before_anything_is_stored(server: str) -> None:
    wrong = ApiClient(server, "not-the-key", ApiConfig(), sleep=lambda _s: None)
    try:
        with pytest.raises(AuthenticationFailed):
            wrong.post_crediting(body(5))
    finally:
        wrong.close()
    answer = requests.get(
        server + "/creditor--creditings", headers={"x-api-key": KEY}, timeout=10
    ).json()
    assert answer["_items"] == []
    assert "_links" in answer
