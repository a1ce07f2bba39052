"""Where secrets may come from, and the shapes of them that are refused before anything runs.

The key lives in one place: the environment variable named by `api.api_key_env`, sent in the
`x-api-key` header. A base URL that carries a secret itself (`https://user:pw@host`, a
`?token=…` query) is **refused**, not redacted: the URL is the target's name in the journal,
in every report and in every message built from it, and `requests` would also turn userinfo
into a Basic `Authorization` header. Redacting it in all of those places would be a promise
kept by every future line of code; refusing it is one check here. A base URL has no use for a
query or fragment anyway (paths are appended to it), so any query or fragment is refused.

A plain `http://` base URL sends the key in clear text to whoever is on the path: it is
refused unless the host is the loopback (`localhost`, 127.0.0.0/8, ::1 — the sandbox, a local
gateway) or the operator says so (`api.allow_plain_http: true`, a TLS-terminating sidecar).

A key with a control character (a pasted newline, a tab) would make `requests` raise an
error that quotes the header value — the key — so it is refused at start, by position only.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from importer.errors import ConfigError


def shown_url(url: str) -> str:
    """The URL without userinfo, query or fragment: safe to print in the refusal itself."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:
        return "(an unparsable URL)"
    return f"{parts.scheme}://{host}{port}{parts.path}"


def check_base_url(url: str) -> None:
    """Refuse a base URL that carries credentials, a query or a fragment."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise ConfigError(f"api.base_url {shown_url(url)!s} is not a valid URL") from None
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ConfigError(
            f"api.base_url must not carry a user or password ({shown_url(url)}); put the key "
            "in the environment variable named by api.api_key_env instead"
        )
    if parts.query or parts.fragment or url.rstrip().endswith(("?", "#")):
        raise ConfigError(
            f"api.base_url must not carry a query or fragment ({shown_url(url)}?…); a token "
            "belongs in the environment variable named by api.api_key_env"
        )


def check_plain_http(url: str, *, allowed: bool) -> None:
    """Refuse a plain http base URL to a host other than the loopback, unless `allowed`."""
    parts = urlsplit(url)
    if allowed or parts.scheme.lower() != "http" or _loopback(parts.hostname or ""):
        return
    raise ConfigError(
        f"api.base_url {shown_url(url)} is plain http to another machine: the API key would "
        "cross the network unencrypted; use https, or set api.allow_plain_http: true if a "
        "gateway on the way encrypts it"
    )


def _loopback(host: str) -> bool:
    host = host.lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name: it may resolve anywhere


def check_api_key(key: str, variable: str) -> None:
    """Only visible ASCII is a header value every server reads the same way; the message
    names the position of the first offending character, never the key."""
    for position, char in enumerate(key, start=1):
        if not "!" <= char <= "~":
            kind = (
                "a control character"
                if ord(char) < 32 or ord(char) == 127
                else ("a space" if char == " " else "a character other than printable ASCII")
            )
            raise ConfigError(
                f"the API key in {variable} contains {kind} at position {position}; "
                "set it again without it (the key itself is not shown)"
            )
