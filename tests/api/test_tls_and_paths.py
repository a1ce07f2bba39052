"""TLS and wrong paths, over real sockets with a CA generated for the test by
the `openssl` command line tool.

* A certificate the client cannot verify stops the run with "certificate verify failed for
  HOST": the handshake failed, so nothing was sent and the row is `not_sent`.
* `api.ca_bundle` names a private CA; verification is never turned off.
* A base URL whose `POST /creditor--creditings` is a 404 for the resource itself stops the
  run at the first row ("no crediting endpoint at URL: check api.base_url", exit 3) instead
  of rejecting every row."""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
from pathlib import Path

import pytest
from cli_support import CREDITOR, SAMPLE, creditings, importer
from hostile import Answer, HostileServer, json_answer

from importer.api.client import ApiClient, PostKind
from importer.config import ApiConfig
from importer.sandbox import Sandbox

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")

CREATED = {
    "_id": "65a1b2c3d4e5f60718293a4b",
    "_status": "OK",
    "status": "completed",
    "settled_amount": 1.0,
}


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ca.pem (a private CA), server.pem/server.key for 127.0.0.1 signed by it, and
    other.pem/other.key: a certificate of the same CA for another host only."""
    d = tmp_path_factory.mktemp("pki")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
             "ca.pem", "-days", "2", "-subj", "/CN=importer test CA", cwd=d)  # fmt: skip
    for name, san in (("server", "IP:127.0.0.1"), ("other", "DNS:api.example.invalid")):
        (d / f"{name}.ext").write_text(f"subjectAltName={san}\n", encoding="utf-8")
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out",
                 f"{name}.csr", "-subj", f"/CN={name}", cwd=d)  # fmt: skip
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                 "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", "-extfile",
                 f"{name}.ext", cwd=d)  # fmt: skip
    return d


def _context(pki: Path, name: str = "server") -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki / f"{name}.pem", pki / f"{name}.key")
    return context


def _api(method: str, path: str, body: bytes) -> Answer:
    return json_answer(201, CREATED) if method == "POST" else json_answer(200, {"_items": []})


BODY = {
    "creditor": CREDITOR,
    "invoice_number": "F-1001",
    "currency": "SEK",
    "amount": 1.0,
    "origin": "creditor_system",
    "creditor_reference": "ref-1",
}


def test_a_private_ca_named_in_ca_bundle_is_trusted(pki: Path):
    with HostileServer(_api, _context(pki)) as server:
        client = ApiClient(server.url, "key", ApiConfig(ca_bundle=pki / "ca.pem"))
        try:
            result = client.post_crediting(BODY)
        finally:
            client.close()
    assert result.kind is PostKind.CREATED
    assert result.body["_id"] == CREATED["_id"]


@pytest.mark.parametrize(
    ("certificate", "bundle", "why"),
    [
        ("server", None, "unable to get local issuer certificate"),  # private CA not named
        ("other", "ca.pem", "IP address mismatch"),  # trusted CA, certificate for another host
    ],
)
def test_an_unverifiable_certificate_stops_the_run_naming_the_host(
    pki: Path, workdir: Path, certificate: str, bundle: str | None, why: str
):
    config = (
        f"defaults:\n  creditor: {CREDITOR}\nreport:\n  dir: reports\njournal:\n  path: j.sqlite\n"
    )
    if bundle is not None:
        config += f"api:\n  ca_bundle: {pki / bundle}\n"
    (workdir / "config.yaml").write_text(config, encoding="utf-8")
    with HostileServer(_api, _context(pki, certificate)) as server:
        result = importer(workdir, "run", str(SAMPLE), "--api-url", server.url)
        assert server.requests == []  # the handshake failed: not one byte of HTTP
    assert result.returncode == 3, result.stderr
    assert "certificate verify failed for 127.0.0.1" in result.stderr
    assert why in result.stderr
    assert "api.ca_bundle" in result.stderr
    report = json.loads(next((workdir / "reports").glob("*/report.json")).read_text("utf-8"))
    # The credit-note lookup before the first POST meets the certificate:
    # nothing was attempted, the rows to post are all still `not_sent`.
    assert [r for r in report["rows"] if r["attempts"]] == []
    assert "not_sent" in {r["outcome"] for r in report["rows"]}


def test_a_base_url_without_the_crediting_endpoint_stops_at_the_first_row(
    workdir: Path, api: Sandbox
):
    url = api.url + "/v2"
    result = importer(workdir, "run", str(SAMPLE), "--api-url", url)
    assert result.returncode == 3, result.stderr
    assert f"no crediting endpoint at {url}/creditor--creditings: check api.base_url" in (
        result.stderr
    )
    report = json.loads(next((workdir / "reports").glob("*/report.json")).read_text("utf-8"))
    outcomes = [r["outcome"] for r in report["rows"]]
    assert "rejected" not in outcomes
    assert outcomes.count("not_sent") == 7  # every valid row, none rejected for the URL
    assert creditings(api) == []


def test_a_404_for_one_row_is_still_that_rows_rejection():
    """The collection exists (its GET answers): a POST 404 is about the row."""

    def behaviour(method: str, path: str, body: bytes) -> Answer:
        if method == "POST":
            return json_answer(
                404, {"_status": "ERR", "_error": {"code": 404, "message": "no case"}}
            )
        return json_answer(200, {"_items": [], "_meta": {"total": 0}})

    with HostileServer(behaviour) as server:
        client = ApiClient(server.url, "key", ApiConfig())
        try:
            result = client.post_crediting(BODY)
        finally:
            client.close()
    assert result.kind is PostKind.REJECTED
    assert "no case" in result.errors[0].message


def test_a_certificate_refusal_is_not_stored_and_not_tried_again(pki: Path):
    """The handshake failed, so nothing was sent; the same certificate fails every
    handshake, so the POST is not tried again: the setting is named at once."""
    sleeps: list[float] = []
    with HostileServer(_api, _context(pki)) as server:
        client = ApiClient(server.url, "key", ApiConfig(max_attempts=4), sleep=sleeps.append)
        try:
            result = client.post_crediting(BODY)
        finally:
            client.close()
        assert server.requests == []
    assert result.kind is PostKind.NOT_STORED
    assert result.note is not None
    assert result.note.startswith("certificate verify failed for 127.0.0.1")
    assert "api.ca_bundle" in result.note
    assert sleeps == []
