"""Fault injection: latency, 503 before commit, connection dropped after commit, 429 with
Retry-After — each reproducible with a seed."""

from __future__ import annotations

import json
import socket
import time
from urllib.parse import urlsplit

import pytest
import requests

from importer.errors import SandboxError
from importer.sandbox import Sandbox

CREDITOR = "5f1a2b3c4d5e6f7a8b9c0d1e"
CASE_1 = "64b0c0ffee00000000000001"


def test_latency_delays_every_request(start_sandbox, api_for):
    api = api_for(start_sandbox(latency_ms=150))
    started = time.perf_counter()
    api.get("/cases")
    assert time.perf_counter() - started >= 0.15


def test_latency_jitter_varies_each_answer_and_lets_later_requests_overtake(start_sandbox, api_for):
    """--latency-jitter-ms: each answer takes latency + its own 0..N ms, so of concurrent
    requests a later one can be answered first (what the per-case order test relies on)."""
    sandbox = start_sandbox(latency_ms=5, latency_jitter_ms=60, seed=3)
    api = api_for(sandbox)
    took = []
    for _ in range(12):
        started = time.perf_counter()
        api.get("/cases")
        took.append(time.perf_counter() - started)
    assert min(took) >= 0.005
    assert max(took) - min(took) >= 0.02, took  # 12 draws of 0..60 ms do not all agree
    assert max(took) < 0.065 + 0.5  # bounded by latency + jitter (plus a loaded machine)


def test_negative_jitter_is_refused() -> None:
    with pytest.raises(SandboxError, match="--latency-jitter-ms"):
        Sandbox(latency_jitter_ms=-1)


def test_fail_rate_answers_503_and_stores_nothing(start_sandbox, api_for, new_crediting):
    api = api_for(start_sandbox(fail_rate=1.0))
    response = api.post(new_crediting(amount=50))
    assert response.status_code == 503
    body = response.json()
    assert body["_status"] == "ERR" and body["_error"]["code"] == 503
    assert api.crediting_count() == 0
    assert api.case(CASE_1)["local_remaining_capital_amount"] == 12500  # GETs never fail


def test_fail_rate_is_reproducible_with_a_seed(start_sandbox, api_for, new_crediting):
    def pattern(seed: int) -> list[int]:
        api = api_for(start_sandbox(fail_rate=0.5, seed=seed))
        return [api.post(new_crediting(amount=1)).status_code for _ in range(20)]

    first = pattern(7)
    assert set(first) == {201, 503}
    assert pattern(7) == first
    assert pattern(8) != first


def test_drop_rate_stores_the_crediting_but_sends_no_answer(start_sandbox, api_for, new_crediting):
    api = api_for(start_sandbox(drop_rate=1.0))
    with pytest.raises(requests.ConnectionError):
        api.post(new_crediting(amount=50, creditor_reference="lost-answer"))
    found = api.get(
        "/creditor--creditings", where={"creditor": CREDITOR, "creditor_reference": "lost-answer"}
    ).json()["_items"]
    assert len(found) == 1
    assert found[0]["status"] == "completed"
    assert api.case(CASE_1)["local_remaining_capital_amount"] == 12450


def test_drop_rate_does_not_drop_rejections(start_sandbox, api_for, new_crediting):
    api = api_for(start_sandbox(drop_rate=1.0))
    assert api.post(new_crediting(currency="EUR")).status_code == 422


def test_drop_sends_not_a_single_byte(start_sandbox, new_crediting):
    sb = start_sandbox(drop_rate=1.0)
    parts = urlsplit(sb.url)
    body = json.dumps(new_crediting()).encode()
    request = (
        f"POST /creditor--creditings HTTP/1.1\r\nHost: x\r\nx-api-key: {sb.api_key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as conn:
        conn.sendall(request)
        assert conn.recv(1024) == b""


def test_rate_limit_answers_429_with_retry_after(start_sandbox, api_for):
    api = api_for(start_sandbox(rate_limit=3))
    statuses = [api.get("/cases") for _ in range(5)]
    assert [r.status_code for r in statuses[:3]] == [200, 200, 200]
    limited = statuses[3]
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "1"
    assert limited.json()["_error"]["code"] == 429
    time.sleep(1.05)
    assert api.get("/cases").status_code == 200


def test_rate_limit_counts_all_clients(start_sandbox, api_for):
    sb = start_sandbox(rate_limit=2)
    one, two = api_for(sb), api_for(sb)
    assert one.get("/cases").status_code == 200
    assert two.get("/cases").status_code == 200
    assert one.get("/cases").status_code == 429
    assert two.get("/cases").status_code == 429


@pytest.mark.parametrize(
    "settings",
    [{"fail_rate": 1.5}, {"drop_rate": -0.1}, {"latency_ms": -1}, {"rate_limit": 0}],
)
def test_impossible_fault_settings_are_refused(settings):
    with pytest.raises(SandboxError):
        Sandbox(**settings)
