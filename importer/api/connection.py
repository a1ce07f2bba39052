"""One keep-alive connection to the API: the session that carries the key, each exchange
bounded (deadline, size, a stop: `api.transport`) and paced (the shared throttle, the retry
policy's waits).

The boundary of the transport: an exchange gives a whole, bounded answer or raises a
`TransportFailure` (`api.failures`), whatever requests, urllib3 or the socket raised. What an
answer *means* for a row is `api.client`'s concern; this module waits as long as it is told
to."""

from __future__ import annotations

import time
from collections.abc import Callable

import requests
import urllib3.exceptions

from importer import __version__
from importer.api.failures import INTERRUPTED, cut, failure_of
from importer.api.redaction import redacting_hook
from importer.api.throttle import Throttle
from importer.api.transport import Answer, AnswerTooLarge, Watchdog, WatchedAdapter, read_answer
from importer.config import ApiConfig
from importer.stopping import StopFlag

STOP_GRACE = 0.5
"""Seconds an answer in flight is still awaited after a stop was asked for: most arrive well
within it, and the rest must not hold the run."""


class Connection:
    """The session (one keep-alive connection) of one client, with its watchdog and pacing."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        config: ApiConfig,
        *,
        sleep: Callable[[float], None] = time.sleep,
        throttle: Throttle | None = None,
        stop: StopFlag | None = None,
    ) -> None:
        """`stop`: when it is set, the answer in flight is cut short (`stop_soon`); the
        connection is registered with it until `close`."""
        self._throttle = throttle
        """Shared with the import's other connections (lanes, read-back): a refusal pauses
        them all, and max_rate spaces their requests. None: this connection waits alone."""
        self._config = config
        self._sleep = sleep
        self._base_url = base_url
        self.session = requests.Session()
        self._watchdog = Watchdog()
        adapter = WatchedAdapter(self._watchdog, pool_connections=1, pool_maxsize=2, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        # Proxies and CA bundle from the environment (HTTPS_PROXY, REQUESTS_CA_BUNDLE, …)
        # are resolved once here: left to requests, they are re-read from os.environ on
        # every request, which measured at a third of the client's own time per row.
        settings = self.session.merge_environment_settings(base_url, {}, None, None, None)
        self.session.proxies = settings["proxies"]
        # A private CA is trusted by naming it; verification itself is never turned off.
        bundle = config.ca_bundle
        self.session.verify = str(bundle) if bundle is not None else settings["verify"] or True
        self.session.trust_env = False
        # Whatever an answer echoes of the key is removed before anything reads it.
        self.session.hooks["response"].append(redacting_hook(api_key))
        self.session.headers.update(
            {
                "x-api-key": api_key,
                "Content-Type": "application/json",
                "Accept": "application/json",
                "User-Agent": f"amili-importer/{__version__}",
            }
        )
        self._registration = None if stop is None else stop.register(self.stop_soon)

    def close(self) -> None:
        if self._registration is not None:
            self._registration.close()
        self._watchdog.close()
        self.session.close()

    def stop_soon(self) -> None:
        """A stop was asked for: the answer in flight, if any, is awaited STOP_GRACE more
        seconds at most. Safe from any thread."""
        self._watchdog.cut_short(STOP_GRACE, INTERRUPTED)

    def exchange(self, send: Callable[[], requests.Response]) -> Answer:
        """One request (`send`, made with `stream=True`) and its whole, bounded answer (see
        `api.transport`), or the `TransportFailure` that stands for whatever ended it: a bound,
        a stop, or an error of requests, urllib3 or the socket (`from None`: their text names
        the URL)."""
        deadline = self._config.response_deadline
        self._watchdog.arm(
            deadline, f"no complete answer within {deadline:g} s (api.response_deadline)"
        )
        try:
            answer = read_answer(send(), self._config.max_response_bytes)
        except AnswerTooLarge as exc:
            self._watchdog.disarm()
            raise cut(f"answer too large: {exc} (api.max_response_bytes)") from None
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            fired = self._watchdog.disarm()
            if fired is not None:
                raise cut(fired) from None
            raise failure_of(exc, self._base_url) from None
        self._watchdog.disarm()
        return answer

    def wait_turn(self, delay: float | None) -> None:
        """Before each attempt: back off `delay` after a refusal (pausing every connection
        that shares the throttle), then wait for this request's turn."""
        if delay is not None:
            if self._throttle is None:
                self._sleep(delay)
            else:
                self._throttle.pause(delay)
        if self._throttle is not None:
            self._throttle.acquire()
