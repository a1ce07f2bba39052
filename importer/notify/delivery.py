"""Which notifications go, over which channels, and what is still owed.

`wanted` is `notify.when` against an exit code. `deliver` sends one message over every
configured channel and says per channel whether it went; a channel that fails is logged (its
one line, never a secret) and never changes an exit code. What could not be sent is *owed*: a
JSON file in `owed/` of the night's folder (`<report dir>/drops/<night>/owed/<key>.json`, the
message and the channels that failed), so no journal change is needed and a person can see and
delete it. A night's own message is owed before it is sent (`deliver_owed`), so a process
killed on the way leaves it owed. `settle_owed` sends what is owed, from any night, and
removes each file once every channel took it.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from importer import logs
from importer.errors import NotificationFailed
from importer.notify.message import Message
from importer.notify.settings import NotifyConfig

log = logs.get_logger("importer.notify")

Channel = Literal["mail", "webhook"]
OWED = "owed"


def wanted(when: str, exit_code: int) -> bool:
    """`attention`: exit 1, 2 or 3; `failure`: exit 2 or 3; `always`: any."""
    if when == "always":
        return True
    if when == "failure":
        return exit_code >= 2
    return exit_code >= 1


@dataclass(frozen=True, slots=True)
class Delivery:
    channel: Channel
    at: datetime
    problem: str | None = None
    """None: sent. Else why not, in one line without secrets."""

    @property
    def sent(self) -> bool:
        return self.problem is None

    def as_json(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "at": self.at.isoformat(timespec="seconds"),
            "sent": self.sent,
            "problem": self.problem,
        }


def channels(settings: NotifyConfig) -> list[Channel]:
    found: list[Channel] = []
    if settings.mail is not None:
        found.append("mail")
    if settings.webhook is not None:
        found.append("webhook")
    return found


def deliver(
    settings: NotifyConfig,
    message: Message,
    now: datetime,
    *,
    only: list[Channel] | None = None,
    environ: Mapping[str, str] | None = None,
    stop: threading.Event | None = None,
) -> list[Delivery]:
    """Send `message` over each configured channel (or those in `only`); once `stop` is set
    they are waited for `waiting.STOP_GRACE` seconds more, in all."""
    # The channels' transports (smtplib, requests: a tenth of a second of start-up) load when
    # a message is sent, not with every command that may notify.
    from importer.notify.mail import send_mail
    from importer.notify.webhook import post_webhook

    env = os.environ if environ is None else environ
    done: list[Delivery] = []
    for channel in only if only is not None else channels(settings):
        try:
            if channel == "mail" and settings.mail is not None:
                send_mail(settings.mail, message, env, stop)
            elif channel == "webhook" and settings.webhook is not None:
                post_webhook(settings.webhook, message, env, stop=stop)
            else:
                continue  # no longer configured: nothing is owed to it
        except NotificationFailed as exc:
            log.warning("notify.not_sent", channel=channel, problem=exc.message)
            done.append(Delivery(channel, now, exc.message))
        except Exception as exc:  # a bug must not undo a night whose files are imported
            problem = f"{channel} not sent: internal error ({type(exc).__name__})"
            log.error("notify.not_sent", channel=channel, problem=problem)  # noqa: TRY400
            done.append(Delivery(channel, now, problem))
        else:
            log.info("notify.sent", channel=channel, subject=message.subject)
            done.append(Delivery(channel, now))
    return done


def owe(folder: Path, key: str, message: Message, deliveries: list[Delivery]) -> None:
    """Keep `message` for the channels that failed (replacing what was owed under `key`), or
    forget it when none failed. A disk that refuses is logged: the summary says "not sent"."""
    path = folder / OWED / f"{key}.json"
    missing = [d.channel for d in deliveries if not d.sent]
    try:
        if not missing:
            with suppress(FileNotFoundError):
                path.unlink()
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".tmp")
        body = {"channels": missing, "message": message.as_json()}
        temporary.write_text(json.dumps(body, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(temporary, path)
    except OSError as exc:
        log.warning("notify.owed_unwritten", key=key, error=exc.strerror or str(exc))


def deliver_owed(
    folder: Path,
    key: str,
    settings: NotifyConfig,
    message: Message,
    now: datetime,
    stop: threading.Event | None = None,
) -> list[Delivery]:
    """`deliver` a message that is owed until it has gone: kept under `key` for every channel
    before anything is sent, then forgotten for the channels that took it. A process killed
    while the message is on its way (a mail server that hangs past a service manager's stop
    timeout) leaves it owed, and the next pass sends it — a night's files are archived by
    then, so no later pass would have news to tell it by."""
    pending = [Delivery(channel, now, "not sent yet") for channel in channels(settings)]
    owe(folder, key, message, pending)
    deliveries = deliver(settings, message, now, stop=stop)
    owe(folder, key, message, deliveries)
    return deliveries


def settle_owed(
    drops: Path,
    settings: NotifyConfig,
    now: datetime,
    *,
    fresh: Callable[[Path, str, Message], Message] = lambda _folder, _key, stored: stored,
    skip: set[Path] | None = None,
    environ: Mapping[str, str] | None = None,
    stop: threading.Event | None = None,
) -> dict[Path, list[Delivery]]:
    """Send every owed message under `drops/*/owed/` (but the files in `skip`) over the
    channels still owed. `fresh(night folder, key, stored)` may bring a message up to date
    (a night's summary has grown since). Returns the deliveries tried, by night folder."""
    tried: dict[Path, list[Delivery]] = {}
    for path in sorted(drops.glob(f"*/{OWED}/*.json")):
        if skip and path in skip:
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            stored = Message.from_json(data["message"])
            owed = [c for c in data["channels"] if c in ("mail", "webhook")]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("notify.owed_unreadable", file=str(path), error=type(exc).__name__)
            continue
        night = path.parent.parent
        key = path.stem
        message = fresh(night, key, stored)
        done = deliver(settings, message, now, only=owed, environ=environ, stop=stop)
        owe(night, key, message, done)
        tried.setdefault(night, []).extend(done)
    return tried
