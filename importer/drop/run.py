"""Nightly drops (docs/drops.md): one pass over an inbox — resume what an earlier pass left in
`processing/`, claim each finished file, import it exactly as `importer run` does, archive it by
its result — and a summary of the night. `--watch` repeats passes until asked to stop.

A file is imported by `Importer.run_file`, the same call `run` makes, so exactly-once, resume by
content (sha256) and every dedupe rule apply to a night's files as they do to `run`'s; a file
renamed into `processing/` keeps its bytes and so its import. The drop adds only what is about
files: readiness (`readiness`), claims and archives (`inbox`), what becomes of one file
(`file_import`), per-creditor settings and the summary (`summary`).

Two stop levels (`DropStop`), because a scheduler's SIGTERM should not leave a file
half-posted when it can wait: `files` (first signal) lets the file in flight finish and claims
nothing more; `rows` (second signal) stops that file after the row in flight (exit 3, left in
`processing/`, resumed first next time).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from importer import logs
from importer.api.target import Target, open_target
from importer.config import Config
from importer.drop.file_import import FileImport
from importer.drop.folders import inbox_config, ready_by_marker
from importer.drop.inbox import (
    OVERLAY,
    Inbox,
    InboxBusy,
    candidates,
    claim,
    clear_orphans,
    in_processing,
    lock_name,
    locked,
    readable_name,
    sub_inboxes,
)
from importer.drop.night import NightTeller, count_files, waiting
from importer.drop.readiness import judge, marker_index, open_for_writing
from importer.drop.summary import DropSummary, FileSummary, Ignored, OrphanMarker
from importer.errors import ConfigError, ImportLocked
from importer.exit_codes import ExitCode
from importer.journal import Journal
from importer.local_time import shown
from importer.outcomes import worst
from importer.pipeline import Progress, RunOptions
from importer.pipeline.overview import write_overview_of
from importer.stopping import Stage, StopFlag
from importer.words import text

log = logs.get_logger("importer.drop")


@dataclass(frozen=True, slots=True)
class DropOptions:
    watch: bool = False
    """Passes until stopped, `drop.interval` seconds apart."""
    creditor: str | None = None
    """The creditor of every row of the files directly in the inbox (`RunOptions.creditor`:
    a row naming another is not sent). A creditor's subfolder keeps the creditor its own
    config.yaml names, enforced the same way."""
    heartbeat: float = 20.0
    """Seconds between progress lines while a file is posted (a non-TTY log hears at least
    this often that the drop is alive)."""
    verbose: bool = False
    """Print the night's summary after every pass, news or not (`-v`)."""


class DropStop:
    """How a drop is asked to stop, in two levels (see the module docstring): `files`, then
    `rows`. Stopping the rows stops claiming files too. `stages()` is what each signal does
    (`importer.stopping.installed`); a Python caller sets the flags from any thread."""

    __slots__ = ("_chained", "files", "rows")

    def __init__(self) -> None:
        self.files = StopFlag()
        self.rows = StopFlag()
        """Every wait of the file in flight waits on it, and its answer in flight is cut."""
        self._chained = self.rows.register(self.files.set)

    def stages(self) -> tuple[Stage, Stage]:
        return (
            Stage(self.files, FILES_STOPPING),
            Stage(self.rows, ROWS_STOPPING),
        )


FILES_STOPPING = "\nstopping after the file in flight (signal again to stop sooner)…\n"
ROWS_STOPPING = (
    "\nstopping after the row in flight; the file stays in processing/ and is resumed first "
    "next time (a third signal exits at once)\n"
)


def new_drop_id(now: datetime) -> str:
    return f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(4)}"


class Drop:
    """The drop of one inbox (and its creditors' subfolders) against one API and journal.
    `run()` holds the inbox's lock for all its passes."""

    def __init__(
        self,
        inbox: Path,
        config: Config,
        options: DropOptions = DropOptions(),
        *,
        stop: DropStop | None = None,
        progress: Progress | None = None,
        printer: Callable[[str], None] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        # Absolute, so the journal records a claimed file's path the same however the inbox was
        # spelled: a later pass (another cwd, another spelling) knows it as this very file.
        self.inbox = inbox.absolute()
        self.options = options
        self.config = config
        self.stop = stop or DropStop()
        self._progress = progress
        self._print = printer or (lambda _text: None)
        self._clock = clock or _local_now  # local, aware: nights and times (tests set it)
        self._teller = NightTeller(config, self._print, options.verbose, self.stop.files)
        self._said: set[str] = set()
        self._last_notes: set[str] = set()
        """The previous pass's notes: in watch mode a note said then is not news now."""
        self._waiting_said: set[Path] = set()
        self._lock_name = lock_name(shared=config.journal.url is not None)

    def run(self) -> ExitCode:
        """One pass, or passes until `stop.files` with `watch`. Exit: the worst code of every
        file handled (0 when nothing was ready, and when another drop holds the inbox)."""
        if not self.inbox.is_dir():
            raise ConfigError(f"inbox {self.inbox} is not a folder")
        ready_by_marker(self.config, "the configuration")
        try:
            since = shown(_now(), self.config.report.timezone)
            with locked(self.inbox, f"importer drop since {since}", self._lock_name):
                return self._passes()
        except InboxBusy as busy:
            log.warning("drop.busy", inbox=str(self.inbox), holder=busy.holder)
            self._print(f"{busy}; this drop exits without doing anything.\n")
            return ExitCode.OK

    def _passes(self) -> ExitCode:
        codes: list[ExitCode] = []
        with ExitStack() as stack:
            target = stack.enter_context(open_target(self.config, dry_run=False))
            journal = stack.enter_context(Journal(self.config.journal.place()))
            while True:
                summary = self.run_pass(target, journal)
                if summary is not None:
                    codes.append(summary.exit_code)
                if not self.options.watch or self.stop.files.wait(self.config.drop.interval):
                    break
        return worst(codes)

    def run_pass(self, target: Target, journal: Journal) -> DropSummary | None:
        """Everything ready now, inbox by inbox: the top one, then each creditor's. Returns the
        pass's own summary (its exit code); what is news is added to the night's (`night`)."""
        summary = _new_summary(self.config, self.inbox, self._clock())
        subs, ignored = sub_inboxes(self.inbox, self.config.drop.folders)
        for folder in ignored:
            self._say_once(
                f"ignored:{folder}",
                f"{folder} has no config.yaml and is not in drop.folders: it is not a "
                "creditor's inbox, its files are left alone",
            )
            summary.ignored.append(Ignored(folder, count_files(folder)))
        self._waiting_said = set()
        for sub in [s for s in subs if readable_name(s.path.name) != s.path.name]:
            subs.remove(sub)  # the journal, reports and summary hold text: say it, skip it
            summary.notes.append(
                f"{readable_name(sub.path.name)}: not processed — the folder's name is not "
                "UTF-8; rename it (its files wait)"
            )
            summary.note_codes.append(ExitCode.USAGE)
        for inbox in [_top_inbox(self.inbox), *subs]:
            if self.stop.files.is_set() or _halted(summary):
                break
            self._pass_inbox(inbox, target, journal, summary)
        if _halted(summary):
            summary.notes.append(text("drop.halted", summary.language))
        summary.finished = self._clock()
        self._last_notes = set(summary.notes)
        # Only news is written, printed and notified (drop.night): a pass a minute saying
        # again what the night's summary says would bury the real ones.
        shared = journal.nights if self.config.journal.url is not None else None
        if self._teller.tell(summary, shared):
            write_overview_of(journal, self.config)  # the night's summary linked
        return summary

    def _pass_inbox(
        self, inbox: Inbox, target: Target, journal: Journal, summary: DropSummary
    ) -> None:
        named = self.options.creditor if inbox.path == self.inbox else None  # --creditor
        try:
            config = inbox_config(self.config, inbox, named)
        except ConfigError as exc:
            note = f"{inbox.label}: not processed — {exc.message}"
            summary.notes.append(note)
            summary.note_codes.append(ExitCode.USAGE)
            if note not in self._last_notes:  # said once, not every pass of a watch
                # An expected refusal: its one line is the message, a traceback adds nothing.
                log.error("drop.inbox_config", inbox=inbox.label, problem=exc.message)  # noqa: TRY400
            return
        if config.drop.expect == "daily":
            summary.expecting.append(inbox.label)
        with ExitStack() as stack:
            if inbox.path != self.inbox:
                try:
                    stack.enter_context(
                        locked(inbox.path, "importer drop of the parent inbox", self._lock_name)
                    )
                except InboxBusy as busy:
                    summary.notes.append(f"{inbox.label}: skipped — {busy}")
                    return
            _orphans(inbox, summary, self.config.drop.orphan_marker_days)
            runner = FileImport(
                inbox,
                config,
                journal,
                target,
                self._run_options(inbox, config, named),
                stop_rows=self.stop.rows,
                progress=self._progress,
                heartbeat=self.options.heartbeat,
            )
            stack.callback(runner.close)
            for path in in_processing(inbox):
                if self.stop.files.is_set() or _halted(summary):
                    return
                summary.files += _held_and_handled(runner, journal, path, resumed=True)
            while not self.stop.files.is_set() and not _halted(summary):
                try:
                    taken = self._claim_next(inbox, config, summary)
                except OSError as exc:  # processing/ cannot be made (a file by that name, a
                    # read-only or full disk): this inbox waits, the others still run
                    summary.notes.append(
                        f"{inbox.label}: nothing claimed — {inbox.processing} cannot take a "
                        f"file ({exc.strerror or exc}); its files wait in the inbox"
                    )
                    summary.note_codes.append(ExitCode.USAGE)
                    # The reason is the message; no traceback for a refused folder.
                    log.error(  # noqa: TRY400 - see the line above
                        "drop.claim_failed", inbox=inbox.label, error=str(exc)
                    )
                    return
                if taken is None:
                    return
                summary.files += _held_and_handled(runner, journal, taken, resumed=False)

    def _claim_next(self, inbox: Inbox, config: Config, summary: DropSummary) -> Path | None:
        """The first ready file of the inbox, claimed into processing/; None when none is.
        Listed afresh each time, so a file that became ready meanwhile is seen."""
        files, links = candidates(inbox)
        for link in links:
            self._say_once(f"link:{link}", f"{link} is a symbolic link: not followed, not imported")
        # Every rule: a marker written before its file is finished must not claim it.
        writers = open_for_writing(files)
        try:
            index: dict[str, list[str]] | None = marker_index(os.listdir(inbox.path))
        except OSError:
            index = None  # each file's markers are looked up on their own
        for path in files:
            rule, settle = config.drop.ready, config.drop.settle_seconds
            verdict = judge(path, rule, settle, writers, index=index)
            if not verdict.ready:
                if path not in self._waiting_said:
                    self._waiting_said.add(path)
                    log.info("drop.waiting", file=path.name, inbox=inbox.label, why=verdict.why)
                    held, now = path in writers, self._clock()
                    summary.waiting += waiting(inbox.label, path, held, rule, settle, now)
                continue
            claimed = claim(inbox, path, verdict.markers)
            if claimed is not None:
                log.info("file.claimed", file=path.name, inbox=inbox.label, ready=verdict.why)
                return claimed
        return None

    def _run_options(self, inbox: Inbox, config: Config, named: str | None) -> RunOptions:
        """Files directly in the inbox: `--creditor` (`named`) if given. A creditor's
        subfolder whose config.yaml names its own creditor: that one, for every row — a row
        there naming another creditor is not sent (the failure this command was built after:
        a second creditor's file credited to the default creditor)."""
        if not inbox.creditors_folder or named:
            # --creditor names the creditor of the files directly in INBOX (a config.yaml
            # there naming another one was refused by `inbox_config`)
            return RunOptions(creditor=named)
        own = config.defaults.creditor
        return RunOptions(creditor=own if own != self.config.defaults.creditor else None)

    def _say_once(self, key: str, text: str) -> None:
        if key not in self._said:
            self._said.add(key)
            log.warning("drop.notice", notice=text)


def _held_and_handled(
    runner: FileImport, journal: Journal, path: Path, *, resumed: bool
) -> list[FileSummary]:
    """`runner.handle(path)` while this drop holds the claimed file's lock in the journal,
    from before it is read until it is archived: a drop of another host on the same inbox
    (a server journal) then never resumes a file in processing/ that a live drop works on, nor
    archives it twice; the lock dies with a killed holder, and the next pass of any host
    resumes its file. Nothing when another drop holds it, or archived it meanwhile: that one
    tells what became of it."""
    try:
        with journal.locks.for_claimed(str(path)):
            if not path.is_file():
                log.info("drop.taken_elsewhere", file=path.name, inbox=runner.inbox.label)
                return []
            return [runner.handle(path, resumed=resumed)]
    except ImportLocked as held:
        log.info(
            "drop.held_elsewhere", file=path.name, inbox=runner.inbox.label, holder=held.message
        )
        return []


def _new_summary(config: Config, inbox: Path, started: datetime) -> DropSummary:
    """A pass's own summary, before anything is done: its words and times as the reports'."""
    summary = DropSummary(
        new_drop_id(started),
        inbox,
        started,
        config.defaults.currency,
        language=config.report.language,
        timezone=config.report.timezone,
    )
    summary.orphan_marker_days = config.drop.orphan_marker_days
    return summary


def _orphans(inbox: Inbox, summary: DropSummary, keep_days: float) -> None:
    """List the inbox's markers without a file in the summary; remove the old ones."""
    for marker, age, removed in clear_orphans(inbox, keep_days):
        name = readable_name(marker.name)
        summary.orphan_markers.append(OrphanMarker(name, inbox.label, age, removed))
        if removed:
            log.info("drop.orphan_marker_removed", marker=name, inbox=inbox.label, days=age)


def _top_inbox(path: Path) -> Inbox:
    """The inbox the drop was given. When it holds a config.yaml itself (a drop pointed at one
    creditor's subfolder, say a cron line per creditor), those settings apply as they would in
    the parent's drop: its files are never credited to the main configuration's creditor."""
    overlay = path / OVERLAY
    if overlay.is_file() and not overlay.is_symlink():
        return Inbox(path, overlay)
    return Inbox(path)


def _halted(summary: DropSummary) -> bool:
    """A file left unfinished (the API down, the key refused, a stop): claiming more files
    now would only move them into processing/ to wait there too."""
    return any(f.exit_code == ExitCode.INCOMPLETE for f in summary.files)


def _now() -> datetime:
    return datetime.now(UTC)


def _local_now() -> datetime:
    return datetime.now().astimezone()
