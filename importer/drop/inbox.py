"""An inbox on disk (docs/drops.md): the folder a sender drops files into, and the three folders
a drop keeps beside them — `processing/` (claimed, not archived yet), `done/YYYY-MM-DD/` and
`failed/YYYY-MM-DD/`.

Everything here is a rename inside one folder tree, so it is atomic: a file is either still in
the inbox, or claimed by exactly one drop. Names never overwrite (`x-2.csv`, `x-3.csv`). A
subfolder holding a `config.yaml` is a creditor's inbox of its own with the same layout; any
other subfolder is left alone, unless the main configuration names it in `drop.folders`
(which settings a folder may carry, and when its config.yaml is honoured: `drop.folders`).
Symbolic links and hidden files are never taken: a link could point out of the inbox (another
creditor's file, /etc/passwd), and dot-files are how uploaders name a transfer in progress.
"""

from __future__ import annotations

import errno
import json
import os
import re
import socket
import stat
import time
from collections.abc import Collection, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from importer.drop.readiness import MARKER_SUFFIXES, is_marker, markers_of, orphan_markers
from importer.errors import InboxUnsafe, Unsupported

try:
    import fcntl
except ModuleNotFoundError:  # a Python without it (Windows): `locked` says so in one line
    fcntl = None  # type: ignore[assignment]

PROCESSING, DONE, FAILED = "processing", "done", "failed"
RESERVED = frozenset({PROCESSING, DONE, FAILED})
OVERLAY = "config.yaml"
"""In a subfolder: the creditor's settings, laid over the main ones. Never imported."""
LOCK = ".drop.lock"


def lock_name(shared: bool) -> str:
    """The inbox lock's file: `.drop.lock`, or, when the inbox may be shared by several hosts
    (a server journal), one per host, `.drop.<host>.lock` — one drop per inbox on each host,
    while the hosts drain it side by side (the claim by rename decides between them). One
    name for every host would make the hosts exclude one another only where the shared
    filesystem passes flock on (NFS v4 does, SMB mostly not): the same inbox would be drained
    by one host or by all, depending on the mount."""
    if not shared:
        return LOCK
    host = re.sub(r"[^A-Za-z0-9._-]", "_", socket.gethostname()) or "host"
    return f".drop.{host}.lock"


IN_TRANSFER = (".part", ".partial", ".tmp", ".filepart", ".crdownload")
"""Suffixes uploaders give a file while it is still arriving; never a finished file."""


class InboxBusy(Exception):
    """Another drop holds this inbox. Not an ImporterError: it is a normal outcome (exit 0)."""

    def __init__(self, inbox: Path, holder: str) -> None:
        super().__init__(f"{inbox} is being processed by another drop ({holder})")
        self.holder = holder


@dataclass(frozen=True, slots=True)
class Inbox:
    path: Path
    overlay: Path | None = None
    """The creditor's `config.yaml`, or None (the main configuration, or `drop.folders`)."""
    named: bool = False
    """A subfolder the main configuration names in `drop.folders`."""

    @property
    def creditors_folder(self) -> bool:
        """A creditor's inbox, with settings of its own (else: the main configuration's)."""
        return self.overlay is not None or self.named

    @property
    def label(self) -> str:
        if not self.creditors_folder:
            return self.path.name
        return f"{self.path.parent.name}/{self.path.name}"

    @property
    def processing(self) -> Path:
        return self.path / PROCESSING


def sub_inboxes(top: Path, named: Collection[str] = ()) -> tuple[list[Inbox], list[Path]]:
    """The creditors' inboxes under `top` (subfolders with a config.yaml, or `named` in the
    main configuration's `drop.folders`), and the other subfolders, which are left alone.
    Symbolic links to folders are neither."""
    inboxes: list[Inbox] = []
    ignored: list[Path] = []
    for entry in sorted(os.scandir(top), key=lambda e: e.name):
        if entry.name.startswith(".") or entry.name in RESERVED or entry.is_symlink():
            continue
        if entry.is_dir(follow_symlinks=False):
            overlay = Path(entry.path) / OVERLAY
            own = overlay if overlay.is_file() and not overlay.is_symlink() else None
            if own is not None or entry.name in named:
                inboxes.append(Inbox(Path(entry.path), own, named=entry.name in named))
            else:
                ignored.append(Path(entry.path))
    return inboxes, ignored


def candidates(inbox: Inbox) -> tuple[list[Path], list[Path]]:
    """(files a drop may import, symbolic links it will not follow), in name order. Hidden
    files, markers, uploads in transfer and the overlay are neither."""
    files: list[Path] = []
    links: list[Path] = []
    for entry in sorted(os.scandir(inbox.path), key=lambda e: e.name):
        name = entry.name
        if name.startswith((".", "~$")) or name == OVERLAY or is_marker(name):
            continue  # ~$name: the lock file Excel keeps beside a workbook it has open
        if name.lower().endswith(IN_TRANSFER):
            continue
        if entry.is_symlink():
            links.append(Path(entry.path))
        elif entry.is_file(follow_symlinks=False):
            files.append(Path(entry.path))
    return files, links


def in_processing(inbox: Inbox) -> list[Path]:
    """Files an earlier pass claimed and did not archive (unfinished, or the drop died)."""
    if not inbox.processing.is_dir():
        return []
    return [
        path
        for path in sorted(inbox.processing.iterdir())
        if path.is_file()
        and not path.is_symlink()
        and not path.name.startswith(".")
        and not is_marker(path.name)
    ]


def free_name(folder: Path, name: str) -> Path:
    """`folder/name`, or `name` with `-2`, `-3`… before its extension when taken — by the file
    or by one of its companions (markers, reason), in any case, so a set always shares one stem."""
    stem, dot, ext = name.rpartition(".")
    if not stem:  # no extension (or a leading dot only): the suffix goes at the end
        stem, dot, ext = name, "", ""
    taken = {entry.lower() for entry in os.listdir(folder)}  # a marker's case may differ
    n = 1
    while True:
        candidate = name if n == 1 else f"{stem}-{n}{dot}{ext}"
        companions = [candidate + s for s in (*MARKER_SUFFIXES, ".reason.txt")]
        if not any(c.lower() in taken for c in (candidate, *companions)):
            return folder / candidate
        n += 1


def readable_name(name: str) -> str:
    """`name` as text the journal, the reports and the summary can hold: bytes that are not
    UTF-8 (a Latin-1 name from an old share) become `\\xe9`, the rest stays as it is."""
    return os.fsencode(name).decode("utf-8", errors="backslashreplace")


def move(
    path: Path, folder: Path, inbox: Inbox, markers: tuple[Path, ...] | list[Path] = ()
) -> Path:
    """Rename `path` (and its markers, renamed alike) into `folder` under a free name. The
    file goes first: once it has moved, the claim is made, whatever happens to the markers.
    `folder` must really be inside the inbox: a `processing` or `done` that is a symbolic
    link would carry a creditor's file out of it."""
    folder.mkdir(parents=True, exist_ok=True)
    step = inbox.path
    for part in folder.relative_to(inbox.path).parts:
        step = step / part
        if step.is_symlink():
            raise InboxUnsafe(
                f"{step} is a symbolic link; a drop moves files only inside {inbox.path}"
            )
    target = free_name(folder, readable_name(path.name))
    os.rename(path, target)
    for marker in markers:
        suffix = marker.name[len(path.name) :]
        # A marker the sender removed meanwhile does not matter: the file is what counts.
        with suppress(FileNotFoundError):
            os.rename(marker, target.with_name(target.name + suffix))
    return target


def claim(inbox: Inbox, path: Path, markers: tuple[Path, ...]) -> Path | None:
    """Move a ready file into `processing/`; None when someone else took it first (the rename
    of a file that is gone fails, so two takers never both succeed), or when what is there now
    is no longer a plain file (swapped for a link since it was judged)."""
    try:
        claimed = move(path, inbox.processing, inbox, markers)
    except FileNotFoundError:
        return None
    info = claimed.lstat()
    if not stat.S_ISREG(info.st_mode):
        return None
    return claimed


def archive(path: Path, inbox: Inbox, kind: str, day: datetime, reason: str | None) -> Path:
    """Move a claimed file and its markers to `done/` or `failed/` of `day`; a failed file
    gets `<name>.reason.txt` beside it saying why, in words."""
    folder = inbox.path / kind / day.strftime("%Y-%m-%d")
    target = move(path, folder, inbox, markers_of(path))
    if reason is not None:
        target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")
    return target


DAY = 86400.0


def clear_orphans(
    inbox: Inbox, keep_days: float, now: float | None = None
) -> list[tuple[Path, int, bool]]:
    """The inbox's markers without their file, each (marker, whole days old by its mtime,
    removed): one `keep_days` old or more is removed (a marker left for ever would one day
    release a file of that name it was never written for). A marker gone meanwhile is
    left out."""
    try:
        names = os.listdir(inbox.path)
    except OSError:
        return []
    moment = time.time() if now is None else now
    found: list[tuple[Path, int, bool]] = []
    for marker in orphan_markers(inbox.path, names):
        try:
            age = (moment - marker.lstat().st_mtime) / DAY
        except OSError:
            continue
        removed = age >= keep_days
        if removed:
            try:
                marker.unlink()
            except FileNotFoundError:
                continue
            except OSError:
                removed = False  # a read-only inbox: listed, and tried again next pass
        found.append((marker, int(age), removed))
    return found


@contextmanager
def locked(inbox: Path, holder: str, name: str = LOCK) -> Iterator[None]:
    """One drop per inbox: an exclusive, non-blocking flock on `INBOX/<name>` (`lock_name`),
    released by the kernel when the process ends however it ends (SIGKILL included), so a
    crash never leaves an inbox locked. The file holds who has it, for the second drop's log line.

    flock is POSIX: without it two drops could claim files of one inbox at once, so a drop
    on a system that lacks it is refused (`Unsupported`) rather than run unguarded."""
    if fcntl is None:
        raise Unsupported(
            "importer drop needs flock (fcntl) to keep a second drop off the inbox, and this "
            "Python has none; run drops on Linux or another POSIX system"
        )
    handle: IO[str] = open(inbox / name, "a+", encoding="utf-8")  # noqa: SIM115 - held for the with
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            handle.seek(0)
            raise InboxBusy(inbox, _holder_text(handle.read())) from None
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"holder": holder, "pid": os.getpid()}) + "\n")
        handle.flush()
        yield
    finally:
        handle.close()


def _holder_text(text: str) -> str:
    try:
        data = json.loads(text)
        return f"{data['holder']}, pid {data['pid']}"
    except (ValueError, KeyError, TypeError):
        return "holder unknown"
