"""Locks: two importers never work on one import, or on one file, at once.

On SQLite a lock is a row naming its holder's process and host; a holder on this host that
is gone (killed) is stale and taken over, a holder on another host never is. On a
PostgreSQL server (`connection.session_locks`) a lock is the server's session-level advisory
lock, which dies with its holder's session on any host (`journal.postgres`: keepalives end a
silent host's session within about a minute); the row beside it only names the holder for
the message."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from importer.errors import ImportLocked
from importer.journal.connection import JournalConnection
from importer.journal.schema import iso_z, utcnow
from importer.journal.server import advisory_key


class LockStore:
    """Import and file locks, held in the journal so every process sees them."""

    def __init__(self, db: JournalConnection) -> None:
        self._db = db

    def acquire(self, import_id: str) -> None:
        """Two importers never work on one import at once."""
        self._acquire(f"import:{import_id}", f"import {import_id}")

    def release(self, import_id: str) -> None:
        self._release(f"import:{import_id}")

    def for_import(self, import_id: str) -> AbstractContextManager[None]:
        """`acquire` for the length of a `with` block."""
        return self._held(f"import:{import_id}", f"import {import_id}")

    def for_file(self, sha256: str, base_url: str, name: str) -> AbstractContextManager[None]:
        """Held while a file is read, journaled and posted, so two importers given the same
        file at once cannot both create an import of it (and post it twice)."""
        return self._held(f"file:{base_url}:{sha256}", f"file {name}")

    def for_claimed(self, path: str) -> AbstractContextManager[None]:
        """Held by a drop from before it reads a file it claimed into processing/ until the
        file is archived, so that drops of several hosts on one inbox never work on one
        claimed file at once (`drop.run`); `path` as every host sees it."""
        return self._held(f"claimed:{path}", f"claimed file {path}")

    @contextmanager
    def _held(self, key: str, what: str) -> Iterator[None]:
        self._acquire(key, what)
        try:
            yield
        finally:
            self._release(key)

    def _acquire(self, key: str, what: str) -> None:
        """A lock whose holder on this host is gone (killed) is stale and taken over; a live
        or foreign holder is named, so an operator knows whom to wait for."""
        host, pid = socket.gethostname(), os.getpid()
        with self._db.transaction() as db:
            held = db.execute("SELECT pid, host, since FROM locks WHERE key=?", (key,)).fetchone()
            if db.session_locks and not _session_holds(db, key):
                (taken,) = db.execute(
                    "SELECT pg_try_advisory_lock(?)", (advisory_key(key),)
                ).fetchone()
                if not taken:
                    holder = f"process {held[0]} on {held[1]} since {held[2]}" if held else ""
                    raise ImportLocked(
                        f"{what} is being worked on by {holder or 'another importer'}; "
                        "wait for it to finish"
                    )
            elif held is not None and (held[0], held[1]) != (pid, host):
                holder_pid, holder_host, since = held
                if holder_host != host or process_alive(holder_pid):
                    raise ImportLocked(
                        f"{what} is being worked on by process {holder_pid} on "
                        f"{holder_host} since {since}; wait for it to finish"
                    )
            db.execute(
                "INSERT INTO locks (key, pid, host, since) VALUES (?,?,?,?) ON CONFLICT (key)"
                " DO UPDATE SET pid = excluded.pid, host = excluded.host, since = excluded.since",
                (key, pid, host, iso_z(utcnow())),
            )

    def _release(self, key: str) -> None:
        with self._db.transaction() as db:
            db.execute(
                "DELETE FROM locks WHERE key=? AND pid=? AND host=?",
                (key, os.getpid(), socket.gethostname()),
            )
            if db.session_locks and _session_holds(db, key):  # taken once: released once
                db.execute("SELECT pg_advisory_unlock(?)", (advisory_key(key),))


def _session_holds(db: JournalConnection, key: str) -> bool:
    """Whether this session holds the server lock `key` already: it is taken once however
    often it is acquired (as the SQLite row is written once), so one release frees it, and
    releasing a lock not held asks the server nothing (it would log a warning)."""
    number = advisory_key(key)
    (held,) = db.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'"
        " AND pid = pg_backend_pid() AND classid::bigint = ? AND objid::bigint = ?"
        " AND objsubid = 1)",
        ((number >> 32) & 0xFFFFFFFF, number & 0xFFFFFFFF),
    ).fetchone()
    return bool(held)


def process_alive(pid: int) -> bool:
    """Signal 0 probes without touching the process; "no such process" is the only answer
    that proves it is gone (a permission error means it exists under another user). The one
    liveness test: stale locks here, stale temporary report files in `report.files`. A zombie
    (killed, not yet reaped by its parent) answers signal 0 but will never release anything:
    on Linux its state in /proc says so, and it counts as gone."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")
