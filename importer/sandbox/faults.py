"""Fault injection: the misbehaviour a real API shows under load, on demand and reproducibly.

The importer must survive slow answers, refusals before commit, answers lost after commit and
throttling; these drills are what its tests and operators rehearse against:

- latency: every answer leaves no sooner than `latency_ms` after its request arrived (the
  sandbox's own work counts towards it, as an API's response time would); `latency_jitter_ms`
  adds a random 0..N ms per request, so answers to concurrent requests come back out of the
  order they were sent in (what per-case ordering tests need);
- fail-rate: that share of POSTs answers 503 before anything is parsed or stored (GETs are
  never failed, so a client can always look up what happened);
- drop-rate: that share of *stored* creditings gets no answer at all — the connection is shut
  down without a byte, the one case where only a lookup tells the truth;
- fail-after-store-rate: that share of *stored* creditings is answered 503, as a gateway
  (Envoy's "upstream reset") answers after it forwarded the POST: a 5xx is no proof that
  nothing was stored;
- rate-limit: more than N requests within any one-second window answer 429 with
  `Retry-After: 1`, across all clients.

Each probabilistic fault draws from its own `random.Random` seeded from `seed`, so a
sequential client sees the same pattern on every run, and enabling one fault does not shift
the other's draws.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from dataclasses import dataclass

from importer.errors import SandboxError


@dataclass(frozen=True, slots=True)
class FaultSettings:
    latency_ms: int = 0
    fail_rate: float = 0.0
    drop_rate: float = 0.0
    rate_limit: int | None = None
    seed: int | None = None
    latency_jitter_ms: int = 0
    fail_after_store_rate: float = 0.0

    def check(self) -> None:
        """Refuse impossible settings with a message naming the flag."""
        if self.latency_ms < 0:
            raise SandboxError("--latency-ms must be 0 or more")
        if self.latency_jitter_ms < 0:
            raise SandboxError("--latency-jitter-ms must be 0 or more")
        for flag, rate in (
            ("--fail-rate", self.fail_rate),
            ("--drop-rate", self.drop_rate),
            ("--fail-after-store-rate", self.fail_after_store_rate),
        ):
            if not 0.0 <= rate <= 1.0:
                raise SandboxError(f"{flag} must be between 0 and 1, got {rate}")
        if self.rate_limit is not None and self.rate_limit < 1:
            raise SandboxError(f"--rate-limit must be 1 or more, got {self.rate_limit}")


class _Draw:
    """A seeded coin with probability `rate`, safe to flip from many threads."""

    def __init__(self, rate: float, seed: int | None, stream: str) -> None:
        self._rate = rate
        self._random = random.Random(None if seed is None else f"{seed}:{stream}")
        self._lock = threading.Lock()

    def __call__(self) -> bool:
        if self._rate <= 0.0:
            return False
        with self._lock:
            return self._random.random() < self._rate


class _SlidingWindow:
    """At most `limit` admissions in any one-second window; refusals do not count."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._admitted: deque[float] = deque()
        self._lock = threading.Lock()

    def admit(self) -> bool:
        now = time.monotonic()
        with self._lock:
            while self._admitted and now - self._admitted[0] >= 1.0:
                self._admitted.popleft()
            if len(self._admitted) >= self._limit:
                return False
            self._admitted.append(now)
            return True


_SPIN = 0.0005
"""The last stretch of a latency wait that is yielded away instead of slept (seconds)."""


class Faults:
    """The faults of one running sandbox."""

    RETRY_AFTER_SECONDS = 1

    def __init__(self, settings: FaultSettings) -> None:
        settings.check()
        self.settings = settings
        self._latency = settings.latency_ms / 1000.0
        self._jitter = settings.latency_jitter_ms / 1000.0
        self._jitter_random = random.Random(
            None if settings.seed is None else f"{settings.seed}:jitter"
        )
        self._jitter_lock = threading.Lock()
        self.should_fail = _Draw(settings.fail_rate, settings.seed, "fail")
        self.should_drop = _Draw(settings.drop_rate, settings.seed, "drop")
        self.should_fail_after_store = _Draw(
            settings.fail_after_store_rate, settings.seed, "fail-after-store"
        )
        self._window = _SlidingWindow(settings.rate_limit) if settings.rate_limit else None

    def answer_due(self) -> float:
        """The monotonic time before which an answer to a request arriving now must not
        leave: `--latency-ms 20` models an API whose response time is 20 ms, so a client in
        strict order can reach 1000/20 requests per second and no more. With jitter, each
        request draws its own extra 0..jitter (the latency never holds a lock: the wait is
        in `wait_until`, on the request's own thread)."""
        extra = 0.0
        if self._jitter:
            with self._jitter_lock:
                extra = self._jitter_random.uniform(0.0, self._jitter)
        return time.monotonic() + self._latency + extra

    def wait_until(self, due: float) -> None:
        """Leave at `due`, not a scheduler tick later: `time.sleep` overshoots by 0.1–0.2 ms
        here, which at 20 ms is a 1% slower API than the one asked for. So sleep to just
        before it and yield the last stretch away (other threads keep running)."""
        remaining = due - time.monotonic()
        if remaining > _SPIN:
            time.sleep(remaining - _SPIN)
        while time.monotonic() < due:
            time.sleep(0)

    def admit(self) -> bool:
        """False when the request is over the rate limit and must be answered with 429."""
        return self._window is None or self._window.admit()
