"""Naming a test's journal to a process the test starts: a SQLite file's path, or a server's
URL (its password stays in the environment, as an importer's would)."""

from __future__ import annotations

from pathlib import Path

from importer.journal.server import JournalServer

PLACE_SCRIPT = """
import os, sys
from pathlib import Path
from importer.journal.server import JournalServer
def journal_place(arg):
    if arg.startswith("postgresql://"):
        return JournalServer(arg, os.environ["IMPORTER_TEST_PG_PASSWORD"])
    return Path(arg)
"""
"""Prepended to a script a test runs as its own process: `journal_place(sys.argv[1])` opens
the journal the test names on its command line (`place_arg`)."""


HOLD_LOCK = (
    PLACE_SCRIPT
    + """
from importer.errors import ImportLocked
from importer.journal import Journal
j = Journal(journal_place(sys.argv[1]))
try:
    j.locks.acquire(sys.argv[2])
except ImportLocked as exc:
    print("LOCKED", exc, flush=True)
    sys.exit(3)
print("HOLDING", os.getpid(), flush=True)
sys.stdin.read()  # hold it until the test closes stdin (or kills us)
j.locks.release(sys.argv[2])
print("RELEASED", flush=True)
"""
)
"""A process holding the import lock `sys.argv[2]` of the journal at `sys.argv[1]` (a file or
a server) until its stdin closes: prints LOCKED (exit 3), or HOLDING <pid> then RELEASED."""


def place_arg(place: Path | JournalServer) -> str:
    """The journal's place on a script's command line (the password stays in the env)."""
    return place.url if isinstance(place, JournalServer) else str(place)
