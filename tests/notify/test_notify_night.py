"""A drop pass with news notifies as `notify.when` says — a real SMTP server and a real HTTP
receiver on loopback, the clock injected: the mail's subject names creditor, night, exit code
and counts, its body is the night's summary, report.html and the summary are attached up to
`max_attachment_bytes`; a pass without news (an outage seen again) notifies nothing; a
notification that cannot be sent is said in the summary, leaves the exit code alone and is
sent by the next pass; and the API key, the SMTP password and the webhook URL are in no
message, body, log, printout or summary."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from drop.night_support import make_night
from notify_support import (
    HAS_OPENSSL,
    HOOK_PATH,
    PASSWORD,
    free_port,
    make_certificate,
    receiver,
    smtp_server,
)
from pipeline.exactly_once_support import CREDITOR, KEY, write_cases, write_credits

from importer.config_load import with_settings
from importer.exit_codes import ExitCode
from importer.sandbox import Sandbox

INVOICES = [f"EO-{n:04d}" for n in range(1, 11)]
ATTENTION_FILE = "invoice_number,amount,credit_invoice\nEO-0001,10.00,KF-1\nEO-0002,0,KF-2\n"


@pytest.fixture
def cases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cases.json"
    write_cases(path, 10)
    monkeypatch.setenv("AMILI_API_KEY", KEY)
    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
    return path


@pytest.fixture
def api(tmp_path: Path, cases: Path) -> Iterator[Sandbox]:
    with Sandbox(db_path=tmp_path / "api.sqlite", cases_path=cases, api_key=KEY) as sandbox:
        yield sandbox


def _mail(port: int, **more: Any) -> dict[str, Any]:
    return {
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "from": "importer@example.se",
        "to": ["ar-team@example.se"],
        **more,
    }


def _attention(inbox: Path, name: str = "credits.csv") -> None:
    """A file of one good row and one that needs attention (its credit notes named after
    the file, so a second such file is not the first one again)."""
    (inbox / name).write_text(ATTENTION_FILE.replace("KF-", f"{name}-KF-"), encoding="utf-8")


def test_a_night_with_news_is_mailed_with_its_summary_and_report_attached(
    tmp_path: Path, api: Sandbox
) -> None:
    with smtp_server() as (port, box):
        night = make_night(tmp_path, api.url, notify={"mail": _mail(port)})
        _attention(night.inbox)
        code, _ = night.pass_at("2027-01-15 02:00")
        assert code == ExitCode.ATTENTION
        assert night.pass_at("2027-01-15 02:15") == (ExitCode.OK, "")
    (mail,) = box.mails
    assert mail["Subject"] == (
        f"importer: {CREDITOR} — night 2027-01-14: exit code 1 — 1 file(s), 1 credited, "
        "1 need attention"
    )
    body = mail.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    summary = (night.summary("2027-01-14") / "summary.txt").read_text(encoding="utf-8")
    assert body.startswith(summary[: summary.index("\n\n")])  # the night's summary is the body
    assert "credit note credits.csv-KF-2, invoice EO-0002" in body
    names = sorted(part.get_filename() for part in mail.iter_attachments())
    assert names == ["report.html", "summary.txt"]
    notified = json.loads((night.summary("2027-01-14") / "summary.json").read_text("utf-8"))
    assert [(n["channel"], n["sent"]) for n in notified["notifications"]] == [("mail", True)]


def test_attachments_beyond_max_attachment_bytes_are_named_in_the_body(
    tmp_path: Path, api: Sandbox
) -> None:
    with smtp_server() as (port, box):
        night = make_night(
            tmp_path, api.url, notify={"mail": _mail(port), "max_attachment_bytes": 10}
        )
        _attention(night.inbox)
        night.pass_at("2027-01-15 02:00")
    (mail,) = box.mails
    assert not list(mail.iter_attachments())
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Not attached (" in body
    assert "more than notify.max_attachment_bytes" in body
    assert "report.html" in body


@pytest.mark.parametrize(("when", "told"), [("attention", 0), ("failure", 0), ("always", 1)])
def test_a_clean_night_is_told_only_when_always(
    tmp_path: Path, api: Sandbox, when: str, told: int
) -> None:
    with receiver() as box:
        night = make_night(tmp_path, api.url, notify={"when": when, "webhook": {"url_env": "HOOK"}})
        write_credits(night.inbox / "a.csv", INVOICES, 3, seed=1)
        with pytest.MonkeyPatch.context() as env:
            env.setenv("HOOK", box.url)
            assert night.pass_at("2027-01-15 02:00")[0] == ExitCode.OK
    assert len(box.bodies) == told


def test_an_outage_is_told_once_not_every_pass(tmp_path: Path, cases: Path) -> None:
    port = free_port()  # nobody listens: the API is down
    with receiver() as box, pytest.MonkeyPatch.context() as env:
        env.setenv("HOOK", box.url)
        night = make_night(
            tmp_path,
            f"http://127.0.0.1:{port}",
            notify={"when": "failure", "webhook": {"url_env": "HOOK", "format": "slack"}},
        )
        write_credits(night.inbox / "a.csv", INVOICES, 3, seed=2)
        code, printed = night.pass_at("2027-01-15 02:00")
        assert code == ExitCode.INCOMPLETE
        assert "unfinished" in printed
        assert len(box.bodies) == 1
        assert night.pass_at("2027-01-15 02:15") == (ExitCode.INCOMPLETE, "")
        assert night.pass_at("2027-01-15 02:30") == (ExitCode.INCOMPLETE, "")
        assert len(box.bodies) == 1
        with Sandbox(db_path=tmp_path / "api.sqlite", cases_path=cases, api_key=KEY, port=port):
            code, printed = night.pass_at("2027-01-15 02:45")
        assert code == ExitCode.OK
        assert "imported" in printed
    assert len(box.bodies) == 1  # `failure`: a clean finish is not one
    text = box.bodies[0]["text"]
    assert "exit code 3" in text
    assert "a.csv" in text


def test_a_notification_that_cannot_be_sent_is_said_and_sent_by_the_next_pass(
    tmp_path: Path, api: Sandbox
) -> None:
    with receiver(status=500) as box, pytest.MonkeyPatch.context() as env:
        env.setenv("HOOK", box.url)
        night = make_night(tmp_path, api.url, notify={"webhook": {"url_env": "HOOK"}})
        _attention(night.inbox)
        with structlog.testing.capture_logs() as logs:
            code, _ = night.pass_at("2027-01-15 02:00")
        assert code == ExitCode.ATTENTION  # unchanged by the failed notification
        folder = night.summary("2027-01-14")
        text = (folder / "summary.txt").read_text(encoding="utf-8")
        assert (
            "NOT notified by webhook at 2027-01-15 02:00:00 +01:00: webhook not sent: the "
            "receiver answered HTTP 500; the next pass tries again." in text
        )
        assert (folder / "owed" / "night.json").is_file()
        failed = [e for e in logs if e["event"] == "notify.not_sent"]
        assert failed[0]["problem"] == "webhook not sent: the receiver answered HTTP 500"

        box.status = 200
        assert night.pass_at("2027-01-15 02:15") == (ExitCode.OK, "")  # owed, not news
        assert len(box.bodies) == 2
        assert "credits.csv" in json.dumps(box.bodies[1]["summary"])
        assert not (folder / "owed" / "night.json").exists()
        text = (folder / "summary.txt").read_text(encoding="utf-8")
        assert "Notified by webhook at 2027-01-15 02:15:00 +01:00." in text
        night.pass_at("2027-01-15 02:30")
        assert len(box.bodies) == 2  # owed once, sent once


def test_a_channel_down_for_many_passes_is_said_once_in_the_summary_not_once_a_pass(
    tmp_path: Path, api: Sandbox
) -> None:
    """`drop --watch` retries an owed notification every pass: a webhook down for an hour of
    one-minute passes must not write sixty "NOT notified" lines into the summary a person
    reads (nor into the message finally delivered) — the failure is said once, and when the
    channel is back, that it was notified."""
    with receiver(status=500) as box, pytest.MonkeyPatch.context() as env:
        env.setenv("HOOK", box.url)
        night = make_night(tmp_path, api.url, notify={"webhook": {"url_env": "HOOK"}})
        _attention(night.inbox)
        night.pass_at("2027-01-15 02:00")
        for minute in range(1, 7):
            night.pass_at(f"2027-01-15 02:{minute:02d}")
        folder = night.summary("2027-01-14")
        text = (folder / "summary.txt").read_text(encoding="utf-8")
        assert text.count("NOT notified by webhook") == 1, text
        box.status = 200
        night.pass_at("2027-01-15 02:07")
        told = box.bodies[-1]["summary"]["notifications"]
        assert sum(not told_once["sent"] for told_once in told) <= 1, told


def test_a_nights_message_is_owed_before_it_leaves_so_a_kill_mid_send_does_not_lose_it(
    tmp_path: Path, api: Sandbox
) -> None:
    """A pass killed while its message is on the way (systemd's stop timeout while a mail
    server hangs, a reboot) has imported and archived the night's files, so the next pass
    has no news: unless the message was owed before it left, the night is never told."""
    in_flight: list[bool] = []
    with receiver() as box, pytest.MonkeyPatch.context() as env:
        env.setenv("HOOK", box.url)
        night = make_night(tmp_path, api.url, notify={"webhook": {"url_env": "HOOK"}})
        owed = night.summary("2027-01-14") / "owed" / "night.json"
        box.on_post = lambda: in_flight.append(owed.is_file())
        _attention(night.inbox)
        night.pass_at("2027-01-15 02:00")
        assert in_flight == [True]  # owed while the message was on its way
        assert not owed.exists()  # and forgotten once it went


def test_silence_is_notified_once_a_night(tmp_path: Path, api: Sandbox) -> None:
    with receiver() as box, pytest.MonkeyPatch.context() as env:
        env.setenv("HOOK", box.url)
        night = make_night(
            tmp_path,
            api.url,
            drop={"expect": "daily", "expect_by": "06:00"},
            notify={"webhook": {"url_env": "HOOK", "format": "teams"}},
        )
        for moment in ("2027-01-15 05:00", "2027-01-15 06:05", "2027-01-15 07:00"):
            night.pass_at(moment)
    (body,) = box.bodies
    blocks = [b["text"] for b in body["attachments"][0]["content"]["body"]]
    assert any(b.startswith("NO FILE: inbox inbox expects a file every night") for b in blocks)


@pytest.mark.skipif(not HAS_OPENSSL, reason="needs openssl")
def test_no_secret_reaches_a_message_a_log_the_printout_or_the_summary(
    tmp_path: Path, api: Sandbox
) -> None:
    cert, key = make_certificate(tmp_path)
    with (
        smtp_server(starttls=(cert, key), login=True) as (port, mailbox),
        receiver() as hook,
        receiver(status=502) as broken,
        pytest.MonkeyPatch.context() as env,
    ):
        env.setenv("HOOK", hook.url)
        env.setenv("BROKEN_HOOK", broken.url)
        mail = _mail(
            port,
            security="starttls",
            user="importer",
            password_env="SMTP_PASSWORD",
            ca_bundle=str(cert),
        )
        night = make_night(tmp_path, api.url, notify={"mail": mail, "webhook": {"url_env": "HOOK"}})
        _attention(night.inbox)
        with structlog.testing.capture_logs() as logs:
            night.pass_at("2027-01-15 02:00")
            night.config = with_settings(night.config, {"notify.webhook.url_env": "BROKEN_HOOK"})
            _attention(night.inbox, "second.csv")
            night.pass_at("2027-01-15 02:30")
    assert mailbox.logins == [("importer", PASSWORD), ("importer", PASSWORD)]
    assert len(mailbox.mails) == 2
    assert len(hook.bodies) == 1
    assert len(broken.bodies) == 1
    seen = [*mailbox.raw, *hook.raw, *broken.raw, "".join(night.printed).encode()]
    seen += [json.dumps(logs, default=str).encode()]
    seen += [p.read_bytes() for p in night.summary("2027-01-14").rglob("*") if p.is_file()]
    for secret in (KEY, PASSWORD, HOOK_PATH, hook.url, "secret-token"):
        assert not [s for s in seen if secret.encode() in s], secret


def test_a_night_whose_summary_cannot_be_written_is_still_told(
    tmp_path: Path, api: Sandbox
) -> None:
    """`reports/drops` is a file (as a broken disk would refuse it): the summary is printed
    whole with the reason, the exit code is 3, and the notification still goes."""
    with receiver() as box, pytest.MonkeyPatch.context() as env:
        env.setenv("HOOK", box.url)
        night = make_night(tmp_path, api.url, notify={"webhook": {"url_env": "HOOK"}})
        (night.work / "reports").mkdir()
        (night.work / "reports" / "drops").write_text("not a folder", encoding="utf-8")
        _attention(night.inbox)
        code, printed = night.pass_at("2027-01-15 02:00")
    assert code == ExitCode.INCOMPLETE
    assert "summary NOT written to" in printed
    (body,) = box.bodies
    assert body["summary"]["files"][0]["file"] == "credits.csv"
