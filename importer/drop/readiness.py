"""When a file in an inbox is finished (docs/drops.md): the one question a drop asks before it
claims anything, because a half-uploaded file imported and then imported again complete is the
failure this command exists to prevent.

Two rules, chosen by `drop.ready`:

* **marker** — the sender wrote `<name>.done` or `<name>.ok` beside the file after it. The
  sender knows best; only a file some process still holds open for writing waits (a marker
  written before its file is finished), and so does a file changed after its marker was
  written: a marker left from an earlier delivery must not release a file written again in
  two rounds half-way (the marker's time, like the file's, is the later of mtime and ctime).
* **stable** — the file has not changed for `drop.settle_seconds` and no process holds it open
  for writing where the OS can tell. "Not changed" is measured on the later of mtime and ctime:
  a copy that preserves times (`cp -p`, `rsync -t`) sets an old mtime, but every write and
  that very `utime` call move the ctime, which no sender can set back. "Open for writing" is read
  from `/proc/<pid>/fd` and `fdinfo` on Linux (processes the drop's user may inspect); elsewhere
  only the settle time applies.

`either` (the default) takes a file as soon as one rule says so.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

MARKER_SUFFIXES = (".done", ".ok")
PROC = "/proc"
"""Where Linux shows processes' open files; elsewhere (or unreadable) it is simply absent, and
the tests point it at such a folder."""
"""A sender's "finished" flag: `<name>.done` or `<name>.ok` beside the file, in any case
(a Windows sender writes `CREDITS.CSV.OK`)."""

Rule = Literal["marker", "stable", "either"]


def marker_index(names: Iterable[str]) -> dict[str, list[str]]:
    """The marker names among a folder's `names`, by the name of the file each marks: one
    listing of a folder serves every file judged in it."""
    index: dict[str, list[str]] = {}
    for name in sorted(names):
        for suffix in MARKER_SUFFIXES:
            if name.lower().endswith(suffix):
                index.setdefault(name[: -len(suffix)], []).append(name)
    return index


def markers_of(path: Path, index: dict[str, list[str]] | None = None) -> list[Path]:
    """The marker files present beside `path` (its name exactly, then a marker suffix in any
    case), in the order of MARKER_SUFFIXES. `index` is `marker_index` of the folder's listing;
    without it the folder is listed here."""
    if index is None:
        try:
            index = marker_index(os.listdir(path.parent))
        except OSError:
            return []
    names = index.get(path.name, [])
    found = []
    for suffix in MARKER_SUFFIXES:
        for other in names:
            marker = path.with_name(other)
            if other[len(path.name) :].lower() != suffix or marker.is_symlink():
                continue
            if marker.is_file():
                found.append(marker)
    return found


def is_marker(name: str) -> bool:
    return name.lower().endswith(MARKER_SUFFIXES)


def open_for_writing(paths: Iterable[Path]) -> set[Path]:
    """Those of `paths` some process holds open for writing, as far as /proc shows (Linux).

    One walk over /proc per call, whatever the number of paths: a pass asks once for all the
    candidates of an inbox. A process that ends while it is read is simply not there."""
    wanted = {os.path.realpath(p): p for p in paths}
    held: set[Path] = set()
    if not wanted or not os.path.isdir(f"{PROC}/self/fd"):
        return held  # no /proc (not Linux) or none readable: only the settle time applies
    own = str(os.getpid())
    try:
        pids = [name for name in os.listdir(PROC) if name.isdigit() and name != own]
    except OSError:
        return held
    for pid in pids:
        try:
            fds = os.listdir(f"{PROC}/{pid}/fd")
        except OSError:
            continue  # gone, or another user's process
        for fd in fds:
            try:
                target = os.readlink(f"{PROC}/{pid}/fd/{fd}")
            except OSError:
                continue
            path = wanted.get(target)
            if path is not None and path not in held and _writable(pid, fd):
                held.add(path)
    return held


def _writable(pid: str, fd: str) -> bool:
    """The descriptor's access mode (O_ACCMODE of `flags:` in fdinfo) allows writing."""
    try:
        with open(f"{PROC}/{pid}/fdinfo/{fd}", encoding="ascii") as info:
            for line in info:
                if line.startswith("flags:"):
                    return int(line.split()[1], 8) & os.O_ACCMODE in (os.O_WRONLY, os.O_RDWR)
    except (OSError, ValueError):
        return False
    return False


@dataclass(frozen=True, slots=True)
class Verdict:
    ready: bool
    why: str
    """Ready: which rule let it in ("marker x.done", "stable for 75 s"); else what it waits for."""
    markers: tuple[Path, ...] = ()


def judge(
    path: Path,
    rule: Rule,
    settle_seconds: float,
    writers: set[Path],
    now: float | None = None,
    index: dict[str, list[str]] | None = None,
) -> Verdict:
    """Is `path` finished under `rule`? `writers` is `open_for_writing` over the candidates,
    `index` the `marker_index` of their folder (both taken once for all of them)."""
    markers = tuple(markers_of(path, index))
    stale = ""
    if markers and rule in ("marker", "either"):
        if path in writers:  # a marker written first: rows written after a claim would be lost
            return Verdict(
                False, f"has its marker {markers[0].name}, but is still open for writing"
            )
        fresh = _fresh(path, markers)
        if fresh:
            return Verdict(True, f"marker {fresh[0].name}", markers)
        stale = (
            f"its marker {markers[0].name} is older than the file's last change (left from "
            "an earlier delivery?)"
        )
        if rule == "marker":
            return Verdict(False, f"{stale}; waiting for a new marker")
    if rule == "marker":
        return Verdict(False, "waiting for its .done or .ok marker")
    try:
        info = path.lstat()
    except OSError:
        return Verdict(False, "gone")
    if not stat.S_ISREG(info.st_mode):
        return Verdict(False, "not a regular file")
    age = (time.time() if now is None else now) - max(info.st_mtime, info.st_ctime)
    before = f"{stale}; " if stale else ""
    if path in writers:
        return Verdict(False, f"{before}still open for writing by another process")
    if age < settle_seconds:
        return Verdict(
            False,
            f"{before}changed {max(age, 0):.0f} s ago; waiting until {settle_seconds:g} s "
            "unchanged",
        )
    return Verdict(True, f"unchanged for {age:.0f} s", markers)


def _changed_ns(path: Path) -> int | None:
    try:
        info = path.lstat()
    except OSError:
        return None
    return max(info.st_mtime_ns, info.st_ctime_ns)


def _fresh(path: Path, markers: tuple[Path, ...]) -> list[Path]:
    """The markers written at or after the file's last change (the later of mtime and ctime
    of each: a copy that keeps an old mtime still moves the ctime)."""
    changed = _changed_ns(path)
    if changed is None:
        return []
    return [m for m in markers if (_changed_ns(m) or -1) >= changed]


def orphan_markers(folder: Path, names: Iterable[str]) -> list[Path]:
    """The markers among a folder's `names` whose file is not there (a marker left after its
    file was taken, or one whose file never came). Hidden names are an upload's own."""
    listed = [name for name in names if not name.startswith(".")]
    present = set(listed)
    return [
        folder / marker
        for target, found in marker_index(listed).items()
        if target not in present
        for marker in found
    ]
