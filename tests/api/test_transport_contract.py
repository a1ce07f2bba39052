"""What the transport takes from requests and urllib3 is public and still there: the adapter
hook requests keeps for subclasses, a pool's `ConnectionCls` and `scheme`, a connection's
`request` and `sock`, `Response.iter_content`. A release that renames or reshapes one of them
fails here, by name, before an answer goes unbounded. And a request made through the client's
adapter really starts on a connection that reported itself to the watchdog."""

from __future__ import annotations

import inspect

import requests
from hostile import HostileServer, json_answer
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from importer.api.transport import Watchdog, WatchedAdapter, read_answer


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
