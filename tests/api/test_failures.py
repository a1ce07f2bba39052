"""Every failure of an exchange meets its fate in one map (`api.failures`), and POST and GET
follow one retry policy (`api.retry`): a POST is sent again only when it was certainly not
stored, a look-up after any failure worth another try; neither after a stop or a failure that
trying again cannot help. Each failure is made for real on a loopback socket; the waits are
recorded, not slept."""

from __future__ import annotations

import email.utils
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from cli_support import CREDITOR, closed_port
from hostile import Answer, HostileServer, json_answer

from importer.api.client import ApiClient, PostKind
from importer.api.failures import INTERRUPTED, Fate, TransportFailure
from importer.api.retry import RETRY_AFTER_CEILING, RetryPolicy
from importer.config import ApiConfig
from importer.errors import ApiUnavailable, Interrupted
from importer.stopping import StopFlag

BODY = {
    "creditor": CREDITOR,
    "invoice_number": "F-1001",
    "currency": "SEK",
    "amount": 1.0,
    "origin": "creditor_system",
    "creditor_reference": "ref-1",
}
ATTEMPTS = 3


def _busy(retry_after: str | None) -> Callable[[str, str, bytes], Answer]:
    headers = {} if retry_after is None else {"Retry-After": retry_after}
    return lambda *_: json_answer(429, {"_status": "ERR"}, **headers)


def _status(status: int) -> Callable[[str, str, bytes], Answer]:
    return lambda *_: json_answer(status, {"_status": "ERR"})


def _dropped(*_: object) -> Answer:
    raise ConnectionResetError("the request was read; no answer is sent")


def _slow(*_: object) -> Answer:
    time.sleep(0.6)
    return json_answer(200, {"_items": []})


@dataclass
class Case:
    behaviour: Callable[[str, str, bytes], Answer] | None
    """None: nobody listens on the port."""
    post: PostKind
    posts: int
    """POSTs that reach the server."""
    gets: int
    """Look-ups that reach the server before the run stops."""
    config: dict[str, float]


CASES = {
    "connection refused": Case(None, PostKind.NOT_STORED, 0, 0, {}),
    "429": Case(_busy("2"), PostKind.NOT_STORED, ATTEMPTS, ATTEMPTS, {}),
    "503": Case(_status(503), PostKind.MAYBE_STORED, 1, ATTEMPTS, {}),
    "501, which no retry mends": Case(_status(501), PostKind.MAYBE_STORED, 1, 1, {}),
    "dropped after sending": Case(_dropped, PostKind.MAYBE_STORED, 1, ATTEMPTS, {}),
    "read timeout": Case(_slow, PostKind.MAYBE_STORED, 1, ATTEMPTS, {"read_timeout": 0.2}),
}


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def _client(url: str, sleeps: Sleeps, stop: StopFlag | None = None, **config: float) -> ApiClient:
    return ApiClient(
        url, "key", ApiConfig(max_attempts=ATTEMPTS, **config), sleep=sleeps, stop=stop
    )


@pytest.mark.parametrize("name", list(CASES))
def test_a_post_is_sent_again_only_when_it_certainly_was_not_stored(name: str) -> None:
    case = CASES[name]
    sleeps = Sleeps()
    if case.behaviour is None:
        client = _client(f"http://127.0.0.1:{closed_port()}", sleeps, **case.config)
        result = client.post_crediting(BODY)
        client.close()
        posts = 0
    else:
        with HostileServer(case.behaviour) as server:
            client = _client(server.url, sleeps, **case.config)
            result = client.post_crediting(BODY)
            client.close()
            posts = len([r for r in server.requests if r.method == "POST"])
    assert result.kind is case.post
    assert posts == case.posts
    if case.post is PostKind.NOT_STORED:
        assert len(sleeps) == ATTEMPTS - 1
        assert result.note is not None
        assert result.note.endswith(f"({ATTEMPTS} attempts)")
    else:
        assert sleeps == []


@pytest.mark.parametrize("name", list(CASES))
def test_a_lookup_is_asked_again_after_any_failure_worth_another_try(name: str) -> None:
    case = CASES[name]
    sleeps = Sleeps()
    if case.behaviour is None:
        client = _client(f"http://127.0.0.1:{closed_port()}", sleeps, **case.config)
        with pytest.raises(ApiUnavailable) as stopped:
            client.find_by_reference(CREDITOR, "ref-1")
        client.close()
        assert len(sleeps) == ATTEMPTS - 1
    else:
        with HostileServer(case.behaviour) as server:
            client = _client(server.url, sleeps, **case.config)
            with pytest.raises(ApiUnavailable) as stopped:
                client.find_by_reference(CREDITOR, "ref-1")
            client.close()
            assert len(server.requests) == case.gets
        assert len(sleeps) == case.gets - 1
    assert "did not answer a lookup" in stopped.value.message


def test_post_and_lookup_wait_as_long_as_an_integer_retry_after_asks() -> None:
    sleeps = Sleeps()
    with HostileServer(_busy("2")) as server:
        client = _client(server.url, sleeps)
        client.post_crediting(BODY)
        with pytest.raises(ApiUnavailable):
            client.find_by_reference(CREDITOR, "ref-1")
        client.close()
    assert sleeps == [2.0] * (2 * (ATTEMPTS - 1))


def test_a_retry_after_date_is_waited_until() -> None:
    soon = email.utils.formatdate(time.time() + 100, usegmt=True)
    sleeps = Sleeps()
    with HostileServer(_busy(soon)) as server:
        client = _client(server.url, sleeps)
        assert client.post_crediting(BODY).kind is PostKind.NOT_STORED
        client.close()
    assert len(sleeps) == ATTEMPTS - 1
    assert all(90 <= s <= 100 for s in sleeps), sleeps


def test_a_retry_after_date_gone_by_waits_nothing() -> None:
    sleeps = Sleeps()
    with HostileServer(_busy("Wed, 21 Oct 2015 07:28:00 GMT")) as server:
        client = _client(server.url, sleeps)
        client.post_crediting(BODY)
        client.close()
    assert sleeps == [0.0] * (ATTEMPTS - 1)


@pytest.mark.parametrize("header", ["soon", "1.5", "-3", None])
def test_an_unreadable_or_missing_retry_after_falls_back_to_the_backoff(
    header: str | None,
) -> None:
    sleeps = Sleeps()
    with HostileServer(_busy(header)) as server:
        client = _client(server.url, sleeps, backoff_base=0.25, backoff_cap=10)
        client.post_crediting(BODY)
        client.close()
    assert len(sleeps) == ATTEMPTS - 1
    for attempt, waited in enumerate(sleeps):
        ceiling = 0.25 * 2**attempt
        assert ceiling / 2 <= waited <= ceiling, (attempt, waited)


def test_a_retry_after_of_a_day_is_waited_only_up_to_the_ceiling() -> None:
    sleeps = Sleeps()
    with HostileServer(_busy("86400")) as server:
        client = _client(server.url, sleeps)
        client.post_crediting(BODY)
        client.close()
    assert sleeps == [RETRY_AFTER_CEILING] * (ATTEMPTS - 1)


def _stopped_while_awaited(call: Callable[[ApiClient], object]) -> tuple[object, int]:
    """`call` against a server that answers after 5 s; the stop is set once the request
    arrived. What `call` returned or raised, and the requests the server saw."""
    stop = StopFlag()

    def behaviour(method: str, path: str, body: bytes) -> Answer:
        time.sleep(5)
        return json_answer(200, {"_items": []})

    with HostileServer(behaviour) as server:
        client = _client(server.url, Sleeps(), stop=stop)

        def stop_once_asked() -> None:
            while not server.requests:
                time.sleep(0.01)
            stop.set()

        threading.Thread(target=stop_once_asked, daemon=True).start()
        try:
            outcome: object = call(client)
        except Interrupted as exc:
            outcome = exc
        finally:
            client.close()
        return outcome, len(server.requests)


def test_a_post_cut_by_a_stop_may_have_been_stored_and_is_not_sent_again() -> None:
    result, asked = _stopped_while_awaited(lambda client: client.post_crediting(BODY))
    assert asked == 1
    assert getattr(result, "kind", None) is PostKind.MAYBE_STORED
    assert getattr(result, "note", None) == INTERRUPTED


def test_a_lookup_cut_by_a_stop_stops_the_run() -> None:
    raised, asked = _stopped_while_awaited(
        lambda client: client.find_by_reference(CREDITOR, "ref-1")
    )
    assert asked == 1
    assert isinstance(raised, Interrupted)


@pytest.mark.parametrize(
    ("fate", "final", "post", "lookup"),
    [
        (Fate.NOT_STORED, False, True, True),
        (Fate.NOT_STORED, True, False, False),
        (Fate.MAYBE_STORED, False, False, True),
        (Fate.MAYBE_STORED, True, False, False),
        (Fate.CUT, False, False, False),
    ],
)
def test_the_one_policy_retries_a_post_only_when_not_stored_and_a_lookup_unless_cut(
    fate: Fate, final: bool, post: bool, lookup: bool
) -> None:
    policy = RetryPolicy.of(ApiConfig())
    failure = TransportFailure(fate, "why", final=final)
    assert policy.worth_another(failure, idempotent=False) is post
    assert policy.worth_another(failure, idempotent=True) is lookup
