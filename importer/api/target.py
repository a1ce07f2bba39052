"""Which API an import talks to: a real Amili URL with a key from the environment, or the
embedded sandbox (`base_url: sandbox`), started in-process for the duration of the run.

The embedded sandbox keeps its database beside the journal, so the journal and the sandbox
agree across runs: a file imported once into the embedded sandbox is "already imported" the
next time, exactly as it would be against the real API."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from importer.api.credentials import (
    check_api_key,
    check_base_url,
    check_plain_http,
    shown_url,
)
from importer.api.identity import api_identity
from importer.config import SANDBOX, Config
from importer.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    """What the journal and reports record and key by: the API's identity (the configured
    URL normalised, see `api.identity`), or `sandbox`."""
    url: str | None
    """Where requests go; None for a dry run, which sends nothing."""
    api_key: str | None
    sandbox: bool

    def __repr__(self) -> str:  # never print the key
        return f"Target(name={self.name!r}, sandbox={self.sandbox})"


@contextmanager
def open_target(config: Config, *, dry_run: bool) -> Iterator[Target]:
    base_url = config.api.base_url
    if base_url == SANDBOX:
        if dry_run:
            yield Target(SANDBOX, None, None, True)
            return
        from importer.sandbox import Sandbox

        db_path = config.journal.path.parent / "sandbox.sqlite"
        db_path.parent.mkdir(parents=True, exist_ok=True)
        cases = config.sandbox.cases  # yours are added to the database kept beside the journal
        sandbox = Sandbox(db_path=db_path, cases_path=cases, add_cases=cases is not None)
        url = sandbox.start()  # raises SandboxError, a one-line ImporterError
        try:
            yield Target(SANDBOX, url, sandbox.api_key, True)
        finally:
            sandbox.stop()
        return
    check_base_url(base_url)
    if not base_url.lower().startswith(("http://", "https://")):
        raise ConfigError(f"api.base_url must be an http(s) URL or 'sandbox', not {base_url!r}")
    _check_url(base_url)
    check_plain_http(base_url, allowed=config.api.allow_plain_http)
    key = os.environ.get(config.api.api_key_env, "").strip()
    if dry_run:
        if key:
            try:
                check_api_key(key, config.api.api_key_env)
            except ConfigError:
                key = ""  # not one to send: the prediction rests on the journal alone
        # A dry run asks the API what it already holds when a key lets it (validate's
        # prediction otherwise rests on the journal alone, and says so); it never posts.
        yield Target(
            api_identity(base_url), base_url.rstrip("/") if key else None, key or None, False
        )
        return
    if not key:
        raise ConfigError(
            f"no API key: set the environment variable {config.api.api_key_env} "
            "(named by api.api_key_env in the configuration)"
        )
    check_api_key(key, config.api.api_key_env)
    yield Target(api_identity(base_url), base_url.rstrip("/"), key, False)


def _check_url(base_url: str) -> None:
    """Refuse a URL requests would only refuse at the first POST (as `InvalidURL`, which is no
    one-line error there): no host, or port 0. (`check_base_url` has refused credentials and
    an unparsable port already.)"""
    parts = urlsplit(base_url)
    if not parts.hostname or parts.port == 0:
        raise ConfigError(
            f"api.base_url {shown_url(base_url)} is not a valid URL "
            "(it needs a host name and a port > 0)"
        )
