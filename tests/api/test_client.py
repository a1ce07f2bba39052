"""The API client against the sandbox over a real socket.

The question every test asks is the one that matters for money: *could this request have been
stored?* Certainly-not-stored failures are retried with backoff (the sleep is injected and
recorded, so the waits are asserted, not timed); maybe-stored ones are never retried. What the
sandbox received is read from its own request log (logger `importer.sandbox`, DEBUG)."""

from __future__ import annotations

import http.server
import json
import logging
import random
import re
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from importer.api.client import ApiClient, PostKind
from importer.api.queries import PAGE_SIZE
from importer.api.throttle import Throttle
from importer.config import ApiConfig
from importer.errors import ApiUnavailable, AuthenticationFailed
from importer.exit_codes import ExitCode
from importer.sandbox import Sandbox

CREDITOR = "5f1a2b3c4d5e6f7a8b9c0d1e"
OTHER_CREDITOR = "0123456789abcdef01234567"
KEY = "test-key"
OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")


def body(reference: str, invoice: str = "F-1001", amount: float = 1.0, **extra) -> dict:
    return {
        "creditor": CREDITOR,
        "invoice_number": invoice,
        "currency": "SEK",
        "amount": amount,
        "origin": "creditor_system",
        "creditor_reference": reference,
        **extra,
    }


class Sleeps(list):
    """Records every wait the client asks for; sleeps for real only when told to."""

    def __init__(self, real: bool = False) -> None:
        super().__init__()
        self.real = real

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
        if self.real:
            time.sleep(seconds)


@pytest.fixture
def client_for() -> Iterator[Callable[..., ApiClient]]:
    made: list[ApiClient] = []

    def make(url: str, key: str = KEY, sleep: Callable[[float], None] | None = None, **config):
        client = ApiClient(
            url,
            key,
            ApiConfig(**config),
            sleep=sleep if sleep is not None else Sleeps(),
            rng=random.Random(7),
        )
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def wire(caplog: pytest.LogCaptureFixture) -> Callable[..., list[tuple[str, str, int]]]:
    """The sandbox's own request log: (method, path with query, status) per answered request.
    Read it after the sandbox is stopped, so the last request's log line is surely written."""
    caplog.set_level(logging.DEBUG, logger="importer.sandbox")

    def seen(method: str | None = None) -> list[tuple[str, str, int]]:
        out = []
        for record in caplog.records:
            if record.name != "importer.sandbox":
                continue
            match = re.search(r'"([A-Z]+) (\S+) HTTP/1\.1" (\d{3})', record.getMessage())
            if match and method in (None, match[1]):
                out.append((match[1], match[2], int(match[3])))
        return out

    return seen


def stored_total(sb: Sandbox) -> int:
    """How many creditings the sandbox holds, asked with a plain request."""
    response = requests.get(
        sb.url + "/creditor--creditings", headers={"x-api-key": sb.api_key}, timeout=10
    )
    response.raise_for_status()
    return response.json()["_meta"]["total"]


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nobody listens once the socket is closed


# ----------------------------------------------------------------------- answers


def test_201_is_created_with_the_id(sandbox: Sandbox, client_for) -> None:
    client = client_for(sandbox.url)
    result = client.post_crediting(body("ref-created", amount=1234.5))
    assert result.kind is PostKind.CREATED
    assert result.http_status == 201
    assert OBJECT_ID.match(result.body["_id"])
    assert result.body["_status"] == "OK"
    assert result.errors == []
    stored = client.fetch_creditings([result.body["_id"]])[result.body["_id"]]
    assert stored["amount"] == Decimal("1234.5")  # read back exactly, not as a float
    assert stored["creditor_reference"] == "ref-created"


def test_201_for_a_closed_case_is_still_created(sandbox: Sandbox, client_for) -> None:
    """A 201 can be a business failure: the client reports what the server said."""
    result = client_for(sandbox.url).post_crediting(body("ref-closed", invoice="F-1003"))
    assert result.kind is PostKind.CREATED
    assert result.body["_payment_status"] == "error"


def test_422_is_rejected_with_a_row_error_per_issue(sandbox: Sandbox, client_for, wire) -> None:
    client = client_for(sandbox.url)
    result = client.post_crediting(body("ref-unknown", invoice="F-9999"))
    assert result.kind is PostKind.REJECTED
    assert result.http_status == 422
    assert [(e.field, e.code) for e in result.errors] == [("invoice_number", "api_rejected")]
    assert "F-9999" in result.errors[0].message

    result = client.post_crediting(body("ref-bad", currency="EUR", amount=-5))
    assert result.kind is PostKind.REJECTED
    assert sorted(e.field for e in result.errors) == ["amount", "currency"]

    result = client.post_crediting(body("ref-ambiguous", invoice="F-2000"))
    assert [e.field for e in result.errors] == ["invoice_number"]
    assert client.find_by_reference(CREDITOR, "ref-unknown") == []
    assert stored_total(sandbox) == 0
    sandbox.stop()
    assert [s for _, _, s in wire("POST")] == [422, 422, 422]  # a rejection is never retried


def test_a_base_url_without_the_collection_is_a_setting_not_a_row(
    sandbox: Sandbox, client_for
) -> None:
    """A 404 for the resource itself (the collection is not there either) is not
    this row's rejection: nothing was stored, and every row would fail the same way."""
    result = client_for(sandbox.url + "/no-such-prefix").post_crediting(body("ref-404"))
    assert result.kind is PostKind.NOT_STORED
    assert result.http_status == 404
    assert result.note == (
        f"no crediting endpoint at {sandbox.url}/no-such-prefix/creditor--creditings: "
        "check api.base_url"
    )


def test_wrong_key_raises_and_never_shows_the_key(sandbox: Sandbox, client_for, wire) -> None:
    secret = "wrong-key-s3cr3t-0123456789"
    sleeps = Sleeps()
    client = client_for(sandbox.url, key=secret, sleep=sleeps)
    with pytest.raises(AuthenticationFailed) as caught:
        client.post_crediting(body("ref-auth"))
    error = caught.value
    assert error.exit_code == ExitCode.INCOMPLETE
    assert "401" in str(error)
    shown = "".join(traceback.format_exception(error)) + repr(error) + error.message
    assert secret not in shown
    assert "s3cr3t" not in shown
    with pytest.raises(AuthenticationFailed) as caught:
        client.find_by_reference(CREDITOR, "ref-auth")
    assert secret not in "".join(traceback.format_exception(caught.value))
    with pytest.raises(AuthenticationFailed):
        client.fetch_creditings(["a" * 24])
    assert sleeps == []  # a refused key is not retried
    assert stored_total(sandbox) == 0
    sandbox.stop()
    assert [(m, s) for m, _, s in wire()][:1] == [("POST", 401)]
    assert len(wire("POST")) == 1


# --------------------------------------------------------- certainly not stored


def test_a_503_may_have_been_stored_and_is_never_retried_blindly(client_for, wire) -> None:
    """A gateway answers 503 after it forwarded the POST (Envoy's "upstream reset"): the
    crediting may exist. The answer is `maybe stored`, one POST on the wire, for the caller
    to settle and look up — never posted again here."""
    with Sandbox(api_key=KEY, fail_after_store_rate=1.0, seed=1) as sb:
        client = client_for(sb.url, max_attempts=4)
        result = client.post_crediting(body("ref-503"))
        assert result.kind is PostKind.MAYBE_STORED
        assert result.http_status == 503
        assert len(client.find_by_reference(CREDITOR, "ref-503")) == 1  # it was stored
    assert [s for _, _, s in wire("POST")] == [503]


def test_every_5xx_is_maybe_stored_even_one_before_anything_was_stored(client_for, wire) -> None:
    with Sandbox(api_key=KEY, fail_rate=1.0, seed=1) as sb:
        client = client_for(sb.url, max_attempts=4)
        result = client.post_crediting(body("ref-503-before"))
        assert result.kind is PostKind.MAYBE_STORED
        assert stored_total(sb) == 0
    assert [s for _, _, s in wire("POST")] == [503]


def test_backoff_with_jitter_grows_and_stays_within_the_cap(client_for) -> None:
    with Sandbox(api_key=KEY) as sb:
        url = sb.url
    # Stopped: every attempt is refused at connect, certainly not stored, so retried.
    runs = []
    for _ in range(2):
        sleeps = Sleeps()
        client = client_for(url, sleep=sleeps, max_attempts=9, backoff_base=0.25, backoff_cap=1.5)
        assert client.post_crediting(body("ref-backoff")).kind is PostKind.NOT_STORED
        runs.append(list(sleeps))
    sleeps = runs[0]
    assert len(sleeps) == 8
    for attempt, waited in enumerate(sleeps):
        ceiling = min(1.5, 0.25 * 2**attempt)
        assert ceiling / 2 <= waited <= ceiling, (attempt, waited)
    assert max(sleeps) <= 1.5
    assert sleeps[-1] > 0.75  # the cap is reached, not just the base repeated
    assert sleeps[2] > sleeps[0]  # it grows
    ceilings = [min(1.5, 0.25 * 2**a) for a in range(8)]
    assert any(w < c * 0.99 for w, c in zip(sleeps, ceilings, strict=True))  # jittered
    assert runs[0] == runs[1]  # the same rng seed gives the same waits


def test_429_waits_for_retry_after_and_then_succeeds(client_for, wire) -> None:
    with Sandbox(api_key=KEY, rate_limit=1) as sb:
        sleeps = Sleeps(real=True)  # the window must really pass
        # a tiny backoff: only honouring Retry-After can get past the limit in 3 attempts
        client = client_for(sb.url, sleep=sleeps, max_attempts=3, backoff_base=0.01)
        first = client.post_crediting(body("ref-429-a"))
        assert first.kind is PostKind.CREATED
        probe = requests.get(
            sb.url + "/creditor--creditings", headers={"x-api-key": KEY}, timeout=10
        )
        assert probe.status_code == 429
        retry_after = float(probe.headers["Retry-After"])
        assert sleeps == []

        second = client.post_crediting(body("ref-429-b"))
        assert second.kind is PostKind.CREATED
        assert sleeps == [retry_after]  # one wait, as long as the server asked
        # the lookup right after is throttled too, and waits the same way
        assert len(client.find_by_reference(CREDITOR, "ref-429-b")) == 1
        assert sleeps == [retry_after, retry_after]
    posts = [s for _, _, s in wire("POST")]
    assert posts[0] == 201
    assert posts[1] == 429
    assert posts[-1] == 201


def test_429_that_never_clears_is_not_stored(client_for) -> None:
    with Sandbox(api_key=KEY, rate_limit=1) as sb:
        sleeps = Sleeps()  # no real wait: the window never passes
        client = client_for(sb.url, sleep=sleeps, max_attempts=3)
        assert client.post_crediting(body("ref-a")).kind is PostKind.CREATED
        result = client.post_crediting(body("ref-b"))
        assert result.kind is PostKind.NOT_STORED
        assert result.http_status == 429
        assert sleeps == [1.0, 1.0]  # Retry-After: 1, not the 0.5 s backoff base


def test_connection_refused_is_not_stored_after_retries(client_for) -> None:
    sleeps = Sleeps()
    client = client_for(f"http://127.0.0.1:{closed_port()}", sleep=sleeps, max_attempts=3)
    result = client.post_crediting(body("ref-refused"))  # must not raise
    assert result.kind is PostKind.NOT_STORED
    assert result.http_status is None
    assert "connection refused" in result.note
    assert "3 attempts" in result.note
    assert len(sleeps) == 2


def test_lookup_against_an_unreachable_api_stops_after_retries(client_for) -> None:
    sleeps = Sleeps()
    client = client_for(f"http://127.0.0.1:{closed_port()}", sleep=sleeps, max_attempts=3)
    with pytest.raises(ApiUnavailable) as caught:
        client.find_by_reference(CREDITOR, "ref")
    assert caught.value.exit_code == ExitCode.INCOMPLETE
    assert len(sleeps) == 2


# ------------------------------------------------------------------ maybe stored


def test_dropped_answer_is_maybe_stored_and_found_by_reference(client_for) -> None:
    with Sandbox(api_key=KEY, drop_rate=1.0, seed=3) as sb:
        sleeps = Sleeps()
        client = client_for(sb.url, sleep=sleeps, max_attempts=5)
        result = client.post_crediting(body("ref-dropped", amount=42.5))
        assert result.kind is PostKind.MAYBE_STORED
        assert result.http_status is None
        assert sleeps == []  # never retried blindly
        found = client.find_by_reference(CREDITOR, "ref-dropped")
        assert len(found) == 1  # it was stored, exactly once
        assert found[0]["amount"] == Decimal("42.5")
        assert stored_total(sb) == 1


def test_read_timeout_is_maybe_stored(client_for) -> None:
    with Sandbox(api_key=KEY, latency_ms=600) as sb:
        sleeps = Sleeps()
        impatient = client_for(sb.url, sleep=sleeps, read_timeout=0.15, max_attempts=5)
        result = impatient.post_crediting(body("ref-slow"))
        assert result.kind is PostKind.MAYBE_STORED
        assert "timeout" in result.note
        assert sleeps == []
        patient = client_for(sb.url)
        deadline = time.monotonic() + 10
        found = patient.find_by_reference(CREDITOR, "ref-slow")
        while not found and time.monotonic() < deadline:
            found = patient.find_by_reference(CREDITOR, "ref-slow")
        assert len(found) == 1  # the server did store it: reposting would credit twice


def test_a_redirect_is_not_followed_and_not_retried(client_for) -> None:
    """A POST redirected elsewhere (a mistyped base_url behind a proxy) is not sent on to a
    host nobody configured, and not repeated: it is a setting to fix."""
    seen: list[str] = []

    class Redirecting(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            seen.append(self.path)
            self.send_response(307)
            self.send_header("Location", "http://elsewhere.invalid/creditor--creditings")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirecting)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    ).start()
    try:
        sleeps = Sleeps()
        client = client_for(f"http://127.0.0.1:{server.server_address[1]}", sleep=sleeps)
        result = client.post_crediting(body("ref-redirected"))
    finally:
        server.shutdown()
        server.server_close()
    assert result.kind is PostKind.NOT_STORED
    assert result.http_status == 307
    assert "elsewhere.invalid" in result.note
    assert "api.base_url" in result.note
    assert seen == ["/creditor--creditings"]
    assert sleeps == []


def test_a_redirected_lookup_is_not_followed_and_the_key_stays_home(client_for) -> None:
    """A GET redirected to another host would carry the x-api-key header along (requests
    drops only `Authorization` on a host change): a lookup is never followed; the run stops
    with the setting to fix, and the other host hears nothing."""
    elsewhere_heard: list[str] = []

    class Elsewhere(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            elsewhere_heard.append(self.headers.get("x-api-key", ""))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: object) -> None:
            pass

    other = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Elsewhere)
    target = f"http://127.0.0.1:{other.server_address[1]}/creditor--creditings"

    class Redirecting(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirecting)
    for running in (other, server):
        threading.Thread(
            target=running.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()
    try:
        client = client_for(f"http://127.0.0.1:{server.server_address[1]}", sleep=Sleeps())
        with pytest.raises(ApiUnavailable) as stopped:
            client.find_by_reference(CREDITOR, "ref-redirected")
    finally:
        for running in (other, server):
            running.shutdown()
            running.server_close()
    assert elsewhere_heard == []
    assert "redirected a lookup" in stopped.value.message
    assert "api.base_url" in stopped.value.message


# ---------------------------------------------------------------------- lookups


def test_find_by_reference(sandbox: Sandbox, client_for) -> None:
    client = client_for(sandbox.url)
    made = {
        ref: client.post_crediting(body(ref, amount=amount)).body["_id"]
        for ref, amount in (("ref-a", 10.0), ("ref-b", 20.25))
    }
    found = client.find_by_reference(CREDITOR, "ref-b")
    assert [f["_id"] for f in found] == [made["ref-b"]]
    assert found[0]["amount"] == Decimal("20.25")
    assert found[0]["creditor"] == CREDITOR
    assert found[0]["status"] == "completed"
    assert client.find_by_reference(CREDITOR, "ref-c") == []
    assert client.find_by_reference(OTHER_CREDITOR, "ref-a") == []  # per creditor
    client.post_crediting(body("ref-a", amount=11.0))  # a second one with the same reference
    assert len(client.find_by_reference(CREDITOR, "ref-a")) == 2


def test_fetch_creditings_batches_by_100(sandbox: Sandbox, client_for, wire) -> None:
    assert PAGE_SIZE == 100
    client = client_for(sandbox.url)
    ids = []
    for n in range(201):
        result = client.post_crediting(body(f"ref-{n:03d}", invoice="F-1004", amount=1.0))
        assert result.kind is PostKind.CREATED
        ids.append(result.body["_id"])
    missing = "f" * 24
    asked = [*ids, ids[0], ids[150], missing]  # repeats and an id nobody has
    found = client.fetch_creditings(asked)
    assert set(found) == set(ids)
    for n, crediting_id in enumerate(ids):
        assert found[crediting_id]["_id"] == crediting_id
        assert found[crediting_id]["creditor_reference"] == f"ref-{n:03d}"
        assert found[crediting_id]["status"] == "completed"
    assert client.fetch_creditings([]) == {}
    sandbox.stop()

    batches = []
    for _, target, status in wire("GET"):
        query = parse_qs(urlsplit(target).query)
        where = json.loads(query["where"][0])
        if "_id" not in where:
            continue
        assert status == 200
        assert query["max_results"] == ["100"]
        batches.append(where["_id"]["$in"])
    assert [len(b) for b in batches] == [100, 100, 2]  # 202 distinct ids, in file order
    assert [i for b in batches for i in b] == [*ids, missing]


def test_a_429_on_one_client_pauses_every_client_sharing_its_throttle(wire) -> None:
    """Lanes (importer/lanes.py) each post over a client of their own, sharing one Throttle:
    a 429 met by one of them holds the others back for the Retry-After too, so they do not
    go on collecting 429s of their own."""
    throttle = Throttle()
    with Sandbox(api_key=KEY, rate_limit=1) as sb:
        first = ApiClient(sb.url, KEY, ApiConfig(max_attempts=3), throttle=throttle)
        second = ApiClient(sb.url, KEY, ApiConfig(max_attempts=3), throttle=throttle)
        try:
            assert first.post_crediting(body("ref-shared-a")).kind is PostKind.CREATED
            paused_at: list[float] = []

            def watch() -> None:  # the other lane: asks for its turn once the pause began
                while throttle.pauses == 0:
                    time.sleep(0.001)
                paused_at.append(time.monotonic())
                throttle.acquire()
                paused_at.append(time.monotonic())

            # A daemon: were no pause to begin, it would wait for one for good, and hold the
            # test process open at its exit after the test failed.
            other = threading.Thread(target=watch, daemon=True)
            other.start()
            assert first.post_crediting(body("ref-shared-b")).kind is PostKind.CREATED
            other.join(10)
            assert not other.is_alive(), "no 429 paused the throttle, or its pause never ended"
            assert paused_at[1] - paused_at[0] >= 0.5  # held for (most of) Retry-After: 1
            assert second.post_crediting(body("ref-shared-c")).kind is PostKind.CREATED
        finally:
            first.close()
            second.close()
    assert throttle.pauses >= 1
    assert [s for _, _, s in wire("POST")].count(201) == 3
