"""Concurrent creditings on one case are serialised: no lost update, ever."""

from __future__ import annotations

import threading

import requests

CREDITOR = "5f1a2b3c4d5e6f7a8b9c0d1e"
CASE = "64b0c0ffee00000000000001"


def test_twenty_concurrent_posts_to_one_case(start_sandbox, cases_file, case_doc, api_for):
    # 1000.00 remaining, 20 × 60.00: 16 complete (960.00), one settles the last 40.00 as a
    # warning, three find the case closed. Any lost update breaks these numbers.
    sb = start_sandbox(cases_path=cases_file([case_doc(1, 1000)]))
    barrier = threading.Barrier(20)
    results: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def post() -> None:
        try:
            with requests.Session() as session:
                session.headers["x-api-key"] = sb.api_key
                session.get(f"{sb.url}/cases/{CASE}")  # open the connection before the race
                barrier.wait()
                response = session.post(
                    f"{sb.url}/creditor--creditings",
                    json={
                        "creditor": CREDITOR,
                        "case": CASE,
                        "currency": "SEK",
                        "amount": 60.0,
                        "origin": "creditor_system",
                    },
                    timeout=10,
                )
                assert response.status_code == 201, response.text
                with lock:
                    results.append(response.json()["_payment_status"])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=post) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert sorted(results) == sorted(["completed"] * 16 + ["warning"] + ["error"] * 3)

    api = api_for(sb)
    case = api.case(CASE)
    assert (case["local_remaining_capital_amount"], case["state"]) == (0, "closed")
    items = api.get("/creditor--creditings", max_results=100).json()["_items"]
    assert len(items) == 20
    assert sum(round(i["settled_amount"] * 100) for i in items) == 100_000
    warning = [i for i in items if i["status"] == "warning"]
    assert warning[0]["settled_amount"] == 40
