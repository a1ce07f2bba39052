"""Bounds on one exchange with the API: a whole-answer deadline, a size cap, and an abort.

`read_timeout` alone bounds nothing: it is the longest silence between two bytes, so a body
sent one byte a second never trips it, and an endless body grows memory without end. So:

* **Deadline.** One watchdog thread per client holds the deadline of the exchange in progress
  (armed before the request is sent, disarmed when the body is read). When it passes, the
  watchdog shuts the connection's socket down: the blocked read returns at once, and the
  exchange ends as an error the client reads as *maybe stored* — the request left.
* **Size.** The body is streamed (`stream=True`, `Response.iter_content`) in 64 KiB pieces and
  given up past `api.max_response_bytes` (counted after decompression, so a gzip bomb is
  counted by what it would become); the client reads the `Answer` made of it.
* **Abort.** The same shutdown ends an exchange early when the run is asked to stop: after a
  short grace (most answers arrive within it), the wait ends — see `importer.stopping`.

The watchdog learns which socket to shut down from the connection itself: the client mounts
an adapter (`WatchedAdapter`) whose connections report to it whenever they start a request.
Only public names of requests and urllib3 are used (a test holds them). Why a socket shutdown and
not a timer per request: a thread per request costs more than the request on a fast API; one
thread and a condition cost a lock and a notify per exchange.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import ConnectionPool, HTTPConnectionPool

CHUNK = 64 * 1024


class AnswerTooLarge(Exception):
    """The body passed `api.max_response_bytes`; the rest was not read."""


class Watchdog:
    """The deadline of the exchange in progress on one client, and the socket to shut down
    when it passes (or when the run is stopped). Thread-safe; its thread starts lazily."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._until: float | None = None
        self._why = ""
        self._fired: str | None = None
        self._connection: HTTPConnection | None = None
        self._thread: threading.Thread | None = None
        self._closed = False

    # the exchange ---------------------------------------------------------------------

    def arm(self, seconds: float, why: str) -> None:
        with self._cond:
            self._until = time.monotonic() + seconds
            self._why = why
            self._fired = None
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="watchdog", daemon=True)
                self._thread.start()
            self._cond.notify()

    def disarm(self) -> str | None:
        """End the exchange; what ended it early, if anything did."""
        with self._cond:
            self._until = None
            fired, self._fired = self._fired, None
            return fired

    @property
    def fired(self) -> str | None:
        return self._fired

    def attach(self, connection: HTTPConnection) -> None:
        """Called by the connection as it starts a request: the socket to shut down."""
        self._connection = connection

    def cut_short(self, grace: float, why: str) -> None:
        """End the exchange in progress within `grace` seconds (a stop was asked for)."""
        with self._cond:
            if self._until is None:
                return
            self._until = min(self._until, time.monotonic() + grace)
            self._why = why
            self._cond.notify()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._until = None
            self._cond.notify()

    # the thread -----------------------------------------------------------------------

    def _run(self) -> None:
        with self._cond:
            while not self._closed:
                if self._until is None:
                    self._cond.wait()
                    continue
                remaining = self._until - time.monotonic()
                if remaining > 0:
                    self._cond.wait(remaining)
                    continue
                self._fired = self._why
                self._until = None
                _shut_down(self._connection)


def _shut_down(connection: HTTPConnection | None) -> None:
    sock = getattr(connection, "sock", None)
    if sock is None:
        return
    with contextlib.suppress(OSError):  # already closed: the exchange is over anyway
        sock.shutdown(socket.SHUT_RDWR)


class WatchedAdapter(HTTPAdapter):
    """An adapter whose connections report to `watchdog` as each request starts.

    Through the hook requests keeps for subclasses (`get_connection_with_tls_context`, which
    hands over the connection pool a request will use) and urllib3's documented
    `ConnectionCls` of a pool: the pool makes its connections lazily, so a class set before
    its first request is the class of every connection it makes. The names relied on are held
    by `tests/api/test_transport_contract.py`."""

    def __init__(self, watchdog: Watchdog, **kwargs: Any) -> None:
        self._watched = _watched_classes(watchdog)
        super().__init__(**kwargs)

    def get_connection_with_tls_context(
        self,
        request: requests.PreparedRequest,
        verify: bool | str | None,
        proxies: Mapping[str, str] | None = None,
        cert: tuple[str, str] | str | None = None,
    ) -> ConnectionPool:
        pool = super().get_connection_with_tls_context(request, verify, proxies, cert)
        if isinstance(pool, HTTPConnectionPool):  # HTTPSConnectionPool is one too
            watched = self._watched[pool.scheme == "https"]
            if pool.ConnectionCls is not watched:
                pool.ConnectionCls = watched
        return pool


def _watched_classes(
    watchdog: Watchdog,
) -> tuple[type[HTTPConnection], type[HTTPSConnection]]:
    """urllib3's connection classes, each telling `watchdog` its socket as a request starts
    (http, https)."""

    class _Http(HTTPConnection):
        def request(self, *args: Any, **kw: Any) -> None:
            watchdog.attach(self)
            super().request(*args, **kw)

    class _Https(HTTPSConnection):
        def request(self, *args: Any, **kw: Any) -> None:
            watchdog.attach(self)
            super().request(*args, **kw)

    return _Http, _Https


@dataclass(frozen=True, slots=True)
class Answer:
    """A whole, bounded answer: what the client reads of one (`requests.Response` would
    read its body again, unbounded)."""

    status_code: int
    reason: str
    headers: Mapping[str, str]
    """Case-insensitive, as requests gives them."""
    content: bytes

    def json(self, **kwargs: Any) -> Any:
        """The body as JSON (`json.loads`'s keywords, e.g. `parse_float=Decimal`)."""
        return json.loads(self.content, **kwargs)


def read_answer(response: requests.Response, limit: int) -> Answer:
    """The whole answer of a streamed response (`stream=True`), or AnswerTooLarge past
    `limit` bytes (counted after decompression, so a gzip bomb counts by what it would
    become). The time it may take is the watchdog's to bound."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        response.close()
        raise AnswerTooLarge(f"announced {int(declared):,} bytes")
    pieces: list[bytes] = []
    size = 0
    for piece in response.iter_content(CHUNK):
        size += len(piece)
        if size > limit:
            response.close()
            raise AnswerTooLarge(f"more than {limit:,} bytes")
        pieces.append(piece)
    return Answer(response.status_code, response.reason or "", response.headers, b"".join(pieces))
