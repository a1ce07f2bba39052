"""Fixtures for the sandbox's own tests: a client over a real socket, sandboxes with custom
settings, custom seed files and crediting bodies.

The seed used unless a test builds its own is the packaged samples/cases.json:
  …01 12500.00 open   …02 300.00 open   …03 0 closed   …04 8000.00   …05 1999.90
  …06 640.00          …07/…08 both invoice F-2000       (all creditor 5f1a…, account 70a1…)
  …09 F-1001, …0a B-3001 of creditor 6a7b… (account 71b2…)
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from importer.sandbox import Sandbox

CREDITOR = "5f1a2b3c4d5e6f7a8b9c0d1e"
ACCOUNT = "70a1b2c3d4e5f60718293a4b"


class Api:
    """A keep-alive client for one sandbox, with the key set."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.url = sandbox.url
        self.session = requests.Session()
        self.session.headers["x-api-key"] = sandbox.api_key

    def post(self, body: Any, **kwargs: Any) -> requests.Response:
        return self.session.post(
            f"{self.url}/creditor--creditings", json=body, timeout=10, **kwargs
        )

    def post_raw(
        self, data: bytes, content_type: str | None = "application/json"
    ) -> requests.Response:
        headers = {"Content-Type": content_type} if content_type else {}
        return self.session.post(
            f"{self.url}/creditor--creditings", data=data, headers=headers, timeout=10
        )

    def get(self, path: str, **params: Any) -> requests.Response:
        encoded = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in params.items()}
        return self.session.get(f"{self.url}{path}", params=encoded, timeout=10)

    def case(self, case_id: str) -> dict[str, Any]:
        response = self.get(f"/cases/{case_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def crediting(self, crediting_id: str) -> dict[str, Any]:
        response = self.get(f"/creditor--creditings/{crediting_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def crediting_count(self) -> int:
        return int(self.get("/creditor--creditings").headers["X-Total-Count"])

    def close(self) -> None:
        self.session.close()


@pytest.fixture
def api(sandbox: Sandbox) -> Iterator[Api]:
    client = Api(sandbox)
    yield client
    client.close()


@pytest.fixture
def api_for() -> Iterator[Callable[[Sandbox], Api]]:
    """An `Api` client for a sandbox started by the test itself."""
    clients: list[Api] = []

    def make(sandbox: Sandbox) -> Api:
        clients.append(Api(sandbox))
        return clients[-1]

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def start_sandbox() -> Iterator[Callable[..., Sandbox]]:
    """Start sandboxes with custom settings; all are stopped after the test."""
    started: list[Sandbox] = []

    def start(**kwargs: Any) -> Sandbox:
        kwargs.setdefault("api_key", "test-key")
        sb = Sandbox(**kwargs)
        sb.start()
        started.append(sb)
        return sb

    yield start
    for sb in started:
        sb.stop()


def _case_doc(
    n: int,
    remaining: float | int = 1000,
    *,
    creditor: str = CREDITOR,
    state: str = "open",
    **extra: Any,
) -> dict[str, Any]:
    """A case in Amili's shape with id …n, invoice F-n and reference 9000n."""
    return {
        "_id": f"64b0c0ffee{n:014x}",
        "creditor": creditor,
        "account": ACCOUNT,
        "debt": {"invoice_number": f"F-{n}"},
        "reference_number": f"9000{n}",
        "currency": "SEK",
        "local_remaining_capital_amount": remaining,
        "state": state,
        **extra,
    }


@pytest.fixture
def case_doc() -> Callable[..., dict[str, Any]]:
    """Build a case document: `case_doc(n, remaining, creditor=…, state=…, **extra)` has id …n
    (hex), invoice F-n and reference 9000n."""
    return _case_doc


@pytest.fixture
def cases_file(tmp_path: Path) -> Callable[[list[dict[str, Any]]], Path]:
    """Write a seed file from case documents (see `case_doc`); returns its path."""

    def write(cases: list[dict[str, Any]]) -> Path:
        path = tmp_path / f"cases-{len(list(tmp_path.glob('cases-*')))}.json"
        path.write_text(json.dumps(cases), encoding="utf-8")
        return path

    return write


@pytest.fixture
def new_crediting() -> Callable[..., dict[str, Any]]:
    """A valid crediting body for case …01 (12500.00 open); keyword arguments override fields,
    `drop=(...)` removes them."""

    def make(*, drop: tuple[str, ...] = (), **fields: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "creditor": CREDITOR,
            "case": "64b0c0ffee00000000000001",
            "currency": "SEK",
            "amount": 100.0,
            "origin": "creditor_system",
        }
        body.update(fields)
        for field in drop:
            body.pop(field)
        return body

    return make
