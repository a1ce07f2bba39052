"""Stopping on request: one SIGINT/SIGTERM ends every wait within about a second, the report
is written and the run exits 3; a second signal exits at once.

Every wait of a run is built to notice the first signal:

* sleeps (Retry-After up to 300 s, backoff, the settle time of an earlier run's requests)
  wait on the stop flag itself, so setting it ends them;
* an answer in flight is awaited `client.STOP_GRACE` more seconds, then its socket is shut
  down (see `importer.transport`): the row stays `unknown`, to be looked up next time;
* input is a regular file or refused (a FIFO would block in `open` with no writer).

Signals are read from a wakeup pipe by a thread of their own (see `install`), so the flag is
set even while the main thread is inside a long C call. A second signal ends the
process with `os._exit(3)`: nothing is unwound, exactly like the crash the journal is built
to survive (SIGKILL at any moment); what was recorded is in the journal, and
`importer report ID` renders it.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

from importer.exit_codes import ExitCode

STOPPING = (
    "\nstopping after the row in flight (awaited half a second at most), then writing the "
    "report; a second signal exits at once\n"
)
STOPPED_AT_ONCE = (
    "\nimporter: stopped at once; the journal keeps every outcome recorded: "
    "run the same command to resume, or `importer report ID` to write the report\n"
)


class StopFlag(threading.Event):
    """An Event that also tells registered callbacks (clients with an answer in flight) when
    it is set. Callbacks run on the thread that sets the flag; they must not block."""

    def __init__(self) -> None:
        super().__init__()
        self._callbacks: list[Callable[[], None]] = []
        self._guard = threading.Lock()

    def on_set(self, callback: Callable[[], None]) -> None:
        with self._guard:
            self._callbacks.append(callback)
        if self.is_set():
            callback()

    def set(self) -> None:
        super().set()
        with self._guard:
            callbacks = list(self._callbacks)
        for callback in callbacks:
            callback()


def when_stopped(stop: threading.Event, callback: Callable[[], None]) -> None:
    """Register `callback` with a StopFlag; a plain Event (a Python caller's) has no
    callbacks, and its waits end only by themselves."""
    if isinstance(stop, StopFlag):
        stop.on_set(callback)


@contextmanager
def installed(stop: threading.Event) -> Iterator[None]:
    """SIGINT/SIGTERM, while the block runs: the first sets `stop`, the second exits the
    process at once. On leaving, the previous handlers come back and the thread ends, so a
    Python caller that runs the CLI in-process keeps its own Ctrl-C.

    The signals are read from a wakeup pipe on a thread of their own, not in a Python-level
    handler: such a handler runs only when the main thread is back in Python bytecode, and a
    run may be inside one long C call (SQLite waiting out a lock held by another process, a
    blocking read). The C handler writes each signal's number to the pipe at once; this
    thread sets the flag (no lock the main thread may hold is needed) or exits."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals reach the main thread only: nothing to install from elsewhere
        return
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)  # required by set_wakeup_fd
    previous_fd = signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)

    def ignore(_signum: int, _frame: FrameType | None) -> None:
        """The Python-level handler has nothing to do: the wakeup pipe carries the signal."""

    previous = {sig: signal.signal(sig, ignore) for sig in (signal.SIGINT, signal.SIGTERM)}

    def watch() -> None:
        received = 0
        while data := os.read(read_end, 64):
            for signum in data:
                if signum == _DONE:
                    return
                if signum not in (signal.SIGINT, signal.SIGTERM):
                    continue
                received += 1
                if received > 1:
                    os.write(sys.stderr.fileno(), STOPPED_AT_ONCE.encode())
                    os._exit(int(ExitCode.INCOMPLETE))
                os.write(sys.stderr.fileno(), STOPPING.encode())
                stop.set()

    watcher = threading.Thread(target=watch, name="signals", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        signal.set_wakeup_fd(previous_fd)
        os.write(write_end, bytes([_DONE]))
        watcher.join()
        os.close(read_end)
        os.close(write_end)


_DONE = 0
"""Written to the wakeup pipe when the block ends: no signal has number 0."""
