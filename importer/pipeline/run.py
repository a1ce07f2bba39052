"""The import pipeline (docs/pipeline.md): read → map → validate → journal → post → report.

Each stage only consumes what the previous one produced. Posting works from the journal, not
from memory, so a first run, a resumed run after a crash and a rerun of failed rows are the
same loop over rows that are not final yet. That loop is where exactly-once is kept:

* a row's intent is committed before its request leaves (journal.rows.mark_intent);
* a row whose answer never came is `unknown` and is looked up by its `creditor_reference`
  once it has settled, before anything of its case is sent again (`posting`, `lanes`);
* rows that must not be sent (a credit note or a row credited before, a credit-note
  conflict) are decided before posting, in file order (`dedupe`).


This module is the facade: `Importer` runs a file, resumes an import, reruns one and renders
its reports, delegating to the stages `intake`, `posting` (with `dedupe` and `reconcile`)
and `corrections`."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from importer import logs
from importer.api.target import Target
from importer.bulk import gc_paused
from importer.config import Config
from importer.errors import (
    FileRejected,
    ImportNotFound,
    LookupRefused,
    ReportUnwritten,
    RunStopped,
)
from importer.exit_codes import ExitCode
from importer.journal import ImportRecord, Journal, utcnow
from importer.outcomes import ImportWarning, Outcome
from importer.pipeline import file_problems
from importer.pipeline.amounts_read import amount_reading
from importer.pipeline.connections import Connections
from importer.pipeline.corrections import apply_fixes
from importer.pipeline.dedupe import Dedupe
from importer.pipeline.earlier_imports import (
    already_imported,
    file_sha256,
    fully_imported,
    imported_repeat,
    report_current,
    to_resume,
)
from importer.pipeline.generated_references import Ask
from importer.pipeline.intake import Intake
from importer.pipeline.posting import Poster
from importer.pipeline.preflight import check_before_sending, report_unwritten
from importer.pipeline.reconcile import Reconciler
from importer.pipeline.rerun_plan import dry_run_plan, rerunnable
from importer.pipeline.results import ImportResult, Progress, RunOptions
from importer.refusal import worded
from importer.report import Report
from importer.report.render import render_from_journal
from importer.report.settings import ReportSettings
from importer.sources import not_a_file
from importer.stopping import StopFlag

if TYPE_CHECKING:
    from importer.api.client import ApiClient

log = logs.get_logger("importer")


def _unfinished(journal: Journal, import_id: str, wanted: list[Outcome]) -> bool:
    counts = journal.imports.outcome_counts(import_id)
    return any(counts[o] for o in wanted) or bool(journal.statuses.awaiting(import_id))


def _block_for_conflicts(journal: Journal, import_id: str) -> None:
    """All-or-nothing, and the dedupe rules found invalid rows (a credit-note conflict)
    before the first POST: the file stops there, nothing posted, as intake stops it."""
    invalid = journal.imports.outcome_counts(import_id)[Outcome.INVALID]
    journal.imports.add_warning(
        import_id,
        ImportWarning(
            code="all_or_nothing",
            message=f"all-or-nothing: {invalid} row(s) are invalid, so nothing was "
            "posted; fix them and run the file again",
        ),
    )
    journal.imports.set_state(import_id, "finished", utcnow())


def _all_or_nothing_blocked(journal: Journal, record: ImportRecord) -> bool:
    return record.all_or_nothing and journal.imports.outcome_counts(record.id)[Outcome.INVALID] > 0


def _verdict(journal: Journal, record: ImportRecord, report: Report) -> tuple[ExitCode, str | None]:
    """The exit code of an import that ran to its end, from its report's counts, and the
    message that goes with it when it is not the counts' own: a credited row whose status
    could not be read back is not known to be `completed` (exit 3: the same command reads
    it, nothing is resent); a flagged row (credited twice, or an answer that did not fit)
    makes an otherwise clean run ask for a person. The report, rendered from the journal
    (`importer.report.render.report_head`), has weighed its counts, flagged rows and rows a
    person resolved: its exit code is the import's (one place for the rule)."""
    code = ExitCode(report.exit_code) if report.exit_code is not None else ExitCode.INCOMPLETE
    unread = journal.statuses.unread(record.id)
    if unread and code in (ExitCode.OK, ExitCode.ATTENTION):
        return ExitCode.INCOMPLETE, (
            f"the status of {unread} credited row(s) could not be read back from the API; "
            "run the same command again to read it (nothing is sent again)"
        )
    return code, None


def render_reports(
    config: Config, journal: Journal, import_id: str
) -> tuple[Report, dict[str, Path]]:
    """(Re)render an import's reports from the journal, in place, block by block; the
    report returned has no rows (`report.render.build_report` gives them as models)."""
    directory = config.report.dir / import_id
    try:
        rendered = render_from_journal(
            journal,
            import_id,
            directory,
            list(config.report.formats),
            ReportSettings.of(config),
            amount_reading,
        )
    except OSError as exc:  # a full disk: the journal has it all, render it later
        raise report_unwritten(directory, import_id, exc) from exc
    journal.notes.set_report_dir(import_id, directory)
    return rendered


def _repeat_question(target: Target, connections: Connections, journal: Journal) -> Ask | None:
    """What a run with repeats allowed asks whether a file was imported before
    (`generated_references.Ask`): the API, then the journal; None without an API to ask."""
    if target.url is None:
        return None
    return connections.find_in, partial(journal.dedupe.sent_references, target.name)


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
        stop: StopFlag | None = None,
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
        self._stop = stop or StopFlag()
        self._connections = Connections(config, target, self._stop, sleep)
        self._dedupe = Dedupe(config, journal, target.name)
        self._intake = Intake(
            config,
            journal,
            target,
            self._dedupe,
            self._result,
            creditor,
            ask=_repeat_question(target, self._connections, journal),
        )
        self._reconciler = reconciler = Reconciler(
            config, journal, lambda: self.client, target.name
        )
        self._poster = Poster(
            config,
            journal,
            target.name,
            client=lambda: self.client,
            connect=self._connections.connect,
            reconciler=reconciler,
            dedupe=self._dedupe,
            stop=self._stop,
            progress=progress,
        )

    @property
    def client(self) -> ApiClient:
        """This thread's client: the lanes post over a connection each."""
        return self._connections.client()

    def close(self) -> None:
        self._connections.close(keep=None)

    def render(self, import_id: str) -> tuple[Report, dict[str, Path]]:
        """(Re)render an import's reports from the journal, in place (`render_reports`)."""
        return render_reports(self.config, self.journal, import_id)

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

    def run_file(self, path: Path, options: RunOptions | None = None) -> ImportResult:
        options = options or RunOptions()
        problem = not_a_file(path)
        if problem is not None:  # a mistyped path: no import, no report folder
            said = f"{path}: {worded(problem, 'en')}"  # a usage error: English (importer.words)
            return ImportResult(str(path), ExitCode.USAGE, message=said)
        check_before_sending(self.config, self.journal, dry_run=options.dry_run)
        started = utcnow()
        sha256 = file_sha256(path)
        creditor = options.creditor or self.creditor or self.config.defaults.creditor
        if options.dry_run or sha256 is None:  # --force: a forced run credits it again
            done = imported_repeat(self.config, self.journal, self.target.name, creditor, sha256)
            if done is not None and not options.force:
                return already_imported(path, done, self.config.report)
            return self._start(path, sha256, started, options)
        find = partial(self.journal.imports.find, sha256, self.target.name, creditor=creditor)
        with self.journal.locks.for_file(sha256, self.target.name, path.name):
            done = find(state="finished")  # the bytes, the API and the creditor
            if done is not None and not options.force and fully_imported(self.journal, done.id):
                if not report_current(self.config, done):
                    self.render(done.id)
                return already_imported(path, done, self.config.report)
            unfinished = to_resume(find(state="open"), done, force=options.force)
            if unfinished is not None:
                log.info("import.resume", import_id=unfinished.id, file=path.name)
                return self.continue_import(unfinished.id)
            return self._start(path, sha256, started, options)

    def _start(
        self, path: Path, sha256: str | None, started: datetime, options: RunOptions
    ) -> ImportResult:
        import_id = self.journal.imports.new_id(sha256, started)
        try:
            with gc_paused():
                done = self._intake.new_import(path, import_id, sha256, started, options)
            # Posting runs with the collector on: it may last hours and HTTP errors do
            # create reference cycles.
            return done if done is not None else self.continue_import(import_id)
        except FileRejected as refused:
            rejected = self._intake.reject(path, import_id, sha256, started, options, refused)
            result = self._result(path, import_id, ExitCode.USAGE, rejected.message)
            return replace(result, rejected=rejected)  # worded where it is read (`said_in`)

    def continue_import(self, import_id: str, *, retry_rejected: bool = False) -> ImportResult:
        """Post every row that is not final yet, in file order (per case, with lanes); an
        `unknown` row is reconciled at its turn, before anything more of its case is sent.
        The same loop serves a first run, a resume after a crash and a rerun."""
        record = self.journal.imports.get(import_id)
        if record is None:
            raise ImportNotFound(f"no import {import_id} in the journal {self.journal.path}")
        path = Path(record.file_path)
        if _all_or_nothing_blocked(self.journal, record):
            return self._result(
                path,
                import_id,
                ExitCode.ATTENTION,
                f"import {import_id} is all-or-nothing and still has invalid rows; "
                "nothing was posted",
            )
        with self.journal.locks.for_import(import_id):
            wanted = [Outcome.NOT_SENT, Outcome.UNKNOWN]
            if retry_rejected:
                wanted.append(Outcome.REJECTED)
            if record.state != "finished" or _unfinished(self.journal, import_id, wanted):
                self.journal.imports.set_state(import_id, "open")
            file_problems.clear(self.journal, import_id)
            try:
                # Dedupe before the first POST: nothing is sent blind if the API cannot be
                # asked (ApiUnavailable stops the run; the same command resumes it).
                self._dedupe.run(import_id, wanted, self._connections.find_in)
                if _all_or_nothing_blocked(self.journal, record):
                    _block_for_conflicts(self.journal, import_id)
                    return self._result(path, import_id, ExitCode.ATTENTION)
                counts = self.journal.imports.outcome_counts(import_id)
                total = sum(counts[outcome] for outcome in wanted)
                try:
                    self._poster.post_rows(
                        import_id, self.journal.rows.pending(import_id, wanted), total
                    )
                finally:
                    self._connections.close(keep=threading.get_ident())  # the lanes' are done
                self._reconciler.read_statuses(import_id)
                self._poster.check_double_credits(import_id)
                self.journal.dedupe.point_at_originals(import_id)
            except (RunStopped, LookupRefused) as stopped:  # nothing sent: the report says so
                log.info("import.stopped", import_id=import_id, reason=stopped.message)
                message = file_problems.stopped(self.journal, record, stopped, self.config)
                return self._result(path, import_id, stopped.exit_code, message)
            file_problems.note_shared_rejection(self.journal, import_id)
            self.journal.imports.set_state(import_id, "finished", utcnow())
        result = self._result(path, import_id, ExitCode.OK)
        if result.report is None:  # the report could not be written: exit 3 says so
            return result
        result.exit_code, unread = _verdict(self.journal, record, result.report)
        result.message = unread or result.message
        log.info("import.finished", import_id=import_id, **result.report.summary.outcomes)
        return result

    def rerun(
        self,
        import_id: str,
        fix: Path | None = None,
        *,
        dry_run: bool = False,
        by: str | None = None,
    ) -> ImportResult:
        """Post again what is not final (not_sent, unknown after reconciliation, rejected),
        after applying corrections from `fix`, matched by key (`corrections`). Credited rows
        are never posted again, whatever their status. `dry_run` only says what would be
        sent (`rerun_plan`)."""
        record = rerunnable(self.journal, self.target.name, self.creditor, import_id)
        if dry_run:
            return dry_run_plan(self.config, self.journal, record, fix, self.creditor)
        check_before_sending(self.config, self.journal, dry_run=False)
        # Corrections change the import's rows: not while another importer posts them.
        with self.journal.locks.for_import(import_id):
            notes = (
                apply_fixes(self.config, self.journal, record, fix, creditor=self.creditor, by=by)
                if fix is not None
                else []
            )
            result = self.continue_import(import_id, retry_rejected=True)
        if notes:
            result.message = "; ".join(filter(None, [result.message, *notes]))
        return result
