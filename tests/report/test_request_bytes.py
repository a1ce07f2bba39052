"""report.json's `request` is, byte for byte, the body the API received: the body is built once
(`importer.api.request.json_body`), so the report cannot state a different amount (`100` for
`100.0`) or a different key order than the wire carried. A capturing proxy between the
importer and the sandbox records the raw bytes of every POST."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from cli_support import CREDITOR

from importer.api.target import Target
from importer.config import Config, DefaultsConfig, JournalConfig, ReportConfig
from importer.journal import Journal
from importer.pipeline import Importer
from importer.sandbox import Sandbox

CASE = "64b0c0ffee00000000000001"


class _Capture(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream: str) -> None:
        super().__init__(("127.0.0.1", 0), _Forward)
        self.upstream = urlsplit(upstream)
        self.posted: list[bytes] = []


class _Forward(BaseHTTPRequestHandler):
    """Forwards every request to the sandbox unchanged, keeping each POST body's bytes."""

    server: _Capture
    protocol_version = "HTTP/1.1"

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.command == "POST":
            self.server.posted.append(body)
        up = self.server.upstream
        connection = http.client.HTTPConnection(up.hostname, up.port, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
        connection.request(self.command, self.path, body=body or None, headers=headers)
        answer = connection.getresponse()
        data = answer.read()
        self.send_response(answer.status)
        for key, value in answer.getheaders():
            if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        connection.close()

    do_GET = do_POST = _forward

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def capture(api: Sandbox) -> Iterator[_Capture]:
    server = _Capture(api.url)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _request_objects(report_json: str) -> list[str]:
    """The raw text of every row's `request` object in report.json (one row per line)."""
    found = []
    for line in report_json.splitlines():
        start = line.find('"request":{')
        if start == -1:
            continue
        start += len('"request":')
        depth, index, in_text = 0, start, False
        while True:
            char = line[index]
            if in_text:
                if char == "\\":
                    index += 1
                elif char == '"':
                    in_text = False
            elif char == '"':
                in_text = True
            elif char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
                if depth == 0:
                    break
            index += 1
        found.append(line[start : index + 1])
    return found


def test_report_json_records_the_exact_bytes_the_api_received(
    tmp_path: Path, api: Sandbox, capture: _Capture
) -> None:
    source = tmp_path / "credits.csv"
    source.write_text(
        "Ärende;Belopp;Referens;Kreditfaktura\n"
        f"{CASE};100,00;whole-amount;\n"
        f"{CASE};0,30;ref-ö-1;K-1\n"
        f'{CASE};1234,50;ref-"quoted";\n',
        encoding="utf-8",
    )
    config = Config(
        defaults=DefaultsConfig(creditor=CREDITOR),
        report=ReportConfig(dir=tmp_path / "reports", formats=["json"]),
        journal=JournalConfig(path=tmp_path / "journal.sqlite"),
        columns={
            "case": ["Ärende"],
            "amount": ["Belopp"],
            "creditor_reference": ["Referens"],
            "credit_invoice": ["Kreditfaktura"],
        },
    )
    url = f"http://127.0.0.1:{capture.server_address[1]}"
    with Journal(config.journal.path) as journal:
        importer = Importer(config, journal, Target(url, url, api.api_key, False))
        result = importer.run_file(source)
        importer.close()
    assert result.report is not None
    assert result.report.summary.outcomes["credited"] == 3
    recorded = _request_objects(result.report_paths["json"].read_text(encoding="utf-8"))
    sent = [body.decode("utf-8") for body in capture.posted]
    assert len(sent) == 3
    assert recorded == sent
    assert '"amount":100.0' in sent[0]  # what the wire carries for a whole amount
