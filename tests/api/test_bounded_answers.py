"""Answers are bounded: an endless body, a 2 GB one, a body trickled a byte a
second and an answer whose headers never end are all given up at `api.max_response_bytes` or
`api.response_deadline`. Past either, the attempt is *uncertain* (`unknown`: the request
left) and its note names the limit that was hit. Real sockets, a hostile server."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote

import pytest
from cli_support import CREDITOR, SAMPLE, SECRET
from hostile import Answer, HostileServer, endless, json_answer

from importer.api.client import ApiClient, PostKind
from importer.config import ApiConfig
from importer.errors import ApiUnavailable

BODY = {
    "creditor": CREDITOR,
    "invoice_number": "F-1001",
    "currency": "SEK",
    "amount": 1.0,
    "origin": "creditor_system",
    "creditor_reference": "ref-1",
}


def _client(url: str, **config: float) -> ApiClient:
    return ApiClient(url, "key", ApiConfig(**config), sleep=lambda _s: None)


def _post(url: str, **config: float) -> tuple[object, float]:
    client = _client(url, **config)
    started = time.monotonic()
    try:
        return client.post_crediting(BODY), time.monotonic() - started
    finally:
        client.close()


def test_endless_body_is_given_up_at_the_size_limit():
    with HostileServer(lambda *_: Answer(201, endless())) as server:
        result, elapsed = _post(server.url, max_response_bytes=1024 * 1024)
    assert result.kind is PostKind.MAYBE_STORED
    assert result.note == "answer too large: more than 1,048,576 bytes (api.max_response_bytes)"
    assert elapsed < 10


def test_announced_huge_body_is_not_read():
    huge = Answer(201, endless(b"x" * 65536), {"Content-Length": str(2 * 1024**3)})
    # A Content-Length of 2 GB with a chunked body is contradictory: the declared size alone
    # is what refuses it, before a byte of the body is read.
    with HostileServer(lambda *_: huge) as server:
        result, _ = _post(server.url)
    assert result.kind is PostKind.MAYBE_STORED
    assert "announced 2,147,483,648 bytes" in (result.note or "")


def test_a_byte_a_second_hits_the_whole_answer_deadline():
    trickle = Answer(201, (b"{"[:1] for _ in range(3600)), pause=0.25)
    with HostileServer(lambda *_: trickle) as server:
        result, elapsed = _post(server.url, read_timeout=1.0, response_deadline=2.0)
    assert result.kind is PostKind.MAYBE_STORED
    assert result.note == "no complete answer within 2 s (api.response_deadline)"
    assert 1.9 < elapsed < 5  # read_timeout (1 s) never tripped: each byte reset it


def test_lookups_are_bounded_too():
    def behaviour(method: str, path: str, body: bytes) -> Answer:
        return Answer(200, endless(), {"Content-Type": "application/json"})

    with HostileServer(behaviour) as server:
        client = _client(server.url, max_attempts=2)
        try:
            with pytest.raises(ApiUnavailable, match=r"answer too large"):
                client.find_by_reference(CREDITOR, "ref-1")
        finally:
            client.close()


def _import_path() -> dict[str, str]:
    """PYTHONPATH, when the tests run from a checkout that is not installed."""
    path = os.environ.get("PYTHONPATH")
    return {"PYTHONPATH": path} if path else {}


def test_the_import_leaves_the_row_unknown_naming_the_limit(workdir: Path):
    """Through the command line, with memory capped at 600 MB: an endless answer is an
    uncertain attempt, not a process that grows until the machine kills it."""

    def behaviour(method: str, path: str, body: bytes) -> Answer:
        if method == "POST":
            return Answer(201, endless())
        if "$in" in unquote(path):  # the credit notes asked before posting: none credited
            return json_answer(200, {"_items": [], "_meta": {"total": 0}})
        return json_answer(503, {"_status": "ERR"})  # lookups fail: nothing is guessed

    (workdir / "config.yaml").write_text(
        f"defaults:\n  creditor: {CREDITOR}\nreport:\n  dir: reports\njournal:\n  path: j.sqlite\n"
        "api:\n  max_attempts: 2\n  backoff_base: 0\n  read_timeout: 1\n  settle_seconds: 1\n",
        encoding="utf-8",
    )

    def cap_memory() -> None:
        limit = 600 * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    with HostileServer(behaviour) as server:
        result = subprocess.run(
            [sys.executable, "-m", "importer", "run", str(SAMPLE), "--api-url", server.url],
            cwd=workdir,
            env={"AMILI_API_KEY": SECRET, "PATH": "/usr/bin:/bin", **_import_path()},
            capture_output=True,
            text=True,
            timeout=120,
            preexec_fn=cap_memory,
        )
        posts = [r for r in server.requests if r.method == "POST"]
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    assert "MemoryError" not in result.stderr
    # Never reposted blind: each row's attempt is uncertain and holds its case, the other
    # cases went ahead, and the lookup failing stops the run.
    references = [json.loads(p.body)["creditor_reference"] for p in posts]
    assert posts
    assert len(references) == len(set(references))
    report = json.loads(next((workdir / "reports").glob("*/report.json")).read_text("utf-8"))
    first = next(r for r in report["rows"] if r["attempts"])
    assert first["outcome"] == "unknown"
    notes = [a.get("note") for a in first["attempts"]]
    assert "answer too large: more than 1,048,576 bytes (api.max_response_bytes)" in notes
