"""The `notify:` section and the night's settings load as the README shows them, and every
mistake is one line naming the file and the setting: clear-text mail to another host, a time
of day that is none, a secret written where only its variable's name belongs."""

from __future__ import annotations

from pathlib import Path

import pytest

from importer.config_load import load_config
from importer.errors import ConfigError

SHAPE = """\
drop:
  night_starts: 12:00
  expect_by: 6:30
notify:
  when: attention
  max_attachment_bytes: 2000000
  mail:
    host: smtp.example.se
    port: 587
    security: starttls
    user: importer
    password_env: SMTP_PASSWORD
    from: importer@example.se
    to: [ar-team@example.se]
    ca_bundle: ca.pem
  webhook:
    url_env: TEAMS_WEBHOOK_URL
    format: teams
"""


def _load(tmp_path: Path, text: str):
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def _refused(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as refused:
        _load(tmp_path, text)
    message = refused.value.message
    assert "\n" not in message
    assert message.startswith(f"{tmp_path / 'config.yaml'}: setting ")
    return message


def test_the_documented_shape_loads(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("-", encoding="utf-8")
    config = _load(tmp_path, SHAPE)
    assert config.drop.night_starts == "12:00"  # unquoted YAML reads 12:00 as 720
    assert config.drop.expect_by == "06:30"
    mail = config.notify.mail
    assert mail is not None
    assert (mail.sender, mail.to, mail.security) == (
        "importer@example.se",
        ["ar-team@example.se"],
        "starttls",
    )
    assert mail.ca_bundle == tmp_path.resolve() / "ca.pem"
    assert config.notify.webhook is not None
    assert config.notify.webhook.format == "teams"
    assert config.notify.max_attachment_bytes == 2_000_000
    assert config.model_dump(mode="json")["notify"]["mail"]["from"] == "importer@example.se"


def test_the_defaults_notify_nobody_and_start_a_night_at_noon(tmp_path: Path) -> None:
    config = _load(tmp_path, "defaults: {currency: SEK}\n")
    assert not config.notify.configured
    assert config.notify.when == "attention"
    assert (config.drop.night_starts, config.drop.expect) == ("12:00", "none")


def test_clear_text_mail_to_another_host_is_refused(tmp_path: Path) -> None:
    message = _refused(
        tmp_path,
        "notify:\n  mail: {host: smtp.example.se, security: none, from: a@b.se, to: c@d.se}\n",
    )
    assert message.endswith(
        "setting notify.mail: security none sends the summary (and the password) in clear "
        "text: allowed only to localhost or 127.0.0.1, not smtp.example.se; use starttls or ssl"
    )


def test_clear_text_mail_to_loopback_is_allowed(tmp_path: Path) -> None:
    config = _load(
        tmp_path,
        "notify:\n  mail: {host: 127.0.0.1, port: 25, security: none, from: a@b.se, to: c@d.se}\n",
    )
    assert config.notify.mail is not None


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("drop:\n  night_starts: '25:00'\n", "drop.night_starts: '25:00' is not a time of day"),
        ("drop:\n  expect_by: soon\n", "drop.expect_by: 'soon' is not a time of day (HH:MM"),
        ("drop:\n  expect: weekly\n", "drop.expect: Input should be 'daily' or 'none'"),
        (
            "notify:\n  mail: {host: h, from: a@b.se, to: 'x@y.se, z@w.se'}\n",
            "notify.mail.to: 'x@y.se, z@w.se' is not one mail address",
        ),
        (
            "notify:\n  mail: {host: h, from: a@b.se, to: c@d.se, user: u}\n",
            "notify.mail: user is set but password_env is not",
        ),
        (
            "notify:\n  mail: {host: h, from: a@b.se, to: c@d.se, password: hunter2}\n",
            "notify.mail: password is a secret and never goes into the file: put it in an "
            "environment variable and name that variable in password_env",
        ),
        (
            "notify:\n  webhook: {url: 'https://x.example/hook/abc'}\n",
            "notify.webhook: url is a secret and never goes into the file: put it in an "
            "environment variable and name that variable in url_env",
        ),
        ("notify:\n  when: sometimes\n", "notify.when: Input should be 'attention'"),
    ],
)
def test_a_mistake_is_one_line_naming_the_setting(tmp_path: Path, text: str, said: str) -> None:
    message = _refused(tmp_path, text)
    assert said in message
    assert "hunter2" not in message
    assert "x.example/hook/abc" not in message


def test_a_mail_ca_bundle_that_is_no_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as refused:
        _load(tmp_path, SHAPE)
    assert refused.value.message == (
        f"notify.mail.ca_bundle: {tmp_path.resolve() / 'ca.pem'} is not a file"
    )


def test_the_shipped_config_and_its_commented_notify_section_load(tmp_path: Path) -> None:
    shipped = (Path(__file__).resolve().parents[1] / "config.yaml").read_text(encoding="utf-8")
    lines = shipped.splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith("# notify:"))
    block = [line.removeprefix("# ") for line in lines[start:] if line.startswith("#")]
    config = _load(tmp_path, "\n".join([*lines[:start], *block]) + "\n")
    assert config.notify.mail is not None
    assert config.notify.mail.password_env == "SMTP_PASSWORD"
    assert config.notify.webhook is not None
    assert config.drop.night_starts == "12:00"
