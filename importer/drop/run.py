"""Nightly drops (DESIGN.md §7): one pass over an inbox — resume what an earlier pass left in
`processing/`, claim each finished file, import it exactly as `importer run` does, archive it by
its result — and a summary of the night. `--watch` repeats passes until asked to stop.

A file is imported by `Importer.run_file`, the same call `run` makes, so exactly-once, resume by
content (sha256) and every dedupe rule apply to a night's files as they do to `run`'s; a file
renamed into `processing/` keeps its bytes and so its import. The drop adds only what is about
files: readiness (`readiness`), claims and archives (`inbox`), what becomes of one file
(`file_import`), per-creditor settings and the summary (`summary`).

Two stop levels, because a scheduler's SIGTERM should not leave a file half-posted when it can
wait: `stop_files` (first signal) lets the file in flight finish and claims nothing more;
`stop_rows` (second signal) stops that file after the row in flight (exit 3, left in
`processing/`, resumed first next time).
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from importer import logs
from importer.api.target import Target, open_target
from importer.config import Config, overlay_config
from importer.drop.file_import import FileImport
from importer.drop.inbox import (
    OVERLAY,
    Inbox,
    InboxBusy,
    candidates,
    claim,
    in_processing,
    locked,
    readable_name,
    sub_inboxes,
)
from importer.drop.readiness import judge, marker_index, open_for_writing
from importer.drop.summary import DropSummary
from importer.errors import ConfigError
from importer.exit_codes import ExitCode
from importer.journal import Journal
from importer.local_time import shown
from importer.outcomes import worst
from importer.pipeline import Progress, RunOptions
from importer.stopping import StopFlag

log = logs.get_logger("importer.drop")


@dataclass(frozen=True, slots=True)
class DropOptions:
    watch: bool = False
    interval: float = 60.0
    """Seconds between passes with `watch`."""
    creditor: str | None = None
    """The creditor of every row of the files directly in the inbox (`RunOptions.creditor`:
    a row naming another is not sent). A creditor's subfolder keeps the creditor its own
    config.yaml names, enforced the same way."""
    heartbeat: float = 20.0
    """Seconds between progress lines while a file is posted (a non-TTY log hears at least
    this often that the drop is alive)."""


@dataclass(slots=True)
class Signals:
    """What the caller (the CLI's signal handlers) asks: see the module docstring."""

    stop_files: threading.Event = field(default_factory=threading.Event)
    stop_rows: threading.Event = field(default_factory=StopFlag)
    """A StopFlag, so setting it also cuts short an answer in flight (importer.stopping)."""


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
        signals: Signals | None = None,
        progress: Progress | None = None,
        printer: Callable[[str], None] | None = None,
    ) -> None:
        # Absolute, so the journal records a claimed file's path the same however the inbox was
        # spelled: a later pass (another cwd, another spelling) knows it as this very file.
        self.inbox = inbox.absolute()
        self.options = options
        self.config = config
        self.signals = signals or Signals()
        self._progress = progress
        self._print = printer or (lambda _text: None)
        self._said: set[str] = set()
        self._last_notes: set[str] = set()
        """The previous pass's notes: in watch mode a note said then is not news now."""
        self._waiting_said: set[Path] = set()

    def run(self) -> ExitCode:
        """One pass, or passes until `stop_files` with `watch`. Exit: the worst code of every
        file handled (0 when nothing was ready, and when another drop holds the inbox)."""
        if not self.inbox.is_dir():
            raise ConfigError(f"inbox {self.inbox} is not a folder")
        try:
            since = shown(_now(), self.config.report.timezone)
            with locked(self.inbox, f"importer drop since {since}"):
                return self._passes()
        except InboxBusy as busy:
            log.warning("drop.busy", inbox=str(self.inbox), holder=busy.holder)
            self._print(f"{busy}; this drop exits without doing anything.\n")
            return ExitCode.OK

    def _passes(self) -> ExitCode:
        codes: list[ExitCode] = []
        with ExitStack() as stack:
            target = stack.enter_context(open_target(self.config, dry_run=False))
            journal = stack.enter_context(Journal(self.config.journal.path))
            while True:
                summary = self.run_pass(target, journal)
                if summary is not None:
                    codes.append(summary.exit_code)
                if not self.options.watch or self.signals.stop_files.wait(self.options.interval):
                    break
        return worst(codes)

    def run_pass(self, target: Target, journal: Journal) -> DropSummary | None:
        """Everything ready now, inbox by inbox: the top one, then each creditor's. Returns the
        summary it wrote; in watch mode a pass that found nothing writes none."""
        started = _now()
        summary = DropSummary(
            new_drop_id(started),
            self.inbox,
            started,
            self.config.defaults.currency,
            timezone=self.config.report.timezone,
        )
        subs, ignored = sub_inboxes(self.inbox)
        for folder in ignored:
            self._say_once(
                f"ignored:{folder}",
                f"{folder} has no config.yaml: it is not a creditor's inbox, its files are "
                "left alone",
            )
        self._waiting_said = set()
        for sub in [s for s in subs if readable_name(s.path.name) != s.path.name]:
            subs.remove(sub)  # the journal, reports and summary hold text: say it, skip it
            summary.notes.append(
                f"{readable_name(sub.path.name)}: not processed — the folder's name is not "
                "UTF-8; rename it (its files wait)"
            )
            summary.note_codes.append(ExitCode.USAGE)
        for inbox in [_top_inbox(self.inbox), *subs]:
            if self.signals.stop_files.is_set() or _halted(summary):
                break
            self._pass_inbox(inbox, target, journal, summary)
        if _halted(summary):
            summary.notes.append(
                "a file could not finish (see below), so this pass claimed nothing more; "
                "files still in the inboxes wait for the next pass"
            )
        summary.finished = _now()
        fresh = [note for note in summary.notes if note not in self._last_notes]
        self._last_notes = set(summary.notes)
        # In watch mode a pass with no file and only what the last pass said (a creditor's
        # folder still refused) writes no summary: one a minute would bury the real ones.
        if summary.files or fresh or not self.options.watch:
            _publish(summary, self.config.report.dir, self._print)
            return summary
        return None

    def _pass_inbox(
        self, inbox: Inbox, target: Target, journal: Journal, summary: DropSummary
    ) -> None:
        named = self.options.creditor if inbox.path == self.inbox else None  # --creditor
        try:
            config = _inbox_config(self.config, inbox, named)
        except ConfigError as exc:
            note = f"{inbox.label}: not processed — {exc.message}"
            summary.notes.append(note)
            summary.note_codes.append(ExitCode.USAGE)
            if note not in self._last_notes:  # said once, not every pass of a watch
                # An expected refusal: its one line is the message, a traceback adds nothing.
                log.error("drop.inbox_config", inbox=inbox.label, problem=exc.message)  # noqa: TRY400
            return
        with ExitStack() as stack:
            if inbox.path != self.inbox:
                try:
                    stack.enter_context(locked(inbox.path, "importer drop of the parent inbox"))
                except InboxBusy as busy:
                    summary.notes.append(f"{inbox.label}: skipped — {busy}")
                    return
            runner = FileImport(
                inbox,
                config,
                journal,
                target,
                self._run_options(inbox, config, named),
                stop_rows=self.signals.stop_rows,
                progress=self._progress,
                heartbeat=self.options.heartbeat,
            )
            stack.callback(runner.close)
            for path in in_processing(inbox):
                if self.signals.stop_files.is_set() or _halted(summary):
                    return
                summary.files.append(runner.handle(path, resumed=True))
            while not self.signals.stop_files.is_set() and not _halted(summary):
                try:
                    taken = self._claim_next(inbox, config)
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
                summary.files.append(runner.handle(taken, resumed=False))

    def _claim_next(self, inbox: Inbox, config: Config) -> Path | None:
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
        if inbox.overlay is None or named:
            # --creditor names the creditor of the files directly in INBOX (a config.yaml
            # there naming another one was refused by `_inbox_config`)
            return RunOptions(creditor=named)
        own = config.defaults.creditor
        return RunOptions(creditor=own if own != self.config.defaults.creditor else None)

    def _say_once(self, key: str, text: str) -> None:
        if key not in self._said:
            self._said.add(key)
            log.warning("drop.notice", notice=text)


def _inbox_config(main: Config, inbox: Inbox, named: str | None) -> Config:
    """The configuration of one inbox: the main one, with a creditor's config.yaml laid over
    it (which must name its creditor, or agree with `named`, the drop's --creditor, and must
    not change the API or the journal)."""
    if inbox.overlay is None:
        return main
    config = overlay_config(main, inbox.overlay, creditor_said=True, creditor=named)
    if config.api != main.api or config.journal != main.journal:
        raise ConfigError(
            f"{inbox.overlay}: a creditor's inbox shares the drop's API and journal; "
            "remove its api and journal sections"
        )
    return config


def _top_inbox(path: Path) -> Inbox:
    """The inbox the drop was given. When it holds a config.yaml itself (a drop pointed at one
    creditor's subfolder, say a cron line per creditor), those settings apply as they would in
    the parent's drop: its files are never credited to the main configuration's creditor."""
    overlay = path / OVERLAY
    if overlay.is_file() and not overlay.is_symlink():
        return Inbox(path, overlay)
    return Inbox(path)


def _publish(summary: DropSummary, report_dir: Path, say: Callable[[str], None]) -> None:
    """Write the pass's summary and print it. A summary that cannot be written (a full disk)
    is printed whole with the reason and makes the exit code 3: the files are imported and
    archived, and the journal and each import's report hold every outcome."""
    try:
        folder = summary.write(report_dir)
    except OSError as exc:
        summary.note_codes.append(ExitCode.INCOMPLETE)
        where = report_dir / "drops" / summary.drop_id
        say(
            summary.text() + f"(summary NOT written to {where}: "
            f"{exc.strerror or exc.__class__.__name__}; exit code 3)\n"
        )
        log.warning("drop.summary_unwritten", drop_id=summary.drop_id, error=str(exc))
        return
    say(summary.text() + f"(summary in {folder})\n")
    log.info(
        "drop.pass",
        drop_id=summary.drop_id,
        files=len(summary.files),
        exit_code=int(summary.exit_code),
        summary=str(folder),
    )


def _halted(summary: DropSummary) -> bool:
    """A file left unfinished (the API down, the key refused, a stop): claiming more files
    now would only move them into processing/ to wait there too."""
    return any(f.exit_code == ExitCode.INCOMPLETE for f in summary.files)


def _now() -> datetime:
    return datetime.now(UTC)
