"""Progress of a posting run for the person or the log watching it.

On a terminal: one line redrawn in place with the rows done, the rate, the time left and how
many rows need attention so far. Without a terminal (cron, a pipe, a CI log): a plain line at
least every `QUIET_INTERVAL` seconds and at the end, so a scheduler's log shows the run is
alive without being flooded."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

QUIET_INTERVAL = 30.0
"""Seconds between progress lines when stderr is not a terminal."""
_TTY_INTERVAL = 0.25


def _duration(seconds: float) -> str:
    whole = round(seconds)
    if whole >= 3600:
        return f"{whole // 3600}h{whole % 3600 // 60:02d}m"
    if whole >= 60:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole}s"


class ProgressLine:
    """The `progress` callback of `importer.pipeline.Importer`."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        tty: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
        interval: float | None = None,
    ) -> None:
        self._stream = stream or sys.stderr
        self._tty = self._stream.isatty() if tty is None else tty
        self._clock = clock
        self._interval = interval or (_TTY_INTERVAL if self._tty else QUIET_INTERVAL)
        self._started: float | None = None
        self._last = 0.0

    def __call__(self, done: int, total: int, attention: Callable[[], int]) -> None:
        if total == 0:
            return
        now = self._clock()
        if self._started is None:
            self._started = self._last = now
        if done < total and now - self._last < self._interval:
            return
        self._last = now
        self._stream.write(self.line(done, total, attention(), now - self._started))
        self._stream.flush()

    def line(self, done: int, total: int, attention: int, elapsed: float) -> str:
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = (total - done) / rate if rate > 0 else None
        text = (
            f"posting {done}/{total} rows ({100 * done // total}%), {rate:.1f} rows/s, "
            f"{'ETA ' + _duration(eta) if eta is not None else 'ETA -'}, "
            f"{attention} need attention"
        )
        if not self._tty:
            return f"  {text}\n"
        end = "\n" if done == total else ""
        return f"\r  {text}\x1b[K{end}"
