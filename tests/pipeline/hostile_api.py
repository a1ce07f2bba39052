"""A hostile API for tests: a reverse proxy on its own socket and thread in front of a real
sandbox, misbehaving on purpose where the sandbox cannot.

What reaches the sandbox is stored by the sandbox (real creditings, real lookups); what the
importer is *told* is up to the test. Each POST is handled by the `Misbehaviour` the test's
`on_post(n, body)` returns for it (n counts POSTs from 0):

* `Relay(answer_after)` — forward and answer what the sandbox answered (after a pause);
* `StoreLate(seconds)` — hold the request, forward it (so store it) `seconds` after it
  arrived, then answer; an importer with a shorter read timeout has given up by then;
* `Lie(status, body, content_type, store)` — forward it (or, with `store=False`, not) and
  answer `status` with `body` whatever the sandbox said.

GETs are relayed, unless `on_get(path_and_query)` returns a (status, body) to answer
instead. Every request is logged with its arrival time, for order assertions."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests


@dataclass(frozen=True)
class Relay:
    answer_after: float = 0.0
    """Seconds between storing (at once) and answering: a slow answer, still in time."""


@dataclass(frozen=True)
class StoreLate:
    seconds: float


@dataclass(frozen=True)
class Lie:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    store: bool = True


Misbehaviour = Relay | StoreLate | Lie


@dataclass
class Seen:
    at: float
    method: str
    path: str
    body: bytes


@dataclass
class HostileApi:
    upstream: str
    on_post: Callable[[int, bytes], Misbehaviour] = lambda n, body: Relay()
    on_get: Callable[[str], tuple[int, bytes] | None] = lambda path: None
    seen: list[Seen] = field(default_factory=list)
    url: str = ""
    _posts: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def posts(self) -> list[Seen]:
        return [s for s in self.seen if s.method == "POST"]

    def gets(self) -> list[Seen]:
        return [s for s in self.seen if s.method == "GET"]

    def _forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Any:
        return requests.request(
            method, self.upstream + path, headers=headers, data=body or None, timeout=30
        )

    def handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        arrived = time.monotonic()
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        wanted = ("x-api-key", "content-type")
        headers = {k: v for k, v in handler.headers.items() if k.lower() in wanted}
        with self._lock:
            self.seen.append(Seen(time.time(), method, handler.path, body))
            n = self._posts
            if method == "POST":
                self._posts += 1
        if method == "GET":
            canned = self.on_get(handler.path)
            if canned is not None:
                self._answer(handler, canned[0], canned[1], "application/json")
                return
            upstream = self._forward(method, handler.path, headers, body)
            self._answer(handler, upstream.status_code, upstream.content, "application/json")
            return
        behaviour = self.on_post(n, body)
        if isinstance(behaviour, StoreLate):
            time.sleep(max(0.0, behaviour.seconds - (time.monotonic() - arrived)))
        if isinstance(behaviour, Lie):
            if behaviour.store:
                self._forward(method, handler.path, headers, body)
            self._answer(handler, behaviour.status, behaviour.body, behaviour.content_type)
            return
        upstream = self._forward(method, handler.path, headers, body)
        if isinstance(behaviour, Relay) and behaviour.answer_after:
            time.sleep(behaviour.answer_after)
        self._answer(handler, upstream.status_code, upstream.content, "application/json")

    @staticmethod
    def _answer(handler: BaseHTTPRequestHandler, status: int, body: bytes, kind: str) -> None:
        try:
            handler.send_response(status)
            if status != 204:
                handler.send_header("Content-Type", kind)
                handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            if status != 204:
                handler.wfile.write(body)
        except OSError:
            pass  # the client gave up waiting: that is the point of a slow answer


@contextmanager
def hostile_api(api: HostileApi) -> Iterator[HostileApi]:
    """Serve `api` on 127.0.0.1 (a free port) for the duration of the block."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            api.handle(self, "GET")

        def do_POST(self) -> None:
            api.handle(self, "POST")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
