"""What the transport takes from requests and urllib3 is public and still there: the adapter
hook requests keeps for subclasses, a pool's `ConnectionCls` and `scheme`, a connection's
`request` and `sock`, `Response.iter_content`. A release that renames or reshapes one of them
fails here, by name, before an answer goes unbounded. And a request made through the client's
adapter really starts on a connection that reported itself to the watchdog.

The failure map (`api.failures`) relies on how requests and urllib3 raise, over a real socket:
a refused connection is a `ConnectionError` wrapping urllib3's `NewConnectionError` as the
`reason` of a `MaxRetryError` (the one sign that nothing was sent), a read timeout is no
`ConnectionError`, a connection dropped after sending is one without that reason, a streamed
request returns before its body and `iter_content` gives the body decoded. A release that
changes one of them would turn "not stored" into "maybe stored" or the reverse: it fails
here."""

from __future__ import annotations

import email.utils
import gzip
import inspect
import threading
import time
from collections.abc import Iterator

import pytest
import requests
import urllib3.exceptions
from cli_support import closed_port
from hostile import Answer, HostileServer, json_answer
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util.retry import Retry

from importer.api.failures import Fate, failure_of, never_connected
from importer.api.transport import Watchdog, WatchedAdapter, read_answer

URL = "http://127.0.0.1:1"


def _parameters(function: object) -> list[str]:
    return list(inspect.signature(function).parameters)  # type: ignore[arg-type]


def test_the_adapter_hook_for_subclasses_takes_what_the_override_takes() -> None:
    assert _parameters(HTTPAdapter.get_connection_with_tls_context) == [
        "self",
        "request",
        "verify",
        "proxies",
        "cert",
    ]
    assert _parameters(WatchedAdapter.get_connection_with_tls_context) == _parameters(
        HTTPAdapter.get_connection_with_tls_context
    )


def test_pools_name_their_connection_class_and_scheme() -> None:
    assert HTTPConnectionPool.ConnectionCls is HTTPConnection
    assert HTTPSConnectionPool.ConnectionCls is HTTPSConnection
    assert (HTTPConnectionPool.scheme, HTTPSConnectionPool.scheme) == ("http", "https")
    assert issubclass(HTTPSConnectionPool, HTTPConnectionPool)
    assert issubclass(HTTPSConnection, HTTPConnection)


def test_a_connection_starts_a_request_by_request_and_keeps_its_socket_as_sock() -> None:
    assert _parameters(HTTPConnection.request)[:5] == ["self", "method", "url", "body", "headers"]
    assert HTTPConnection("localhost").sock is None  # set on connect, shut down by the watchdog


def test_a_streamed_body_is_read_in_pieces_of_a_given_size() -> None:
    assert _parameters(requests.Response.iter_content)[:2] == ["self", "chunk_size"]


def test_a_request_through_the_adapter_reports_its_connection_to_the_watchdog() -> None:
    reported: list[HTTPConnection] = []

    class Seen(Watchdog):
        def attach(self, connection: HTTPConnection) -> None:
            reported.append(connection)
            super().attach(connection)

    watchdog = Seen()
    session = requests.Session()
    session.mount("http://", WatchedAdapter(watchdog, max_retries=0))
    with HostileServer(lambda *_: json_answer(200, {"ok": True})) as server:
        response = session.get(server.url + "/x", stream=True, timeout=10)
        answer = read_answer(response, 1024)
        assert len(reported) == 1
        assert reported[0].sock is not None  # kept alive in the pool: the socket a cut shuts
    session.close()
    watchdog.close()
    assert answer.status_code == 200
    assert answer.json() == {"ok": True}


def _session() -> tuple[requests.Session, Watchdog]:
    """A session as the client mounts it: the watched adapter, no retries of urllib3's."""
    watchdog = Watchdog()
    session = requests.Session()
    session.mount("http://", WatchedAdapter(watchdog, max_retries=0))
    return session, watchdog


def test_a_refused_connection_is_a_connection_error_naming_a_new_connection_error() -> None:
    session, watchdog = _session()
    with pytest.raises(requests.ConnectionError) as caught:
        session.post(f"http://127.0.0.1:{closed_port()}/x", data=b"{}", stream=True, timeout=5)
    session.close()
    watchdog.close()
    refused = caught.value
    assert not isinstance(refused, requests.Timeout)
    assert isinstance(refused.args[0], urllib3.exceptions.MaxRetryError)
    assert isinstance(refused.args[0].reason, urllib3.exceptions.NewConnectionError)
    assert never_connected(refused)
    assert failure_of(refused, URL).fate is Fate.NOT_STORED


def test_a_connection_dropped_after_sending_is_a_connection_error_of_another_reason() -> None:
    def drop(*_: object) -> Answer:
        raise ConnectionResetError("read the request, answer nothing")

    session, watchdog = _session()
    with HostileServer(drop) as server, pytest.raises(requests.ConnectionError) as caught:
        session.post(server.url + "/x", data=b"{}", stream=True, timeout=5)
    session.close()
    watchdog.close()
    assert len(server.requests) == 1  # it was sent
    assert not never_connected(caught.value)
    assert failure_of(caught.value, URL).fate is Fate.MAYBE_STORED


def test_no_answer_within_the_read_timeout_is_a_timeout_and_no_connection_error() -> None:
    def slow(*_: object) -> Answer:
        time.sleep(1)
        return json_answer(200, {})

    session, watchdog = _session()
    with HostileServer(slow) as server, pytest.raises(requests.ReadTimeout) as caught:
        session.post(server.url + "/x", data=b"{}", stream=True, timeout=(5, 0.2))
    session.close()
    watchdog.close()
    assert isinstance(caught.value, requests.Timeout)
    assert not isinstance(caught.value, requests.ConnectionError)
    assert failure_of(caught.value, URL).fate is Fate.MAYBE_STORED


def test_the_exception_classes_sit_where_the_failure_map_looks_for_them() -> None:
    # A connect timeout is both: the map must see it as never connected.
    assert issubclass(requests.ConnectTimeout, requests.ConnectionError)
    assert issubclass(requests.ConnectTimeout, requests.Timeout)
    assert never_connected(requests.ConnectTimeout())
    # A TLS error is a ConnectionError too: the map asks about it first.
    assert issubclass(requests.exceptions.SSLError, requests.ConnectionError)
    assert issubclass(requests.exceptions.ChunkedEncodingError, requests.RequestException)
    assert issubclass(urllib3.exceptions.NewConnectionError, urllib3.exceptions.HTTPError)


def test_a_streamed_request_returns_before_its_body_and_iter_content_decodes_it() -> None:
    released = threading.Event()
    sent = threading.Event()
    document = b'{"_items": []}' * 100

    def body() -> Iterator[bytes]:
        released.wait(10)
        sent.set()
        yield gzip.compress(document)

    session, watchdog = _session()
    with HostileServer(lambda *_: Answer(200, body(), {"Content-Encoding": "gzip"})) as server:
        response = session.get(server.url + "/x", stream=True, timeout=(5, 20))
        assert not sent.is_set()  # the head came back; the body is still to be read
        released.set()
        pieces = list(response.iter_content(64 * 1024))
    session.close()
    watchdog.close()
    assert b"".join(pieces) == document  # decompressed: the size cap counts what it becomes


def test_retry_after_is_read_by_urllib3s_public_parser_in_both_forms() -> None:
    retry = Retry()
    assert retry.parse_retry_after("120") == 120
    later = retry.parse_retry_after(email.utils.formatdate(time.time() + 60, usegmt=True))
    assert 50 <= later <= 60
    assert retry.parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0
    with pytest.raises(urllib3.exceptions.InvalidHeader):
        retry.parse_retry_after("soon")
