"""Statuses read back while posting goes on (importer/readback.py), against the sandbox over a
real socket; what the sandbox received is read from its own request log."""

from __future__ import annotations

import json
import logging
import re
import socket
import time
from pathlib import Path

import pytest
from cli_support import CREDITOR

from importer.api.client import ApiClient
from importer.api.readback import BATCH, StatusReader
from importer.api.target import Target
from importer.config import ApiConfig, Config, DefaultsConfig, JournalConfig, ReportConfig
from importer.journal import Journal
from importer.pipeline import Importer
from importer.sandbox import Sandbox


def sandbox_requests(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    """(method, path) of every request the sandbox answered, in order."""
    seen = []
    for record in caplog.records:
        if record.name == "importer.sandbox":
            match = re.search(r'"([A-Z]+) (\S+) HTTP/1\.1"', record.getMessage())
            if match:
                seen.append((match[1], match[2]))
    return seen


def post_creditings(url: str, key: str, count: int) -> list[str]:
    client = ApiClient(url, key, ApiConfig())
    try:
        ids = []
        for i in range(count):
            result = client.post_crediting(
                {
                    "creditor": CREDITOR,
                    "invoice_number": "F-1001",
                    "amount": 1.0,
                    "currency": "SEK",
                    "origin": "creditor_system",
                    "creditor_reference": f"ref-{i}",
                }
            )
            ids.append(str(result.body["_id"]))
        return ids
    finally:
        client.close()


def test_full_batches_are_read_in_the_background_the_rest_is_left(sandbox: Sandbox) -> None:
    ids = post_creditings(sandbox.url, "test-key", BATCH + 30)
    reader = StatusReader(lambda: ApiClient(sandbox.url, "test-key", ApiConfig()))
    for row, crediting_id in enumerate(ids, start=2):
        reader.add(row, crediting_id)
    read = reader.close()
    assert [row for row, _ in read] == list(range(2, BATCH + 2))  # the 30 are left
    assert {c["_id"] for _, c in read} == set(ids[:BATCH])
    assert {c["status"] for _, c in read} == {"completed"}


def test_a_reader_that_cannot_reach_the_api_gives_up_quietly() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    connected = []

    def connect() -> ApiClient:
        client = ApiClient(dead, "test-key", ApiConfig(max_attempts=1))
        connected.append(client)
        return client

    reader = StatusReader(connect)
    started = time.monotonic()
    for row in range(2, 2 + 3 * BATCH):
        reader.add(row, f"{row:024x}")
    assert reader.close() == []  # nothing read, nothing raised: the closing pass will say why
    assert time.monotonic() - started < 10
    assert len(connected) == 1  # after the first failure the later batches are not tried


def test_an_import_reads_statuses_before_its_last_post(
    tmp_path: Path, api: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="importer.sandbox")
    rows = 2 * BATCH + 50
    data = tmp_path / "credits.csv"
    data.write_text(
        "invoice_number;amount;credit_invoice\n"
        + "".join(f"F-1001;1,00;K-{i}\n" for i in range(rows)),
        encoding="utf-8",
    )
    config = Config(
        defaults=DefaultsConfig(creditor=CREDITOR),
        report=ReportConfig(dir=tmp_path / "reports", formats=["json"]),
        journal=JournalConfig(path=tmp_path / "journal.sqlite"),
    )
    with Journal(config.journal.path) as journal:
        importer = Importer(config, journal, Target(api.url, api.url, api.api_key, False))
        result = importer.run_file(data)
        importer.close()
    api.stop()  # every answered request is logged
    report = json.loads(result.report_paths["json"].read_text(encoding="utf-8"))
    assert [r["status"] for r in report["rows"]] == ["completed"] * rows
    assert [r["status_reason_locale"] for r in report["rows"]] == [None] * rows
    seen = sandbox_requests(caplog)
    posts = [i for i, (method, _) in enumerate(seen) if method == "POST"]
    # Status lookups by id ($in on _id); the credit-note lookups before posting are others.
    lookups = [i for i, (method, path) in enumerate(seen) if method == "GET" and "_id" in path]
    assert len(posts) == rows
    assert len(lookups) == 3  # two full batches while posting, the last 50 after it
    assert lookups[0] < posts[-1]  # the first batch was read while 150 rows were still to go
