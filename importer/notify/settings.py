"""The `notify:` section: where a notification goes and when. Secrets are named, never
held: `password_env` and `url_env` name environment variables (a chat webhook's URL is itself
a secret: whoever has it may post to the channel)."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from importer.config_section import HOUR, Section

ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
_ADDRESS = r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+$"
"""One plain address (`ar-team@example.se`): no display name, no list, no line break — a
newline in a header is how a second, forged header gets in."""


def _plain(address: str) -> bool:
    return re.fullmatch(_ADDRESS, address) is not None


def is_loopback(host: str) -> bool:
    """`localhost` or a loopback address: the only hosts a mail may go to unencrypted."""
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class MailConfig(Section):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    host: str = Field(min_length=1, pattern=r"^[^\s/@]+$")
    port: int = Field(default=587, ge=1, le=65535, strict=True)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    """`starttls` (port 587), `ssl` (TLS from the first byte, port 465), or `none`, allowed
    only to a loopback host (a local relay): a password or a summary never crosses a network
    in clear text."""
    user: str | None = None
    password_env: str | None = Field(default=None, pattern=ENV_NAME)
    sender: str = Field(alias="from")
    to: list[str] = Field(min_length=1)
    ca_bundle: Path | None = None
    """A PEM file of the CA that signed the mail server's certificate (a private CA);
    verification itself is never turned off."""
    timeout: float = Field(default=30.0, gt=0, le=HOUR)

    @model_validator(mode="before")
    @classmethod
    def _no_password(cls, data: object) -> object:
        _no_secret(data, "password", "password_env")
        return data

    @field_validator("to", mode="before")
    @classmethod
    def _one_or_more(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("to", "sender")
    @classmethod
    def _addresses(cls, value: list[str] | str) -> list[str] | str:
        bad = [a for a in ([value] if isinstance(value, str) else value) if not _plain(a)]
        if bad:
            raise ValueError(f"{bad[0]!r} is not one mail address (name@example.se)")
        return value

    @model_validator(mode="after")
    def _safe(self) -> MailConfig:
        if self.security == "none" and not is_loopback(self.host):
            raise ValueError(
                f"security none sends the summary (and the password) in clear text: allowed "
                f"only to localhost or 127.0.0.1, not {self.host}; use starttls or ssl"
            )
        if self.user and not self.password_env:
            raise ValueError(
                "user is set but password_env is not (the name of the variable holding the "
                "password)"
            )
        return self


def _no_secret(data: object, key: str, instead: str) -> None:
    """A secret written into the file (where it would be copied, backed up and shown by
    `importer config`): refused with where it belongs — never quoted."""
    if isinstance(data, dict) and key in data:
        raise ValueError(
            f"{key} is a secret and never goes into the file: put it in an environment "
            f"variable and name that variable in {instead}"
        )


class WebhookConfig(Section):
    url_env: str = Field(pattern=ENV_NAME)
    """The name of the environment variable holding the webhook's URL (never the URL)."""
    format: Literal["json", "slack", "teams"] = "json"
    timeout: float = Field(default=30.0, gt=0, le=HOUR)

    @model_validator(mode="before")
    @classmethod
    def _no_url(cls, data: object) -> object:
        _no_secret(data, "url", "url_env")
        return data


class NotifyConfig(Section):
    when: Literal["attention", "always", "failure"] = "attention"
    """`attention` (default): exit 1, 2 or 3 — someone has to look; `failure`: exit 2 or 3;
    `always`: every night with news and every import."""
    mail: MailConfig | None = None
    webhook: WebhookConfig | None = None
    max_attachment_bytes: int = Field(default=5 * 1024 * 1024, ge=0, le=1024**3)
    """report.html and the night's summary are attached up to this size in all; a larger one
    is named in the body with where to find it."""

    @property
    def configured(self) -> bool:
        return self.mail is not None or self.webhook is not None
