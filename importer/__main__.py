"""`python -m importer` and the `importer` command: the command line (`importer.cli.main`),
then the process ends."""

from __future__ import annotations

import gc

from importer.cli import main


def command() -> int:
    """The command line's exit code, with nothing left for the cyclic collector to walk.

    The process ends right after: the operating system takes its memory back whole. Left
    to the interpreter's exit, the collector would first walk and free, cycle by cycle,
    every class, module and compiled pydantic schema the command loaded — 25 to 50 ms of
    CPU on every command, whatever its file (README, "Performance"). Nothing here relies on a
    finaliser at exit: files, the journal and the report's temporary files are closed by
    the code that opened them, and `weakref.finalize`/`atexit` callbacks (logging,
    coverage) still run."""
    code = main()
    gc.freeze()
    return code


if __name__ == "__main__":
    raise SystemExit(command())
