"""Mail over SMTP (`smtplib`): STARTTLS or TLS from the first byte with the certificate
verified (a private CA named in `notify.mail.ca_bundle`), or clear text to a loopback relay
only (`importer.notify.settings` refuses anything else when the configuration is loaded).

Every failure becomes one `NotificationFailed` line naming the server and what went wrong —
never the password, never a server's answer quoted whole (it may echo what it was sent)."""

from __future__ import annotations

import mimetypes
import smtplib
import socket
import ssl
import threading
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from importer.errors import NotificationFailed
from importer.notify.message import Message
from importer.notify.settings import MailConfig
from importer.notify.waiting import awaited


def compose(settings: MailConfig, message: Message) -> EmailMessage:
    mail = EmailMessage()
    # one line: a file's name may hold a line break, and a header may not
    mail["Subject"] = " ".join(message.subject.split())
    mail["From"] = settings.sender
    mail["To"] = ", ".join(settings.to)
    mail["Date"] = formatdate(localtime=True)
    mail["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2])
    mail.set_content(message.full_body())
    for path in message.attachments:
        try:
            data = path.read_bytes()
        except OSError:
            continue  # gone since the message was made: the body names where it was
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        main, _, sub = kind.partition("/")
        mail.add_attachment(data, maintype=main, subtype=sub, filename=path.name)
    return mail


def send_mail(
    settings: MailConfig,
    message: Message,
    environ: Mapping[str, str],
    stop: threading.Event | None = None,
) -> None:
    where = f"mail to {settings.host}:{settings.port}"
    password = None
    if settings.password_env:
        password = environ.get(settings.password_env)
        if not password:
            raise NotificationFailed(
                f"{where} not sent: ${settings.password_env} (the SMTP password) is not set"
            )
    mail = compose(settings, message)
    # smtplib's timeout bounds each socket read, not the conversation: a server answering a
    # byte at a time would hold the night's drop for ever. The conversation runs on a thread
    # of its own and is given `timeout` plus the time the message takes at MIN_RATE; past
    # that it is "not sent" (and owed again next pass) while the thread is left to end with
    # the connection — a late delivery is a mail twice, never a drop that hangs. A stop
    # asked for ends the wait within `waiting.STOP_GRACE` seconds.
    deadline = settings.timeout + len(mail.as_bytes()) / MIN_RATE
    failure: list[BaseException] = []

    def converse() -> None:
        try:
            _converse(settings, mail, password)
        except BaseException as exc:
            failure.append(exc)

    worker = threading.Thread(target=converse, name="notify-mail", daemon=True)
    worker.start()
    waited = awaited(worker, deadline, stop)
    if waited == "stopped":
        raise NotificationFailed(f"{where} not sent: stopped before the server answered")
    if waited == "late":
        raise NotificationFailed(f"{where} not sent: no answer within {deadline:.0f} s")
    if failure:
        exc = failure[0]
        if isinstance(exc, smtplib.SMTPException | OSError):
            # from None: smtplib's exceptions may carry the server's answer to the login.
            raise NotificationFailed(f"{where} not sent: {_why(exc)}") from None
        raise exc


MIN_RATE = 10_000
"""Bytes a second a mail server is given at least for the message itself (a report.html
attachment of a few MB on a slow link): slower than that is no answer in time."""


def _converse(settings: MailConfig, mail: EmailMessage, password: str | None) -> None:
    context = ssl.create_default_context(
        cafile=str(settings.ca_bundle) if settings.ca_bundle else None
    )
    if settings.security == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=settings.timeout, context=context
        )
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    with smtp:
        if settings.security == "starttls":
            smtp.starttls(context=context)
        if settings.user and password is not None:
            smtp.login(settings.user, password)
        smtp.send_message(mail)


def _why(exc: BaseException) -> str:
    """What went wrong, in words that carry nothing the server was sent."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (
            f"certificate verify failed ({exc.verify_message or 'not trusted'}); if the server "
            "uses a private CA, name its certificate in notify.mail.ca_bundle"
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return "the server does not offer STARTTLS; nothing was sent in clear text"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"the server refused the user and password (SMTP {exc.smtp_code})"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "the server refused every recipient"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"the server answered SMTP {exc.smtp_code}"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return "the server closed the connection"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed ({exc.reason or type(exc).__name__})"
    if isinstance(exc, socket.timeout | TimeoutError):
        return "no answer in time"
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return type(exc).__name__
