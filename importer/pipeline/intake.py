"""Intake: read → map → validate → journal. A file becomes an import whose rows are all in the
journal (one transaction) before anything is posted; a dry run goes straight to its report."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from itertools import starmap
from pathlib import Path

from importer import logs
from importer.api.target import Target
from importer.config import Config
from importer.errors import FileRejected, InternalError
from importer.exit_codes import ExitCode
from importer.journal import ImportRecord, Journal, NewRow, utcnow
from importer.mapping import MappedRows, Mapper
from importer.outcomes import FILE_REJECTED, ImportWarning, Outcome, RowError
from importer.pipeline.amounts_read import amount_reading
from importer.pipeline.control_total import check_rows, check_sha256
from importer.pipeline.dedupe import Dedupe
from importer.pipeline.generated_references import Ask, file_references
from importer.pipeline.prediction import dry_run_requests
from importer.pipeline.preflight import regular_file, report_unwritten
from importer.pipeline.results import ImportResult, RunOptions
from importer.report import BLOCK_ROWS, RequestColumns, RowBlock, summarise, write_reports
from importer.report.render import report_head
from importer.report.settings import ReportSettings, SourceDialect
from importer.sources import Cell, read_source
from importer.validation import CheckedColumns, Validator
from importer.validation.amounts import AmountParser
from importer.validation.total_rows import total_rows

log = logs.get_logger("importer")


def _total_rows(mapped: MappedRows, amounts: Sequence[object]) -> dict[int, ImportWarning]:
    """The rows that total the rows above (`validation.total_rows`), by index: left out."""
    return total_rows(
        mapped.row_numbers,
        mapped.sources,
        mapped.columns.get("invoice_number", []),
        mapped.columns.get("case", []),
        amounts,
        [mapped.columns.get(key, []) for key in ("credit_invoice", "creditor_reference")],
    )


class Intake:
    """Turns a file into a journaled import (or a dry run's report)."""

    def __init__(
        self,
        config: Config,
        journal: Journal,
        target: Target,
        dedupe: Dedupe,
        result: Callable[[Path, str, ExitCode], ImportResult],
        creditor: str | None = None,
        ask: Ask | None = None,
    ) -> None:
        self._ask = ask  # was a repeat imported before? (generated_references)
        self._config = config
        self._creditor = creditor
        self._journal = journal
        self._target = target
        self._dedupe = dedupe
        self._result = result

    def new_import(
        self,
        path: Path,
        import_id: str,
        sha256: str | None,
        started: datetime,
        options: RunOptions,
    ) -> ImportResult | None:
        """Read, map, validate and journal a file. Returns the result when there is nothing
        to post (dry run, all-or-nothing abort), None when the import is ready to post."""
        regular_file(path)
        source = read_source(
            path,
            encoding=self._config.input.encoding,
            delimiter=self._config.input.delimiter,
            sheet=self._config.input.sheet,
        )
        check_sha256(options.control, source.name, source.sha256)
        creditor = options.creditor or self._creditor
        mapper = Mapper(self._config, creditor=creditor)
        columns = mapper.find_columns(source)
        mapped = mapper.map_rows(source, columns)
        file_name, file_sha256, file_format = source.name, source.sha256, source.format
        delimiter = source.delimiter
        del source  # its records: the rows live on in `mapped` (memory of large files)
        validator = Validator(self._config, creditor=creditor)
        checked = validator.check_columns(
            mapped.columns, len(mapped.row_numbers), mapped.row_numbers
        ).with_row_errors(mapped.problems)
        amounts = validator.amount_reader
        dialect = _dialect(file_format, delimiter, columns.fields, amounts, mapped)
        totals = _total_rows(mapped, checked.fields["amount"])
        mapped.columns.clear()
        numbers, sources = mapped.row_numbers, mapped.sources
        hidden = _with_hidden_amount(mapped.warnings, mapped.hidden_amounts, amounts)
        sheet_warnings = [*hidden, *totals.values()]
        if totals:  # left out of the rows: a total is not a credit
            checked = checked.without_rows(set(totals))
            numbers = [n for i, n in enumerate(numbers) if i not in totals]
            sources = [s for i, s in enumerate(sources) if i not in totals]
        del mapped
        check_rows(options.control, file_name, checked.fields["amount"])
        if len(checked.errors) != len(numbers):  # pragma: no cover - validation's contract
            raise InternalError("validation lost rows")
        invalid, errors = checked.invalid, checked.errors
        outcomes = (
            [Outcome.INVALID if e else Outcome.NOT_SENT for e in errors]
            if invalid
            else [Outcome.NOT_SENT] * len(errors)
        )
        dry_warnings: list[ImportWarning] = []
        ask = None if options.force else self._ask  # --force credits a repeat all the same
        new_rows: Iterator[NewRow] = iter(())
        if options.dry_run:
            # A dry run keeps the rows column-wise, straight to its report; it asks what the
            # run would ask through its own client, each look-up tried once.
            checked, requests = dry_run_requests(
                self._config,
                self._target,
                self._dedupe,
                import_id,
                numbers,
                checked,
                outcomes,
                dry_warnings,
                file_sha256,
                None if ask is None else ask[1],  # the journal's answer; its client asks Amili
            )
        else:
            if self._config.reference.generate:
                checked = file_references(self._config, checked, file_sha256, ask, dry_warnings)
            new_rows = _new_rows(numbers, sources, checked, outcomes)
            del sources, errors, outcomes  # held by `new_rows` alone, freed once journaled
        warnings = [*columns.warnings, *sheet_warnings, *checked.warnings, *dry_warnings]
        del checked

        aborted = options.all_or_nothing and invalid > 0 and not options.dry_run
        if aborted:
            warnings.append(
                ImportWarning(
                    code="all_or_nothing",
                    message=f"all-or-nothing: {invalid} row(s) are invalid, so nothing was "
                    "posted; fix them and run the file again",
                )
            )
        record = ImportRecord(
            id=import_id,
            file_name=file_name,
            file_path=str(path),
            sha256=file_sha256,
            format=file_format,
            rows=len(numbers),
            columns=list(columns.headers),
            base_url=self._target.name,
            dry_run=options.dry_run,
            sandbox=self._target.sandbox,
            all_or_nothing=options.all_or_nothing,
            state="finished" if options.dry_run or aborted else "open",
            started=started,
            finished=utcnow() if options.dry_run or aborted else None,
            file_errors=[],
            warnings=warnings,
        )
        # A dry run moves no money: the journal records that it happened (for `importer
        # imports`), not its rows, and the report is rendered from the rows in hand.
        self._journal.imports.create(record, [] if options.dry_run else new_rows)
        self._journal.notes.set_source_dialect(
            import_id, dialect.delimiter, dialect.decimal, dialect.notes()
        )
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
            whole = RowBlock(  # the file as one block: no slice copied to sum it up
                row=numbers, outcome=outcomes, source=sources, request=requests, errors=errors
            )
            read = amount_reading(dialect, record.columns)
            report = report_head(record, summarise([whole], dry_run=True, read=read))
            directory = self._config.report.dir / report.file_import_report
            try:
                paths = write_reports(
                    report,
                    directory,
                    list(self._config.report.formats),
                    _dry_run_blocks(*rows),
                    _report_settings(self._config, dialect),
                )
            except OSError as exc:
                unwritten = report_unwritten(directory, import_id, exc)
                code = unwritten.exit_code
                return ImportResult(str(path), code, import_id, message=unwritten.message)
            self._journal.notes.set_report_dir(import_id, directory)  # `show` names it
            code = ExitCode.ATTENTION if Outcome.INVALID in outcomes else ExitCode.OK
            return ImportResult(str(path), code, import_id, report, paths)
        if aborted:
            return self._result(path, import_id, ExitCode.ATTENTION)
        return None

    def reject(
        self,
        path: Path,
        import_id: str,
        sha256: str | None,
        started: datetime,
        options: RunOptions,
        rejected: FileRejected,
    ) -> None:
        """Journal a file rejected as a whole: an import with no rows and the one reason,
        so `importer imports` and its report say what happened."""
        record = ImportRecord(
            id=import_id,
            file_name=path.name,
            file_path=str(path),
            sha256=sha256,
            format=None,
            rows=0,
            columns=[],
            base_url=self._target.name,
            dry_run=options.dry_run,
            sandbox=self._target.sandbox,
            all_or_nothing=options.all_or_nothing,
            state="rejected",
            started=started,
            finished=utcnow(),
            file_errors=[RowError(field="", code=FILE_REJECTED, message=rejected.problem)],
            warnings=[],
        )
        self._journal.imports.create(record, [])
        self._journal.notes.set_refusal(import_id, rejected.refusal.as_json())  # for its words
        log.info("import.rejected", import_id=import_id, file=path.name)


JOURNAL_BLOCK_ROWS = 5_000
"""Rows whose request dicts are made at once while an import's rows are journaled."""


def _new_rows(
    numbers: list[int],
    sources: list[Sequence[str]],
    checked: CheckedColumns,
    outcomes: list[Outcome],
) -> Iterator[NewRow]:
    """The rows to journal, in row order, their requests made a block at a time
    (`CheckedColumns.request_blocks`) as the journal stores them: the file's columns are
    held once, never beside a dict and a `NewRow` for every row of the file."""
    start = 0
    errors = checked.errors
    for requests in checked.request_blocks(JOURNAL_BLOCK_ROWS):
        end = start + len(requests)
        yield from starmap(
            NewRow,
            zip(  # strict: columns out of step raise (nothing stored), never drop a row
                numbers[start:end],
                sources[start:end],
                requests,
                errors[start:end],
                outcomes[start:end],
                strict=True,
            ),
        )
        start = end
    if start != len(numbers):  # pragma: no cover - validation's contract
        raise InternalError("validation lost rows")


def _report_settings(config: Config, dialect: SourceDialect) -> ReportSettings:
    """A dry run's report settings: the file's dialect, and its amount cells read as
    validation read them."""
    return replace(ReportSettings.of(config), source=dialect, amount_reading=amount_reading)


def _dialect(
    file_format: str,
    delimiter: str | None,
    fields: dict[str, int],
    amounts: AmountParser,
    mapped: MappedRows,
) -> SourceDialect:
    """What the reports need to know of the file: its dialect, where its amount and date are
    and how its amounts read. The decimal mark (for report.csv in the source's dialect) is
    the one validation read the amounts with, asked only of a delimited file whose delimiter
    is not `,` (with `,` the report writes `.` anyway)."""
    own_mark = delimiter not in (None, ",") and bool(mapped.columns.get("amount"))
    return SourceDialect(
        delimiter,
        amounts.separator if own_mark else None,
        workbook=file_format != "csv",
        amount_column=fields.get("amount"),
        date_column=fields.get("client_registration_date"),
        amount_decimal=amounts.separator,
        amount_guard=amounts.ambiguity_guard,
    )


def _with_hidden_amount(
    warnings: list[ImportWarning], cells: list[Cell], amounts: AmountParser
) -> list[ImportWarning]:
    """The warnings, the one about hidden rows left out carrying what their amounts add up
    to (read as the file's other amounts are), so the report can reconcile to a total that
    counts them."""
    if not cells:
        return warnings
    read = [amount for amount in map(amounts.read, cells) if amount is not None]
    total = f"{sum(read, Decimal(0)):.2f}" if read else None
    return [
        w.model_copy(update={"amount": total}) if w.code == "hidden_rows_skipped" else w
        for w in warnings
    ]


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
