"""How long a notification is waited for. A mail or webhook runs on a thread of its own
(`mail`, `webhook`): its channel's timeout bounds each socket read, not the conversation, so
the wait is bounded here — by the channel's whole-conversation deadline, and, once the run or
drop is asked to stop (SIGINT/SIGTERM, `importer.stopping`), by `STOP_GRACE` seconds after
the stop was first seen, shared by every message still to go: a silent mail server holds a
stopped run or drop that long at most, however many messages it owes. A message not sent in
time is owed (`delivery`) and the next drop pass sends it; the thread left behind ends with
its socket's timeout or the process. A second signal exits at once (`importer.stopping`)."""

from __future__ import annotations

import threading
import time
import weakref
from typing import Literal

STOP_GRACE = 5.0
"""Seconds the notifications still on their way are given, in all, once a stop is asked
for. A stopped run's closing message is sent after the stop (it says the run was stopped),
so this is all the time it gets: a TLS conversation with a remote relay (handshake, AUTH,
DATA) takes one to three seconds, and a message that does not make it is owed to a drop
pass that a site running only `importer run` never has. Five seconds is well inside the 90 s
a service manager waits after SIGTERM, and an operator in a hurry signals again."""

_POLL = 0.1
"""How often the wait looks at the stop (a `threading.Event` has no callback)."""

_SEEN: weakref.WeakKeyDictionary[threading.Event, float] = weakref.WeakKeyDictionary()
"""When each stop was first seen set by a wait (monotonic), so the grace is shared."""

Waited = Literal["done", "late", "stopped"]


def awaited(worker: threading.Thread, seconds: float, stop: threading.Event | None) -> Waited:
    """Wait for `worker` (started) at most `seconds`, or until `STOP_GRACE` after `stop` was
    first seen set: "done" when it ended, else why the wait ended without it."""
    deadline = time.monotonic() + seconds
    stopped = False
    while worker.is_alive():
        now = time.monotonic()
        if not stopped and stop is not None and stop.is_set():
            until = _SEEN.setdefault(stop, now) + STOP_GRACE
            stopped = until < deadline
            deadline = min(deadline, until)
        if now >= deadline:
            return "stopped" if stopped else "late"
        worker.join(min(deadline - now, _POLL))
    return "done"
