"""One retry policy for every request the client sends: how many attempts, which failures
earn another, and how long to wait before it.

A POST is sent again only when it was certainly not stored (`Fate.NOT_STORED`); a GET — a
look-up changes nothing — after any failure but a stop. Neither is retried when trying again
cannot help (`TransportFailure.final`: a certificate to trust, a URL to fix). The wait is the
server's `Retry-After` when it gave one (up to RETRY_AFTER_CEILING, so a broken header cannot
park a nightly run for a day), else capped exponential backoff with jitter, so many importers
do not retry in lockstep."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from importer import logs
from importer.api.failures import Fate, TransportFailure
from importer.config import ApiConfig

RETRY_AFTER_CEILING = 300.0

T = TypeVar("T")

log = logs.get_logger("importer.client")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int
    backoff_base: float
    backoff_cap: float
    rng: random.Random = field(default_factory=random.Random)

    @classmethod
    def of(cls, config: ApiConfig, rng: random.Random | None = None) -> RetryPolicy:
        return cls(
            config.max_attempts, config.backoff_base, config.backoff_cap, rng or random.Random()
        )

    def worth_another(self, failure: TransportFailure, *, idempotent: bool) -> bool:
        """Whether the request that met `failure` may be sent again (budget aside)."""
        if failure.final or failure.fate is Fate.CUT:
            return False
        return idempotent or failure.fate is Fate.NOT_STORED

    def delay(self, failed: int, failure: TransportFailure) -> float:
        """Seconds to wait after the attempt numbered `failed` (from 0) met `failure`."""
        if failure.wait is not None:
            return min(failure.wait, RETRY_AFTER_CEILING)
        ceiling = min(self.backoff_cap, self.backoff_base * 2**failed)
        return float(ceiling * (0.5 + self.rng.random() / 2))

    def run(
        self,
        once: Callable[[], T],
        *,
        idempotent: bool,
        pace: Callable[[float | None], None],
        event: str,
    ) -> T:
        """`once()` until it answers: a `TransportFailure` worth another attempt is followed,
        within the budget, by `pace(delay)` (which waits, then for the request's turn) and a
        new attempt; the first attempt is paced with None. The last failure, or one not worth
        another, is raised; anything else `once` raises passes through (a refused key)."""
        failure: TransportFailure | None = None
        for attempt in range(self.attempts):
            delay: float | None = None
            if failure is not None:
                delay = self.delay(attempt - 1, failure)
                log.info(
                    event,
                    attempt=attempt + 1,
                    of=self.attempts,
                    wait_s=round(delay, 2),
                    reason=failure.note,
                    retry_after=failure.wait is not None,
                )
            pace(delay)
            try:
                return once()
            except TransportFailure as exc:
                if not self.worth_another(exc, idempotent=idempotent):
                    raise
                failure = exc
        assert failure is not None  # attempts >= 1 (api.max_attempts)
        raise failure

    def spent(self, failure: TransportFailure) -> bool:
        """Whether `failure`, raised by `run` for a POST, used up the whole budget: one that
        was certainly not stored and worth another try is raised only when no attempt is
        left."""
        return failure.fate is Fate.NOT_STORED and not failure.final
