"""`importer notify-failure UNIT`: the mail (or webhook) a scheduler sends when the job itself
failed — systemd's `OnFailure=` starts it with the unit's name. A drop whose file could not
finish (exit 3) or whose settings are wrong (exit 2) says so in its own summary, but a person
must also hear of it when no summary could be written, or the job never ran to the end. The
message carries the night's summary so far, when there is one.

Told once, like the drop's own news: a unit that fails pass after pass through one outage
(exit 3 every 15 minutes) is told again only when the night's summary has changed since —
`drops/<night>/failure-<unit>.told` keeps the summary's fingerprint at the last telling.
"""

from __future__ import annotations

import hashlib
import re
import socket
from contextlib import suppress
from datetime import datetime
from pathlib import Path

from importer import logs
from importer.config import Config
from importer.errors import NotificationFailed
from importer.notify.delivery import Delivery, deliver
from importer.notify.message import Message, attachable
from importer.summary_words import local_time
from importer.words import text

log = logs.get_logger("importer.notify")


def notify_failure(config: Config, unit: str, now: datetime | None = None) -> list[Delivery]:
    """Send the failure of `unit` over every configured channel, whatever `notify.when` says
    (a failure is what every setting of it wants told). Raises NotificationFailed when nothing
    is configured, or no channel took it."""
    notify = config.notify
    if not notify.configured:
        raise NotificationFailed(
            "notify-failure: the configuration has no notify.mail and no notify.webhook; "
            "nothing to send with"
        )
    moment = now or datetime.now().astimezone()
    lang = config.report.language
    host = socket.gethostname()
    drops = config.report.dir / "drops"
    night = drops / config.drop.night_of(moment).isoformat()
    subject = text("night.failure_subject", lang, unit=unit, host=host)
    body = text(
        "night.failure_body",
        lang,
        unit=unit,
        host=host,
        time=local_time(moment, config.report.timezone),
        folder=drops,
    )
    summary = night / "summary.txt"
    with suppress(OSError):  # no summary this night (yet): the message says where they are
        body += "\n\n" + summary.read_text(encoding="utf-8")
    kept, left = attachable([night / "summary.json"], notify.max_attachment_bytes, lang)
    message = Message(
        subject=subject,
        headline=subject,
        body=body + ("" if body.endswith("\n") else "\n"),
        summary={"unit": unit, "host": host, "at": moment.isoformat(timespec="seconds")},
        exit_code=3,
        attachments=kept,
        left_out=left,
    )
    told = night / f"failure-{re.sub(r'[^A-Za-z0-9@._-]', '_', unit)}.told"
    fingerprint = _fingerprint(night / "summary.json")
    with suppress(OSError):
        if told.read_text(encoding="ascii") == fingerprint:
            log.info("notify.already_told", unit=unit, night=night.name)
            return []
    done = deliver(notify, message, moment)
    if not any(d.sent for d in done):
        raise NotificationFailed("; ".join(d.problem or "" for d in done))
    with suppress(OSError):  # not kept: the next failure is told again, which is the safe side
        night.mkdir(parents=True, exist_ok=True)
        told.write_text(fingerprint, encoding="ascii")
    return done


def _fingerprint(summary: Path) -> str:
    """The night's summary as it stands ("none": none yet, or unreadable)."""
    try:
        return hashlib.sha256(summary.read_bytes()).hexdigest()
    except OSError:
        return "none"
