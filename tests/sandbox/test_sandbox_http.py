"""The HTTP contract: auth, the Eve error envelope, 404/405/400, ETag/304, keep-alive, and
no tracebacks to clients."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest
import requests

from importer.sandbox import DEFAULT_API_KEY, Sandbox
from importer.sandbox.store import Store

CASE_1 = "64b0c0ffee00000000000001"


def assert_envelope(response: requests.Response, code: int, message: str | None = None) -> None:
    assert response.status_code == code, response.text
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["_status"] == "ERR"
    assert body["_error"]["code"] == code
    if message is not None:
        assert body["_error"]["message"] == message


ENDPOINTS = [
    ("GET", "/cases"),
    ("GET", f"/cases/{CASE_1}"),
    ("GET", "/creditor--creditings"),
    ("GET", "/creditor--creditings/64b0c0ffee0000000000ffff"),
    ("POST", "/creditor--creditings"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
@pytest.mark.parametrize("key", [None, "wrong-key"], ids=["missing", "wrong"])
def test_every_endpoint_needs_the_key(sandbox, method, path, key):
    headers = {"x-api-key": key} if key else {}
    response = requests.request(method, f"{sandbox.url}{path}", headers=headers, json={})
    assert_envelope(response, 401, "Please provide proper credentials")


def test_api_key_from_argument_then_environment_then_default(monkeypatch):
    monkeypatch.delenv("IMPORTER_SANDBOX_KEY", raising=False)
    assert Sandbox().api_key == DEFAULT_API_KEY
    monkeypatch.setenv("IMPORTER_SANDBOX_KEY", "from-env")
    assert Sandbox().api_key == "from-env"
    assert Sandbox(api_key="explicit").api_key == "explicit"


def test_environment_key_is_enforced(monkeypatch, start_sandbox):
    monkeypatch.setenv("IMPORTER_SANDBOX_KEY", "from-env")
    sb = start_sandbox(api_key=None)
    ok = requests.get(f"{sb.url}/cases", headers={"x-api-key": "from-env"})
    assert ok.status_code == 200
    assert_envelope(requests.get(f"{sb.url}/cases", headers={"x-api-key": DEFAULT_API_KEY}), 401)


@pytest.mark.parametrize(
    "path",
    [
        "/nope",
        "/cases/64B0C0FFEE00000000000001",  # uppercase
        "/cases/64b0c0ffee0000000000001",  # 23 digits
        "/cases/not-an-id",
        "/cases/64b0c0ffee00000000000001/extra",
        "/cases/64b0c0ffee0000000000ffff",  # well-formed, absent
        "/creditor--creditings/64b0c0ffee0000000000ffff",
    ],
)
def test_404(api, path):
    assert_envelope(api.get(path), 404)


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/creditor--creditings", "GET, HEAD, POST"),
        ("PUT", "/creditor--creditings", "GET, HEAD, POST"),
        ("PATCH", f"/cases/{CASE_1}", "GET, HEAD"),
        ("POST", "/cases", "GET, HEAD"),
        ("POST", "/creditor--creditings/64b0c0ffee0000000000ffff", "GET, HEAD"),
        ("OPTIONS", "/cases", "GET, HEAD"),
        ("BREW", "/cases", "GET, HEAD"),
    ],
)
def test_405_with_allow_header(api, method, path, allow):
    response = api.session.request(method, f"{api.url}{path}", json={})
    assert_envelope(response, 405)
    assert response.headers["Allow"] == allow


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (b'{"creditor": ', "application/json"),
        (b"", "application/json"),
        (b'{"amount": NaN}', "application/json"),
        (b"\xff\xfe{", "application/json"),
        (b'[{"creditor": "x"}]', "application/json"),
        (b'"text"', "application/json"),
        (b"creditor=x", "application/x-www-form-urlencoded"),
        (b'{"creditor": "x"}', "text/plain"),
        (b'{"creditor": "x"}', None),
    ],
    ids=[
        "truncated",
        "empty",
        "nan",
        "not-utf8",
        "list",
        "string",
        "form",
        "text-plain",
        "no-content-type",
    ],
)
def test_400_for_bodies_that_are_not_one_json_object(api, data, content_type):
    response = api.post_raw(data, content_type)
    assert_envelope(response, 400)
    assert api.crediting_count() == 0


def test_json_content_type_with_charset_is_accepted(api, new_crediting):
    response = api.post_raw(json.dumps(new_crediting()).encode(), "application/json; charset=utf-8")
    assert response.status_code == 201


def test_etag_and_304(api, new_crediting):
    created = api.post(new_crediting()).json()
    path = f"{api.url}/creditor--creditings/{created['_id']}"
    first = api.session.get(path)
    assert first.headers["ETag"] == f'"{created["_etag"]}"'
    assert first.json()["_etag"] == created["_etag"]
    assert first.headers["Last-Modified"] == created["_updated"]
    again = api.session.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    other = api.session.get(path, headers={"If-None-Match": '"' + "0" * 40 + '"'})
    assert other.status_code == 200


def test_case_etag_stops_matching_after_a_crediting(api, new_crediting):
    etag = api.get(f"/cases/{CASE_1}").headers["ETag"]
    url = f"{api.url}/cases/{CASE_1}"
    assert api.session.get(url, headers={"If-None-Match": etag}).status_code == 304
    api.post(new_crediting(amount=1))
    assert api.session.get(url, headers={"If-None-Match": etag}).status_code == 200


def test_head_has_headers_and_no_body(api):
    get = api.get(f"/cases/{CASE_1}")
    head = api.session.head(f"{api.url}/cases/{CASE_1}")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["Content-Length"] == get.headers["Content-Length"]
    assert head.headers["ETag"] == get.headers["ETag"]


def test_keep_alive_survives_errors(sandbox, new_crediting):
    """One connection carries answers of every kind, each with a Content-Length."""
    parts = urlsplit(sandbox.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    key = {"x-api-key": sandbox.api_key}
    json_headers = {**key, "Content-Type": "application/json"}
    requests_to_send = [
        ("GET", "/cases", None, key, 200),
        ("GET", "/cases", None, {}, 401),
        ("GET", "/nope", None, key, 404),
        ("DELETE", "/cases", None, key, 405),
        ("POST", "/creditor--creditings", b"{bad", json_headers, 400),
        ("POST", "/creditor--creditings", json.dumps({"x": 1}).encode(), json_headers, 422),
        ("POST", "/creditor--creditings", json.dumps(new_crediting()).encode(), json_headers, 201),
        ("GET", f"/cases/{CASE_1}", None, key, 200),
    ]
    conn.connect()
    sock = conn.sock
    for method, path, body, headers, status in requests_to_send:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        assert response.status == status, (method, path)
        assert response.getheader("Content-Length") is not None
        response.read()
        assert conn.sock is sock, "the server closed the connection"
    conn.close()


def test_unexpected_error_is_a_500_envelope_without_traceback(api, monkeypatch, caplog):
    def explode(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(Store, "find", explode)
    with caplog.at_level("ERROR", logger="importer.sandbox"):
        response = api.get("/cases")
    assert_envelope(response, 500)
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text
    assert any("unexpected error" in r.getMessage() for r in caplog.records)
    monkeypatch.undo()
    assert api.get("/cases").status_code == 200
