"""A webhook is one POST of JSON to a real HTTP receiver: `json` carries a one-line `text` and
the whole summary, `slack` Slack's `text`, `teams` the Adaptive Card message a Teams workflow
takes. The URL is a secret: it appears in no body and no error, plain http goes to loopback
only, and a refusal is said by its HTTP status."""

from __future__ import annotations

import pytest
from notify_support import HOOK_PATH, free_port, receiver, silent_server

from importer.errors import NotificationFailed
from importer.notify.message import Message
from importer.notify.settings import WebhookConfig
from importer.notify.webhook import CARD_LINES, post_webhook

MESSAGE = Message(
    subject="importer: 5f1a2b3c4d5e6f7a8b9c0d1e — night 2026-12-06: exit code 1",
    headline="importer: night 2026-12-06: exit code 1",
    body="Night of 2026-12-06\n\nrow 3 invalid: credit note KF-1, invoice EO-0001\n",
    summary={"night": "2026-12-06", "exit_code": 1, "files": [{"file": "credits.csv"}]},
    exit_code=1,
)


def _post(kind: str, url: str) -> None:
    settings = WebhookConfig(url_env="HOOK_URL", format=kind)  # type: ignore[arg-type]
    post_webhook(settings, MESSAGE, {"HOOK_URL": url})


def test_json_carries_one_line_text_and_the_whole_summary() -> None:
    with receiver() as box:
        _post("json", box.url)
    (body,) = box.bodies
    assert body["text"] == MESSAGE.headline
    assert "\n" not in body["text"]
    assert body["summary"] == MESSAGE.summary
    assert body["exit_code"] == 1
    assert box.paths == [HOOK_PATH]


def test_slack_gets_text_with_the_summary() -> None:
    with receiver() as box:
        _post("slack", box.url)
    (body,) = box.bodies
    assert set(body) == {"text"}
    assert MESSAGE.subject in body["text"]
    assert "credit note KF-1, invoice EO-0001" in body["text"]


def test_teams_gets_the_adaptive_card_message_its_workflows_expect() -> None:
    body = "x\n" * (CARD_LINES + 10)
    long = Message(MESSAGE.subject, MESSAGE.headline, body, MESSAGE.summary, 1)
    with receiver() as box:
        _post("teams", box.url)
        _post_message("teams", box.url, long)
    first, second = box.bodies
    assert first["type"] == "message"
    (attachment,) = first["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    assert card["version"] == "1.4"
    texts = [block["text"] for block in card["body"]]
    assert all(block["type"] == "TextBlock" for block in card["body"])
    assert texts[0] == MESSAGE.subject
    assert "row 3 invalid: credit note KF-1, invoice EO-0001" in texts
    blocks = second["attachments"][0]["content"]["body"]
    assert len(blocks) == 1 + CARD_LINES + 1  # the title, the lines shown, and "…"


def _post_message(kind: str, url: str, message: Message) -> None:
    settings = WebhookConfig(url_env="HOOK_URL", format=kind)  # type: ignore[arg-type]
    post_webhook(settings, message, {"HOOK_URL": url})


@pytest.mark.parametrize("kind", ["json", "slack", "teams"])
def test_the_url_is_in_no_body(kind: str) -> None:
    with receiver() as box:
        _post(kind, box.url)
    assert HOOK_PATH.encode() not in box.raw[0]
    assert b"secret-token" not in box.raw[0]


def test_a_refusal_is_its_status_without_the_url() -> None:
    with receiver(status=403) as box, pytest.raises(NotificationFailed) as failed:
        _post("json", box.url)
    assert failed.value.message == "webhook not sent: the receiver answered HTTP 403"


def test_a_receiver_that_is_not_there_is_one_line_without_the_url() -> None:
    url = f"http://127.0.0.1:{free_port()}{HOOK_PATH}"
    with pytest.raises(NotificationFailed) as failed:
        _post("json", url)
    assert failed.value.message == "webhook not sent: the receiver could not be reached"
    assert failed.value.__cause__ is None
    assert failed.value.__suppress_context__


def test_plain_http_to_another_host_is_refused_before_anything_is_sent() -> None:
    with pytest.raises(NotificationFailed) as failed:
        _post("json", "http://chat.example.com/hook/secret-token-Wb27")
    assert "must start with https://" in failed.value.message
    assert "secret-token" not in failed.value.message


def test_an_unset_url_variable_is_named() -> None:
    settings = WebhookConfig(url_env="TEAMS_WEBHOOK_URL", format="teams")
    with pytest.raises(NotificationFailed) as failed:
        post_webhook(settings, MESSAGE, {})
    assert failed.value.message == "webhook not sent: $TEAMS_WEBHOOK_URL is not set"


def test_a_receiver_that_answers_a_byte_at_a_time_cannot_hold_the_post_past_its_timeout() -> None:
    """The timeout is the whole POST's, not one read's: a receiver (or a proxy) that sends
    its answer one byte at a time never lets a per-read timeout expire, and would hold the
    nightly drop for as long as it likes."""
    import socket
    import threading
    import time

    stop = threading.Event()
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]

    def drip() -> None:
        connection, _ = server.accept()
        with connection:
            connection.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 400:
                if stop.is_set():
                    return
                try:
                    connection.sendall(bytes([byte]))
                except OSError:
                    return
                time.sleep(0.1)

    worker = threading.Thread(target=drip, daemon=True)
    worker.start()
    settings = WebhookConfig(url_env="HOOK_URL", format="json", timeout=0.5)
    started = time.monotonic()
    try:
        with pytest.raises(NotificationFailed, match="no answer in time"):
            post_webhook(settings, MESSAGE, {"HOOK_URL": f"http://127.0.0.1:{port}{HOOK_PATH}"})
        assert time.monotonic() - started < 5
    finally:
        stop.set()
        server.close()


def test_slack_text_escapes_what_slack_reads_as_mentions_and_links() -> None:
    """A file's name and its cells come from the creditor: in Slack's `text`, `<!channel>`
    pings everyone and `<https://x|y>` is a link, so `&`, `<` and `>` are escaped as Slack
    documents, and a file's "```" cannot close the code block early."""
    from importer.notify.webhook import payload

    hostile = Message(
        subject="importer: 5f1a — <!channel> <https://evil.example|open me>.csv: exit code 1",
        headline="x",
        body="row 3 invalid: credit note ```<!here>, invoice A&B\n",
        summary={},
        exit_code=1,
    )
    text = payload("slack", hostile)["text"]
    assert "<!channel>" not in text
    assert "<!here>" not in text
    assert "<https://evil.example|open me>" not in text
    assert "&lt;!channel&gt;" in text
    assert "A&amp;B" in text
    assert text.count("```") == 2, text


def test_a_stop_ends_the_wait_for_a_silent_receiver_after_the_grace(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A receiver that takes the POST and never answers holds it for the whole timeout (60 s
    here), but not past a stop (a signal to the run or drop): `STOP_GRACE` after it (1 s
    here), the webhook is not sent, and said so."""
    import threading
    import time

    from importer.notify import waiting

    monkeypatch.setattr(waiting, "STOP_GRACE", 1.0)
    stop = threading.Event()
    settings = WebhookConfig(url_env="HOOK_URL", format="json", timeout=60)
    with silent_server() as port:
        threading.Timer(0.3, stop.set).start()
        started = time.monotonic()
        with pytest.raises(NotificationFailed) as failed:
            post_webhook(
                settings,
                MESSAGE,
                {"HOOK_URL": f"http://127.0.0.1:{port}{HOOK_PATH}"},
                stop=stop,
            )
        assert 1.0 < time.monotonic() - started < 4
    assert failed.value.message == "webhook not sent: stopped before the receiver answered"


def test_a_message_sent_after_the_stop_still_goes_out_to_a_receiver_taking_two_seconds() -> None:
    """A stopped run's closing message is sent after the stop: a receiver that takes two
    seconds to answer (a TLS relay far away) still gets it, within the grace the stop left."""
    import threading
    import time

    stop = threading.Event()
    stop.set()
    with receiver() as box:
        box.on_post = lambda: time.sleep(2)
        post_webhook(
            WebhookConfig(url_env="HOOK_URL", format="json", timeout=60),
            MESSAGE,
            {"HOOK_URL": box.url},
            stop=stop,
        )
    assert len(box.bodies) == 1


def test_the_grace_after_a_stop_is_shared_by_every_message_still_to_go(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """However many messages a stopped drop still owes, a silent receiver holds it for the
    grace once, not once a message."""
    import threading
    import time

    from importer.notify import waiting

    monkeypatch.setattr(waiting, "STOP_GRACE", 1.0)
    stop = threading.Event()
    stop.set()
    settings = WebhookConfig(url_env="HOOK_URL", format="json", timeout=60)
    with silent_server(backlog=8) as port:
        started = time.monotonic()
        for _ in range(3):
            with pytest.raises(NotificationFailed):
                post_webhook(
                    settings,
                    MESSAGE,
                    {"HOOK_URL": f"http://127.0.0.1:{port}{HOOK_PATH}"},
                    stop=stop,
                )
        assert time.monotonic() - started < 2.5
