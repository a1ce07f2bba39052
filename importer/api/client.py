"""The HTTP client for Amili's crediting API: one keep-alive session, bounded retries, and a
classification of every answer by what it tells us about the server's state.

The distinction that matters for money is *could this request have been stored?* Failures that
certainly did not reach the server (connection refused, connect timeout, 429, the pre-commit
503) are retried here with capped exponential backoff and jitter, honouring `Retry-After`.
Anything that may have been stored (read timeout, connection dropped after sending, other 5xx)
is returned as `MAYBE_STORED` and never retried here: the caller reconciles it by looking the
crediting up. The API key lives in the session headers only; it is never part of a message."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any

import requests
import structlog
import urllib3.exceptions

from importer import __version__
from importer.api.answers import parse as parse_answer
from importer.api.request import json_body
from importer.api.throttle import Throttle
from importer.api.tls import certificate_refusal
from importer.api.transport import AnswerTooLarge, Watchdog, read_body, watched_adapter
from importer.config import ApiConfig
from importer.errors import ApiUnavailable, AuthenticationFailed, Interrupted, QueryRefused
from importer.outcomes import RowError

log = structlog.get_logger("importer.client")

CREDITINGS = "/creditor--creditings"
PAGE_SIZE = 100
RETRY_AFTER_CEILING = 300.0
STOP_GRACE = 0.5
"""Seconds an answer in flight is still awaited after a stop was asked for: most arrive well
within it, and the rest must not hold the run (issue 9 §8)."""
INTERRUPTED = "interrupted: the answer was not awaited"


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


class _Cut(Exception):
    """Internal: the exchange was ended by a bound (deadline, size) or a stop; the request
    may have been stored."""

    def __init__(self, note: str) -> None:
        super().__init__(note)
        self.note = note


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


def _items(data: dict[str, Any]) -> list[dict[str, Any]]:
    """A collection's `_items`, keeping only objects: a hostile answer's other shapes are no
    crediting (their fields are checked where they are stored, importer.answers)."""
    items = data.get("_items")
    if not isinstance(items, list):
        return []
    return [item for item in items if isinstance(item, dict)]


def _retry_after(response: requests.Response) -> float | None:
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


def _unproven(response: requests.Response) -> str:
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


class ApiClient:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        config: ApiConfig,
        *,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        throttle: Throttle | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._throttle = throttle
        """Shared with the import's other connections (lanes, read-back): a refusal pauses
        them all, and max_rate spaces their requests. None: this client waits alone."""
        self._config = config
        self._timeout = (config.connect_timeout, config.read_timeout)
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._session = requests.Session()
        self._watchdog = Watchdog()
        adapter = watched_adapter(self._watchdog, pool_connections=1, pool_maxsize=2, max_retries=0)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        # Proxies and CA bundle from the environment (HTTPS_PROXY, REQUESTS_CA_BUNDLE, …)
        # are resolved once here: left to requests, they are re-read from os.environ on
        # every request, which measured at a third of the client's own time per row.
        settings = self._session.merge_environment_settings(self.base_url, {}, None, None, None)
        self._session.proxies = settings["proxies"]
        # A private CA is trusted by naming it; verification itself is never turned off.
        bundle = config.ca_bundle
        self._session.verify = str(bundle) if bundle is not None else settings["verify"] or True
        self._session.trust_env = False
        self._session.headers.update(
            {
                "x-api-key": api_key,
                "Content-Type": "application/json",
                "Accept": "application/json",
                "User-Agent": f"amili-importer/{__version__}",
            }
        )

        # Every POST is the same request but for its body: prepared once here and copied per
        # row, it skips requests' per-call merging of settings, headers and hooks — at a 20 ms
        # response time that was a third of a millisecond per row, on the critical path of a
        # strict-order import. (Cookies an API might set are not sent back; Amili's API
        # authenticates by header.)
        self._post_template = self._session.prepare_request(
            requests.Request("POST", self.base_url + CREDITINGS, data=b"")
        )

    def close(self) -> None:
        self._watchdog.close()
        self._session.close()

    def stop_soon(self) -> None:
        """A stop was asked for: the answer in flight, if any, is awaited STOP_GRACE more
        seconds at most. Safe from any thread."""
        self._watchdog.cut_short(STOP_GRACE, INTERRUPTED)

    def _exchange(self, send: Callable[[], requests.Response]) -> requests.Response:
        """One request and its whole, bounded answer (see importer.transport). A bound that
        ends it raises _Cut; transport errors are re-raised as requests' own."""
        deadline = self._config.response_deadline
        self._watchdog.arm(
            deadline, f"no complete answer within {deadline:g} s (api.response_deadline)"
        )
        try:
            response = send()
            read_body(response, self._config.max_response_bytes)
        except AnswerTooLarge as exc:
            self._watchdog.disarm()
            raise _Cut(f"answer too large: {exc} (api.max_response_bytes)") from None
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            fired = self._watchdog.disarm()
            if fired is not None:
                raise _Cut(fired) from None
            if isinstance(exc, requests.RequestException):
                raise
            raise requests.ConnectionError(exc) from exc
        self._watchdog.disarm()
        return response

    def _backoff(self, attempt: int, wait: float | None) -> float:
        """The server's `Retry-After` is honoured as asked (up to RETRY_AFTER_CEILING, so a
        broken header cannot park a nightly run for a day); otherwise capped exponential
        backoff with jitter, so many importers do not retry in lockstep."""
        if wait is not None:
            return min(wait, RETRY_AFTER_CEILING)
        ceiling = min(self._config.backoff_cap, self._config.backoff_base * 2**attempt)
        return ceiling * (0.5 + self._rng.random() / 2)

    def _wait_turn(self, delay: float | None) -> None:
        """Before each attempt: back off `delay` after a refusal (pausing every connection
        that shares the throttle), then wait for this request's turn."""
        if delay is not None:
            if self._throttle is None:
                self._sleep(delay)
            else:
                self._throttle.pause(delay)
        if self._throttle is not None:
            self._throttle.acquire()

    def _check_auth(self, response: requests.Response) -> None:
        if response.status_code in (401, 403):
            raise AuthenticationFailed(
                f"the API at {self.base_url} refused the API key (HTTP {response.status_code});"
                " check the key in the environment variable named by api.api_key_env"
            )

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
                delay = self._backoff(attempt - 1, last.wait)
                log.info(
                    "post.retry",
                    attempt=attempt + 1,
                    of=self._config.max_attempts,
                    wait_s=round(delay, 2),
                    reason=last.note,
                    retry_after=last.wait is not None,
                )
            self._wait_turn(delay)
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
            response = self._exchange(
                lambda: self._session.send(
                    prepared, timeout=self._timeout, allow_redirects=False, stream=True
                )
            )
        except _Cut as cut:
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
        status = response.status_code
        self._check_auth(response)
        if 300 <= status < 400:
            # Not followed: a redirected POST may be resent as a GET, or to a host nobody
            # configured. Nothing was stored; it is a setting to fix, not a row to retry.
            where = response.headers.get("Location", "elsewhere")
            return PostResult(
                PostKind.NOT_STORED,
                http_status=status,
                note=f"the API redirected the request to {where}; check api.base_url",
            )
        if status in (429, 503):
            raise _NotStored(
                f"API busy (HTTP {status})", http_status=status, wait=_retry_after(response)
            )
        data = parse_answer(response.content)
        if status == 201 and isinstance(data.get("_id"), str) and data["_id"]:
            # Its values are checked where it is stored (journal.record, importer.answers).
            return PostResult(PostKind.CREATED, http_status=status, body=data)
        if status == 404 and not self._endpoint_exists():
            return PostResult(
                PostKind.NOT_STORED,
                http_status=status,
                note=f"no crediting endpoint at {self.base_url}{CREDITINGS}: check api.base_url",
            )
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
        return PostResult(
            PostKind.MAYBE_STORED, http_status=status, note=f"server error HTTP {status}"
        )

    def _endpoint_exists(self) -> bool:
        """A POST answered 404: is it this row, or is there no crediting collection at the
        base URL at all? A GET of the collection tells: 404 again means the URL is wrong,
        and every row would fail the same way."""
        try:
            response = self._exchange(
                lambda: self._session.get(
                    self.base_url + CREDITINGS,
                    params={"max_results": "1"},
                    timeout=self._timeout,
                    stream=True,
                )
            )
        except (_Cut, requests.RequestException):
            return True  # cannot tell: the row keeps its own 404
        return response.status_code != 404

    # ------------------------------------------------------------------ get

    def _get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        """GETs are idempotent: any failure is retried within the budget, then the run
        stops (ApiUnavailable) rather than guessing."""
        note = ""
        refused: _NotStored | None = None
        for attempt in range(self._config.max_attempts):
            delay: float | None = None
            if refused is not None:
                delay = self._backoff(attempt - 1, refused.wait)
                log.info("lookup.retry", attempt=attempt + 1, wait_s=round(delay, 2), reason=note)
            self._wait_turn(delay)
            try:
                response = self._exchange(
                    lambda: self._session.get(
                        self.base_url + path, params=params, timeout=self._timeout, stream=True
                    )
                )
            except _Cut as cut:
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
                note = f"{type(exc).__name__}"
                refused = _NotStored(note)
            else:
                self._check_auth(response)
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
                    if response.status_code == 400:
                        raise QueryRefused(
                            f"the API at {self.base_url} refused a lookup's filter ({note})"
                        )
                    if response.status_code not in (429, 500, 502, 503, 504):
                        break
                    refused = _NotStored(note, response.status_code, _retry_after(response))
        raise ApiUnavailable(f"the API at {self.base_url} did not answer a lookup ({note})")

    def find_by_reference(self, creditor: str, reference: str) -> list[dict[str, Any]]:
        where = json.dumps({"creditor": creditor, "creditor_reference": reference})
        data = self._get(CREDITINGS, {"where": where, "max_results": "10"})
        return _items(data)

    def find_by_credit_invoices(
        self, creditor: str, notes: Iterable[str]
    ) -> dict[str, list[dict[str, Any]]]:
        """Every crediting of the creditor carrying one of these credit notes, by note: `$in`
        lookups of 100 notes, each paged through (a note credited more than once has several).
        Raises QueryRefused when the API refuses the filter itself."""
        wanted = list(dict.fromkeys(notes))
        found: dict[str, list[dict[str, Any]]] = {}
        for start in range(0, len(wanted), PAGE_SIZE):
            where = json.dumps(
                {"creditor": creditor, "credit_invoice": {"$in": wanted[start : start + PAGE_SIZE]}}
            )
            page, seen = 1, 0
            while True:
                data = self._get(
                    CREDITINGS, {"where": where, "max_results": str(PAGE_SIZE), "page": str(page)}
                )
                items = [i for i in data.get("_items", []) if isinstance(i, dict)]
                for item in items:
                    found.setdefault(str(item.get("credit_invoice")), []).append(item)
                seen += len(items)
                total = (data.get("_meta") or {}).get("total")
                if not items or not isinstance(total, int) or seen >= total:
                    break
                page += 1
        return found

    def fetch_creditings(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Stored creditings by id, with batched `$in` lookups of 100 instead of a GET per row."""
        wanted = list(dict.fromkeys(ids))
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(wanted), PAGE_SIZE):
            chunk = wanted[start : start + PAGE_SIZE]
            where = json.dumps({"_id": {"$in": chunk}})
            data = self._get(CREDITINGS, {"where": where, "max_results": str(PAGE_SIZE)})
            for item in _items(data):
                if isinstance(item.get("_id"), str):
                    found[item["_id"]] = item
        return found
