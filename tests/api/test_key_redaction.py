"""An API or a gateway that echoes the request's headers into its answer (a 422's `_issues`, a
400's `_error`, its reason phrase, any body) never gets the API key into what the importer
keeps or shows: it is removed from every answer where answers enter, so the journal, every
report and `importer show` hold `[API key removed]` instead — even when the echo is split
across the pieces of a chunked body or escaped as JSON writes it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from cli_support import SECRET, importer
from hostile import Answer, HostileServer

from importer.api.redaction import REMOVED

ROWS = 4


def _echoing_gateway() -> HostileServer:
    server: HostileServer

    def behaviour(method: str, path: str, body: bytes) -> Answer:
        if method == "GET":  # the look-up before sending: nothing credited yet
            return Answer(200, b'{"_items": [], "_meta": {"total": 0}}')
        key = server.requests[-1].headers["x-api-key"]
        row = json.loads(body)["invoice_number"]
        if row == "F-1001":
            issues = {
                "amount": f"not accepted with x-api-key: {key}",
                "_headers": {"X-Api-Key": key},
            }
            return Answer(422, json.dumps({"_status": "ERR", "_issues": issues}).encode())
        if row == "F-1002":
            error = {"code": 400, "message": f"bad request (x-api-key={key})"}
            return Answer(400, json.dumps({"_error": error}).encode(), reason=f"Bad key {key}")
        if row == "F-1003":  # the echo split over the pieces of a chunked body
            text = json.dumps({"_error": {"message": f"rejected for key {key}!"}}).encode()
            cut = text.index(key.encode()) + 5

            def pieces() -> Iterator[bytes]:
                yield text[:cut]
                yield text[cut:]

            return Answer(400, pieces())
        return Answer(418, f"<html>teapot says {key}</html>".encode(), reason=f"Teapot {key}")

    server = HostileServer(behaviour)
    return server


def test_an_echoed_key_reaches_no_journal_report_or_output(workdir: Path) -> None:
    lines = ["Fakturanummer;Belopp"] + [f"F-100{n};10,00" for n in range(1, ROWS + 1)]
    credits = workdir / "credits.csv"
    credits.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with _echoing_gateway() as gateway:
        done = importer(workdir, "run", "--api-url", gateway.url, str(credits))
        posts = [r for r in gateway.requests if r.method == "POST"]
        assert len(posts) == ROWS  # every row was answered with the echo
    assert done.returncode == 1, done.stderr
    report = json.loads(next((workdir / "reports").glob("*/report.json")).read_text("utf-8"))
    messages = [error["message"] for row in report["rows"] for error in row["errors"]]
    assert any(f"x-api-key: {REMOVED}" in m for m in messages), messages
    assert any(f"x-api-key={REMOVED}" in m for m in messages), messages
    assert any(f"rejected for key {REMOVED}!" in m for m in messages), messages
    assert any(f"Teapot {REMOVED}" in m for m in messages), messages
    shown = importer(workdir, "show", report["file_import_report"])
    assert REMOVED in shown.stdout
    written = [done.stdout, done.stderr, shown.stdout, shown.stderr]
    written += [p.read_bytes().decode("latin-1") for p in workdir.rglob("*") if p.is_file()]
    assert not [text for text in written if SECRET in text]


PLUS_KEY = "s3cr3t+key/never+printed=0123456789"
"""A key of base64's alphabet: '+', '/' and '=' are what JSON encoders escape as \\uXXXX."""


def test_a_key_echoed_with_unicode_escapes_reaches_no_report(workdir: Path) -> None:
    """A gateway whose JSON encoder escapes '+', '/' and '=' as `\\u002B`, `\\u002f`, `\\u003D`
    (as .NET's default encoder does for '+', in either case of hex): decoded, the message
    reads the key in full, so the key is removed in that form too."""

    def escaped(key: str) -> str:
        forms = {"+": "\\u002B", "/": "\\u002f", "=": "\\u003D"}
        return "".join(forms.get(c, c) for c in key)

    server: HostileServer

    def behaviour(method: str, path: str, body: bytes) -> Answer:
        if method == "GET":  # the look-up before sending: nothing credited yet
            return Answer(200, b'{"_items": [], "_meta": {"total": 0}}')
        key = server.requests[-1].headers["x-api-key"]
        text = '{"_status": "ERR", "_error": {"message": "bad key ' + escaped(key) + '"}}'
        return Answer(400, text.encode())

    server = HostileServer(behaviour)
    credits = workdir / "credits.csv"
    credits.write_text("Fakturanummer;Belopp\nF-1001;10,00\n", encoding="utf-8")
    with server as gateway:
        done = importer(workdir, "run", "--api-url", gateway.url, str(credits), key=PLUS_KEY)
        assert [r.method for r in gateway.requests].count("POST") == 1
    assert done.returncode == 1, done.stderr
    report = json.loads(next((workdir / "reports").glob("*/report.json")).read_text("utf-8"))
    messages = [error["message"] for row in report["rows"] for error in row["errors"]]
    assert any(f"bad key {REMOVED}" in m for m in messages), messages
    written = [done.stdout, done.stderr]
    written += [p.read_bytes().decode("latin-1") for p in workdir.rglob("*") if p.is_file()]
    assert not [text for text in written if PLUS_KEY in text]
