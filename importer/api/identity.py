"""The identity of an API: one spelling per server, so everything keyed by it agrees.

The journal keys "already imported", credit-note dedupe, repeats and claims by the API a row
was sent to. `http://127.0.0.1:8080`, `http://127.0.0.1:8080/` and `HTTP://127.0.0.1:80/../`
name one server; keyed by their raw text they were three, and a credit note was credited
once per spelling. So the identity is normalised: scheme and host in lower case,
the scheme's default port dropped, dot segments resolved, repeated and trailing slashes
removed. `localhost`, `127.0.0.1` and `::1` are one machine and named `localhost` (a
loopback address is the same server whatever it is called); other host names are kept as
written — resolving DNS would make the identity depend on the network of the moment.

`sandbox` (the embedded sandbox) is its own identity."""

from __future__ import annotations

import posixpath
from urllib.parse import urlsplit, urlunsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}
_LOOPBACK = {"localhost", "127.0.0.1", "::1", "[::1]"}


def api_identity(url: str) -> str:
    """The normalised spelling of an API base URL (query and fragment dropped: a base URL
    has none that select another server)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        return url.strip()
    host = (parts.hostname or "").lower()
    if host in _LOOPBACK or host.startswith("127."):
        host = "localhost"
    elif ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = parts.path
    if path:
        path = posixpath.normpath("/" + path.lstrip("/"))
        path = "" if path in ("/", "//", ".") else path.rstrip("/")
        path = "/" + path.lstrip("/") if path else ""
    return urlunsplit((scheme, netloc, path, "", ""))
