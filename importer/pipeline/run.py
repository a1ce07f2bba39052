"""The import pipeline (DESIGN.md §2): read → map → validate → journal → post → report.

Each stage only consumes what the previous one produced. Posting works from the journal, not
from memory, so a first run, a resumed run after a crash and a rerun of failed rows are the
same loop over rows that are not final yet. That loop is where exactly-once is kept:

* a row's intent is committed before its request leaves (journal.mark_intent);
* a row whose answer never came is `unknown` and is looked up by its `creditor_reference`
  before anything is sent again, in file order, before the next row is posted;
* a credit note (`credit_invoice`) already credited for the creditor is not posted again.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from itertools import compress
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

from importer.bulk import gc_paused
from importer.config import Config
from importer.errors import (
    ApiUnavailable,
    AuthenticationFailed,
    FileRejected,
    ImporterError,
    Interrupted,
)
from importer.exit_codes import ExitCode
from importer.journal import ImportRecord, Journal, JournalRow, NewRow, utcnow
from importer.mapping import Mapper
from importer.outcomes import Outcome, RowError
from importer.readback import StatusReader
from importer.report import (
    BLOCK_ROWS,
    Report,
    RequestColumns,
    RowBlock,
    summarise,
    write_reports,
)
from importer.report_builder import render_from_journal, report_head
from importer.sources import read_source
from importer.target import Target
from importer.validation import CheckedColumns, CreditingRequest, Validator

if TYPE_CHECKING:
    # At run time the client (and `requests`, a twentieth of a second to import) is loaded
    # when the first request is about to be sent: `validate` never needs it.
    from importer.client import ApiClient

log = structlog.get_logger("importer")

Progress = Callable[[int, int], None]

_OUTCOME_OF = {  # by `PostKind` (a StrEnum: its members are these strings)
    "created": Outcome.CREDITED,
    "rejected": Outcome.REJECTED,
    "not_stored": Outcome.NOT_SENT,
    "maybe_stored": Outcome.UNKNOWN,
}


@dataclass(frozen=True, slots=True)
class RunOptions:
    dry_run: bool = False
    all_or_nothing: bool = False
    force: bool = False
    """Import a file again even though the same bytes were fully imported before."""


@dataclass(slots=True)
class ImportResult:
    """What the CLI prints for one file.

    `report` is the report's head: `report.summary` counts every row, `report.rows` is
    empty and the rows are in the files at `report_paths`. Reports are streamed block by
    block (from the journal, or for a dry run straight from validation) so a 200,000-row
    file never needs its rows as models in memory; `report_builder.build_report` gives
    an import's rows as models to a caller who wants them."""

    file: str
    exit_code: ExitCode
    import_id: str | None = None
    report: Report | None = None
    report_paths: dict[str, Path] = field(default_factory=dict)
    message: str | None = None


def generated_reference(import_id: str, row: int) -> str:
    """`<import id>/<row>`: unique across imports (import ids are), stable across reruns of
    the same row, so a lookup by reference finds exactly the crediting this row produced."""
    return f"{import_id}/{row}"


def _sha256(path: Path) -> str | None:
    try:
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None


class Importer:
    """Runs imports against one target with one journal. A Python caller can use this
    directly; the CLI is a thin shell over it."""

    def __init__(
        self,
        config: Config,
        journal: Journal,
        target: Target,
        *,
        progress: Progress | None = None,
        stop: threading.Event | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.journal = journal
        self.target = target
        self._progress = progress
        self._stop = stop or threading.Event()
        self._sleep = sleep
        self._client: ApiClient | None = None

    # ---------------------------------------------------------------- helpers

    @property
    def client(self) -> ApiClient:
        if self._client is None:
            self._client = self._connect()
        return self._client

    def _connect(self) -> ApiClient:
        """A client of its own (one keep-alive connection) to the import's API."""
        if self.target.url is None or self.target.api_key is None:
            raise ImporterError("internal: a dry run must not reach the API")
        from importer.client import ApiClient

        return ApiClient(self.target.url, self.target.api_key, self.config.api)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def render(self, import_id: str) -> tuple[Report, dict[str, Path]]:
        """(Re)render an import's reports from the journal, in place, block by block.
        The report returned has the summary but no rows: they are in the files (and
        `importer.report_builder.build_report` gives them as models)."""
        directory = self.config.report.dir / import_id
        return render_from_journal(
            self.journal, import_id, directory, list(self.config.report.formats)
        )

    def _result(
        self, path: Path, import_id: str, exit_code: ExitCode, message: str | None = None
    ) -> ImportResult:
        report, paths = self.render(import_id)
        return ImportResult(str(path), exit_code, import_id, report, paths, message)

    # ------------------------------------------------------------------- run

    def run_file(self, path: Path, options: RunOptions = RunOptions()) -> ImportResult:
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
                done = self._new_import(path, import_id, sha256, started, options)
            # Posting runs with the collector on: it may last hours and HTTP errors do
            # create reference cycles.
            return done if done is not None else self.continue_import(import_id)
        except FileRejected as rejected:
            record = ImportRecord(
                id=import_id,
                file_name=path.name,
                file_path=str(path),
                sha256=sha256,
                format=None,
                rows=0,
                columns=[],
                base_url=self.target.name,
                dry_run=options.dry_run,
                sandbox=self.target.sandbox,
                all_or_nothing=options.all_or_nothing,
                state="rejected",
                started=started,
                finished=utcnow(),
                file_errors=[RowError(field="", code="file_rejected", message=rejected.problem)],
                warnings=[],
            )
            self.journal.create_import(record, [])
            log.info("import.rejected", import_id=import_id, file=path.name)
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
        return counts[Outcome.NOT_SENT] == 0 and counts[Outcome.UNKNOWN] == 0

    def _new_import(
        self,
        path: Path,
        import_id: str,
        sha256: str | None,
        started: datetime,
        options: RunOptions,
    ) -> ImportResult | None:
        """Read, map, validate and journal a file. Returns the result when there is nothing
        to post (dry run, all-or-nothing abort), None when the import is ready to post."""
        source = read_source(
            path,
            encoding=self.config.input.encoding,
            delimiter=self.config.input.delimiter,
            sheet=self.config.input.sheet,
        )
        mapper = Mapper(self.config)
        columns = mapper.find_columns(source)
        mapped = mapper.map_rows(source, columns)
        file_name, file_sha256, file_format = source.name, source.sha256, source.format
        del source  # its records: the rows live on in `mapped` (memory of large files)
        checked = Validator(self.config).check_columns(
            mapped.columns, len(mapped.row_numbers), mapped.row_numbers
        )
        mapped.columns.clear()
        numbers, sources = mapped.row_numbers, mapped.sources
        del mapped
        if len(checked.errors) != len(numbers):  # pragma: no cover - validation's contract
            raise ImporterError("internal: validation lost rows")
        invalid, errors = checked.invalid, checked.errors
        outcomes = (
            [Outcome.INVALID if e else Outcome.NOT_SENT for e in errors]
            if invalid
            else [Outcome.NOT_SENT] * len(errors)
        )
        if self.config.reference.generate:
            checked = _with_generated_references(import_id, numbers, checked)
        new_rows: list[NewRow] = []
        if options.dry_run:
            # A dry run keeps the rows column-wise, straight to its report.
            requests = self._dry_run_requests(numbers, checked, outcomes)
        else:
            listed = checked.requests()
            new_rows = list(map(NewRow, numbers, sources, listed, errors, outcomes))
            del sources, listed, errors, outcomes
        del checked

        warnings = list(columns.warnings)
        aborted = options.all_or_nothing and invalid > 0 and not options.dry_run
        if aborted:
            warnings.append(
                f"all-or-nothing: {invalid} row(s) are invalid, so nothing was posted; "
                "fix them and run the file again"
            )
        record = ImportRecord(
            id=import_id,
            file_name=file_name,
            file_path=str(path),
            sha256=file_sha256,
            format=file_format,
            rows=len(numbers),
            columns=list(columns.headers),
            base_url=self.target.name,
            dry_run=options.dry_run,
            sandbox=self.target.sandbox,
            all_or_nothing=options.all_or_nothing,
            state="finished" if options.dry_run or aborted else "open",
            started=started,
            finished=utcnow() if options.dry_run or aborted else None,
            file_errors=[],
            warnings=warnings,
        )
        if options.dry_run:
            # A dry run moves no money: the journal records that it happened (for `importer
            # imports`), not its rows, and the report is rendered from the rows in hand.
            self.journal.create_import(record, [])
        else:
            self.journal.create_import(record, new_rows)
        log.info(
            "import.created",
            import_id=import_id,
            file=file_name,
            format=file_format,
            rows=len(numbers),
            invalid=invalid,
            dry_run=options.dry_run,
        )
        if options.dry_run:
            rows = (numbers, outcomes, sources, requests, errors)
            report = report_head(record, summarise(_dry_run_blocks(*rows)))
            directory = self.config.report.dir / report.file_import_report
            paths = write_reports(
                report, directory, list(self.config.report.formats), _dry_run_blocks(*rows)
            )
            code = ExitCode.ATTENTION if invalid else ExitCode.OK
            return ImportResult(str(path), code, import_id, report, paths)
        if aborted:
            return self._result(path, import_id, ExitCode.ATTENTION)
        return None

    def _all_or_nothing_blocked(self, record: ImportRecord) -> bool:
        return record.all_or_nothing and self.journal.outcome_counts(record.id)[Outcome.INVALID] > 0

    def _dry_run_requests(
        self, numbers: list[int], checked: CheckedColumns, outcomes: list[Outcome]
    ) -> RequestColumns:
        """What a dry run would send, column-wise, with the credit notes an earlier row of
        the file or an earlier import already carries marked duplicate (nothing is credited
        in a dry run, so the journal cannot say)."""
        valid = checked.valid
        if self.config.dedupe.credit_invoice:
            self._mark_dry_run_duplicates(numbers, checked.fields, valid, outcomes, checked.errors)
        return RequestColumns(checked.fields, valid, len(numbers))

    def _mark_dry_run_duplicates(
        self,
        numbers: list[int],
        fields: dict[str, list[Any]],
        valid: list[bool] | None,
        outcomes: list[Outcome],
        errors: list[Sequence[RowError]],
    ) -> None:
        creditors, invoices = fields["creditor"], fields["credit_invoice"]
        if valid is not None:
            creditors, invoices = list(compress(creditors, valid)), list(compress(invoices, valid))
        if (
            len(set(creditors)) == 1
            and len(set(invoices)) == len(invoices)
            and not self.journal.has_credited(creditors[0], base_url=self.target.name)
        ):
            return  # the usual file: settled without a loop over its rows
        creditors, invoices = fields["creditor"], fields["credit_invoice"]
        keyed = [i for i, note in enumerate(invoices) if note and (valid is None or valid[i])]
        keys = [(creditors[i], invoices[i]) for i in keyed]
        earlier = self.journal.find_credited_many(set(keys), base_url=self.target.name)
        first: dict[tuple[str, str], int] = {}
        for index, key in zip(keyed, keys, strict=True):
            if key in earlier:
                import_id, row, _ = earlier[key]
                outcomes[index] = Outcome.DUPLICATE
                errors[index] = [self._duplicate_error(key[1], row, import_id)]
            elif key in first:
                outcomes[index] = Outcome.DUPLICATE
                errors[index] = [self._duplicate_error(key[1], first[key])]
            else:
                first[key] = numbers[index]

    @staticmethod
    def _duplicate_error(
        credit_invoice: str, row: int | None, import_id: str | None = None
    ) -> RowError:
        where = f"row {row}" if import_id is None else f"import {import_id} row {row}"
        return RowError(
            field="credit_invoice",
            code="credit_invoice_already_credited",
            message=f"Credit note {credit_invoice} was already credited ({where}); not sent again.",
        )

    # ------------------------------------------------------------ continue

    def continue_import(self, import_id: str, *, retry_rejected: bool = False) -> ImportResult:
        """Post every row that is not final yet, in file order; reconcile `unknown` rows first.
        The same loop serves a first run, a resume after a crash and a rerun."""
        record = self.journal.get_import(import_id)
        if record is None:
            raise ImporterError(f"no import {import_id} in the journal {self.journal.path}")
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
            counts = self.journal.outcome_counts(import_id)
            total = sum(counts[outcome] for outcome in wanted)
            self._let_in_flight_settle(import_id)
            if total or record.state != "finished":
                self.journal.set_state(import_id, "open")
            try:
                self._post_rows(import_id, self.journal.pending(import_id, wanted), total)
                self._read_statuses(import_id)
            except (ApiUnavailable, AuthenticationFailed, Interrupted) as stopped:
                log.info("import.stopped", import_id=import_id, reason=stopped.message)
                return self._result(path, import_id, stopped.exit_code, stopped.message)
            self.journal.set_state(import_id, "finished", utcnow())
        finally:
            self.journal.release_lock(import_id)
        result = self._result(path, import_id, ExitCode.OK)
        assert result.report is not None
        result.exit_code = exit_code_for(result.report, all_or_nothing=record.all_or_nothing)
        log.info("import.finished", import_id=import_id, **result.report.summary.outcomes)
        return result

    def _let_in_flight_settle(self, import_id: str) -> None:
        """A request that was in flight when an earlier run died may still be on its way to
        being stored: looking it up too early would find nothing and post it again. So wait
        until `api.read_timeout` has passed since the latest such request left — the time the
        dead run would itself have waited for the answer."""
        latest = self.journal.latest_intent(import_id)
        if latest is None:
            return
        remaining = self.config.api.read_timeout - (utcnow() - latest).total_seconds()
        if remaining > 0:
            log.info("import.settle", seconds=round(remaining, 1))
            self._sleep(remaining)

    def _post_rows(self, import_id: str, rows: Iterable[JournalRow], total: int) -> None:
        reader = StatusReader(self._connect)
        posted = False
        try:
            for done, jrow in enumerate(rows):
                if self._stop.is_set():
                    raise Interrupted("stopped on request; run the same command again to resume")
                created = self._post_one(import_id, jrow)
                if created is not None:
                    reader.add(jrow.row, created)
                    self.journal.record_statuses(import_id, reader.take())
                if self._progress is not None:
                    self._progress(done + 1, total)
            posted = True
        finally:
            # A stopped run does not wait for lookups in flight (they may be retrying an API
            # that is down); the next run reads what is missing.
            self.journal.record_statuses(import_id, reader.close(wait=posted))

    def _post_one(self, import_id: str, jrow: JournalRow) -> str | None:
        """Settle one row; the new crediting's id when this row's POST created one."""
        from importer.client import PostKind  # loaded with the client (see the top)

        request = jrow.request
        if request is None:  # pragma: no cover - invalid rows are never selected for posting
            return None
        if jrow.outcome is Outcome.UNKNOWN and self._reconcile(import_id, jrow):
            return None
        if self.config.dedupe.credit_invoice and request.get("credit_invoice"):
            original = self.journal.find_credited(
                request["creditor"],
                request["credit_invoice"],
                base_url=self.target.name,
                exclude=(import_id, jrow.row),
            )
            if original is not None:
                orig_import, orig_row, orig_id = original
                self.journal.record(
                    import_id,
                    jrow.row,
                    Outcome.DUPLICATE,
                    errors=[
                        self._duplicate_error(
                            request["credit_invoice"],
                            orig_row,
                            None if orig_import == import_id else orig_import,
                        )
                    ],
                    crediting={"_id": orig_id},
                    duplicate_of={
                        "file_import_report": orig_import,
                        "row": orig_row,
                        "_id": orig_id,
                    },
                    note="duplicate credit note",
                )
                return None
        body = CreditingRequest.model_construct(**request).to_json_body()
        for _ in range(self.config.api.max_attempts):
            self.journal.mark_intent(import_id, jrow.row)
            try:
                result = self.client.post_crediting(body)
            except AuthenticationFailed:
                self.journal.record(
                    import_id, jrow.row, Outcome.NOT_SENT, http_status=401, note="API key refused"
                )
                raise
            self.journal.record(
                import_id,
                jrow.row,
                _OUTCOME_OF[result.kind],
                http_status=result.http_status,
                errors=result.errors,
                crediting=result.body if result.kind is PostKind.CREATED else None,
                note=result.note,
            )
            if result.kind is PostKind.CREATED:
                return str(result.body.get("_id") or "") or None
            if result.kind is PostKind.REJECTED:
                return None
            if result.kind is PostKind.NOT_STORED:
                raise ApiUnavailable(
                    f"the API at {self.target.name} did not take the request ({result.note}); "
                    "nothing more was sent. Run the same command again to resume"
                )
            # MAYBE_STORED: settle this row before anything else is sent.
            unknown = self.journal.get_row(import_id, jrow.row)
            assert unknown is not None
            if self._reconcile(import_id, unknown):
                return None
        raise ApiUnavailable(
            f"row {jrow.row}: the API kept failing without a clear answer; it is left unknown "
            "and will be looked up when the import is run again"
        )

    def _reconcile(self, import_id: str, jrow: JournalRow) -> bool:
        """Settle an `unknown` row by looking its crediting up. True when the row is settled
        (credited, or left for a person); False when it certainly was not stored and may be
        posted again with the same reference."""
        request = jrow.request or {}
        reference = request.get("creditor_reference")
        if self.config.reconcile == "manual" or not reference:
            why = (
                "reconcile is set to manual"
                if reference
                else "it has no creditor_reference to look it up by"
            )
            return self._leave_for_a_person(
                import_id,
                jrow.row,
                RowError(
                    field="",
                    code="outcome_unknown",
                    message=(
                        "The API did not answer; whether it was credited is unknown and "
                        f"{why}. Check in Amili before crediting it again."
                    ),
                ),
                "left for a person",
            )
        matches = self.client.find_by_reference(request["creditor"], reference)
        same = [m for m in matches if _same_crediting(m, request)]
        if not matches:
            return False
        if len(matches) == 1 and same:
            self.journal.record(
                import_id,
                jrow.row,
                Outcome.CREDITED,
                crediting=same[0],
                note="reconciled: found by creditor_reference",
            )
            return True
        return self._leave_for_a_person(
            import_id,
            jrow.row,
            RowError(
                field="creditor_reference",
                code="reconcile_ambiguous",
                message=(
                    f"{len(matches)} crediting(s) in Amili carry reference {reference}"
                    + ("" if same else " but none matches this row's amount and case")
                    + "; a person must decide before it is credited again."
                ),
            ),
            "reconcile found no single match",
        )

    def _leave_for_a_person(self, import_id: str, row: int, error: RowError, note: str) -> bool:
        """The row stays `unknown`, never reposted by this importer, with the reason why."""
        self.journal.record(import_id, row, Outcome.UNKNOWN, errors=[error], note=note)
        return True

    def _read_statuses(self, import_id: str) -> None:
        """A 201 can still be a business failure: read `status` of every new crediting with
        batched lookups (100 ids a request)."""
        pending = self.journal.awaiting_status(import_id)
        if not pending:
            return
        found = self.client.fetch_creditings(crediting_id for _, crediting_id in pending)
        self.journal.record_statuses(
            import_id, [(row, found[cid]) for row, cid in pending if cid in found]
        )

    # ----------------------------------------------------------------- rerun

    def rerun(self, import_id: str, fix: Path | None = None) -> ImportResult:
        """Post again what is not final (not_sent, unknown after reconciliation, rejected),
        after applying corrections from `fix` by row number. Credited rows are never posted
        again, whatever their status."""
        record = self.journal.get_import(import_id)
        if record is None:
            raise ImporterError(f"no import {import_id} in the journal {self.journal.path}")
        if record.dry_run:
            raise ImporterError(f"import {import_id} was a dry run; run the file instead")
        if record.state == "rejected":
            raise ImporterError(
                f"import {import_id} was rejected as a whole; fix the file and run it again"
            )
        if record.base_url != self.target.name:
            raise ImporterError(
                f"import {import_id} was made against {record.base_url}, not "
                f"{self.target.name}; rerun it against the same API (--api-url)"
            )
        notes = self._apply_fixes(record, fix) if fix is not None else []
        result = self.continue_import(import_id, retry_rejected=True)
        if notes:
            result.message = "; ".join(filter(None, [result.message, *notes]))
        return result

    def _apply_fixes(self, record: ImportRecord, fix: Path) -> list[str]:
        """Replace rows by row number with their corrections. A credited (or duplicate) row
        is final and an `unknown` one must be reconciled first: corrections for them are
        not applied, and the operator is told which. Returns those notes. Row numbers that
        are not in the import reject the whole correction file before anything changes."""
        from importer.corrections import read_corrections

        kept: dict[str, list[int]] = {}
        corrections = read_corrections(self.config, fix, record)
        current = {new.row: self.journal.get_row(record.id, new.row) for new in corrections}
        strangers = [number for number, row in current.items() if row is None]
        if strangers:
            raise ImporterError(
                f"{fix.name}: row(s) {_row_list(strangers)} are not rows of import "
                f"{record.id} ({record.file_name}); nothing was changed"
            )
        for new in corrections:
            outcome = current[new.row].outcome  # type: ignore[union-attr]
            if outcome in (Outcome.CREDITED, Outcome.DUPLICATE, Outcome.UNKNOWN):
                kept.setdefault(outcome.value, []).append(new.row)
                continue
            if new.request is not None and self.config.reference.generate:
                new.request.setdefault(
                    "creditor_reference", generated_reference(record.id, new.row)
                )
            self.journal.replace_row(record.id, new)
        return [
            f"{len(rows)} {outcome} row(s) of {fix.name} left as they were (rows {_row_list(rows)})"
            for outcome, rows in kept.items()
        ]


def _row_list(rows: list[int], shown: int = 10) -> str:
    text = ", ".join(map(str, rows[:shown]))
    return text + (f" and {len(rows) - shown} more" if len(rows) > shown else "")


def _same_crediting(found: dict[str, Any], request: dict[str, Any]) -> bool:
    """A crediting found by reference belongs to this row only if it credits the same amount
    on the same case: a reused reference must not pass for this row's credit."""
    try:
        amount_matches = Decimal(str(found.get("amount"))) == Decimal(str(request["amount"]))
    except ArithmeticError:
        return False
    if "case" in request:
        return amount_matches and found.get("case") == request["case"]
    invoice = request.get("invoice_number")
    return amount_matches and invoice in (
        found.get("invoice_number"),
        found.get("case_invoice_number"),
    )


def _with_generated_references(
    import_id: str, numbers: list[int], checked: CheckedColumns
) -> CheckedColumns:
    """Each row without a creditor_reference gets the generated one (issue 4 §1), on the
    column — for dry runs and imports alike. An invalid row's values are no request, so its
    reference is never used."""
    references = checked.fields["creditor_reference"]
    if None not in references:
        return checked  # the file supplies every reference
    filled = [
        generated_reference(import_id, number) if reference is None else reference
        for reference, number in zip(references, numbers, strict=True)
    ]
    return replace(
        checked,
        fields={**checked.fields, "creditor_reference": filled},
        constant=checked.constant - {"creditor_reference"},
    )


def _dry_run_blocks(
    numbers: list[int],
    outcomes: list[Outcome],
    sources: list[Sequence[str]],
    requests: RequestColumns,
    errors: list[Sequence[RowError]],
) -> Iterator[RowBlock]:
    """A dry run's report rows, straight from the validated columns, block by block: the
    request keeps its None fields (the report leaves them out) and the cells stay the
    reader's, so no per-row copy is made."""
    for start in range(0, len(numbers), BLOCK_ROWS):
        end = start + BLOCK_ROWS
        yield RowBlock(
            row=numbers[start:end],
            outcome=outcomes[start:end],
            source=sources[start:end],
            request=requests[start:end],
            errors=errors[start:end],
        )


def exit_code_for(report: Report, *, all_or_nothing: bool = False) -> ExitCode:
    """DESIGN.md §4: 3 when rows are left without a final answer, 1 when rows need a person
    (invalid, rejected, status warning or error), else 0. Duplicates are protection working,
    not a problem: they do not raise the code on their own."""
    outcomes = report.summary.outcomes
    if report.file_errors and not report.rows:
        return ExitCode.USAGE
    if report.dry_run:
        return ExitCode.ATTENTION if outcomes.get("invalid") else ExitCode.OK
    if all_or_nothing and outcomes.get("invalid") and not outcomes.get("credited"):
        return ExitCode.ATTENTION
    if outcomes.get("not_sent") or outcomes.get("unknown"):
        return ExitCode.INCOMPLETE
    statuses = report.summary.statuses
    if any(outcomes.get(o) for o in ("invalid", "rejected")) or any(
        statuses.get(s) for s in ("warning", "error")
    ):
        return ExitCode.ATTENTION
    return ExitCode.OK


def worst(codes: Iterable[ExitCode]) -> ExitCode:
    """Several files in one run: the most serious code wins (3 > 2 > 1 > 0)."""
    order = [ExitCode.OK, ExitCode.ATTENTION, ExitCode.USAGE, ExitCode.INCOMPLETE]
    return max(codes, key=order.index, default=ExitCode.OK)
