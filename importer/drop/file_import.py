"""One claimed file of a drop: import it as `run` would, decide where it goes by its exit code,
and say what became of it — in the log as it happens, in a FileSummary for the night's summary.

Where a file goes (docs/drops.md):

* exit 0 or 1 — imported (rows needing attention are in its report): `done/<day>/`;
* the same bytes were imported before: `done/<day>/` too, nothing sent, and said so;
* exit 2 returned for the file — rejected as a whole, or not a credit file at all, or not
  what its marker's control total says (`pipeline.control_total`): `failed/<day>/` with
  `<name>.reason.txt`;
* exit 3, or any error raised rather than returned (API down, key refused, interrupted, another
  process importing the same bytes, a bug): left in `processing/`, resumed first next pass.
  An error the importer raised says nothing against the file, so it never lands in failed/.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from importer import logs
from importer.api.target import Target
from importer.attention import KEY_REFUSED, file_problems, row_next_step, shares_rejection
from importer.config import Config
from importer.drop.inbox import DONE, FAILED, Inbox, archive
from importer.drop.readiness import markers_of
from importer.drop.summary import ATTENTION_SHOWN, AttentionRow, FileSummary
from importer.errors import FileRejected, ImporterError
from importer.exit_codes import ExitCode
from importer.journal import Journal, JournalRow
from importer.mapping import Mapper
from importer.outcomes import Outcome, RowError, exit_code_for
from importer.pipeline import Importer, ImportResult, Progress, RunOptions
from importer.pipeline.amounts_read import amount_reading
from importer.pipeline.control_total import ControlTotal, control_total
from importer.pipeline.quoted_key import without_key
from importer.report import head_words
from importer.report.render import report_summary
from importer.report.settings import ReportSettings
from importer.row_detail import reason_with_detail
from importer.stopping import StopFlag
from importer.words import Language, reason_text, text

log = logs.get_logger("importer.drop")

_ATTENTION_STATUSES = ("warning", "error")


class _Heartbeat:
    """Progress for a log that is not a terminal: a line every `every` seconds while a file is
    in flight, from a thread, so it comes even while one row waits out a retry back-off."""

    def __init__(self, every: float, chained: Progress | None) -> None:
        self._every = every
        self._chained = chained
        self._done = self._total = 0
        self._file = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __call__(self, done: int, total: int, attention: Callable[[], int]) -> None:
        self._done, self._total = done, total
        if self._chained is not None:
            self._chained(done, total, attention)

    def start(self, file: str) -> None:
        self._file, self._done, self._total = file, 0, 0
        self._stop.clear()
        self._thread = threading.Thread(target=self._beat, name="drop-heartbeat", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _beat(self) -> None:
        started = time.monotonic()
        while not self._stop.wait(self._every):
            if self._total:
                log.info(
                    "drop.progress",
                    file=self._file,
                    posted=self._done,
                    of=self._total,
                    seconds=round(time.monotonic() - started),
                )
            else:
                log.info(
                    "drop.progress",
                    file=self._file,
                    stage="reading and checking",
                    seconds=round(time.monotonic() - started),
                )


class FileImport:
    """Imports the claimed files of one inbox with that inbox's configuration."""

    def __init__(
        self,
        inbox: Inbox,
        config: Config,
        journal: Journal,
        target: Target,
        options: RunOptions,
        *,
        stop_rows: StopFlag,
        progress: Progress | None = None,
        heartbeat: float = 20.0,
    ) -> None:
        self.inbox = inbox
        self.config = config
        self.journal = journal
        self.options = options
        self._beat = _Heartbeat(heartbeat, progress)
        self.importer = Importer(config, journal, target, progress=self._beat, stop=stop_rows)

    def close(self) -> None:
        self.importer.close()

    def handle(self, path: Path, *, resumed: bool) -> FileSummary:
        if resumed:
            log.info("file.resumed", file=path.name, inbox=self.inbox.label)
        self._beat.start(path.name)
        try:
            options = replace(self.options, control=marker_control(path))
            result = self.importer.run_file(path, options)
        except FileRejected as refused:  # a control total that cannot be read: the file waits
            exc = without_key(self.config, self.importer.target, refused)
            result = ImportResult(str(path), ExitCode.USAGE, message=exc.message, rejected=exc)
        except ImporterError as exc:
            result = ImportResult(str(path), ExitCode.INCOMPLETE, message=exc.message)
        except Exception as exc:  # a bug: the night goes on; the file waits in processing/
            # One line in the night's log, as the CLI prints one without --debug.
            log.error(  # noqa: TRY400 - no traceback in the log: see the line above
                "drop.internal_error", file=path.name, error=type(exc).__name__
            )
            result = ImportResult(
                str(path),
                ExitCode.INCOMPLETE,
                message=f"internal error ({type(exc).__name__}): a bug, please report it",
            )
        finally:
            self._beat.stop()
        item = self._summarise(path, result, resumed)
        event = "file.finished" if item.exit_code <= ExitCode.ATTENTION else "file.failed"
        log.info(
            event,
            file=item.file,
            inbox=item.inbox,
            import_id=item.import_id,
            state=item.state,
            exit_code=int(item.exit_code),
            rows=item.rows,
            **item.outcomes,
            archived_to=str(item.archived) if item.archived else None,
            reason=item.reason,
        )
        return item

    def _summarise(self, path: Path, result: ImportResult, resumed: bool) -> FileSummary:
        item = FileSummary(
            file=path.name,
            inbox=self.inbox.label,
            state="imported",
            exit_code=result.exit_code,
            import_id=result.import_id,
            resumed=resumed,
            inbox_path=self.inbox.path,
        )
        day = datetime.now().astimezone()
        if result.already_imported and result.import_id is not None:
            record = self.journal.imports.get(result.import_id)
            if resumed and record is not None and record.file_path == str(path):
                # This very file, imported by a pass that died before archiving it.
                report, _ = self.importer.render(result.import_id)
                result.report = report
                item.exit_code = exit_code_for(
                    report.summary.outcomes,
                    report.summary.statuses,
                    dry_run=report.dry_run,
                    rejected=bool(report.file_errors and not report.rows),
                    all_or_nothing=record.all_or_nothing,
                )
            else:
                item.state = "already imported"
                item.reason = result.message
        if result.report is None and result.import_id is not None and not result.already_imported:
            # the import's report could not be written (a full disk): its rows were posted
            # all the same, and the summary says what they became, from the journal
            with suppress(ImporterError):
                result.report = report_summary(self.journal, result.import_id, amount_reading)
        if result.report is not None:
            self._counts(item, result)
        try:
            if item.exit_code in (ExitCode.OK, ExitCode.ATTENTION):
                item.archived = archive(path, self.inbox, DONE, day, None)
            elif item.exit_code == ExitCode.USAGE:
                item.state = "rejected"
                item.reason = _rejection(result, self.config.report.language)
                item.refused = result.rejected
                item.archived = archive(path, self.inbox, FAILED, day, item.reason)
        except OSError as exc:  # a full or read-only disk, a file where done/ should be
            kind = FAILED if item.exit_code == ExitCode.USAGE else DONE
            # The reason is the message; a traceback of a refused move would add nothing.
            log.error("drop.archive_failed", file=path.name, to=kind, error=str(exc))  # noqa: TRY400
            item.exit_code = ExitCode.INCOMPLETE
            result.message = (
                f"imported, but it could not be moved to {kind}/ ({exc.strerror or exc}); "
                "nothing is sent again"
            )
        if item.exit_code not in (ExitCode.OK, ExitCode.ATTENTION, ExitCode.USAGE):
            item.state = "unfinished"
            item.reason = (
                f"{result.message or 'the import could not finish'} — the file stays in "
                "processing/ and is resumed first on the next pass"
            )
            item.refused = None  # a refusal failed/ could not take: the reason is this one
        if result.import_id is not None:
            folder = self.config.report.dir / result.import_id
            if folder.is_dir():
                item.report_dir = folder
                html = folder / "report.html"
                item.report_html = html if html.is_file() else None
        fallback = self.options.creditor or self.config.defaults.creditor
        if not item.creditors and fallback:
            item.creditors = [fallback]
        if result.report is not None:
            self._problem(item, result)
        return item

    def _problem(self, item: FileSummary, result: ImportResult) -> None:
        """The import's own problem, said once with its fix (`importer.attention`)."""
        assert result.report is not None
        settings = ReportSettings.of(self.config)
        problems = file_problems(result.report.warnings)
        if KEY_REFUSED in problems:
            named = head_words.named(result.report, settings)
            item.reason = text("drop.key_refused", settings.language, **named)
        elif shares_rejection(result.report.warnings):
            archived = str(item.archived) if item.archived else item.file
            item.problem = head_words.next_steps(result.report, settings, file=archived)[0]

    def _counts(self, item: FileSummary, result: ImportResult) -> None:
        """The report's own counts and creditors, and the rows needing attention (the rule of
        `importer.attention`) read back from the journal a block at a time: the report head
        carries no rows, and a large file's rows are never all in memory."""
        assert result.report is not None
        assert result.import_id is not None
        report = result.report
        summary = report.summary
        item.rows = summary.rows
        item.outcomes = dict(summary.outcomes)
        item.statuses = dict(summary.statuses)
        item.amount_requested = summary.amount_requested
        item.amount_settled = summary.amount_settled
        item.amount_read = summary.amount_read
        item.rows_without_amount = summary.rows_without_amount
        item.creditors = list(report.creditor)
        item.warnings = head_words.warnings(report, ReportSettings.of(self.config))
        record = self.journal.imports.get(result.import_id)
        columns = Mapper(self.config).fields_of(record.columns) if record is not None else {}
        language = self.config.report.language
        shared = shares_rejection(report.warnings)
        for block in self.journal.rows.chunks(result.import_id, 2000):
            for row in block:
                if row_next_step(row.outcome, row.status, row.errors) is None:
                    continue
                item.attention_total += 1
                if shared and row.outcome is Outcome.REJECTED:
                    item.problem_rows.append(row.row)
                elif len(item.attention) < ATTENTION_SHOWN:
                    reason = _reason(row.outcome, row.status_reason_locale, row.errors, language)
                    note, invoice = _identity(row, columns)
                    shown = _shown(row)
                    item.attention.append(AttentionRow(row.row, shown, reason, note, invoice))


MARKER_READ_BYTES = 64 * 1024
"""A marker is a flag or a few lines; more than this is not read (the rest is no control)."""


def marker_control(path: Path) -> ControlTotal | None:
    """The control total the first of `path`'s markers that carries one says, or None.
    Raises FileRejected for a control line whose value cannot be read."""
    for marker in markers_of(path):
        try:
            with marker.open("rb") as handle:
                data = handle.read(MARKER_READ_BYTES)
        except OSError:
            continue  # removed meanwhile: a marker that is gone says nothing
        text = data.decode("utf-8", errors="replace")
        control = control_total(path.name, marker.name, text)
        if control is not None:
            return control
    return None


def _rejection(result: ImportResult, language: Language) -> str:
    """Why the file was refused, in the night's language: the summary, the notification and
    the reason.txt beside the file in failed/ are read by the same person."""
    if result.rejected is not None:
        return result.rejected.said_in(language)
    return result.message or text("drop.rejected_whole", language)


def _shown(row: JournalRow) -> str:
    """`credited/warning`: the summary's JSON keeps the outcome as data; its text words it."""
    return row.outcome.value + (f"/{row.status}" if row.status else "")


def _identity(row: JournalRow, columns: dict[str, int]) -> tuple[str | None, str | None]:
    """(credit note, invoice number or case id) of a row, so a person finds it without opening
    the report: from what was sent, else from the row's own cells (an invalid row sent
    nothing)."""

    def cell(name: str) -> str | None:
        index = columns.get(name)
        if index is None or index >= len(row.source):
            return None
        return str(row.source[index]).strip() or None

    sent = row.request or {}
    note = sent.get("credit_invoice") or cell("credit_invoice")
    invoice = (
        sent.get("invoice_number")
        or row.case_invoice_number
        or cell("invoice_number")
        or sent.get("case")
        or cell("case")
    )
    return (None if note is None else str(note)), (None if invoice is None else str(invoice))


def _reason(
    outcome: Outcome,
    status_reason: str | None,
    errors: Sequence[RowError],
    language: Language = "en",
) -> str:
    """In words, as `importer show` gives them: each error's text and message, the API's
    reason for a status, or what an unfinished row waits for."""
    reasons = [reason_with_detail(e, language) for e in errors]
    if status_reason:
        reasons.append(reason_text(status_reason, language) or status_reason)
    if not reasons and outcome is Outcome.UNKNOWN:
        reasons.append(text("drop.no_answer", language))
    if not reasons and outcome is Outcome.NOT_SENT:
        reasons.append(text("drop.not_sent_yet", language))
    return "; ".join(reasons)
