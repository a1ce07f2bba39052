"""`importer config`: the effective configuration, and where each value came from — the
command line, the configuration file (and which), or the built-in default. An operator
debugging a nightly job asks exactly this ("which base_url did it use, and why?")."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import yaml

from importer.config import Config
from importer.config_load import config_path


@dataclass(frozen=True, slots=True)
class Setting:
    key: str
    """Dotted path, e.g. `api.base_url`."""
    value: Any
    source: str
    """"command line (--api-url)", "file /etc/importer.yaml", or "default"."""


def _leaves(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, dict) and data and prefix != "columns.":
        leaves: dict[str, Any] = {}
        for key, value in data.items():
            leaves.update(_leaves(value, f"{prefix}{key}."))
        return leaves
    return {prefix.rstrip("."): data}


def explain_config(
    config: Config, path: str | os.PathLike[str] | None, overrides: dict[str, str]
) -> tuple[str, list[Setting]]:
    """(where the configuration was read from, each setting with its source). `overrides`
    maps a dotted key to the command-line option that set it."""
    chosen, explicit = config_path(path)
    raw: dict[str, Any] = {}
    if chosen.exists():
        loaded = yaml.safe_load(chosen.read_text(encoding="utf-8")) or {}
        raw = loaded if isinstance(loaded, dict) else {}
        origin = f"file {chosen.resolve()}"
        how = "--config" if path is not None else "$IMPORTER_CONFIG" if explicit else "./"
        where = f"{chosen.resolve()} (found by {how})"
    else:
        origin = "default"
        where = "built-in defaults (no ./config.yaml, no --config, no $IMPORTER_CONFIG)"
    in_file = set(_leaves(raw))
    settings = []
    for key, value in _leaves(config.model_dump(mode="json")).items():
        if key in overrides:
            source = f"command line ({overrides[key]})"
        elif key in in_file or any(k.startswith(key + ".") for k in in_file):
            source = origin
        else:
            source = "default"
        settings.append(Setting(key, value, source))
    return where, settings


def secret_note(config: Config) -> str:
    """Whether the environment variables holding secrets are set — the API key's, the
    notify section's SMTP password and webhook URL, the journal server's password — never
    their values."""
    named = [("API key", config.api.api_key_env)]
    mail, webhook = config.notify.mail, config.notify.webhook
    if mail is not None and mail.password_env:
        named.append(("SMTP password", mail.password_env))
    if webhook is not None:
        named.append(("webhook URL", webhook.url_env))
    if config.journal.url is not None and config.journal.password_env:
        named.append(("journal password", config.journal.password_env))
    return "\n".join(
        f"{what}: read from ${name} ({'set' if os.environ.get(name) else 'not set'}; never shown)"
        for what, name in named
    )
