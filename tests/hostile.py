"""A small hostile HTTP server over a real loopback socket, for what the sandbox cannot show:
endless or trickled bodies, absurd JSON, Retry-After of minutes, TLS with a private CA.

Each test hands it a function `(method, path, body) -> Answer`; the server writes the answer's
raw bytes (status line, headers, body pieces with optional pauses), so a test can send exactly
what a broken or malicious API would. Every request is recorded in `requests`."""

from __future__ import annotations

import json
import socket
import socketserver
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Answer:
    status: int = 200
    body: bytes | Iterable[bytes] = b"{}"
    headers: dict[str, str] = field(default_factory=dict)
    pause: float = 0.0
    """Seconds to wait before each piece of an iterable body."""
    reason: str = "X"
    """The status line's reason phrase."""


def json_answer(status: int, document: Any, **headers: str) -> Answer:
    return Answer(
        status, json.dumps(document).encode(), {"Content-Type": "application/json", **headers}
    )


def endless(piece: bytes = b" " * 65536) -> Iterator[bytes]:
    """A body that never ends (sent chunked): what an API gone wrong may stream."""
    while True:
        yield piece


@dataclass
class Seen:
    method: str
    path: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    """The request's headers, names lower-cased (a behaviour reads the last request's)."""


Behaviour = Callable[[str, str, bytes], Answer]


class HostileServer:
    def __init__(self, behaviour: Behaviour, context: ssl.SSLContext | None = None) -> None:
        self.behaviour = behaviour
        self.requests: list[Seen] = []
        server = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                try:
                    while server._serve_one(self.rfile, self.connection):
                        pass
                except (OSError, ssl.SSLError):
                    return

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

            def get_request(self) -> tuple[socket.socket, Any]:
                sock, address = super().get_request()
                if context is not None:
                    sock = context.wrap_socket(sock, server_side=True)
                return sock, address

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client that gave up or refused our certificate: expected here

        self._server = Server(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        scheme = "https" if context is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _serve_one(self, rfile: Any, connection: socket.socket) -> bool:
        line = rfile.readline(65537)
        if not line:
            return False
        method, target, _ = line.decode("latin-1").split(" ", 2)
        headers: dict[str, str] = {}
        while (header := rfile.readline(65537)) not in (b"\r\n", b"\n", b""):
            name, _, value = header.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        body = rfile.read(length) if length else b""
        self.requests.append(Seen(method, target, body, headers))
        answer = self.behaviour(method, target, body)
        head = [f"HTTP/1.1 {answer.status} {answer.reason}"]
        pieces = answer.body
        if isinstance(pieces, bytes):
            head.append(f"Content-Length: {len(pieces)}")
        else:
            head.append("Transfer-Encoding: chunked")
        head += [f"{k}: {v}" for k, v in answer.headers.items()]
        connection.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        if isinstance(pieces, bytes):
            connection.sendall(pieces)
            return True
        for piece in pieces:
            if answer.pause:
                time.sleep(answer.pause)
            connection.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        connection.sendall(b"0\r\n\r\n")
        return True
