"""The HTTP client for Amili's crediting API: one keep-alive session, one retry policy, and a
verdict on every answer by what it tells us about the server's state.

The distinction that matters for money is *could this request have been stored?* The one map
from transport errors and refusing answers to "not stored / maybe stored / cut" is
`api.failures`; the one retry policy for POST and GET is `api.retry`. A POST that certainly
was not stored (connection refused, connect timeout, 429) is retried with capped exponential
backoff and jitter, honouring `Retry-After`. One that may have been stored (read timeout,
connection dropped after sending, every 5xx — a 503 included: a gateway such as Envoy answers
one after forwarding the POST when the upstream resets) is returned as `MAYBE_STORED` and
never retried here: the caller settles it, then reconciles it by looking the crediting up.
The API key lives in the session headers only; it is never part of a message."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

import requests

from importer.api.answers import parse as parse_answer
from importer.api.connection import Connection
from importer.api.failures import Fate, TransportFailure, refusal_of
from importer.api.queries import CREDITINGS, CreditingQueries
from importer.api.request import json_body
from importer.api.retry import RetryPolicy
from importer.api.throttle import Throttle
from importer.api.transport import Answer
from importer.config import ApiConfig
from importer.errors import ApiUnavailable, AuthenticationFailed, Interrupted, QueryRefused
from importer.outcomes import RowError
from importer.stopping import StopFlag


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


def _unproven(response: Answer) -> str:
    kind = response.headers.get("Content-Type", "no content type").split(";")[0]
    return (
        f"the API answered HTTP {response.status_code} ({kind}) without naming a crediting; "
        "looked up by reference before anything else"
    )


def _check_auth(response: Answer, base_url: str, key_env: str) -> None:
    """A refused key stops the run: every row would be refused the same way. Said with the
    variable that holds the key (`api.api_key_env`'s value), the one thing to change."""
    if response.status_code in (401, 403):
        raise AuthenticationFailed(
            f"the API at {base_url} refused the API key (HTTP {response.status_code});"
            f" put the right key in the environment variable {key_env} (api.api_key_env)"
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
    refused with its reasons, not stored (a setting to fix), or unproven; a busy or failing
    server's answer raises its `TransportFailure` (`api.failures`: 429 not stored, 5xx maybe
    stored). `endpoint_missing` is asked after a 404 whether the URL itself is wrong (then its
    note: nothing was stored, every row would fail the same way)."""
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
    refusal = refusal_of(response)
    if refusal is not None:
        raise refusal
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
        """`stop` cuts an answer in flight short when set (until `close`); `rng` draws the
        backoff's jitter."""
        self.base_url = base_url.rstrip("/")
        self._key_env = config.api_key_env
        self._timeout = (config.connect_timeout, config.read_timeout)
        self._policy = RetryPolicy.of(config, rng)
        self._http = Connection(
            self.base_url, api_key, config, sleep=sleep, throttle=throttle, stop=stop
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

        def once() -> PostResult:
            if before_send is not None:
                before_send()
            return self._post_once(payload)

        try:
            return self._policy.run(
                once, idempotent=False, pace=self._http.wait_turn, event="post.retry"
            )
        except TransportFailure as failure:
            if failure.fate is not Fate.NOT_STORED:  # maybe stored, or cut by a stop
                return PostResult(
                    PostKind.MAYBE_STORED, http_status=failure.http_status, note=failure.note
                )
            note = failure.note
            if self._policy.spent(failure):
                note = f"{note} ({self._policy.attempts} attempts)"
            return PostResult(PostKind.NOT_STORED, http_status=failure.http_status, note=note)

    def _post_once(self, payload: bytes) -> PostResult:
        prepared = self._post_template.copy()
        prepared.body = payload
        prepared.headers["Content-Length"] = str(len(payload))
        response = self._http.exchange(
            lambda: self._http.session.send(
                prepared, timeout=self._timeout, allow_redirects=False, stream=True
            )
        )
        _check_auth(response, self.base_url, self._key_env)
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
        except TransportFailure:
            return None  # cannot tell: the row keeps its own 404
        if response.status_code != 404:
            return None
        return f"no crediting endpoint at {self.base_url}{CREDITINGS}: check api.base_url"

    # ------------------------------------------------------------------ get

    def _get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        """GETs are idempotent: any failure worth another try is retried within the budget,
        then the run stops (ApiUnavailable) rather than guessing."""

        def once() -> dict[str, Any]:
            response = self._http.exchange(
                lambda: self._http.session.get(
                    self.base_url + path,
                    params=params,
                    timeout=self._timeout,
                    stream=True,
                    allow_redirects=False,  # it would take the x-api-key header along
                )
            )
            return self._lookup_answer(response, path)

        try:
            return self._policy.run(
                once, idempotent=True, pace=self._http.wait_turn, event="lookup.retry"
            )
        except TransportFailure as failure:
            if failure.fate is Fate.CUT:
                raise Interrupted(
                    "stopped on request; run the same command again to resume"
                ) from None
            if failure.final and failure.fate is Fate.NOT_STORED:
                raise ApiUnavailable(failure.note) from None  # a setting: its note says which
            raise ApiUnavailable(
                f"the API at {self.base_url} did not answer a lookup ({failure.note})"
            ) from None

    def _lookup_answer(self, response: Answer, path: str) -> dict[str, Any]:
        """A look-up's answer as a JSON object; a refusal that passes (`api.failures`) or an
        unreadable answer raises its `TransportFailure`, anything else stops the run."""
        _check_auth(response, self.base_url, self._key_env)
        _check_not_redirected(response)
        status = response.status_code
        if status == 200:
            try:
                data = response.json(parse_float=Decimal)
            except (ValueError, RecursionError):
                data = None
            if isinstance(data, dict):
                return data
            # a look-up stores nothing, whatever became of it: worth another try
            raise TransportFailure(Fate.NOT_STORED, "an answer that is not a JSON object")
        if status == 404 and path == CREDITINGS:
            raise ApiUnavailable(
                f"no crediting endpoint at {self.base_url}{CREDITINGS}: check api.base_url"
            )
        if 400 <= status < 500 and status not in (404, 408, 429):
            # the filter itself, whatever code the API gives it
            raise QueryRefused(
                f"the API at {self.base_url} refused a lookup's filter (HTTP {status})"
            )
        refusal = refusal_of(response)
        if refusal is not None:
            raise refusal
        raise ApiUnavailable(f"the API at {self.base_url} did not answer a lookup (HTTP {status})")
