"""Where a journal on a PostgreSQL server is (`journal.url`): its URL, which never carries a
password (the configuration refuses one), and the password read from the environment.

Its own module, free of the driver: the configuration names a server without importing
psycopg, and so does every message that names the journal (`str()` is the URL as written,
safe to print because no password can be in it)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

from importer.errors import ConfigError

SCHEMES = ("postgresql", "postgres")
SECRET_PARAMETERS = ("password", "sslpassword", "oauth_client_secret")
"""libpq's parameters that hold a secret (those it marks for display as "*")."""
STATEMENT_TIMEOUT = 30.0
"""Seconds the server has to answer one round trip (`journal.statement_timeout`): what a
SQLite journal gives a lock another process holds (`connection.LOCK_TIMEOUT`), so a writer
waits on another host's writer as long on either; a journal's round trip takes milliseconds,
and thirty seconds of silence mean a server frozen or stalled. Bounded below the 50 s a silent
host's keepalives take, so a frozen server is noticed no later than one gone
(`journal.deadline`)."""


@dataclass(frozen=True, slots=True)
class JournalServer:
    """A journal on a server: `url` as libpq reads it (`postgresql://user@host:port/db`,
    TLS as its own parameters: `?sslmode=verify-full&sslrootcert=ca.pem`), `password` from
    the variable `journal.password_env` names; None leaves it to libpq (`PGPASSWORD`,
    `~/.pgpass`); `statement_timeout`, the seconds it has to answer a round trip."""

    url: str
    password: str | None = field(default=None, repr=False)
    statement_timeout: float = STATEMENT_TIMEOUT

    def __str__(self) -> str:
        return self.url


def url_problem(url: str) -> str | None:
    """Why `url` cannot name a journal server (in words that never quote a password), or
    None. A password in the URL is refused, not hidden: the URL is shown by `importer
    config` and in every message about the journal."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "is not a valid URL"
    if parts.scheme.lower() not in SCHEMES:
        return "must start with postgresql:// (a PostgreSQL server)"
    query_keys = {key.lower() for key, _ in parse_qsl(parts.query, keep_blank_values=True)}
    secret = "password" if parts.password is not None else libpq_secret(url, query_keys)
    if secret == "password":
        return (
            "must not carry a password: put it in an environment variable and name that "
            "variable in journal.password_env (or use PGPASSWORD or ~/.pgpass)"
        )
    if secret is not None:
        return (
            f"must not carry {secret}, a secret, as it is shown wherever the journal is "
            "named: leave it out (a client key readable only by the importer's user needs "
            "no sslpassword)"
        )
    if not all(port_ok(host) for host in hosts(parts.netloc)):
        return "is not a valid URL"
    if not parts.hostname and "host" not in query_keys:
        return "names no host (postgresql://user@host:port/database)"
    return None


def hosts(netloc: str) -> list[str]:
    """The `host[:port]` parts of a URL's authority as libpq reads them: after its userinfo,
    which runs to the first `@`, a comma-separated list (`h1:5432,h2:5432`: libpq tries each
    in turn, `target_session_attrs` choosing among them)."""
    _, at, after = netloc.partition("@")
    return (after if at else netloc).split(",")


def port_ok(host: str) -> bool:
    """Whether a `host[:port]` (`[::1]:5432` for an IPv6 address) has no port, or one that
    is a number a port can be."""
    _, colon, port = (host.rpartition("]")[2] if host.startswith("[") else host).partition(":")
    return not colon or not port or (port.isdigit() and int(port) <= 65535)


def libpq_secret(url: str, query_keys: set[str]) -> str | None:
    """The secret parameter (`SECRET_PARAMETERS`) libpq, which connects with the URL, finds
    in it, or None; `query_keys` are the parameters a web URL parser (`urlsplit`) sees.
    libpq may find more: its userinfo runs to the first `@` before any `/` (so
    `user:#pw@host` and `user:5432?pw@host` carry the password `#pw`, `5432?pw`), and its
    parameters follow the first `?` after it, a `#` included (`/db#x?password=pw`)."""
    rest = url.partition("://")[2]
    userinfo, at, after = rest.partition("@")
    if at and "/" not in userinfo:
        if ":" in userinfo:
            return "password"
        rest = after
    query = rest.partition("?")[2]
    keys = query_keys | {
        unquote(pair.partition("=")[0]).strip().lower() for pair in query.split("&")
    }
    return next((name for name in SECRET_PARAMETERS if name in keys), None)


def server_of(
    url: str, password_env: str | None, statement_timeout: float = STATEMENT_TIMEOUT
) -> JournalServer:
    """The server `url` names, with the password from the variable `password_env` names
    (refused when that variable is not set: libpq would then try without one and say
    something about authentication instead)."""
    if password_env is None:
        return JournalServer(url, statement_timeout=statement_timeout)
    password = os.environ.get(password_env)
    if not password:
        raise ConfigError(
            f"journal.password_env names ${password_env}, which is not set: set it to the "
            f"password of the journal's database ({url}); nothing was sent"
        )
    return JournalServer(url, password, statement_timeout)


def advisory_key(name: str) -> int:
    """A lock's name (`import:<id>`, the journal's writer lock) as the server's 64-bit
    advisory lock key: the first 8 bytes of its SHA-256, the same on every host."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


WRITER_LOCK = advisory_key("importer journal: one writer at a time")
"""The journal's writer lock on a server: taken by each transaction whose read decides a
write (`journal.postgres`, the claim's function in `journal.claims`), so such transactions
follow one another as SQLite's do, on every host."""
