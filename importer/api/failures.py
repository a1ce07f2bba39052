"""What a failed exchange means for the server's state: the one map from transport errors and
refusing answers to *not stored*, *maybe stored* or *cut*.

The question that matters for money is whether the request could have been stored. Every
failure of one exchange — raised by requests or urllib3, or an answer that refuses — becomes a
`TransportFailure` here, and nowhere else:

| failure                                         | fate           | worth another try |
|-------------------------------------------------|----------------|-------------------|
| connection refused, connect timeout             | `NOT_STORED`   | yes               |
| certificate not verified (in the handshake)     | `NOT_STORED`   | no: a setting     |
| 429 (refused before any work; `Retry-After`)    | `NOT_STORED`   | yes, as asked     |
| read timeout                                    | `MAYBE_STORED` | —                 |
| connection dropped after sending, other TLS     | `MAYBE_STORED` | —                 |
| no whole answer within the deadline, too large  | `MAYBE_STORED` | —                 |
| 500, 502, 503, 504 (a gateway may answer one    | `MAYBE_STORED` | —                 |
| after forwarding the POST)                      |                |                   |
| any other 5xx                                   | `MAYBE_STORED` | no                |
| the run was stopped while the answer was awaited| `CUT`          | no                |

What happens next is the retry policy's (`api.retry`): a POST is sent again only when it was
certainly not stored, a GET (a look-up changes nothing) after any failure worth another try;
a POST that may have been stored is settled and looked up by its caller, never resent blindly.
A 2xx that names no crediting is the client's own verdict (`PostKind.UNPROVEN`: looked up
before anything else), since only the POST's answer can lack an `_id`.

Messages never repeat a requests error's text: it names the URL, which may carry
credentials."""

from __future__ import annotations

from enum import StrEnum

import requests
import urllib3.exceptions
from urllib3.util.retry import Retry

from importer.api.tls import certificate_refusal
from importer.api.transport import Answer

TRANSIENT = frozenset({429, 500, 502, 503, 504})
"""Statuses a server gives for a state that passes (busy, a gateway between restarts)."""

INTERRUPTED = "interrupted: the answer was not awaited"

_RETRY_AFTER = Retry()
"""Only for its public `parse_retry_after` (RFC 9110: seconds, or an HTTP date)."""


class Fate(StrEnum):
    NOT_STORED = "not_stored"
    """The request certainly never reached the server's store."""
    MAYBE_STORED = "maybe_stored"
    """It may have been stored: settle, then look it up; never send it again blindly."""
    CUT = "cut"
    """The run was stopped while the answer was awaited: maybe stored, and no more tries."""


class TransportFailure(Exception):
    """One exchange that gave no usable answer, and what it means for the server's state."""

    def __init__(
        self,
        fate: Fate,
        note: str,
        *,
        http_status: int | None = None,
        wait: float | None = None,
        final: bool = False,
    ) -> None:
        super().__init__(note)
        self.fate = fate
        self.note = note
        """In words for the report and the log."""
        self.http_status = http_status
        self.wait = wait
        """Seconds the server asked to wait (`Retry-After`), if it asked."""
        self.final = final
        """Trying again cannot help: a setting to fix, or a server that does not do it."""


def failure_of(exc: BaseException, base_url: str) -> TransportFailure:
    """The failure an exception of requests or urllib3 (or the socket under them) stands for,
    raised from one exchange. `base_url` names the host in a certificate's message."""
    if not isinstance(exc, requests.RequestException):  # raised while the body was read
        exc = requests.ConnectionError(exc)
    if isinstance(exc, requests.exceptions.SSLError):
        refusal = certificate_refusal(exc, base_url)
        if refusal is not None:  # the handshake failed: nothing was sent
            return TransportFailure(Fate.NOT_STORED, refusal, final=True)
        return TransportFailure(Fate.MAYBE_STORED, "TLS error after the request was sent")
    if isinstance(exc, requests.ConnectionError) and never_connected(exc):
        return TransportFailure(Fate.NOT_STORED, "API unreachable: connection refused")
    if isinstance(exc, requests.ConnectionError):
        return TransportFailure(Fate.MAYBE_STORED, "connection dropped after the request was sent")
    if isinstance(exc, requests.Timeout):
        return TransportFailure(Fate.MAYBE_STORED, "no answer within the read timeout")
    return TransportFailure(Fate.MAYBE_STORED, f"transport error ({type(exc).__name__})")


def never_connected(exc: requests.ConnectionError) -> bool:
    """True when the connection was never established, so nothing was sent: a connect
    timeout, or a refusal that requests wraps as `ConnectionError(MaxRetryError(reason=
    NewConnectionError))` (`tests/api/test_transport_contract.py` holds that chain)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(reason, urllib3.exceptions.NewConnectionError | ConnectionRefusedError)


def cut(note: str) -> TransportFailure:
    """An exchange ended by a bound (deadline, size) or by a stop (`INTERRUPTED`)."""
    if note == INTERRUPTED:
        return TransportFailure(Fate.CUT, note)
    return TransportFailure(Fate.MAYBE_STORED, note)


def refusal_of(answer: Answer) -> TransportFailure | None:
    """The failure a busy or failing server's answer stands for (429, 5xx), or None."""
    status = answer.status_code
    if status == 429:  # refused before any work; a 5xx may come after the POST was stored
        return TransportFailure(
            Fate.NOT_STORED,
            f"API busy (HTTP {status})",
            http_status=status,
            wait=retry_after(answer),
        )
    if 500 <= status < 600:
        return TransportFailure(
            Fate.MAYBE_STORED,
            f"server error HTTP {status}",
            http_status=status,
            wait=retry_after(answer),
            final=status not in TRANSIENT,
        )
    return None


def retry_after(answer: Answer) -> float | None:
    """Seconds the answer's `Retry-After` asks for (0 for a date gone by), or None when it
    asks for nothing readable."""
    value = answer.headers.get("Retry-After")
    if not value:
        return None
    try:
        return float(_RETRY_AFTER.parse_retry_after(value))
    except (urllib3.exceptions.InvalidHeader, ValueError, OverflowError):
        return None
