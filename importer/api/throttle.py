"""Back-pressure shared by every connection of one import: a 429 or 503 slows them all.

With several lanes each holding its own keep-alive connection, a busy API answers 429 (or the
503 a load balancer sends) to whichever lane happens to ask. If only that lane waited, the
others would keep the API just as busy and collect 429s of their own. So a refusal pauses the
whole import — every lane and the status read-back — for the time the server asked for
(`Retry-After`) or the client's backoff, and `posting.max_rate` spaces all requests so that
together they stay under a rate the operator knows the API accepts.

What it bounds: once a pause starts, no request leaves until it ends; only the requests already
on their way (at most one per connection: lanes + the read-back) can still be refused. So per
pause at most `lanes + 1` refusals, and a server with a windowed limit (N per second) sees at
most `lanes + 1` refusals per window of N admitted requests.

Thread-safe; the clock and the sleep are parameters so tests can drive it without waiting.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Throttle:
    """`acquire()` before every request; `pause(seconds)` after a refusal."""

    def __init__(
        self,
        max_rate: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._interval = 1.0 / max_rate if max_rate else 0.0
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._resume = 0.0
        """No request leaves before this moment (the end of the latest pause)."""
        self._next_slot = 0.0
        """The earliest moment the next request may leave under max_rate."""
        self.pauses = 0
        """How many refusals paused the import: for the run's log."""

    def pause(self, seconds: float) -> None:
        """Hold every connection back for `seconds` from now (a later pause never shortens
        an earlier, longer one)."""
        with self._lock:
            self._resume = max(self._resume, self._clock() + max(0.0, seconds))
            self.pauses += 1

    def acquire(self) -> None:
        """Wait until a request may leave: after any pause, and in its max_rate slot."""
        while True:
            with self._lock:
                now = self._clock()
                start = max(now, self._resume, self._next_slot)
                if start <= now:
                    self._next_slot = now + self._interval
                    return
                wait = start - now
            # A pause that begins while we sleep is seen on the next turn of the loop.
            self._sleep(wait)
