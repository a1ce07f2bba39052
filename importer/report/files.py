"""Report files on disk: written atomically (temporary file, fsync, rename) and, for the
streamed formats, written behind the renderer on a thread of their own."""

from __future__ import annotations

import os
import queue
import re
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO

from importer.journal.locks import process_alive

# `atomic_file`'s temporary names, whatever file it writes (the reports, index.html and
# its further pages): `.{name}.{pid}.{8 hex}.tmp`
_TEMP_RE = re.compile(r"\.[\w.-]+\.(?:json|csv|xlsx|html)\.(\d+)\.[0-9a-f]{8}\.tmp\Z")


@contextmanager
def atomic_file(path: Path) -> Iterator[BinaryIO]:
    """Open a temporary file beside `path`, yield it, and on success fsync it and `os.replace`
    it over `path`: a reader (or a crash) sees the old report or the new one, never half of
    one. The temporary file is in the same directory because a rename is only atomic within
    one file system. It is created with mode 0o666 so the umask, not a hard-coded 0o600, sets
    who may read the report. On any error the temporary file is removed."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with suppress(OSError):
            temp.unlink()
        raise
    _fsync_directory(path.parent)


class _WriteBehind:
    """A write-only handle whose bytes reach the file on a thread of its own.

    Copying a large report into the file (report.json of 200,000 rows is ~140 MB) is a
    system call that releases the GIL: done behind the renderer, it overlaps with rendering
    the next block instead of adding to it (measured: a tenth of a large `validate`). At most
    `depth` blocks wait, so memory stays bounded by a few blocks. `close` waits for the last
    write and raises the first write error (a full disk), so no failure passes silently."""

    def __init__(self, handle: BinaryIO, depth: int = 4) -> None:
        self._handle = handle
        self._pending: queue.Queue[bytes | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._written = 0
        self._thread = threading.Thread(target=self._drain, name="report-writer", daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        while (data := self._pending.get()) is not None:
            if self._error is None:
                try:
                    self._handle.write(data)
                    _start_writeback(self._handle, self._written)
                    self._written += len(data)
                except BaseException as exc:  # raised to the renderer by write/close
                    self._error = exc

    def write(self, data: bytes) -> int:
        if self._error is not None:
            raise self._error
        self._pending.put(data)
        return len(data)

    def close(self) -> None:
        """Wait for every queued write; raise the first write error."""
        if self._thread.is_alive():
            self._pending.put(None)
            self._thread.join()
        if self._error is not None:
            raise self._error


def _start_writeback(handle: BinaryIO, since: int) -> None:
    """Ask the kernel to start writing the file from byte `since` on to disk, without waiting.

    `atomic_file` fsyncs each report before renaming it; for report.json of 50,000 rows that
    is ~36 MB, and an fsync that starts the whole writeback then was a twentieth of a
    `validate` writing only json and csv. Started block by block, the writeback overlaps the
    rendering and the final fsync finds little left to write. `posix_fadvise(DONTNEED)` is
    the portable way Linux offers to start writeback (PostgreSQL flushes data the same way
    where `sync_file_range` is missing): it writes dirty pages back asynchronously and then
    drops the pages already clean, which a report, read by nobody in this process, can spare.
    Where the call does not exist (not POSIX) or fails, the final fsync does all the work,
    as before: durability never depends on it."""
    if _FADVISE is None:
        return
    handle.flush()
    with suppress(OSError):
        _FADVISE(handle.fileno(), since, 0, os.POSIX_FADV_DONTNEED)


_FADVISE = getattr(os, "posix_fadvise", None)


@contextmanager
def written_behind(handle: BinaryIO) -> Iterator[BinaryIO]:
    """`handle` written by a background thread (`_WriteBehind`); its first error is raised here."""
    behind = _WriteBehind(handle)
    try:
        yield behind  # type: ignore[misc]  # write-only: all the streamed writers need
    except BaseException:
        with suppress(BaseException):
            behind.close()
        raise
    behind.close()


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def remove_stale_temps(directory: Path) -> None:
    """Delete temporary report files left by a writer that was killed (SIGKILL gives no chance
    to clean up). Only files of processes that no longer exist are touched, so a concurrent
    writer's temporary file is left alone."""
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for entry in entries:
        match = _TEMP_RE.match(entry.name)
        if match is None or process_alive(int(match.group(1))):
            continue
        with suppress(OSError):
            os.unlink(entry.path)
