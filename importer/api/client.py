"""The HTTP client for Amili's crediting API: one keep-alive session, bounded retries, and a
classification of every answer by what it tells us about the server's state.

The distinction that matters for money is *could this request have been stored?* Failures that
certainly did not reach the server (connection refused, connect timeout, 429) are retried here
with capped exponential backoff and jitter, honouring `Retry-After`. Anything that may have
been stored (read timeout, connection dropped after sending, every 5xx — a 503 included: a
gateway such as Envoy answers one after forwarding the POST when the upstream resets) is
returned as `MAYBE_STORED` and never retried here: the caller settles it, then reconciles it
by looking the crediting up. The API key lives in the session headers only; it is never part
of a message."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any

import requests
import urllib3.exceptions

from importer import logs
from importer.api.answers import parse as parse_answer
from importer.api.connection import INTERRUPTED, Connection, Cut
from importer.api.queries import CREDITINGS, CreditingQueries
from importer.api.request import json_body
from importer.api.throttle import Throttle
from importer.api.tls import certificate_refusal
from importer.api.transport import Answer
from importer.config import ApiConfig
from importer.errors import ApiUnavailable, AuthenticationFailed, Interrupted, QueryRefused
from importer.outcomes import RowError
from importer.stopping import StopFlag

log = logs.get_logger("importer.client")


class PostKind(StrEnum):
    CREATED = "created"
    REJECTED = "rejected"
    NOT_STORED = "not_stored"
    """Certainly not stored, and the retry budget is spent."""
    MAYBE_STORED = "maybe_stored"
    UNPROVEN = "unproven"
    """A 2xx that names no crediting (no `_id`, not JSON, 200/202/204): something answered
    yes, but only a lookup by reference can say whether a crediting exists."""


@dataclass(slots=True)
class PostResult:
    kind: PostKind
    http_status: int | None = None
    body: dict[str, Any] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    note: str | None = None


class _NotStored(Exception):
    """Internal: a failure that certainly did not reach the server; worth retrying."""

    def __init__(self, note: str, http_status: int | None = None, wait: float | None = None):
        super().__init__(note)
        self.note = note
        self.http_status = http_status
        self.wait = wait


def _issues_to_errors(issues: Any) -> list[RowError]:
    """Eve's `_issues` is {"field": "message" | [messages] | {nested}}."""
    errors: list[RowError] = []
    if not isinstance(issues, dict):
        return errors
    for name, message in issues.items():
        messages = message if isinstance(message, list) else [message]
        for m in messages:
            text = json.dumps(m, ensure_ascii=False) if isinstance(m, dict) else str(m)
            errors.append(
                RowError(
                    field=str(name), code="api_rejected", message=f"The API refused it: {text}"
                )
            )
    return errors


def _retry_after(response: Answer) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _unproven(response: Answer) -> str:
    kind = response.headers.get("Content-Type", "no content type").split(";")[0]
    return (
        f"the API answered HTTP {response.status_code} ({kind}) without naming a crediting; "
        "looked up by reference before anything else"
    )


def _refused(exc: requests.ConnectionError) -> bool:
    """True when the connection was never established, so nothing was sent."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(reason, urllib3.exceptions.NewConnectionError | ConnectionRefusedError)


def _check_auth(response: Answer, base_url: str) -> None:
    """A refused key stops the run: every row would be refused the same way."""
    if response.status_code in (401, 403):
        raise AuthenticationFailed(
            f"the API at {base_url} refused the API key (HTTP {response.status_code});"
            " check the key in the environment variable named by api.api_key_env"
        )


def _check_not_redirected(response: Answer) -> None:
    """A lookup is never followed elsewhere (the key would go along): the base URL is the
    setting to fix, and every lookup would be redirected the same way."""
    if 300 <= response.status_code < 400:
        where = response.headers.get("Location", "elsewhere")
        raise ApiUnavailable(
            f"the API redirected a lookup to {where} (HTTP {response.status_code}); "
            "check api.base_url"
        )


def _answer_of(response: Answer, endpoint_missing: Callable[[], str | None]) -> PostResult:
    """What an answer to a POST means for the row (a refused key is checked before): stored,
    refused with its reasons, maybe stored (server error), or not stored and worth retrying
    (`_NotStored`: busy). `endpoint_missing` is asked after a 404 whether the URL itself is
    wrong (then its note: nothing was stored, every row would fail the same way)."""
    status = response.status_code
    if 300 <= status < 400:
        # Not followed: a redirected POST may be resent as a GET, or to a host nobody
        # configured. Nothing was stored; it is a setting to fix, not a row to retry.
        where = response.headers.get("Location", "elsewhere")
        return PostResult(
            PostKind.NOT_STORED,
            http_status=status,
            note=f"the API redirected the request to {where}; check api.base_url",
        )
    if status == 429:  # refused before any work; a 5xx may come after the POST was stored
        raise _NotStored(
            f"API busy (HTTP {status})", http_status=status, wait=_retry_after(response)
        )
    data = parse_answer(response.content)
    if status == 201 and isinstance(data.get("_id"), str) and data["_id"]:
        # Its values are checked where it is stored (journal.rows.record, importer.answers).
        return PostResult(PostKind.CREATED, http_status=status, body=data)
    missing = endpoint_missing() if status == 404 else None
    if missing is not None:
        return PostResult(PostKind.NOT_STORED, http_status=status, note=missing)
    if 200 <= status < 300:
        return PostResult(
            PostKind.UNPROVEN, http_status=status, body=data, note=_unproven(response)
        )
    if 400 <= status < 500:
        errors = _issues_to_errors(data.get("_issues"))
        if not errors:
            message = (data.get("_error") or {}).get("message") or response.reason
            errors = [
                RowError(
                    field="",
                    code=f"api_http_{status}",
                    message=f"The API refused it (HTTP {status}): {message}",
                )
            ]
        return PostResult(PostKind.REJECTED, http_status=status, errors=errors)
    return PostResult(PostKind.MAYBE_STORED, http_status=status, note=f"server error HTTP {status}")


class ApiClient(CreditingQueries):
    """The crediting API as the importer uses it: POST one crediting, look creditings up;
    every answer classified by what it says about the server's state."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        config: ApiConfig,
        *,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        throttle: Throttle | None = None,
        stop: StopFlag | None = None,
    ) -> None:
        """`stop` cuts an answer in flight short when set (until `close`)."""
        self.base_url = base_url.rstrip("/")
        self._config = config
        self._timeout = (config.connect_timeout, config.read_timeout)
        self._http = Connection(
            self.base_url, api_key, config, sleep=sleep, rng=rng, throttle=throttle, stop=stop
        )
        # Every POST is the same request but for its body: prepared once here and copied per
        # row, it skips requests' per-call merging of settings, headers and hooks — at a 20 ms
        # response time that was a third of a millisecond per row, on the critical path of a
        # strict-order import. (Cookies an API might set are not sent back; Amili's API
        # authenticates by header.)
        self._post_template = self._http.session.prepare_request(
            requests.Request("POST", self.base_url + CREDITINGS, data=b"")
        )

    def close(self) -> None:
        self._http.close()

    def stop_soon(self) -> None:
        """A stop was asked for: the answer in flight, if any, is awaited
        `connection.STOP_GRACE` more seconds at most. Safe from any thread."""
        self._http.stop_soon()

    # ----------------------------------------------------------------- post

    def post_crediting(
        self, request: Mapping[str, Any], *, before_send: Callable[[], None] | None = None
    ) -> PostResult:
        """POST one crediting (its body is `json_body(request)`, the bytes report.json
        records); retries only what certainly was not stored. `before_send` runs right
        before each attempt leaves — after any backoff or shared pause — so the caller's
        intent carries the time the request really left."""
        payload = json_body(request)
        last: _NotStored | None = None
        for attempt in range(self._config.max_attempts):
            delay: float | None = None
            if last is not None:
                delay = self._http.backoff(attempt - 1, last.wait)
                log.info(
                    "post.retry",
                    attempt=attempt + 1,
                    of=self._config.max_attempts,
                    wait_s=round(delay, 2),
                    reason=last.note,
                    retry_after=last.wait is not None,
                )
            self._http.wait_turn(delay)
            if before_send is not None:
                before_send()
            try:
                return self._post_once(payload)
            except _NotStored as exc:
                last = exc
        assert last is not None
        return PostResult(
            PostKind.NOT_STORED,
            http_status=last.http_status,
            note=f"{last.note} ({self._config.max_attempts} attempts)",
        )

    def _post_once(self, payload: bytes) -> PostResult:
        try:
            prepared = self._post_template.copy()
            prepared.body = payload
            prepared.headers["Content-Length"] = str(len(payload))
            response = self._http.exchange(
                lambda: self._http.session.send(
                    prepared, timeout=self._timeout, allow_redirects=False, stream=True
                )
            )
        except Cut as cut:
            return PostResult(PostKind.MAYBE_STORED, note=cut.note)
        except requests.exceptions.SSLError as exc:
            refusal = certificate_refusal(exc, self.base_url)
            if refusal is not None:  # the handshake failed: nothing was sent
                raise _NotStored(refusal) from None
            return PostResult(PostKind.MAYBE_STORED, note="TLS error after the request was sent")
        except requests.ConnectionError as exc:
            if _refused(exc):
                # from None: a requests error repeats the URL, which may carry credentials.
                raise _NotStored("API unreachable: connection refused") from None
            return PostResult(
                PostKind.MAYBE_STORED, note="connection dropped after the request was sent"
            )
        except requests.Timeout:
            return PostResult(PostKind.MAYBE_STORED, note="no answer within the read timeout")
        except requests.RequestException as exc:
            return PostResult(PostKind.MAYBE_STORED, note=f"transport error ({type(exc).__name__})")
        _check_auth(response, self.base_url)
        return _answer_of(response, self._endpoint_missing)

    def _endpoint_missing(self) -> str | None:
        """A POST answered 404: is it this row, or is there no crediting collection at the
        base URL at all? A GET of the collection tells: 404 again means the URL is wrong,
        and every row would fail the same way (then the note saying so; None: the row's own
        404)."""
        try:
            response = self._http.exchange(
                lambda: self._http.session.get(
                    self.base_url + CREDITINGS,
                    params={"max_results": "1"},
                    timeout=self._timeout,
                    stream=True,
                    allow_redirects=False,
                )
            )
        except (Cut, requests.RequestException):
            return None  # cannot tell: the row keeps its own 404
        if response.status_code != 404:
            return None
        return f"no crediting endpoint at {self.base_url}{CREDITINGS}: check api.base_url"

    # ------------------------------------------------------------------ get

    def _get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        """GETs are idempotent: any failure is retried within the budget, then the run
        stops (ApiUnavailable) rather than guessing."""
        note = ""
        refused: _NotStored | None = None
        for attempt in range(self._config.max_attempts):
            delay: float | None = None
            if refused is not None:
                delay = self._http.backoff(attempt - 1, refused.wait)
                log.info("lookup.retry", attempt=attempt + 1, wait_s=round(delay, 2), reason=note)
            self._http.wait_turn(delay)
            try:
                response = self._http.exchange(
                    lambda: self._http.session.get(
                        self.base_url + path,
                        params=params,
                        timeout=self._timeout,
                        stream=True,
                        allow_redirects=False,  # it would take the x-api-key header along
                    )
                )
            except Cut as cut:
                if cut.note == INTERRUPTED:
                    raise Interrupted(
                        "stopped on request; run the same command again to resume"
                    ) from None
                note = cut.note
                refused = _NotStored(note)
            except requests.exceptions.SSLError as exc:
                refusal = certificate_refusal(exc, self.base_url)
                if refusal is not None:
                    raise ApiUnavailable(refusal) from None
                note = "TLS error"
                refused = _NotStored(note)
            except requests.RequestException as exc:
                never_connected = isinstance(exc, requests.ConnectionError) and _refused(exc)
                note = "unreachable: connection refused" if never_connected else type(exc).__name__
                refused = _NotStored(note)
            else:
                _check_auth(response, self.base_url)
                _check_not_redirected(response)
                if response.status_code == 200:
                    try:
                        data = response.json(parse_float=Decimal)
                    except (ValueError, RecursionError):
                        data = None
                    if isinstance(data, dict):
                        return data
                    note = "an answer that is not a JSON object"
                    refused = _NotStored(note)
                else:
                    note = f"HTTP {response.status_code}"
                    if response.status_code == 404 and path == CREDITINGS:
                        raise ApiUnavailable(
                            f"no crediting endpoint at {self.base_url}{CREDITINGS}: "
                            "check api.base_url"
                        )
                    if 400 <= response.status_code < 500 and response.status_code not in (
                        404,
                        408,
                        429,
                    ):  # the filter itself, whatever code the API gives it
                        raise QueryRefused(
                            f"the API at {self.base_url} refused a lookup's filter ({note})"
                        )
                    if response.status_code not in (429, 500, 502, 503, 504):
                        break
                    refused = _NotStored(note, response.status_code, _retry_after(response))
        raise ApiUnavailable(f"the API at {self.base_url} did not answer a lookup ({note})")
