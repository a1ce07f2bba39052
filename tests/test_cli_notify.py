"""The command line tells what it did when `notify:` is configured: `importer run` (and
`rerun`, the same path) notifies an import as `notify.when` says, with report.html attached,
and keeps its own exit code when the notification cannot be sent — that one is owed and the
next drop pass sends it; `importer notify-failure UNIT` (systemd's OnFailure=) mails that a
job failed, and exits 3 when it could not. No secret reaches a message or the output."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import yaml
from cli_support import CREDITOR, SAMPLE, SECRET, importer, in_process
from notify.notify_support import HOOK_PATH, receiver, smtp_server

from importer.notify.waiting import STOP_GRACE
from importer.sandbox import Sandbox


def _configure(workdir: Path, notify: dict) -> None:
    path = workdir / "config.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["notify"] = notify
    path.write_text(yaml.safe_dump(config), encoding="utf-8")


def _run(workdir: Path, api: Sandbox, *args: str, hook: str = ""):
    """`importer ARGS` with the webhook's URL in $HOOK."""
    env = {k: v for k, v in os.environ.items() if k != "IMPORTER_CONFIG"}
    env.update(AMILI_API_KEY=SECRET, HOOK=hook)
    return in_process([*args, "--api-url", api.url], cwd=workdir, env=env)


def test_run_and_rerun_notify_an_import_that_needs_attention(workdir: Path, api: Sandbox) -> None:
    with receiver() as box:
        _configure(workdir, {"webhook": {"url_env": "HOOK"}})
        done = _run(workdir, api, "run", str(SAMPLE), hook=box.url)
        assert done.returncode == 1, done.stderr
        import_id = box.bodies[0]["summary"]["file_import_report"]
        again = _run(workdir, api, "rerun", import_id, hook=box.url)
        assert again.returncode == 1, again.stderr
        validated = _run(workdir, api, "validate", str(SAMPLE), hook=box.url)
        assert validated.returncode == 1, validated.stderr  # a dry run tells nobody
    body, rerun = box.bodies
    assert rerun["summary"]["file_import_report"] == import_id
    assert body["text"].startswith(f"importer: {CREDITOR} — credits.csv (night ")
    assert "exit code 1" in body["text"]
    assert body["summary"]["file"]["name"] == "credits.csv"
    assert SECRET.encode() not in box.raw[0]


def test_a_notification_that_fails_leaves_the_exit_code_and_is_sent_by_the_next_drop(
    workdir: Path, api: Sandbox
) -> None:
    with receiver(status=503) as box:
        _configure(workdir, {"webhook": {"url_env": "HOOK", "format": "slack"}})
        done = _run(workdir, api, "run", str(SAMPLE), hook=box.url)
        assert done.returncode == 1, done.stderr
        assert "webhook not sent: the receiver answered HTTP 503" in done.stderr
        assert HOOK_PATH not in done.stdout + done.stderr
        (owed,) = (workdir / "reports" / "drops").glob("*/owed/*.json")
        box.status = 200
        inbox = workdir / "inbox"
        inbox.mkdir()
        drop = _run(workdir, api, "drop", str(inbox), hook=box.url)
    assert drop.returncode == 0, drop.stderr
    assert drop.stdout == ""  # nothing new in the inbox: nothing printed
    assert len(box.bodies) == 2
    assert "credits.csv" in box.bodies[1]["text"]
    assert not owed.exists()


def test_notify_failure_mails_the_failed_unit_once_until_the_night_has_news(
    workdir: Path,
) -> None:
    """A unit that fails pass after pass through one outage is told once; when the night's
    summary has changed since (news), the next failure is told again."""
    with smtp_server() as (port, mailbox):
        mail = {"host": "127.0.0.1", "port": port, "security": "none"}
        mail.update({"from": "importer@example.se", "to": ["ops@example.se"]})
        _configure(workdir, {"mail": mail})
        done = importer(workdir, "notify-failure", "importer-drop.service")
        again = importer(workdir, "notify-failure", "importer-drop.service")
        assert (done.returncode, again.returncode) == (0, 0), done.stderr + again.stderr
        assert len(mailbox.mails) == 1
        (told,) = (workdir / "reports" / "drops").glob("*/failure-importer-drop.service.told")
        (told.parent / "summary.json").write_text("{}", encoding="utf-8")  # the night moved on
        (told.parent / "summary.txt").write_text("Night of … so far\n", encoding="utf-8")
        importer(workdir, "notify-failure", "importer-drop.service")
    first, second = mailbox.mails
    assert first["Subject"].startswith("importer: importer-drop.service failed on ")
    assert "journalctl -u importer-drop.service" in first.get_body().get_content()
    assert "Night of … so far" in second.get_body().get_content()  # with the night so far


def test_notify_failure_without_a_channel_exits_3_in_one_line(workdir: Path) -> None:
    done = importer(workdir, "notify-failure", "importer-drop.service")
    assert done.returncode == 3
    assert done.stderr.strip() == (
        "importer: notify-failure: the configuration has no notify.mail and no "
        "notify.webhook; nothing to send with"
    )


def test_the_scheduler_samples_alert_on_failure_and_stay_quiet_without_news() -> None:
    """systemd: exit 1 is success (left to the notification), 2 and 3 start the failure unit,
    which runs a command the CLI has; cron: the drop's log lines go to a file, so what cron
    mails is only what the drop prints — the night's summary after a pass with news."""
    samples = Path(__file__).resolve().parents[1] / "samples"
    service = (samples / "systemd" / "importer-drop.service").read_text(encoding="utf-8")
    assert "\nSuccessExitStatus=1\n" in service
    assert "\nOnFailure=importer-failure@%n.service\n" in service
    failure = (samples / "systemd" / "importer-failure@.service").read_text(encoding="utf-8")
    command = next(line for line in failure.splitlines() if line.startswith("ExecStart="))
    assert " notify-failure %i " in command
    help_text = importer(Path.cwd(), "notify-failure", "--help")
    assert help_text.returncode == 0
    (line,) = [
        line
        for line in (samples / "cron" / "importer-drop.crontab").read_text("utf-8").splitlines()
        if "importer drop" in line and not line.startswith("#")
    ]
    assert line.rstrip().endswith("2>>/var/log/importer/drop.log")


def test_config_says_whether_the_notify_secrets_are_set_never_what_they_are(
    workdir: Path, api: Sandbox
) -> None:
    mail = {"host": "smtp.example.se", "user": "importer", "password_env": "SMTP_PASSWORD"}
    mail.update({"from": "importer@example.se", "to": ["ops@example.se"]})
    _configure(workdir, {"mail": mail, "webhook": {"url_env": "HOOK"}})
    env = {k: v for k, v in os.environ.items() if k != "IMPORTER_CONFIG"}
    env.update(AMILI_API_KEY=SECRET, HOOK="https://chat.example/hook/secret-token-Wb27")
    env.pop("SMTP_PASSWORD", None)
    done = in_process(["config"], cwd=workdir, env=env)
    assert done.returncode == 0, done.stderr
    assert "SMTP password: read from $SMTP_PASSWORD (not set; never shown)" in done.stdout
    assert "webhook URL: read from $HOOK (set; never shown)" in done.stdout
    assert "secret-token" not in done.stdout + done.stderr


def test_notify_failure_says_the_time_in_the_report_time_zone(workdir: Path) -> None:
    """The failure mail is read beside the night's summaries: its time is in
    `report.timezone` with that zone's offset, not the machine's."""
    with smtp_server() as (port, mailbox):
        mail = {"host": "127.0.0.1", "port": port, "security": "none"}
        mail.update({"from": "importer@example.se", "to": ["ops@example.se"]})
        _configure(workdir, {"mail": mail})
        path = workdir / "config.yaml"
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
        config["report"]["timezone"] = "Asia/Kolkata"
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        env = {**os.environ, "TZ": "UTC", "AMILI_API_KEY": SECRET}
        env.pop("IMPORTER_CONFIG", None)
        done = in_process(["notify-failure", "importer-drop.service"], cwd=workdir, env=env)
        assert done.returncode == 0, done.stderr
    (sent,) = mailbox.mails
    body = sent.get_body().get_content()
    assert "+05:30" in body, body
    assert "+00:00" not in body, body


def test_a_signal_while_the_mail_waits_on_a_silent_server_ends_the_wait_after_the_grace(
    workdir: Path, api: Sandbox
) -> None:
    """One SIGTERM ends the wait for the mail to a server that takes the connection and never
    answers (notify.mail.timeout 60 s) `STOP_GRACE` (5 s) after it. The import's exit code
    is its own; the message is owed (`drops/<night>/owed/`), for the next drop pass."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    port = silent.getsockname()[1]
    _configure(
        workdir,
        {
            "when": "always",
            "mail": {
                "host": "127.0.0.1",
                "port": port,
                "security": "none",
                "from": "importer@example.se",
                "to": ["ar@example.se"],
                "timeout": 60,
            },
        },
    )
    env = {k: v for k, v in os.environ.items() if k != "IMPORTER_CONFIG"}
    env["AMILI_API_KEY"] = SECRET
    process = subprocess.Popen(
        [sys.executable, "-m", "importer", "run", str(SAMPLE), "--api-url", api.url],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        silent.settimeout(60)
        connection, _ = silent.accept()  # the import is done: its mail is on its way
        time.sleep(0.5)
        process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        _out, err = process.communicate(timeout=60)
        waited = time.monotonic() - signalled
        connection.close()
    finally:
        process.kill()
        silent.close()
    assert process.returncode == 1, err  # the sample's rows needing attention
    assert STOP_GRACE - 0.5 < waited < STOP_GRACE + 3, err
    assert "mail to 127.0.0.1" in err
    assert list((workdir / "reports" / "drops").glob("*/owed/*.json"))


def test_a_swedish_runs_notification_words_the_files_warnings_and_problem_in_swedish(
    workdir: Path, api: Sandbox
) -> None:
    """`importer run` under `report.language: sv` tells its import in Swedish as the drop
    summary does: the total row left out with its amount in the Swedish form, and the API not
    knowing the creditor said once, as the next step with its fix — not an English warning
    followed by "fix the rows in report.csv", which no correction can mend."""
    path = workdir / "config.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["report"]["language"] = "sv"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    _configure(workdir, {"webhook": {"url_env": "HOOK", "format": "slack"}})
    export = workdir / "export.csv"
    export.write_bytes(
        "Fakturanummer;Belopp;Kreditfaktura\r\n"
        "F-1001;1 000,00;KF-1\r\n"
        "F-1002;234,50;KF-2\r\n"
        "Summa;1 234,50;\r\n".encode("cp1252")
    )
    other = "0123456789abcdef01234567"  # a creditor the sandbox has no case of
    with receiver() as box:
        done = _run(workdir, api, "run", str(export), "--creditor", other, hook=box.url)
    assert done.returncode == 1, done.stderr
    (body,) = box.bodies
    said = body["text"]
    assert "rad 4 är en summarad (belopp 1 234,50), inte en kreditering" in said, said
    assert "läst belopp 1 234,50 SEK" in said, said  # to match the total row's
    assert f"känner inte till borgenären {other}" in said, said
    for english in ("is a total", "not a credit", "does not know creditor", "not the rows'"):
        assert english not in said, said
    assert "--fix" not in said, said  # the rows are not what to correct
