"""Loading the configuration: which file (`--config`, `$IMPORTER_CONFIG`, `./config.yaml`),
reading its YAML, resolving its relative paths against its folder, validating it into the
one model (`importer.config`), and every later change to it (`with_settings`), validated
again: a configuration is immutable once loaded, and each refusal is one line naming the
setting."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from importer.config import Config, merged
from importer.errors import ConfigError


def config_path(path: str | os.PathLike[str] | None = None) -> tuple[Path, bool]:
    """The configuration file to read and whether it was asked for (`--config` or
    `$IMPORTER_CONFIG`: then it must exist) or is only the default `./config.yaml`."""
    from_env = os.environ.get("IMPORTER_CONFIG")
    if path is None and from_env is not None and not from_env.strip():
        raise ConfigError("IMPORTER_CONFIG is set but empty; name a configuration file or unset it")
    explicit = path is not None or from_env is not None
    return Path(path or from_env or "config.yaml"), explicit


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """`--config PATH`, else `$IMPORTER_CONFIG`, else `./config.yaml`, else built-in defaults.
    Relative paths inside the file are resolved against the file's folder, so a scheduler can
    run the importer from any working directory."""
    chosen, explicit = config_path(path)
    if not chosen.exists():
        if explicit:
            raise ConfigError(f"configuration file {chosen} does not exist")
        return Config()
    if chosen.is_dir():
        raise ConfigError(f"configuration file {chosen} is a folder; name the config.yaml in it")
    return validated(chosen, read_mapping(chosen), {})


def read_mapping(chosen: Path, text: str | None = None) -> dict[str, Any]:
    try:
        data = yaml.safe_load(chosen.read_text(encoding="utf-8") if text is None else text) or {}
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{chosen}: not UTF-8 text (save it as UTF-8): {exc.reason}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{chosen}: not valid YAML ({exc.__class__.__name__})") from exc
    except OSError as exc:
        raise ConfigError(f"configuration file {chosen}: cannot be read ({exc.strerror})") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{chosen}: expected a mapping of sections at the top level")
    return data


def validated(chosen: Path, data: dict[str, Any], base: dict[str, Any]) -> Config:
    try:
        config = Config.model_validate(merged(base, data))
    except ValidationError as exc:
        # from None: pydantic's error repeats the input values, and a key pasted into the
        # configuration by mistake must not reach a traceback (--debug) either.
        raise ConfigError(f"{chosen}: {_first_problem(exc, {})}") from None
    folder = chosen.resolve().parent
    overlay = bool(base)  # an overlay resolves only the paths it sets itself
    resolved: dict[str, Any] = {}
    if not config.report.dir.is_absolute() and (not overlay or "dir" in data.get("report", {})):
        resolved["report.dir"] = folder / config.report.dir
    if not config.journal.path.is_absolute() and (not overlay or "path" in data.get("journal", {})):
        resolved["journal.path"] = folder / config.journal.path
    bundle = config.api.ca_bundle
    if bundle is not None and not bundle.is_absolute():
        resolved["api.ca_bundle"] = folder / bundle
    mail = config.notify.mail
    if mail is not None and mail.ca_bundle is not None and not mail.ca_bundle.is_absolute():
        resolved["notify.mail.ca_bundle"] = folder / mail.ca_bundle
    cases = config.sandbox.cases
    if cases is not None and not cases.is_absolute() and (not overlay or "sandbox" in data):
        resolved["sandbox.cases"] = folder / cases
    config = with_settings(config, resolved)
    check_paths(config)
    return config


def with_settings(
    config: Config, settings: Mapping[str, Any], named: Mapping[str, str] | None = None
) -> Config:
    """`config` with `settings` ({"api.base_url": …}, dotted keys) changed, validated as a
    whole again: the one way a loaded configuration changes (the command line's overrides,
    paths resolved against the file's folder). `named` says what set a key (`--interval`),
    for the one-line error naming it."""
    if not settings:
        return config
    data = config.model_dump(mode="python")
    for key, value in settings.items():
        *sections, last = key.split(".")
        place = data
        for section in sections:
            place = place[section]
        place[last] = value
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_first_problem(exc, named or {})) from None


def _first_problem(exc: ValidationError, named: Mapping[str, str]) -> str:
    """The first problem pydantic found, in one line naming the setting (or the option that
    set it), without the value (it may be a key pasted by mistake)."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    message = first["msg"].removeprefix("Value error, ")  # our own words need no label
    if not where:  # a whole-model rule names its own setting
        return message
    option = named.get(where)
    return f"{option} (setting {where}): {message}" if option else f"setting {where}: {message}"


def check_paths(config: Config) -> None:
    """Paths that name the wrong kind of thing are refused at load, before anything is read:
    a report folder that is a file would otherwise fail only after every row was posted."""
    if config.report.dir.exists() and not config.report.dir.is_dir():
        raise ConfigError(f"report.dir: {config.report.dir} is a file, not a folder")
    if config.journal.path.is_dir():
        raise ConfigError(f"journal.path: {config.journal.path} is a folder, not a file")
    bundle = config.api.ca_bundle
    if bundle is not None and not bundle.is_file():
        raise ConfigError(f"api.ca_bundle: {bundle} is not a file")
    mail = config.notify.mail
    if mail is not None and mail.ca_bundle is not None and not mail.ca_bundle.is_file():
        raise ConfigError(f"notify.mail.ca_bundle: {mail.ca_bundle} is not a file")
    cases = config.sandbox.cases
    if cases is not None and not cases.is_file():
        raise ConfigError(f"sandbox.cases: {cases} is not a file")
