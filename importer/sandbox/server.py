"""The HTTP layer: routing, auth, the Eve envelope on every answer, keep-alive, faults.

Stdlib `ThreadingHTTPServer` speaking HTTP/1.1 keep-alive, one thread per connection. Choices
that matter for behaviour and speed:
- every answer, errors included, is the Eve JSON envelope with a Content-Length, written in a
  single send with TCP_NODELAY, so a keep-alive client never waits on Nagle/delayed-ACK;
- the request body is always consumed before answering, so an early 401/404/429 leaves the
  connection usable for the next request;
- no traceback ever reaches a client: an unexpected exception is logged and answered 500;
- `stop` wakes idle keep-alive connections (shutdown of their read side) so handler threads
  end promptly instead of holding the process until the client hangs up.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import socket
import socketserver
import threading
import time
from decimal import Decimal
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NoReturn
from urllib.parse import parse_qs, unquote

from importer.sandbox.eve import (
    BAD_CREDENTIALS,
    INSERTION_FAILURE,
    OBJECT_ID,
    collection_links,
    error_body,
    http_date,
)
from importer.sandbox.faults import Faults
from importer.sandbox.query import QueryError, compile_projection, parse_list_query
from importer.sandbox.store import CASES, CREDITINGS, Collection, Store
from importer.sandbox.validation import check_document

log = logging.getLogger("importer.sandbox")

MAX_BODY_BYTES = 1 << 20
"""A crediting is a few hundred bytes; anything this large is a mistake, answered 413."""

IDLE_TIMEOUT_SECONDS = 75.0
"""How long an idle keep-alive connection is kept (nginx's default)."""

COLLECTIONS: dict[str, Collection] = {"creditor--creditings": CREDITINGS, "cases": CASES}
_WRITABLE = {"creditor--creditings"}


class _Answered(Exception):
    """Raised once a response (or a deliberate non-response) has been written."""


def _json_number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _parse_json_body(body: bytes) -> Any:
    """JSON with exact decimals; NaN/Infinity are not JSON and are refused like bad syntax."""

    def refuse(constant: str) -> NoReturn:
        raise ValueError(f"{constant} is not valid JSON")

    return json.loads(body, parse_float=Decimal, parse_constant=refuse)


class SandboxServer(ThreadingHTTPServer):
    """The listening server plus what handlers share: store, faults, key, open connections."""

    daemon_threads = True
    block_on_close = False  # stop() joins handler threads itself, after waking them
    request_queue_size = 128

    def __init__(
        self, address: tuple[str, int], *, store: Store, faults: Faults, api_key: str
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.store = store
        self.faults = faults
        self.api_key = api_key.encode("utf-8")
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._connections_lock = threading.Lock()
        self._closing = False
        super().__init__(address, SandboxHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host's FQDN, a DNS lookup that can stall startup
        # for seconds on a machine without DNS; the sandbox never needs it.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), self.server_address[1]

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Errors outside a request (a client vanishing during setup): a log line, never the
        stdlib's traceback on stderr."""
        log.debug("sandbox: connection from %s failed", client_address, exc_info=True)

    def register(self, conn: socket.socket) -> None:
        with self._connections_lock:
            self._connections[conn] = threading.current_thread()
            closing = self._closing
        if closing:
            _shutdown_read(conn)

    def unregister(self, conn: socket.socket) -> None:
        with self._connections_lock:
            self._connections.pop(conn, None)

    def close_connections(self, timeout: float) -> None:
        """Wake every handler blocked on an idle keep-alive read and wait for them to end.
        A request being handled still gets its answer: only the read side is shut."""
        with self._connections_lock:
            self._closing = True
            open_now = dict(self._connections)
        for conn in open_now:
            _shutdown_read(conn)
        deadline = time.monotonic() + timeout
        for thread in open_now.values():
            thread.join(max(0.0, deadline - time.monotonic()))


def _shutdown_read(conn: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the client
        conn.shutdown(socket.SHUT_RD)


class _Connection(BaseHTTPRequestHandler):
    """One HTTP/1.1 connection: the request loop, bodies read with their limits, and every
    answer (errors included) written in Eve's envelope in one write. What a request means is
    `SandboxHandler`'s."""

    protocol_version = "HTTP/1.1"
    server_version = "importer-sandbox"
    timeout = IDLE_TIMEOUT_SECONDS
    server: SandboxServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.register(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.unregister(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.client_address[0], *args)

    # -- the request loop -------------------------------------------------------------------

    def handle_one_request(self) -> None:
        """Like the stdlib's, but every method reaches our router (so unknown methods are 405,
        not 501) and every failure becomes an Eve envelope."""
        try:
            self._answer_due = 0.0  # an oversized request line is answered at once
            self.raw_requestline = self.rfile.readline(65537)
            if not self.raw_requestline:
                self.close_connection = True
                return
            if len(self.raw_requestline) > 65536:
                self.requestline, self.request_version, self.command = "", "", ""
                self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
                return
            # The clock starts when the request arrives: parsing its head and body is part
            # of the response time `--latency-ms` promises, as it is for a real API.
            self._answer_due = self.server.faults.answer_due()
            if not self.parse_request():
                return
            self._handle()
        except _Answered:
            pass
        except (TimeoutError, ConnectionError):
            self.close_connection = True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Used by the stdlib parser for malformed requests: answer in the envelope, then close."""
        self.close_connection = True
        status = HTTPStatus(code)
        self._send(code, error_body(code, message or status.description or status.phrase))

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            self._fail(400, "Chunked request bodies are not supported: send Content-Length")
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            return b""
        try:
            length = int(length_text)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            self._fail(400, "Invalid Content-Length header")
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            self._fail(413, f"Request body over {MAX_BODY_BYTES} bytes")
        body = self.rfile.read(length) if length else b""
        if len(body) < length:
            self.close_connection = True
            raise _Answered  # the client went away mid-body; nobody to answer
        return body

    # -- writing ----------------------------------------------------------------------------

    def _fail(
        self,
        code: int,
        message: str,
        headers: dict[str, str] | None = None,
        issues: dict[str, Any] | None = None,
    ) -> NoReturn:
        self._send(code, error_body(code, message, issues), headers)
        raise _Answered

    def _drop(self) -> NoReturn:
        """--drop-rate: the crediting is committed, the client gets no byte of an answer."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)
        raise _Answered

    def _send(
        self, status: int, body: dict[str, Any] | None, headers: dict[str, str] | None = None
    ) -> None:
        """Status line, headers and body in one write (see the module docstring)."""
        payload = b""
        if body is not None:
            payload = json.dumps(
                body, ensure_ascii=False, separators=(",", ":"), default=_json_number
            ).encode("utf-8")
        extra = dict(headers or {})
        if self.close_connection:
            extra["Connection"] = "close"
        head = _head(status, self.server_version, len(payload), extra)
        send_body = status != 304 and self.command != "HEAD"
        self.server.faults.wait_until(self._answer_due)
        self.wfile.write(head + payload if send_body else head)
        if log.isEnabledFor(logging.DEBUG):
            self.log_request(status, len(payload))

    def _handle(self) -> None:
        raise NotImplementedError


class SandboxHandler(_Connection):
    """The sandbox's API on a connection: rate limit, routing, authentication, endpoints."""

    def _handle(self) -> None:
        try:
            body = self._read_body()
            if not self.server.faults.admit():
                seconds = self.server.faults.RETRY_AFTER_SECONDS
                self._fail(
                    429,
                    f"Too many requests: over the sandbox rate limit, retry after {seconds} s",
                    {"Retry-After": str(seconds)},
                )
            self._route(body)
        except _Answered:
            raise
        except ConnectionError:
            raise
        except Exception:
            log.exception("sandbox: unexpected error on %s %s", self.command, self.path)
            self.close_connection = True
            self._fail(500, "Internal server error in the sandbox; see its log")

    def _route(self, body: bytes) -> None:
        path, _, query = self.path.partition("?")
        parts = unquote(path).strip("/").split("/")
        collection = COLLECTIONS.get(parts[0])
        if collection is None or len(parts) > 2:
            self._fail(404, "The requested URL was not found on the server.")
        is_item = len(parts) == 2
        if is_item and not OBJECT_ID.match(parts[1]):
            self._fail(404, "The requested URL was not found on the server.")
        allowed = ["GET", "HEAD"] + (["POST"] if parts[0] in _WRITABLE and not is_item else [])
        if self.command not in allowed:
            self._fail(
                405,
                "The method is not allowed for the requested URL.",
                {"Allow": ", ".join(allowed)},
            )
        key = self.headers.get("x-api-key")
        if key is None or not hmac.compare_digest(key.encode("utf-8"), self.server.api_key):
            self._fail(401, BAD_CREDENTIALS)
        params = parse_qs(query, keep_blank_values=True)
        if self.command == "POST":
            self._post_crediting(body)
        elif is_item:
            self._get_item(collection, parts[1], params)
        else:
            self._get_collection(parts[0], collection, params)

    # -- endpoints --------------------------------------------------------------------------

    def _get_collection(
        self, name: str, collection: Collection, params: dict[str, list[str]]
    ) -> None:
        try:
            query = parse_list_query(params, collection.columns)
        except QueryError as exc:
            self._fail(400, str(exc))
        items, total = self.server.store.find(collection, query)
        meta = {"page": query.page, "max_results": query.max_results, "total": total}
        links = collection_links(
            name, self.path.partition("?")[2], query.page, query.max_results, total
        )
        self._send(
            200,
            {"_items": items, "_links": links, "_meta": meta},
            {"X-Total-Count": str(total)},
        )

    def _get_item(self, collection: Collection, item_id: str, params: dict[str, list[str]]) -> None:
        try:
            project = compile_projection(params.get("projection", [None])[0])
        except QueryError as exc:
            self._fail(400, str(exc))
        doc = self.server.store.get(collection, item_id)
        if doc is None:
            self._fail(404, "The requested URL was not found on the server.")
        etag = doc["_etag"]
        headers = {"ETag": f'"{etag}"', "Last-Modified": doc["_updated"]}
        if _etag_matches(self.headers.get("If-None-Match"), etag):
            self._send(304, None, headers)
            return
        self._send(200, project(doc), headers)

    def _post_crediting(self, body: bytes) -> None:
        faults = self.server.faults
        if faults.should_fail():
            self._fail(503, "Service Unavailable: injected by the sandbox's --fail-rate")
        content_type = self.headers.get("Content-Type")
        if content_type is None:
            self._fail(400, "Missing Content-Type: send application/json")
        media = content_type.split(";", 1)[0].strip().lower()
        if media != "application/json" and not media.endswith("+json"):
            self._fail(400, f"Unsupported Content-Type {media}: send application/json")
        try:
            doc = _parse_json_body(body)
        except (ValueError, RecursionError) as exc:
            self._fail(400, f"The request body is not valid JSON: {exc}")
        if not isinstance(doc, dict):
            self._fail(400, "The request body must be one JSON object (a single crediting)")
        issues, request = check_document(doc)
        stored = None
        if request is not None:
            issues, stored = self.server.store.create_crediting(request)
        if stored is None:
            self._fail(422, INSERTION_FAILURE, issues=issues.as_wire())
        if faults.should_drop():
            self._drop()
        if faults.should_fail_after_store():
            self._fail(
                503, "Service Unavailable: upstream reset (the sandbox's --fail-after-store-rate)"
            )
        self._send(
            201,
            {
                "_id": stored["_id"],
                "_created": stored["_created"],
                "_updated": stored["_updated"],
                "_etag": stored["_etag"],
                "_status": "OK",
                "_payment_status": stored["status"],
            },
        )


def _head(status: int, server: str, length: int, headers: dict[str, str]) -> bytes:
    """The status line and headers of an answer, ending in the blank line."""
    lines = [
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
        f"Server: {server}",
        f"Date: {http_date(time.time())}",
    ]
    if status != 304:
        lines.append("Content-Type: application/json")
        lines.append(f"Content-Length: {length}")
    lines.extend(f"{name}: {value}" for name, value in headers.items())
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    if header.strip() == "*":
        return True
    tags = (t.strip() for t in header.split(","))
    return any(t.removeprefix("W/").strip('"') == etag for t in tags)
