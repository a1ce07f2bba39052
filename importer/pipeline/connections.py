"""The import's connections to the API: a client per thread (one keep-alive connection each,
so every posting lane has its own), all sharing one throttle, so a 429 or 503 pauses them
all; and the one wait every one of them uses, which a stop ends."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from importer.api.target import Target
from importer.api.throttle import Throttle
from importer.config import Config
from importer.errors import InternalError, Interrupted
from importer.stopping import StopFlag

if TYPE_CHECKING:
    from importer.api.client import ApiClient


class Connections:
    """The clients of one `Importer`, connected on first use, closed when their lanes end."""

    def __init__(
        self,
        config: Config,
        target: Target,
        stop: StopFlag,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        """`sleep` is every wait of the run (the throttle's pauses, the clients' backoff and
        Retry-After): by default `pause`, which a stop ends; `stop` also cuts each client's
        answer in flight short."""
        self._config = config
        self._target = target
        self._stop = stop
        self._sleep = sleep or self.pause
        self._clients: dict[int, ApiClient] = {}
        self._lock = threading.Lock()
        self._throttle = Throttle(config.posting.max_rate, sleep=self._sleep)

    def pause(self, seconds: float) -> None:
        """Every wait of a run (settle times, the client's backoff and Retry-After) ends when
        a stop is asked for."""
        if self._stop.wait(seconds):
            raise Interrupted("stopped on request; run the same command again to resume")

    def client(self) -> ApiClient:
        """This thread's client, connected on first use."""
        me = threading.get_ident()
        with self._lock:
            client = self._clients.get(me)
        if client is None:
            client = self.connect()
            with self._lock:
                self._clients[me] = client
        return client

    def find_in(
        self, creditor: str, field: str, values: Iterable[str]
    ) -> dict[str, list[dict[str, Any]]]:
        """`CreditingQueries.find_in` through the calling thread's own client: look-ups asked
        from several threads at once (`pipeline.api_lookup`) each use a connection of their
        own."""
        return self.client().find_in(creditor, field, values)

    def connect(self) -> ApiClient:
        """A client of its own (one keep-alive connection) to the import's API."""
        if self._target.url is None or self._target.api_key is None:
            raise InternalError("a dry run must not reach the API")
        from importer.api.client import ApiClient  # not loaded for a dry run

        return ApiClient(
            self._target.url,
            self._target.api_key,
            self._config.api,
            throttle=self._throttle,
            sleep=self._sleep,
            stop=self._stop,  # registered until the client is closed
        )

    def close(self, keep: int | None) -> None:
        """Close the clients of every thread but `keep` (the lanes' threads have ended)."""
        with self._lock:
            closing = [c for t, c in self._clients.items() if t != keep]
            self._clients = {t: c for t, c in self._clients.items() if t == keep}
        for client in closing:
            client.close()
