"""One summary a night, not one a pass.

A night runs from `drop.night_starts` (local time, default 12:00) to the same time the next
day; it is named by the day it began (`2026-12-06` for the small hours of the 7th). Every pass
adds what it did to `<report dir>/drops/<night>/summary.{json,txt}`, read back from disk each
time, so passes add up the same in one `--watch` process and in one cron start each.

Only news is told: a pass writes, prints and notifies only when it brought something the
night's summary does not say yet — a file finished (or changed state), a new note, a folder
newly left alone with files in it, a file that is complete but lacks its marker, or an
expected file that has not come by `drop.expect_by` (silence is news too, said once a
night). An outage that leaves a file unfinished pass after pass is told once: the same
unfinished state again is no news. `-v` prints the night's summary every pass.

Notifications follow `notify.when` against the pass's exit code; one that cannot be sent is
said in the summary and owed (`importer.notify.delivery`), and any later pass sends it.

Several hosts on one inbox share a journal on a server, not a report folder: there the night
is kept in the journal (`journal.nights`), read, added to and written back in one of its
write transactions, so every host's pass adds to one summary a night and news is news once,
whichever host brings it — the host whose pass brought it tells it. Each host still writes
the summary into its own report folder, as it stands after its pass (the record is the
journal's). On a SQLite journal (one host) the report folder's summary.json is the night.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path

try:  # POSIX only: importing the drop stage must not need it (`drop.inbox.locked` says so)
    import fcntl
except ImportError:  # pragma: no cover - exercised by tests/test_portability.py
    fcntl = None  # type: ignore[assignment]

from importer import logs
from importer.config import Config
from importer.drop.summary import DropSummary, FileSummary, Waiting, WaitKind
from importer.drop.summary_text import render
from importer.exit_codes import ExitCode
from importer.journal import NightStore
from importer.notify.delivery import deliver_owed, settle_owed, wanted
from importer.notify.message import Message, attachable
from importer.words import text

log = logs.get_logger("importer.drop")

NIGHT_KEY = "night"
"""The name a night's own owed notification is kept under (imports use their id)."""


def deadline(night: date, starts: time, expect_by: time, zone: datetime) -> datetime:
    """When a night's expected files are due: the first `expect_by` after the night began."""
    begins = datetime.combine(night, starts, tzinfo=zone.tzinfo)
    due = datetime.combine(night, expect_by, tzinfo=zone.tzinfo)
    return due if due > begins else due + timedelta(days=1)


def waiting(
    inbox: str, path: Path, held: bool, rule: str, settle: float, now: datetime
) -> list[Waiting]:
    """What a pass says of a file it did not take (`held`: open for writing by another
    process): still open, waiting for its marker, or still changing. Nothing when the file
    is gone meanwhile."""
    try:
        info = path.lstat()
    except OSError:
        return []
    changed = max(info.st_mtime, info.st_ctime)
    since = datetime.fromtimestamp(changed, now.tzinfo)
    kind: WaitKind = "open" if held else "no_marker" if rule == "marker" else "settling"
    settled = not held and now.timestamp() - changed >= settle
    return [Waiting(inbox, path.name, kind, since, settled)]


def count_files(folder: Path) -> int:
    """Plain files directly in `folder` (what would wait there for ever)."""
    try:
        return sum(1 for e in os.scandir(folder) if e.is_file(follow_symlinks=False))
    except OSError:
        return 0


def add_pass(
    night: DropSummary | None, done: DropSummary, label: str, due: datetime | None
) -> tuple[DropSummary, bool]:
    """The night with the pass `done` added, and whether the pass brought news. `due`: when
    expected files are due (None: no inbox expects one). Adds to `done.missing` what it says
    missing for the first time, so the pass's exit code says it too."""
    if night is None:
        night = DropSummary(label, done.inbox, done.started, done.currency)
    night.language = done.language
    night.timezone = done.timezone
    night.finished = done.finished
    night.currency = done.currency
    news = False
    for item in done.files:
        news |= _add_file(night.files, item)
    fresh = [note for note in done.notes if note not in night.notes]
    news |= bool(fresh)
    night.notes.extend(fresh)
    night.note_codes = sorted(set(night.note_codes) | set(done.note_codes))
    seen = {(w.inbox, w.file) for w in night.waiting if w.settled}
    taken = {(f.inbox, f.file) for f in done.files}
    news |= any(
        w.kind == "no_marker" and w.settled and (w.inbox, w.file) not in seen for w in done.waiting
    )
    night.waiting = [w for w in done.waiting if (w.inbox, w.file) not in taken]
    known = {i.folder for i in night.ignored}
    news |= any(i.files and i.folder not in known for i in done.ignored)
    night.ignored = done.ignored
    # an orphan marker is said once (news the pass it is first seen, and the pass that
    # removes it); the night keeps the markers as the latest pass found them
    said = {(o.inbox, o.marker, o.removed) for o in night.orphan_markers}
    news |= any((o.inbox, o.marker, o.removed) not in said for o in done.orphan_markers)
    night.orphan_markers = done.orphan_markers
    night.orphan_marker_days = done.orphan_marker_days
    night.expecting = sorted(set(night.expecting) | set(done.expecting))
    now = done.finished or done.started
    if due is not None and now >= due:
        night.expect_by = f"{due:%H:%M}"
        for inbox in night.expecting:
            heard = any(f.inbox == inbox for f in night.files) or any(
                w.inbox == inbox for w in night.waiting
            )
            if not heard and inbox not in night.missing:
                night.missing.append(inbox)
                done.missing.append(inbox)
                news = True
    return night, news


def _add_file(files: list[FileSummary], item: FileSummary) -> bool:
    """Add `item`, replacing the night's unfinished entry of the same file; news unless it
    says exactly what that entry said (an outage seen again)."""
    for index, before in enumerate(files):
        if before.key() == item.key() and before.state == "unfinished":
            files[index] = item
            same = (before.state, before.exit_code, before.outcomes, before.reason) == (
                item.state,
                item.exit_code,
                item.outcomes,
                item.reason,
            )
            return not same
    files.append(item)
    return True


@dataclass(slots=True)
class NightTeller:
    """Adds each pass to its night and tells what is news: summary, printout, notification."""

    config: Config
    say: Callable[[str], None]
    verbose: bool = False
    stop: threading.Event | None = None
    """The drop's first stop (`DropStop.files`): once set, the notifications on their way are
    waited for `notify.waiting.STOP_GRACE` seconds more in all, then owed to the next pass."""

    def tell(self, done: DropSummary, shared: NightStore | None = None) -> bool:
        """Add the pass to its night; write, print and notify only when it brought news.
        Whether it did (the overview page is written again only then). `shared`: the night is
        the journal's, shared by several hosts (see the module docstring)."""
        drop = self.config.drop
        now = done.finished or done.started
        label = drop.night_of(done.started).isoformat()
        drops = self.config.report.dir / "drops"
        folder = drops / label
        due = None
        if done.expecting or drop.expect == "daily":
            due = deadline(
                date.fromisoformat(label), drop.clock("night_starts"), drop.clock("expect_by"), now
            )
        with _locked(folder):
            night, news = _added(shared, folder, done, label, due)
            if not news:
                if self.verbose:
                    self.say(render(night))
                self._settle(drops, night, folder, now, sent_now=False, shared=shared)
                return False
            written = self._write(night, drops, done)
            if written:
                said = text("night.summary_in", night.language, folder=str(folder))
                self.say(render(night) + f"({said})\n")
                log.info(
                    "drop.pass",
                    night=label,
                    files=len(done.files),
                    exit_code=int(done.exit_code),
                    summary=str(folder),
                )
            sent_now = False
            notify = self.config.notify
            if notify.configured and wanted(notify.when, int(done.exit_code)):
                # told even when the summary could not be written: a person must hear of it
                message = night_message(night, folder, done, notify.max_attachment_bytes)
                deliveries = deliver_owed(folder, NIGHT_KEY, notify, message, now, self.stop)
                night.add_notifications(d.as_json() for d in deliveries)
                _record_told(shared, label, [d.as_json() for d in deliveries])
                if written:
                    with suppress(OSError):  # the notification went; its record is extra
                        night.write(drops.parent, render(night))
                sent_now = True
            self._settle(drops, night, folder, now, sent_now=sent_now, shared=shared)
        return True

    def _write(self, night: DropSummary, drops: Path, done: DropSummary) -> bool:
        """Write the night's summary; one that cannot be written is printed whole with the
        reason and makes the pass's exit code 3 (the files are imported and archived, and
        each import's report holds every outcome)."""
        try:
            night.write(drops.parent, render(night))
        except OSError as exc:
            done.note_codes.append(ExitCode.INCOMPLETE)
            night.note_codes.append(ExitCode.INCOMPLETE)
            where = drops / night.drop_id
            self.say(
                render(night) + f"(summary NOT written to {where}: "
                f"{exc.strerror or exc.__class__.__name__}; exit code 3)\n"
            )
            log.warning("drop.summary_unwritten", night=night.drop_id, error=str(exc))
            return False
        return True

    def _settle(
        self,
        drops: Path,
        night: DropSummary,
        folder: Path,
        now: datetime,
        *,
        sent_now: bool,
        shared: NightStore | None,
    ) -> None:
        """Send what earlier passes (or imports) still owe; this night's own message is the
        summary as it stands now."""
        notify = self.config.notify
        if not notify.configured:
            return
        skip = {folder / "owed" / f"{NIGHT_KEY}.json"} if sent_now else set()
        tried = settle_owed(drops, notify, now, fresh=refreshed, skip=skip, stop=self.stop)
        for other, deliveries in tried.items():
            if other == folder:
                night.add_notifications(d.as_json() for d in deliveries)
                _record_told(shared, night.drop_id, [d.as_json() for d in deliveries])
                with suppress(OSError):
                    night.write(drops.parent, render(night))
            else:
                earlier = load(other)
                if earlier is not None:
                    earlier.add_notifications(d.as_json() for d in deliveries)
                    with suppress(OSError):
                        earlier.write(drops.parent, render(earlier))


def _added(
    shared: NightStore | None, folder: Path, done: DropSummary, label: str, due: datetime | None
) -> tuple[DropSummary, bool]:
    """`add_pass` to the night as it is kept: in the journal when `shared` (read, added to
    and, when news, written back in one write transaction), else in `folder`."""
    if shared is None:
        return add_pass(load(folder), done, label, due)
    added: list[tuple[DropSummary, bool]] = []

    def change(stored: str | None) -> str | None:
        night, news = add_pass(_parsed(stored, label), done, label, due)
        added.append((night, news))
        return json.dumps(night.as_json(), ensure_ascii=False) if news else None

    shared.update(label, change)
    return added[-1]


def _record_told(shared: NightStore | None, label: str, told: list[dict[str, object]]) -> None:
    """The notifications a pass sent, added to the shared night (another host's pass may have
    added to it meanwhile: added to what it is now, not replaced)."""
    if shared is None or not told:
        return

    def change(stored: str | None) -> str | None:
        night = _parsed(stored, label)
        if night is None:
            return None
        night.add_notifications(told)
        return json.dumps(night.as_json(), ensure_ascii=False)

    shared.update(label, change)


def _parsed(stored: str | None, label: str) -> DropSummary | None:
    """A night as the journal keeps it; None when there is none (or it cannot be read: then
    the night starts afresh, as with a summary.json that cannot be read)."""
    if stored is None:
        return None
    try:
        return DropSummary.from_json(json.loads(stored))
    except (ValueError, KeyError, TypeError) as exc:
        log.warning("drop.summary_unreadable", night=label, error=type(exc).__name__)
        return None


def night_message(night: DropSummary, folder: Path, done: DropSummary, limit: int) -> Message:
    """The night's summary so far as a notification: report.html of the files this pass
    finished, and the summary itself, attached up to `limit` bytes."""
    lang = night.language
    files = [folder / "summary.txt", *(f.report_html for f in done.files if f.report_html)]
    kept, left = attachable(files, limit, lang)
    return Message(
        subject=subject(night),
        headline=subject(night),
        body=render(night),
        summary=night.as_json(),
        exit_code=int(night.exit_code),
        attachments=kept,
        left_out=left,
    )


def subject(night: DropSummary) -> str:
    lang = night.language
    creditors = sorted({c for f in night.files for c in f.creditors})
    shown = ", ".join(creditors[:3]) + (f" +{len(creditors) - 3}" if len(creditors) > 3 else "")
    return text(
        "night.subject",
        lang,
        creditor=shown or text("night.no_creditor", lang),
        night=night.drop_id,
        code=int(night.exit_code),
        files=len(night.files),
        credited=sum(f.outcomes.get("credited", 0) for f in night.files),
        attention=sum(f.attention_total for f in night.files),
    )


def refreshed(folder: Path, key: str, stored: Message) -> Message:
    """An owed night's message brought up to date with its summary as it stands now."""
    if key != NIGHT_KEY:
        return stored
    night = load(folder)
    if night is None:
        return stored
    return replace(
        stored,
        subject=subject(night),
        headline=subject(night),
        body=render(night),
        summary=night.as_json(),
        exit_code=int(night.exit_code),
    )


def load(folder: Path) -> DropSummary | None:
    """The night's summary as written so far; None when there is none (or it cannot be read:
    then the night starts afresh, and says again what it says)."""
    path = folder / "summary.json"
    try:
        return DropSummary.from_json(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("drop.summary_unreadable", summary=str(path), error=type(exc).__name__)
        return None


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """One pass at a time adds to a night (two inboxes' drops may share a report folder).
    A folder that cannot be made is no reason to stop: the summary's own write says why.
    Without flock there is no drop at all (`drop.inbox.locked` refuses it), so only a
    one-off reader such as `notify-failure` gets here unlocked."""
    if fcntl is None:
        yield
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = open(folder / ".lock", "a", encoding="utf-8")  # noqa: SIM115 - held below
    except OSError:
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
