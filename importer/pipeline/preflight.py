"""What must work after posting is checked before the first POST, and what
cannot be imported safely is refused before it is opened.

Money moved and no report is the worst way for a run to end: the operator does not know what
happened. So before anything is sent, the report folder takes a real write (a probe file,
written, fsynced and removed) and the journal takes a real write transaction. A failure is a
setting or a disk to fix: exit 2, naming the path and the operating system's reason, with
nothing sent. (Space can still run out later; then `ReportUnwritten` says so and the journal,
which holds every outcome, renders the report once space is back.)"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from importer.config import Config
from importer.errors import ConfigError, FileRejected, ReportUnwritten
from importer.journal import Journal
from importer.refusal import Refusal

PROBE = b"importer write probe\n"


def reason(exc: OSError) -> str:
    """The operating system's own words ("No space left on device"), never a traceback."""
    return exc.strerror or str(exc) or type(exc).__name__


def check_before_sending(config: Config, journal: Journal, *, dry_run: bool) -> None:
    """Before anything is sent: the report folder and (unless nothing will be sent) the
    journal take a real write, so a run never posts and then fails to record or report it."""
    check_report_folder(config.report.dir)
    if not dry_run:
        journal.check_writable()


def check_report_folder(folder: Path) -> None:
    probe = folder / f".write-probe-{os.getpid()}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, PROBE)
            os.fsync(fd)
        finally:
            os.close(fd)
        probe.unlink()
    except OSError as exc:
        with_reason = reason(exc)
        with contextlib.suppress(OSError):
            probe.unlink()
        raise ConfigError(
            f"report folder {folder} cannot be written ({with_reason}); nothing was sent"
        ) from None


def report_unwritten(
    folder: Path, import_id: str, exc: OSError, *, dry_run: bool = False
) -> ReportUnwritten:
    """What helps once the disk is fixed: an import's report is rendered again from the
    journal; a dry run's is not (the journal keeps none of its rows, `importer report`
    refuses it), so the file is validated again."""
    if dry_run:
        return ReportUnwritten(
            f"the report in {folder} could not be written ({reason(exc)}); nothing was sent: "
            "validate the file again once that is fixed"
        )
    return ReportUnwritten(
        f"the report in {folder} could not be written ({reason(exc)}); every outcome is in "
        f"the journal: run `importer report {import_id}` once that is fixed"
    )


def regular_file(path: Path) -> None:
    """A pipe or device is refused before it is opened: opening a FIFO blocks until a writer
    comes, and an import must read its file twice (hash, then rows) and name it in the
    journal for a resumed run."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return  # the reader names what is wrong with a missing or unreadable file
    if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        raise FileRejected(path.name, Refusal("not_regular"))
