"""Bounds on one exchange with the API: a whole-answer deadline, a size cap, and an abort.

`read_timeout` alone bounds nothing: it is the longest silence between two bytes, so a body
sent one byte a second never trips it, and an endless body grows memory without end. So:

* **Deadline.** One watchdog thread per client holds the deadline of the exchange in progress
  (armed before the request is sent, disarmed when the body is read). When it passes, the
  watchdog shuts the connection's socket down: the blocked read returns at once, and the
  exchange ends as an error the client reads as *maybe stored* — the request left.
* **Size.** The body is streamed in 64 KiB pieces and given up past `api.max_response_bytes`
  (counted after decompression, so a gzip bomb is counted by what it would become).
* **Abort.** The same shutdown ends an exchange early when the run is asked to stop: after a
  short grace (most answers arrive within it), the wait ends — see `importer.stopping`.

The watchdog learns which socket to shut down from the connection itself: the client mounts
connection classes that report to it whenever they start a request. Why a socket shutdown and
not a timer per request: a thread per request costs more than the request on a fast API; one
thread and a condition cost a lock and a notify per exchange.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterable
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

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


def watched_adapter(watchdog: Watchdog, **kwargs: Any) -> HTTPAdapter:
    """An adapter whose connections report to `watchdog` as each request starts."""

    class _Http(HTTPConnection):
        def request(self, *args: Any, **kw: Any) -> None:
            watchdog.attach(self)
            super().request(*args, **kw)

    class _Https(HTTPSConnection):
        def request(self, *args: Any, **kw: Any) -> None:
            watchdog.attach(self)
            super().request(*args, **kw)

    class _HttpPool(HTTPConnectionPool):
        ConnectionCls = _Http

    class _HttpsPool(HTTPSConnectionPool):
        ConnectionCls = _Https

    adapter = HTTPAdapter(**kwargs)
    adapter.poolmanager.pool_classes_by_scheme = {"http": _HttpPool, "https": _HttpsPool}
    return adapter


def read_body(response: requests.Response, limit: int) -> bytes:
    """The whole body of a streamed response, or AnswerTooLarge past `limit` bytes. The body
    is kept on the response too, so `response.json()` works as usual."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        response.close()
        raise AnswerTooLarge(f"announced {int(declared):,} bytes")
    pieces: list[bytes] = []
    size = 0
    for piece in _pieces(response):
        size += len(piece)
        if size > limit:
            response.close()
            raise AnswerTooLarge(f"more than {limit:,} bytes")
        pieces.append(piece)
    body = b"".join(pieces)
    response._content = body  # what requests itself stores once it has read a body
    return body


def _pieces(response: requests.Response) -> Iterable[bytes]:
    raw = response.raw
    yield from raw.stream(CHUNK, decode_content=True)
