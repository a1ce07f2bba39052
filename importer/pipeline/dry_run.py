"""A dry run's rows (`importer validate`): each block predicted as a run would decide it
(`pipeline.prediction`), summed up for the report's head, then given to the report — a
one-block file's from the rows in hand, a larger file's made again block by block with the
verdicts the prediction gave (docs/pipeline.md, "Blocks"). Nothing is sent or journaled."""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

from importer.config import Config
from importer.errors import InternalError, ReportUnwritten
from importer.exit_codes import ExitCode
from importer.journal import ImportRecord, Journal
from importer.outcomes import ImportWarning, Outcome, RowError
from importer.pipeline.file_rows import FileRows
from importer.pipeline.generated_references import References
from importer.pipeline.prediction import Prediction
from importer.pipeline.preflight import reason, report_unwritten
from importer.pipeline.results import ImportResult
from importer.report import BLOCK_ROWS, RequestColumns, RowBlock, summarise, write_reports
from importer.report.blocks import AmountFill
from importer.report.model import Summary
from importer.report.render import report_head
from importer.report.settings import ReportSettings


class DryRun:
    """A dry run's rows: predicted and summed up once (`summarise`), then written to its
    report (`write`) — a one-block file's from the rows in hand, a larger file's made again
    block by block, with the verdicts the prediction gave them."""

    def __init__(
        self, config: Config, rows: FileRows, references: References, prediction: Prediction
    ) -> None:
        self._config = config
        self._rows = rows
        self._references = references
        self._kept: list[_Predicted] = []
        self._verdicts = _Verdicts()
        self.any_invalid = False
        self._summary: Summary | None = None
        self.prediction = prediction
        """The prediction, asked first for the file's references (`Prediction.references`)."""

    def summarise(self, read: AmountFill, warnings: list[ImportWarning]) -> None:
        """Predict the rows and sum them up for the report's head (`write`); `warnings`
        gets the prediction's."""
        prediction = self.prediction
        try:
            summary = summarise(self._predicted(prediction), dry_run=True, read=read)
            if prediction.answered_then_blind:  # as the file read whole: all on the journal
                prediction.restart()
                self._kept.clear()
                self._verdicts.close()
                self.any_invalid = False
                summary = summarise(self._predicted(prediction), dry_run=True, read=read)
            self._summary = summary
        finally:
            prediction.close(warnings)

    def write(
        self, record: ImportRecord, path: Path, settings: ReportSettings, journal: Journal
    ) -> ImportResult:
        """The dry run's report, written, and its result: the import `record` (journaled,
        without rows) headed by the summary, the rows as predicted."""
        if self._summary is None:  # pragma: no cover - the intake sums up first
            raise InternalError("a dry run's report written before its rows were summed up")
        report = report_head(record, self._summary)
        directory = self._config.report.dir / report.file_import_report
        try:
            paths = write_reports(
                report, directory, list(self._config.report.formats), self._rows_out(), settings
            )
        except OSError as exc:
            unwritten = report_unwritten(directory, record.id, exc, dry_run=True)
            code = unwritten.exit_code
            return ImportResult(str(path), code, record.id, message=unwritten.message)
        journal.notes.set_report_dir(record.id, directory)  # `show` names it
        code = ExitCode.ATTENTION if self.any_invalid else ExitCode.OK
        return ImportResult(str(path), code, record.id, report, paths)

    def _predicted(self, prediction: Prediction) -> Iterator[RowBlock]:
        for block in self._references.blocks():
            checked = block.checked
            whole = self._rows.whole
            before = None if whole else list(checked.errors)  # what the prediction changes
            outcomes = block.outcomes()
            requests = prediction.block(block.numbers, checked, outcomes)
            self.any_invalid |= Outcome.INVALID in outcomes
            predicted = (block.numbers, outcomes, block.sources, requests, checked.errors)
            if before is None:
                self._kept.append(predicted)
            else:
                changed = {
                    i: errors for i, errors in enumerate(checked.errors) if errors is not before[i]
                }
                self._verdicts.add(bytes(map(_OUTCOME_CODES.__getitem__, outcomes)), changed)
            yield RowBlock(
                row=block.numbers,
                outcome=outcomes,
                source=block.sources,
                request=requests,
                errors=checked.errors,
            )

    def _rows_out(self) -> Iterator[RowBlock]:
        """The report's rows, a report block at a time."""
        if self._rows.whole:
            for predicted in self._kept:
                yield from _dry_run_blocks(*predicted)
            return
        verdicts = self._verdicts.read()
        for block in self._references.blocks():
            codes, changed = next(verdicts)
            checked = block.checked
            valid = checked.valid
            errors = list(checked.errors)
            for index, found in changed.items():
                errors[index] = found
            outcomes = list(map(_OUTCOMES.__getitem__, codes))
            requests = RequestColumns(checked.fields, valid, len(block.numbers))
            yield from _dry_run_blocks(block.numbers, outcomes, block.sources, requests, errors)
        self._verdicts.close()


class _Verdicts:
    """The verdicts a dry run's prediction gave each block of a file read in blocks (each
    row's outcome, and the errors of the rows it changed), kept in a temporary file until
    the report is written: a file whose rows are mostly predicted duplicates would hold an
    error for each of its rows, a kilobyte a row."""

    def __init__(self) -> None:
        self._file: IO[bytes] | None = None

    def add(self, outcomes: bytes, changed: dict[int, Sequence[RowError]]) -> None:
        """One block's verdicts. A temporary folder without room (or none at all) stops the
        dry run in one line, nothing journaled or written (`ReportUnwritten`)."""
        try:
            if self._file is None:
                self._file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
            pickle.dump((outcomes, changed), self._file, protocol=pickle.HIGHEST_PROTOCOL)
        except OSError as exc:
            raise ReportUnwritten(
                f"the dry run could not keep its predictions in the temporary folder "
                f"{tempfile.gettempdir()} ({reason(exc)}); nothing was journaled or written: "
                "free space there, or set TMPDIR to a folder with room, and run it again"
            ) from None

    def read(self) -> Iterator[tuple[bytes, dict[int, Sequence[RowError]]]]:
        """The blocks' verdicts, in the order added (this process wrote them)."""
        file = self._file
        if file is None:
            return
        file.seek(0)
        while True:
            try:
                yield pickle.load(file)  # written by `add` in this process
            except EOFError:
                return

    def close(self) -> None:
        """Forget the verdicts (their file is removed)."""
        if self._file is not None:
            self._file.close()
            self._file = None


_OUTCOMES = tuple(Outcome)
_OUTCOME_CODES = {outcome: code for code, outcome in enumerate(_OUTCOMES)}
_Predicted = tuple[
    list[int], list[Outcome], list[Sequence[str]], RequestColumns, list[Sequence[RowError]]
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
