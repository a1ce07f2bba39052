"""Real peers for the notification tests: an SMTP server (aiosmtpd) on a free loopback port —
plain, STARTTLS or TLS from the first byte, with or without a login — whose certificate is
made by `openssl` in the test, and an HTTP receiver (`http.server` in a thread) that keeps
every body posted to it."""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

PASSWORD = "smtp-pass-Zq81-never-shown"
HOOK_PATH = "/hook/secret-token-Wb27"
"""The part of a webhook URL that makes it a secret."""
HAS_OPENSSL = shutil.which("openssl") is not None


@contextmanager
def silent_server(backlog: int = 1) -> Iterator[int]:
    """A loopback port whose server takes connections and never says a word (a mail server
    or webhook receiver that hangs): its port, closed afterwards."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(backlog)
        yield int(server.getsockname()[1])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (and localhost): (cert.pem, key.pem)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    return cert, key


@dataclass
class Mailbox:
    """What the server received: each mail parsed, and the logins tried."""

    mails: list[Message] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.raw.append(envelope.content)
        self.mails.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user, password = data.login.decode(), data.password.decode()
        self.logins.append((user, password))
        return AuthResult(success=password == PASSWORD, handled=False)


@contextmanager
def smtp_server(
    *,
    starttls: tuple[Path, Path] | None = None,
    implicit_tls: tuple[Path, Path] | None = None,
    login: bool = False,
) -> Iterator[tuple[int, Mailbox]]:
    """An SMTP server on 127.0.0.1: plain, offering STARTTLS (`starttls` = cert, key), or TLS
    from the first byte (`implicit_tls`); `login` requires AUTH (over TLS only)."""
    mailbox = Mailbox()
    port = free_port()
    kwargs: dict[str, Any] = {}
    if starttls is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*starttls)
        kwargs.update(tls_context=context, require_starttls=True)
    if implicit_tls is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*implicit_tls)
        kwargs.update(ssl_context=context)
    if login:
        kwargs.update(authenticator=mailbox.authenticate, auth_required=True)
    for attempt in range(3):  # the port probed free may be taken before the server binds it
        controller = Controller(mailbox, hostname="127.0.0.1", port=port, **kwargs)
        try:
            controller.start()
            break
        except OSError:
            if attempt == 2:
                raise
            port = free_port()
    try:
        yield port, mailbox
    finally:
        controller.stop()


@dataclass
class Receiver:
    """An HTTP receiver for webhooks: every JSON body posted, and the status it answers."""

    port: int
    bodies: list[Any] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    status: int = 200
    on_post: Callable[[], None] | None = None
    """Called while a POST is in flight (received, not yet answered): what the sender has
    already recorded by then is what survives its process being killed mid-send."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{HOOK_PATH}"


@contextmanager
def receiver(status: int = 200) -> Iterator[Receiver]:
    box = Receiver(0, status=status)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            box.raw.append(body)
            box.paths.append(self.path)
            box.bodies.append(json.loads(body))
            if box.on_post is not None:
                box.on_post()
            self.send_response(box.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box.port = server.server_address[1]
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield box
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
