"""How long a notification is waited for. A mail or webhook runs on a thread of its own
(`mail`, `webhook`): its channel's timeout bounds each socket read, not the conversation, so
the wait is bounded here — by the channel's whole-conversation deadline, and, once the run or
drop is asked to stop (SIGINT/SIGTERM, `importer.stopping`), by about a second more: one
signal ends every wait within about a second, a silent mail server's included. A message
not sent in time is owed (`delivery`) and the next drop pass sends it; the thread left
behind ends with its socket's timeout or the process."""

from __future__ import annotations

import threading
import time
from typing import Literal

STOP_GRACE = 1.0
"""Seconds a notification on its way is still given once a stop is asked for: most
conversations with a reachable server end within it."""

_POLL = 0.1
"""How often the wait looks at the stop (a `threading.Event` has no callback)."""

Waited = Literal["done", "late", "stopped"]


def awaited(worker: threading.Thread, seconds: float, stop: threading.Event | None) -> Waited:
    """Wait for `worker` (started) at most `seconds`, or `STOP_GRACE` once `stop` is set:
    "done" when it ended, else why the wait ended without it."""
    deadline = time.monotonic() + seconds
    stopped = False
    while worker.is_alive():
        now = time.monotonic()
        if not stopped and stop is not None and stop.is_set():
            stopped = now + STOP_GRACE < deadline
            deadline = min(deadline, now + STOP_GRACE)
        if now >= deadline:
            return "stopped" if stopped else "late"
        worker.join(min(deadline - now, _POLL))
    return "done"
