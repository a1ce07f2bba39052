"""Stopping on request: one SIGINT/SIGTERM ends every wait within about a second (a
notification on its way: `notify.waiting.STOP_GRACE`), the report is written and the run
exits 3; a second signal exits at once.

Every wait of a run is built to notice the first signal:

* sleeps (Retry-After up to 300 s, backoff, the settle time of an earlier run's requests)
  wait on the stop flag itself, so setting it ends them;
* an answer in flight is awaited `connection.STOP_GRACE` more seconds, then its socket is shut
  down (see `importer.transport`): the row stays `unknown`, to be looked up next time;
* input is a regular file or refused (a FIFO would block in `open` with no writer).

One object asks for the stop (`StopFlag`: waits wait on it, clients register a callback that
cuts their answer in flight short, and unregister when they close), and one installer turns
signals into it (`installed`): signals are read from a wakeup socket by a thread of their own,
so the flag is set even while the main thread is inside a long C call. A `drop` has two stages
(the first signal lets the file in flight finish, the second stops it after its row). One
signal more than the stages ends the process with `os._exit(3)`: nothing is unwound, exactly
like the crash the journal is built to survive (SIGKILL at any moment); what was recorded is
in the journal, and `importer report ID` renders it.
"""

from __future__ import annotations

import itertools
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

from importer.errors import ConfigError
from importer.exit_codes import ExitCode

STOPPING = (
    "\nstopping after the row in flight (awaited half a second at most), then writing the "
    "report; a second signal exits at once\n"
)
STOPPED_AT_ONCE = (
    "\nimporter: stopped at once; the journal keeps every outcome recorded: "
    "run the same command to resume, or `importer report ID` to write the report\n"
)


class Registration:
    """A callback's place on a StopFlag. Closing it (or leaving its with-block) takes the
    callback off again, so whatever the callback holds (a client and its connection) is free
    once its user is done — a drop that runs for weeks keeps only what is in use now."""

    __slots__ = ("_flag", "_key")

    def __init__(self, flag: StopFlag, key: int) -> None:
        self._flag = flag
        self._key: int | None = key

    def close(self) -> None:
        """Take the callback off; closing twice is harmless."""
        key, self._key = self._key, None
        if key is not None:
            self._flag._forget(key)

    def __enter__(self) -> Registration:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class StopFlag(threading.Event):
    """The one way to ask a run, a rerun or a drop to stop: an Event (every wait of a run
    waits on it) that also tells registered callbacks — clients with an answer in flight —
    when it is set. Callbacks run on the thread that sets the flag; they must not block. A
    Python caller passes one to `importer.run`, `importer.rerun` or `importer.Drop` and sets
    it from any thread."""

    def __init__(self) -> None:
        super().__init__()
        self._callbacks: dict[int, Callable[[], None]] = {}
        self._keys = itertools.count()
        self._guard = threading.Lock()

    def register(self, callback: Callable[[], None]) -> Registration:
        """Call `callback` when the flag is set (at once if it is set already), until the
        returned registration is closed."""
        with self._guard:
            key = next(self._keys)
            self._callbacks[key] = callback
        if self.is_set():
            callback()
        return Registration(self, key)

    @property
    def registered(self) -> int:
        """How many callbacks are registered now (what a long drop must hold constant)."""
        with self._guard:
            return len(self._callbacks)

    def set(self) -> None:
        super().set()
        with self._guard:
            callbacks = list(self._callbacks.values())
        for callback in callbacks:
            callback()

    def _forget(self, key: int) -> None:
        with self._guard:
            self._callbacks.pop(key, None)


def given(stop: StopFlag | None) -> StopFlag:
    """The stop a Python caller passed to `run`, `iter_run` or `rerun`, or a new one. A plain
    `threading.Event` is refused before anything is read or written: setting it tells no
    client, so the answer in flight would not be cut short."""
    if stop is None:
        return StopFlag()
    if not isinstance(stop, StopFlag):
        raise ConfigError(
            "stop: a threading.Event tells no one it was set; pass an importer.StopFlag "
            "(an Event that also ends the answer in flight)"
        )
    return stop


@dataclass(frozen=True, slots=True)
class Stage:
    """What one signal does: set `flag`, and say `says` on stderr."""

    flag: StopFlag
    says: str


@contextmanager
def installed(*stages: Stage) -> Iterator[None]:
    """SIGINT/SIGTERM, while the block runs: the n-th signal sets the n-th stage's flag (and
    says so on stderr); one more than there are stages exits the process at once. `run` and
    `rerun` have one stage (every wait ends), `drop` two (claim no more files, then stop the
    file in flight after its row). On leaving, the previous handlers and wakeup fd come back
    and the thread ends, so a Python caller that runs the CLI in-process keeps its own Ctrl-C.

    The signals are read from a wakeup socket on a thread of their own, not in a Python-level
    handler: such a handler runs only when the main thread is back in Python bytecode, and a
    run may be inside one long C call (SQLite waiting out a lock held by another process, a
    blocking read). The C handler writes each signal's number to the socket at once; this
    thread sets the flag (no lock the main thread may hold is needed) or exits."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals reach the main thread only: nothing to install from elsewhere
        return
    # A socket pair, not os.pipe: set_wakeup_fd takes only a socket on Windows, and
    # os.set_blocking exists only on POSIX before Python 3.12.
    read_end, write_end = socket.socketpair()
    write_end.setblocking(False)  # required by set_wakeup_fd
    previous_fd = signal.set_wakeup_fd(write_end.fileno(), warn_on_full_buffer=False)

    def ignore(_signum: int, _frame: FrameType | None) -> None:
        """The Python-level handler has nothing to do: the wakeup socket carries the signal."""

    previous = {sig: signal.signal(sig, ignore) for sig in (signal.SIGINT, signal.SIGTERM)}

    def watch() -> None:
        received = 0
        while data := read_end.recv(64):
            for signum in data:
                if signum == _DONE:
                    return
                if signum not in (signal.SIGINT, signal.SIGTERM):
                    continue
                if received == len(stages):
                    os.write(sys.stderr.fileno(), STOPPED_AT_ONCE.encode())
                    os._exit(int(ExitCode.INCOMPLETE))
                stage = stages[received]
                received += 1
                os.write(sys.stderr.fileno(), stage.says.encode())
                stage.flag.set()

    watcher = threading.Thread(target=watch, name="signals", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        signal.set_wakeup_fd(previous_fd)
        write_end.send(bytes([_DONE]))
        watcher.join()
        read_end.close()
        write_end.close()


_DONE = 0
"""Written to the wakeup socket when the block ends: no signal has number 0."""
