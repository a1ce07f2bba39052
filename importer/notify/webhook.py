"""A webhook (`requests`): one POST of JSON to the URL held by the environment variable that
`notify.webhook.url_env` names. Three bodies, by `format`:

* `json` — `{"text": <one line>, "subject", "exit_code", "summary": <the whole summary>}`;
* `slack` — `{"text": …}`, the subject and the summary as a code block (Slack's incoming
  webhooks);
* `teams` — the message a Teams workflow ("Post to a channel when a webhook request is
  received") expects: `{"type": "message", "attachments": [{"contentType":
  "application/vnd.microsoft.card.adaptive", "content": <an AdaptiveCard>}]}`.

The URL is a secret (whoever has it may post to the channel): it is never logged, never in a
message, and a failure is told by the kind of error or the HTTP status only (requests puts the
URL into its exceptions' text). Plain http is refused except to a loopback host.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests

from importer.errors import NotificationFailed
from importer.notify.message import Message
from importer.notify.settings import WebhookConfig, is_loopback
from importer.notify.waiting import awaited

CHAT_LIMIT = 12_000
"""Characters of the summary a chat message carries (Teams refuses cards near 28 KB, Slack
folds long texts); the rest is in summary.txt, which the message names."""
CARD_LINES = 120
"""Lines of the summary as separate TextBlocks: Teams shows a single block's line breaks
inconsistently, one block per line always the same."""


def payload(kind: str, message: Message) -> dict[str, Any]:
    body = _cut(message.full_body())
    if kind == "slack":
        block = _slack(body).replace("```", "`\u200b``")  # cannot close the block early
        return {"text": f"*{_slack(message.subject)}*\n```\n{block}\n```"}
    if kind == "teams":
        lines = body.splitlines()
        shown = lines[:CARD_LINES]
        blocks: list[dict[str, Any]] = [
            {
                "type": "TextBlock",
                "text": message.subject,
                "weight": "Bolder",
                "size": "Medium",
                "wrap": True,
            }
        ]
        blocks += [
            {"type": "TextBlock", "text": line or " ", "wrap": True, "spacing": "None"}
            for line in shown
        ]
        if len(lines) > len(shown):
            blocks.append({"type": "TextBlock", "text": "…", "wrap": True})
        return {
            "type": "message",
            "attachments": [
                {
                    "contentType": "application/vnd.microsoft.card.adaptive",
                    "contentUrl": None,
                    "content": {
                        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                        "type": "AdaptiveCard",
                        "version": "1.4",
                        "body": blocks,
                    },
                }
            ],
        }
    return {
        "text": message.headline,
        "subject": message.subject,
        "exit_code": message.exit_code,
        "summary": message.summary,
    }


def post_webhook(
    settings: WebhookConfig,
    message: Message,
    environ: Mapping[str, str],
    session: requests.Session | None = None,
    stop: threading.Event | None = None,
) -> None:
    url = environ.get(settings.url_env, "").strip()
    if not url:
        raise NotificationFailed(f"webhook not sent: ${settings.url_env} is not set")
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme != "https" and not (parts.scheme == "http" and is_loopback(host)):
        raise NotificationFailed(
            f"webhook not sent: the URL in ${settings.url_env} must start with https:// "
            "(plain http only to localhost)"
        )
    poster = session or requests.Session()
    try:
        response = _within(
            settings.timeout,
            lambda: poster.post(
                url,
                json=payload(settings.format, message),
                timeout=settings.timeout,
                allow_redirects=False,
            ),
            stop,
        )
        response.close()
    except requests.RequestException as exc:
        # from None: the exception's text and its causes hold the URL (a secret).
        raise NotificationFailed(f"webhook not sent: {_why(exc)}") from None
    finally:
        if session is None:
            poster.close()
    if not 200 <= response.status_code < 300:
        raise NotificationFailed(
            f"webhook not sent: the receiver answered HTTP {response.status_code}"
        )


def _within(
    seconds: float, post: Callable[[], requests.Response], stop: threading.Event | None
) -> requests.Response:
    """`post()` given `seconds` in all (at most `waiting.STOP_GRACE` after `stop` is set).
    requests' timeout is each socket read's: a receiver (or a proxy) that answers a byte at
    a time never lets it expire and would hold the nightly drop as long as it likes. The POST
    runs on a daemon thread; past `seconds` it is left behind (its socket's own timeout ends
    it, the process's exit at the latest)."""
    done: list[requests.Response | BaseException] = []

    def attempt() -> None:
        try:
            done.append(post())
        except BaseException as exc:  # handed to the caller's thread
            done.append(exc)

    worker = threading.Thread(target=attempt, name="webhook-post", daemon=True)
    worker.start()
    if awaited(worker, seconds, stop) == "stopped" and not done:
        raise NotificationFailed("webhook not sent: stopped before the receiver answered")
    if not done:
        raise requests.Timeout("the whole POST took longer than its timeout")
    if isinstance(done[0], BaseException):
        raise done[0]
    return done[0]


def _why(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS failed (certificate not trusted, or not TLS)"
    if isinstance(exc, requests.Timeout):
        return "no answer in time"
    if isinstance(exc, requests.ConnectionError):
        return "the receiver could not be reached"
    return type(exc).__name__


def _slack(words: str) -> str:
    """Text for Slack's `text`, escaped as Slack documents: a file's name or cell (the
    creditor's) is never read as a mention (`<!channel>`) or a link (`<https://…|…>`)."""
    return words.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(body: str) -> str:
    if len(body) <= CHAT_LIMIT:
        return body
    return body[:CHAT_LIMIT].rstrip() + "\n… (the rest is in summary.txt)"
