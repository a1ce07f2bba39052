"""Intake: read → map → validate → journal. A file becomes an import whose rows are all in the
journal (one transaction) before anything is posted; a dry run goes straight to its report."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from functools import partial
from itertools import starmap
from pathlib import Path

from importer import logs
from importer.api.target import Target
from importer.config import Config
from importer.errors import FileRejected, InternalError
from importer.exit_codes import ExitCode
from importer.journal import ImportRecord, Journal, NewRow, utcnow
from importer.mapping import Mapper
from importer.outcomes import FILE_REJECTED, ImportWarning, RowError
from importer.pipeline.amounts_read import amount_reading, cell_reader
from importer.pipeline.control_total import check_rows, check_sha256
from importer.pipeline.dedupe import Dedupe
from importer.pipeline.dry_run import DryRun
from importer.pipeline.file_rows import (
    INTAKE_BLOCK_ROWS,
    INTAKE_WHOLE_ROWS,
    Block,
    FileRows,
    intake_sizes,
)
from importer.pipeline.generated_references import Ask, References
from importer.pipeline.prediction import Prediction
from importer.pipeline.preflight import regular_file
from importer.pipeline.quoted_key import remover, without_key
from importer.pipeline.results import ImportResult, RunOptions
from importer.report.settings import ReportSettings, SourceDialect
from importer.sources import Cell, read_source
from importer.validation import Validator
from importer.validation.amounts import AmountParser

log = logs.get_logger("importer")


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
        to post (dry run, all-or-nothing abort), None when the import is ready to post.

        A file larger than a block is read a block at a time (`pipeline.file_rows`): once
        for what its rows decide together, once to count and check them (and, for a dry
        run, to predict and sum up its rows), once more to journal them (or write the dry
        run's report) — never held whole."""
        regular_file(path)
        config = self._config
        block_rows, whole_rows = intake_sizes(INTAKE_BLOCK_ROWS, INTAKE_WHOLE_ROWS)
        source = read_source(
            path,
            encoding=config.input.encoding,
            delimiter=config.input.delimiter,
            sheet=config.input.sheet,
            block_rows=block_rows,
            whole_rows=whole_rows,
        )
        check_sha256(options.control, source.name, source.sha256)
        creditor = options.creditor or self._creditor
        mapper = Mapper(config, creditor=creditor)
        columns = mapper.find_columns(source)
        validator = Validator(config, creditor=creditor)
        quoted = remover(config, self._target)
        rows = FileRows(
            source,
            columns,
            mapper,
            validator,
            keep_amounts=options.control is not None,
            quoted=quoted.quoted if quoted else None,
        )
        file_name, file_sha256, file_format = source.name, source.sha256, source.format
        delimiter = source.delimiter
        del source  # its records: a block at a time from here (memory of large files)
        dry_warnings: list[ImportWarning] = []
        ask = None if options.force else self._ask  # --force credits a repeat all the same
        references = References(config, rows, file_sha256)
        dry: DryRun | None = None
        if options.dry_run:  # it asks what the run would ask, through its own client
            prediction = Prediction(
                config, self._target, self._dedupe, import_id, rows.repeated_notes
            )
            dry = DryRun(config, rows, references, prediction)
            known = None if ask is None else ask[1]
            prediction.references(partial(references.decide, warnings=dry_warnings), known)
        else:
            references.decide(ask, dry_warnings)
        amounts = validator.amount_reader  # as `begin`, or the one block, read them
        dialect = _dialect(file_format, delimiter, columns.fields, amounts, rows.has_amounts)
        if dry is not None:  # its pass predicts, sums up and counts the rows at once
            read = amount_reading(dialect, list(columns.headers))
            dry.summarise(read, dry_warnings)
        tally = rows.tally
        check_rows(options.control, file_name, tally.amounts)
        hidden = rows.hidden_amounts  # read as the rows beside them (a sign dropped too)
        sheet_warnings = _with_hidden_amount(tally.warnings, hidden, cell_reader(dialect))
        invalid = tally.invalid
        warnings = [*columns.warnings, *sheet_warnings, *dry_warnings]

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
            rows=tally.rows,
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
        self._journal.imports.create(record, [] if dry else _new_rows(references.blocks()))
        self._journal.notes.set_source_dialect(
            import_id, dialect.delimiter, dialect.decimal, dialect.notes()
        )
        log.info(
            "import.created",
            import_id=import_id,
            file=file_name,
            format=file_format,
            rows=tally.rows,
            invalid=invalid,
            dry_run=options.dry_run,
        )
        if dry is not None:
            return dry.write(record, path, _report_settings(config, dialect), self._journal)
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
        refused: FileRejected,
    ) -> FileRejected:
        """Journal a file rejected as a whole: an import with no rows and the one reason,
        so `importer imports` and its report say what happened. The refusal journaled, and
        returned to be said, is `without_key`: it may quote the file's texts."""
        rejected = without_key(self._config, self._target, refused)
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
        return rejected


JOURNAL_BLOCK_ROWS = 5_000
"""Rows whose request dicts are made at once while an import's rows are journaled."""


def _new_rows(blocks: Iterable[Block]) -> Iterator[NewRow]:
    """The rows to journal, in row order, their requests made a block at a time
    (`CheckedColumns.request_blocks`) as the journal stores them: the file's columns are
    held a block at a time, never beside a dict and a `NewRow` for every row of the file."""
    for block in blocks:
        numbers, sources, checked = block.numbers, block.sources, block.checked
        outcomes, errors = block.outcomes(), checked.errors
        start = 0
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
    has_amounts: bool,
) -> SourceDialect:
    """What the reports need to know of the file: its dialect, where its amount and date are
    and how its amounts read. The decimal mark (for report.csv in the source's dialect) is
    the one validation read the amounts with, asked only of a delimited file whose delimiter
    is not `,` (with `,` the report writes `.` anyway)."""
    own_mark = delimiter not in (None, ",") and has_amounts
    return SourceDialect(
        delimiter,
        amounts.separator if own_mark else None,
        workbook=file_format != "csv",
        amount_column=fields.get("amount"),
        date_column=fields.get("client_registration_date"),
        amount_decimal=amounts.separator,
        amount_guard=amounts.ambiguity_guard,
        amount_absolute=amounts.absolute,
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
