"""What a TLS failure means for a person: the one place an SSL error becomes a sentence.

A certificate the client cannot verify is a setting to fix (a private CA to name in
`api.ca_bundle`, a wrong host), never a reason to turn verification off, and it happens in
the handshake — before any byte of the request left — so nothing was stored."""

from __future__ import annotations

import ssl
from urllib.parse import urlsplit


def _causes(exc: BaseException, depth: int = 8) -> list[BaseException]:
    """The exception and what it wraps: requests and urllib3 nest the ssl error in args,
    `reason` and the exception chain."""
    seen: list[BaseException] = []
    todo: list[BaseException] = [exc]
    while todo and len(seen) < depth * 4:
        current = todo.pop()
        if any(current is s for s in seen):
            continue
        seen.append(current)
        nested = [*current.args, getattr(current, "reason", None)]
        nested += [current.__cause__, current.__context__]
        todo += [n for n in nested if isinstance(n, BaseException)]
    return seen


def certificate_refusal(exc: BaseException, base_url: str) -> str | None:
    """`certificate verify failed for HOST (why); …` when `exc` is a failed certificate
    check, else None (another TLS error: the request may have left)."""
    host = urlsplit(base_url).hostname or base_url
    for cause in _causes(exc):
        if isinstance(cause, ssl.SSLCertVerificationError):
            why = cause.verify_message or cause.reason or "not trusted"
            return (
                f"certificate verify failed for {host} ({why}); if the API uses a private "
                "CA, name its certificate in api.ca_bundle"
            )
    text = str(exc)
    if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
        return (
            f"certificate verify failed for {host}; if the API uses a private CA, name its "
            "certificate in api.ca_bundle"
        )
    return None
