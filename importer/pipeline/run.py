"""The import pipeline (DESIGN.md §2): read → map → validate → journal → post → report.

Each stage only consumes what the previous one produced. Posting works from the journal, not
from memory, so a first run, a resumed run after a crash and a rerun of failed rows are the
same loop over rows that are not final yet. That loop is where exactly-once is kept:

* a row's intent is committed before its request leaves (journal.mark_intent);
* a row whose answer never came is `unknown` and is looked up by its `creditor_reference`
  once it has settled, before anything of its case is sent again (`posting`, `lanes`);
* rows that must not be sent (a credit note or a row credited before, a credit-note
  conflict) are decided before posting, in file order (`dedupe`).


This module is the facade: `Importer` runs a file, resumes an import, reruns one and renders
its reports, delegating to the stages `intake`, `posting` (with `dedupe` and `reconcile`)
and `corrections`."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import structlog

from importer.api.identity import api_identity
from importer.api.target import Target
from importer.api.throttle import Throttle
from importer.bulk import gc_paused
from importer.config import Config
from importer.errors import (
    FileRejected,
    ImportNotFound,
    InternalError,
    Interrupted,
    ReportUnwritten,
    RerunRefused,
    RunStopped,
)
from importer.exit_codes import ExitCode
from importer.journal import ImportRecord, Journal, utcnow
from importer.outcomes import ImportWarning, Outcome, exit_code_for
from importer.pipeline.corrections import apply_fixes, read_corrections
from importer.pipeline.dedupe import Dedupe
from importer.pipeline.intake import Intake
from importer.pipeline.posting import Poster
from importer.pipeline.preflight import check_report_folder, report_unwritten
from importer.pipeline.reconcile import Reconciler
from importer.pipeline.rerun_plan import plan
from importer.pipeline.results import ImportResult, Progress, RunOptions
from importer.report import Report
from importer.report.render import render_from_journal
from importer.report.settings import ReportSettings
from importer.sources import not_a_file
from importer.stopping import when_stopped

if TYPE_CHECKING:
    from importer.api.client import ApiClient

log = structlog.get_logger("importer")


def _sha256(path: Path) -> str | None:
    try:
        if not path.is_file():  # a FIFO would block here; intake refuses it
            return None
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None


class Importer:
    """Runs imports against one target with one journal: the object behind
    `pipeline.facade` (and so behind the CLI), which a Python caller may also use directly."""

    def __init__(
        self,
        config: Config,
        journal: Journal,
        target: Target,
        *,
        progress: Progress | None = None,
        stop: threading.Event | None = None,
        sleep: Callable[[float], None] | None = None,
        creditor: str | None = None,
    ) -> None:
        """`creditor` is `--creditor` (checked: `validation.creditor_option`): the creditor of
        every row of the files run, corrections included."""
        self.config = config
        self.creditor = creditor
        self.journal = journal
        self.target = target
        self._progress = progress
        self._stop = stop or threading.Event()
        self._sleep = sleep or self._pause
        self._clients: dict[int, ApiClient] = {}
        """One client (one keep-alive connection) per thread: each lane has its own."""
        self._clients_lock = threading.Lock()
        self._throttle = Throttle(config.posting.max_rate, sleep=self._sleep)
        """Shared by every connection of this importer: a 429 or 503 pauses them all (and a
        stop ends the pause: `_pause`)."""
        self._dedupe = Dedupe(config, journal, target.name)
        self._intake = Intake(config, journal, target, self._dedupe, self._result, creditor)
        reconciler = Reconciler(config, journal, lambda: self.client)
        self._reconciler = reconciler
        self._poster = Poster(
            config,
            journal,
            target.name,
            client=lambda: self.client,
            connect=self._connect,
            reconciler=reconciler,
            stop=self._stop,
            progress=progress,
        )

    def _pause(self, seconds: float) -> None:
        """Every wait of a run (settle times, the client's backoff and Retry-After) ends when
        a stop is asked for (issue 9 §8)."""
        if self._stop.wait(seconds):
            raise Interrupted("stopped on request; run the same command again to resume")

    @property
    def client(self) -> ApiClient:
        """This thread's client: the lanes post over a connection each."""
        me = threading.get_ident()
        with self._clients_lock:
            client = self._clients.get(me)
        if client is None:
            client = self._connect()
            with self._clients_lock:
                self._clients[me] = client
        return client

    def _connect(self) -> ApiClient:
        """A client of its own (one keep-alive connection) to the import's API."""
        if self.target.url is None or self.target.api_key is None:
            raise InternalError("a dry run must not reach the API")
        from importer.api.client import ApiClient

        client = ApiClient(
            self.target.url,
            self.target.api_key,
            self.config.api,
            throttle=self._throttle,
            sleep=self._sleep,
        )
        when_stopped(self._stop, client.stop_soon)
        return client

    def close(self) -> None:
        self._close_clients(keep=None)

    def _close_clients(self, keep: int | None) -> None:
        """Close the clients of every thread but `keep` (the lanes' threads have ended)."""
        with self._clients_lock:
            closing = [c for t, c in self._clients.items() if t != keep]
            self._clients = {t: c for t, c in self._clients.items() if t == keep}
        for client in closing:
            client.close()

    def render(self, import_id: str) -> tuple[Report, dict[str, Path]]:
        """(Re)render an import's reports from the journal, in place, block by block.
        The report returned has the summary but no rows: they are in the files (and
        `importer.report.render.build_report` gives them as models)."""
        directory = self.config.report.dir / import_id
        try:
            return render_from_journal(
                self.journal,
                import_id,
                directory,
                list(self.config.report.formats),
                ReportSettings.of(self.config),
            )
        except OSError as exc:  # a full disk: the journal has it all, render it later
            raise report_unwritten(directory, import_id, exc) from exc

    def _result(
        self, path: Path, import_id: str, exit_code: ExitCode, message: str | None = None
    ) -> ImportResult:
        try:
            report, paths = self.render(import_id)
        except ReportUnwritten as unwritten:
            log.info("report.unwritten", import_id=import_id, reason=unwritten.message)
            code = unwritten.exit_code
            return ImportResult(str(path), code, import_id, message=unwritten.message)
        posting, self._poster.last_run = self._poster.last_run, None
        return ImportResult(
            str(path), exit_code, import_id, report, paths, message, posting=posting
        )

    def preflight(self, *, dry_run: bool) -> None:
        """Before anything is sent: the report folder and the journal take a real write, so
        a run never posts and then fails to record or report it (issue 9 §9)."""
        check_report_folder(self.config.report.dir)
        if not dry_run:
            self.journal.check_writable()

    def run_file(self, path: Path, options: RunOptions | None = None) -> ImportResult:
        options = options or RunOptions()
        problem = not_a_file(path)
        if problem is not None:  # a mistyped path: no import, no report folder
            return ImportResult(str(path), ExitCode.USAGE, message=f"{path}: {problem}")
        self.preflight(dry_run=options.dry_run)
        started = utcnow()
        sha256 = _sha256(path)
        if options.dry_run or sha256 is None:
            return self._start(path, sha256, started, options)
        with self.journal.file_lock(sha256, self.target.name, path.name):
            done = self.journal.find_import(sha256, self.target.name, state="finished")
            if done is not None and not options.force and self._fully_imported(done.id):
                if not self._report_current(done):
                    self.render(done.id)
                return ImportResult(
                    str(path),
                    ExitCode.OK,
                    done.id,
                    message=(
                        f"{path.name} was already imported as {done.id} "
                        f"({done.started:%Y-%m-%d %H:%M} UTC); nothing was sent. "
                        "Use --force to import it again."
                    ),
                )
            unfinished = self.journal.find_import(sha256, self.target.name, state="open")
            if unfinished is None and done is not None and not options.force:
                # Finished with rows left unknown (reconcile manual or ambiguous): the same
                # command resumes that import; a new one would post those rows again.
                unfinished = done
            if unfinished is not None:
                log.info("import.resume", import_id=unfinished.id, file=path.name)
                return self.continue_import(unfinished.id)
            return self._start(path, sha256, started, options)

    def _start(
        self, path: Path, sha256: str | None, started: datetime, options: RunOptions
    ) -> ImportResult:
        import_id = self.journal.new_import_id(sha256, started)
        try:
            with gc_paused():
                done = self._intake.new_import(path, import_id, sha256, started, options)
            # Posting runs with the collector on: it may last hours and HTTP errors do
            # create reference cycles.
            return done if done is not None else self.continue_import(import_id)
        except FileRejected as rejected:
            self._intake.reject(path, import_id, sha256, started, options, rejected)
            return self._result(path, import_id, ExitCode.USAGE, rejected.message)

    def _report_current(self, record: ImportRecord) -> bool:
        """True when every configured report of a finished import was written after it was
        marked finished. A process killed in between leaves no report, or an older one from
        an interrupted run, which "already imported" must not leave behind."""
        directory = self.config.report.dir / record.id
        for name in self.config.report.formats:
            try:
                written = (directory / f"report.{name}").stat().st_mtime
            except OSError:
                return False
            if record.finished is None or written < record.finished.timestamp():
                return False
        return True

    def _fully_imported(self, import_id: str) -> bool:
        counts = self.journal.outcome_counts(import_id)
        return (
            counts[Outcome.NOT_SENT] == 0
            and counts[Outcome.UNKNOWN] == 0
            and not self.journal.awaiting_status(import_id)
        )

    def _all_or_nothing_blocked(self, record: ImportRecord) -> bool:
        return record.all_or_nothing and self.journal.outcome_counts(record.id)[Outcome.INVALID] > 0

    def _conflicts_block(self, path: Path, import_id: str) -> ImportResult:
        """All-or-nothing, and the dedupe rules found invalid rows (a credit-note conflict)
        before the first POST: the file stops there, nothing posted, as intake stops it."""
        invalid = self.journal.outcome_counts(import_id)[Outcome.INVALID]
        self.journal.add_warning(
            import_id,
            ImportWarning(
                code="all_or_nothing",
                message=f"all-or-nothing: {invalid} row(s) are invalid, so nothing was "
                "posted; fix them and run the file again",
            ),
        )
        self.journal.set_state(import_id, "finished", utcnow())
        return self._result(path, import_id, ExitCode.ATTENTION)

    def continue_import(self, import_id: str, *, retry_rejected: bool = False) -> ImportResult:
        """Post every row that is not final yet, in file order (per case, with lanes); an
        `unknown` row is reconciled at its turn, before anything more of its case is sent.
        The same loop serves a first run, a resume after a crash and a rerun."""
        record = self.journal.get_import(import_id)
        if record is None:
            raise ImportNotFound(f"no import {import_id} in the journal {self.journal.path}")
        path = Path(record.file_path)
        if self._all_or_nothing_blocked(record):
            return self._result(
                path,
                import_id,
                ExitCode.ATTENTION,
                f"import {import_id} is all-or-nothing and still has invalid rows; "
                "nothing was posted",
            )
        self.journal.acquire_lock(import_id)
        try:
            wanted = [Outcome.NOT_SENT, Outcome.UNKNOWN]
            if retry_rejected:
                wanted.append(Outcome.REJECTED)
            if record.state != "finished" or self._unfinished(import_id, wanted):
                self.journal.set_state(import_id, "open")
            try:
                # Dedupe before the first POST: nothing is sent blind if the API cannot be
                # asked (ApiUnavailable stops the run; the same command resumes it).
                self._dedupe.run(import_id, wanted, self.client.find_by_credit_invoices)
                if self._all_or_nothing_blocked(record):
                    return self._conflicts_block(path, import_id)
                counts = self.journal.outcome_counts(import_id)
                total = sum(counts[outcome] for outcome in wanted)
                try:
                    self._poster.post_rows(
                        import_id, self.journal.pending(import_id, wanted), total
                    )
                finally:
                    self._close_clients(keep=threading.get_ident())  # the lanes' are done
                self._reconciler.read_statuses(import_id)
                self._poster.check_double_credits(import_id)
                self.journal.point_at_originals(import_id)
            except RunStopped as stopped:
                log.info("import.stopped", import_id=import_id, reason=stopped.message)
                return self._result(path, import_id, stopped.exit_code, stopped.message)
            self.journal.set_state(import_id, "finished", utcnow())
        finally:
            self.journal.release_lock(import_id)
        result = self._result(path, import_id, ExitCode.OK)
        if result.report is None:  # the report could not be written: exit 3 says so
            return result
        report = result.report
        result.exit_code = exit_code_for(
            report.summary.outcomes,
            report.summary.statuses,
            dry_run=report.dry_run,
            rejected=bool(report.file_errors and not report.rows),
            all_or_nothing=record.all_or_nothing,
        )
        unread = self.journal.unread_statuses(import_id)
        if unread and result.exit_code in (ExitCode.OK, ExitCode.ATTENTION):
            # Not known to be `completed`: the same command reads it (nothing is resent).
            result.exit_code = ExitCode.INCOMPLETE
            result.message = (
                f"the status of {unread} credited row(s) could not be read back from the API; "
                "run the same command again to read it (nothing is sent again)"
            )
        if result.exit_code is ExitCode.OK and self.journal.flagged(import_id):
            # Credited twice (a person reverses one), or an answer that did not fit.
            result.exit_code = ExitCode.ATTENTION
        log.info("import.finished", import_id=import_id, **result.report.summary.outcomes)
        return result

    def _unfinished(self, import_id: str, wanted: list[Outcome]) -> bool:
        counts = self.journal.outcome_counts(import_id)
        return any(counts[o] for o in wanted) or bool(self.journal.awaiting_status(import_id))

    def rerun(
        self, import_id: str, fix: Path | None = None, *, dry_run: bool = False
    ) -> ImportResult:
        """Post again what is not final (not_sent, unknown after reconciliation, rejected),
        after applying corrections from `fix`, matched by key (`corrections`). Credited rows
        are never posted again, whatever their status. `dry_run` only says what would be
        sent (`rerun_plan`)."""
        record = self.journal.get_import(import_id)
        if record is None:
            raise ImportNotFound(f"no import {import_id} in the journal {self.journal.path}")
        if record.dry_run:
            raise RerunRefused(f"import {import_id} was a dry run; run the file instead")
        if record.state == "rejected":
            raise RerunRefused(
                f"import {import_id} was rejected as a whole; fix the file and run it again"
            )
        if api_identity(record.base_url) != self.target.name:
            raise RerunRefused(
                f"import {import_id} was made against {record.base_url}, not "
                f"{self.target.name}; rerun it against the same API (--api-url)"
            )
        if self.creditor is not None:
            self._check_creditor(record)
        if dry_run:
            return self._rerun_plan(record, fix)
        self.preflight(dry_run=False)
        notes = (
            apply_fixes(self.config, self.journal, record, fix, creditor=self.creditor)
            if fix is not None
            else []
        )
        result = self.continue_import(import_id, retry_rejected=True)
        if notes:
            result.message = "; ".join(filter(None, [result.message, *notes]))
        return result

    def _rerun_plan(self, record: ImportRecord, fix: Path | None) -> ImportResult:
        """`rerun --dry-run`: what would be sent, corrections applied; nothing changes."""
        originals = self.journal.rows(record.id)
        fixes = (
            []
            if fix is None
            else read_corrections(self.config, fix, record, originals, creditor=self.creditor)
        )
        shown = plan(record, originals, fixes)
        return ImportResult(record.file_name, shown.exit_code, record.id, message=shown.text)

    def _check_creditor(self, record: ImportRecord) -> None:
        """`rerun --creditor`: the operator says whose import this is; rows of another
        creditor stop the rerun before anything is sent."""
        others = {
            row.request["creditor"]
            for row in self.journal.rows(record.id, [Outcome.NOT_SENT, Outcome.REJECTED])
            if row.request is not None and row.request.get("creditor") != self.creditor
        }
        if others:
            raise RerunRefused(
                f"import {record.id} ({record.file_name}) has rows of creditor "
                f"{', '.join(sorted(others))}, not {self.creditor} given with --creditor; "
                "nothing was sent"
            )
