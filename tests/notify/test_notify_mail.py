"""Mail goes to a real SMTP server (aiosmtpd on a loopback port): over STARTTLS or TLS from
the first byte with the server's certificate verified (a self-signed one made by openssl and
named in `ca_bundle`), with a login whose password comes from the environment; clear text only
to a loopback host. Every failure is one line that names the server and never the password,
and nothing is ever sent in clear text when TLS was asked for."""

from __future__ import annotations

from pathlib import Path

import pytest
from notify_support import HAS_OPENSSL, PASSWORD, make_certificate, silent_server, smtp_server

from importer.errors import NotificationFailed
from importer.notify.mail import send_mail
from importer.notify.message import Message
from importer.notify.settings import MailConfig

needs_openssl = pytest.mark.skipif(not HAS_OPENSSL, reason="needs openssl")


def _message(tmp_path: Path) -> Message:
    html = tmp_path / "report.html"
    html.write_text("<html><body>Rapport åäö</body></html>", encoding="utf-8")
    return Message(
        subject="importer: 5f1a… — night 2026-12-06: exit code 1 — 1 file(s)",
        headline="one line",
        body="Night of 2026-12-06\nrow 3 invalid: credit note KF-1, invoice EO-0001\n",
        summary={"night": "2026-12-06"},
        exit_code=1,
        attachments=(html,),
        left_out=("Not attached (9 000 KiB, more than notify.max_attachment_bytes): big.html",),
    )


def _settings(port: int, **more: object) -> MailConfig:
    return MailConfig.model_validate(
        {
            "host": "127.0.0.1",
            "port": port,
            "from": "importer@example.se",
            "to": ["ar@example.se"],
            **more,
        }
    )


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if not HAS_OPENSSL:
        pytest.skip("needs openssl")
    return make_certificate(tmp_path_factory.mktemp("pki"))


@needs_openssl
def test_starttls_with_login_delivers_subject_body_and_attachment(
    tmp_path: Path, certificate: tuple[Path, Path]
) -> None:
    cert, _ = certificate
    with smtp_server(starttls=certificate, login=True) as (port, box):
        settings = _settings(
            port, security="starttls", user="importer", password_env="SMTP_PW", ca_bundle=str(cert)
        )
        send_mail(settings, _message(tmp_path), {"SMTP_PW": PASSWORD})
    (mail,) = box.mails
    assert box.logins == [("importer", PASSWORD)]
    assert mail["Subject"].startswith("importer: 5f1a… — night 2026-12-06: exit code 1")
    assert mail["To"] == "ar@example.se"
    parts = list(mail.walk())
    body = next(p for p in parts if p.get_content_type() == "text/plain").get_payload(decode=True)
    assert b"credit note KF-1, invoice EO-0001" in body
    assert b"Not attached (9 000 KiB" in body  # what was too large is said in the body
    (html,) = [p for p in parts if p.get_filename() == "report.html"]
    assert "Rapport åäö" in html.get_payload(decode=True).decode("utf-8")
    assert PASSWORD.encode() not in box.raw[0]


@needs_openssl
def test_tls_from_the_first_byte_is_verified_and_delivers(
    tmp_path: Path, certificate: tuple[Path, Path]
) -> None:
    cert, _ = certificate
    with smtp_server(implicit_tls=certificate) as (port, box):
        send_mail(_settings(port, security="ssl", ca_bundle=str(cert)), _message(tmp_path), {})
    assert len(box.mails) == 1


@needs_openssl
def test_an_untrusted_certificate_sends_nothing_and_says_how_to_trust_it(
    tmp_path: Path, certificate: tuple[Path, Path]
) -> None:
    with smtp_server(starttls=certificate, login=True) as (port, box):
        settings = _settings(port, user="importer", password_env="SMTP_PW")
        with pytest.raises(NotificationFailed) as failed:
            send_mail(settings, _message(tmp_path), {"SMTP_PW": PASSWORD})
    assert failed.value.message.startswith(f"mail to 127.0.0.1:{port} not sent: certificate")
    assert "notify.mail.ca_bundle" in failed.value.message
    assert not box.mails
    assert not box.logins


def test_a_server_without_starttls_gets_nothing_in_clear_text(tmp_path: Path) -> None:
    with smtp_server() as (port, box):
        settings = _settings(port, security="starttls", user="importer", password_env="SMTP_PW")
        with pytest.raises(NotificationFailed) as failed:
            send_mail(settings, _message(tmp_path), {"SMTP_PW": PASSWORD})
    assert "does not offer STARTTLS; nothing was sent in clear text" in failed.value.message
    assert not box.mails
    assert not box.logins


def test_clear_text_to_a_loopback_relay_is_delivered(tmp_path: Path) -> None:
    with smtp_server() as (port, box):
        send_mail(_settings(port, security="none"), _message(tmp_path), {})
    assert len(box.mails) == 1


@needs_openssl
def test_a_wrong_password_is_one_line_without_the_password(
    tmp_path: Path, certificate: tuple[Path, Path]
) -> None:
    cert, _ = certificate
    wrong = "wrong-pass-Kx02"
    with smtp_server(starttls=certificate, login=True) as (port, box):
        settings = _settings(port, user="importer", password_env="SMTP_PW", ca_bundle=str(cert))
        with pytest.raises(NotificationFailed) as failed:
            send_mail(settings, _message(tmp_path), {"SMTP_PW": wrong})
    assert "refused the user and password (SMTP 535)" in failed.value.message
    assert wrong not in failed.value.message
    assert failed.value.__cause__ is None
    assert failed.value.__suppress_context__
    assert not box.mails


def test_an_unset_password_variable_is_named_and_nothing_is_sent(tmp_path: Path) -> None:
    settings = _settings(free_port_unused(), user="importer", password_env="SMTP_PW")
    with pytest.raises(NotificationFailed) as failed:
        send_mail(settings, _message(tmp_path), {})
    assert "$SMTP_PW (the SMTP password) is not set" in failed.value.message


def test_a_server_that_is_not_there_is_one_line(tmp_path: Path) -> None:
    port = free_port_unused()
    with pytest.raises(NotificationFailed) as failed:
        send_mail(_settings(port, security="none"), _message(tmp_path), {})
    assert failed.value.message == f"mail to 127.0.0.1:{port} not sent: Connection refused"


def free_port_unused() -> int:
    from notify_support import free_port

    return free_port()


def test_a_line_break_in_the_subject_never_makes_a_header(tmp_path: Path) -> None:
    """A file's name may hold a line break; in a subject it would start a forged header."""
    forged = Message("importer: evil.csv\nBcc: someone@example.com", "one line", "body\n", {}, 1)
    with smtp_server() as (port, box):
        send_mail(_settings(port, security="none"), forged, {})
    (mail,) = box.mails
    assert mail["Subject"] == "importer: evil.csv Bcc: someone@example.com"
    assert mail["Bcc"] is None


def test_a_server_that_answers_a_byte_at_a_time_cannot_hold_the_mail_past_its_timeout(
    tmp_path: Path,
) -> None:
    import socket
    import threading
    import time

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]

    def drip() -> None:
        connection, _ = server.accept()
        with connection:
            for byte in b"220 " + b"x" * 60:
                try:
                    connection.sendall(bytes([byte]))
                except OSError:
                    return
                time.sleep(0.1)

    threading.Thread(target=drip, daemon=True).start()
    started = time.monotonic()
    try:
        with pytest.raises(NotificationFailed):
            send_mail(_settings(port, security="none", timeout=0.5), _message(tmp_path), {})
    finally:
        server.close()
    assert time.monotonic() - started < 3


def test_a_stop_ends_the_wait_for_a_silent_server_after_the_grace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that takes the connection and never answers holds the mail for the whole
    timeout (60 s here), but not past a stop (a signal to the run or drop): `STOP_GRACE`
    after it (1 s here), the mail is not sent, and said so."""
    import threading
    import time

    from importer.notify import waiting

    monkeypatch.setattr(waiting, "STOP_GRACE", 1.0)
    stop = threading.Event()
    with silent_server() as port:
        threading.Timer(0.3, stop.set).start()
        started = time.monotonic()
        with pytest.raises(NotificationFailed) as failed:
            send_mail(_settings(port, security="none", timeout=60), _message(tmp_path), {}, stop)
        assert 1.0 < time.monotonic() - started < 4
    assert failed.value.message == (
        f"mail to 127.0.0.1:{port} not sent: stopped before the server answered"
    )
