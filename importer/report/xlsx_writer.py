"""report.xlsx: the workbook finance staff open. Sheets, in order: Summary (the import, the
control totals and what to do next), Needs attention (every row a person must look at, with
the reason in words and the next step) and All rows (when the import has at most
`report.xlsx_all_rows` rows; above that the Summary says the full list is in report.csv and
report.json).

Written with XlsxWriter in constant-memory mode: measured on this workbook (50,000 rows, all
sheets) it takes 4.0 s of CPU against openpyxl's write-only mode's 7.6 s (1.9×; see
bench/xlsx_bench.py), and each sheet streams to its own temporary file, so memory stays flat
and the Summary — the first sheet — can be filled in last, once the totals are known. The row
sheets' data rows are written through `importer.report.xlsx_rows` (the same cells, 2.7x less
CPU than XlsxWriter's per-cell path).
Imported lazily by `importer.report` so `validate` without a workbook starts fast."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, BinaryIO

from xlsxwriter.exceptions import FileCreateError
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from importer.attention import shares_rejection
from importer.report.blocks import RowBlock
from importer.report.model import Report
from importer.report.row_words import (
    WordedRow,
    attention_indices,
    fill_key,
    report_labels,
    worded_rows,
)
from importer.report.settings import ReportSettings
from importer.report.xlsx_book import (
    MONEY_FORMAT,
    Book,
    cell_text,
    drop_archive,
    print_setup,
    wrapped_height,
)
from importer.report.xlsx_summary import SummarySheet
from importer.words import Language, text

__all__ = ["MONEY_FORMAT", "XlsxWriter", "cell_text"]

MAX_ROWS = 1_048_576
"""Excel's rows per sheet (the header is one of them)."""
MAX_COLUMNS = 16_384
"""Excel's columns per sheet."""

_ROW_LABELS = (
    "label.row",
    "label.outcome",
    "label.reason",
    "label.next_step",
    "label.amount_requested",
    "label.amount_settled",
    "_id",
    "label.message",
)
"""The columns after the file's own, on both row sheets (the same layout, so a person who
knows one knows the other)."""
_WIDE = {"label.reason": 36, "label.next_step": 36, "label.message": 60}
"""The report's own long texts, wrapped in columns of these widths. The reason and the next
step are printed; a row to correct says its `rerun --fix` command once, on the Summary
(`_next_step`), so its next step is a line or two, not the command again on every row."""
_NARROW = {"label.outcome": 20, "label.amount_requested": 16, "label.amount_settled": 16}
"""Columns whose texts wrap (an outcome, a money column's header) rather than widen the
printed page."""
_ON_SCREEN = 2
"""The last columns of a row sheet, left out of its print area: the crediting's `_id` and the
API's message are for a person at a screen (and IT); the printed page holds what finance acts
on — the file's own columns, the outcome, the reason, the next step and the amounts — at a
readable size when one page wide (`print_setup`)."""
_ID_WIDTH = 26
"""An `_id` is 24 hexadecimal characters: readable whole."""
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?")
"""A date (and time) cell of the file that the workbook shows as a date: ISO, as workbooks
and most exports write it; any other form stays the text the file has."""


def _date_of(text: str) -> datetime | None:
    """The file's date cell as a date, when it is one written the ISO way."""
    if not _ISO_DATE.fullmatch(text):
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:  # 2026-13-45
        return None


class _RowSheet:
    """One row sheet: header, frozen panes, autofilter, outcome colours, money as numbers,
    long texts wrapped; stops at Excel's row limit and counts what it left out."""

    def __init__(
        self,
        book: Book,
        name: str,
        columns: Sequence[str],
        language: Language,
        typed: tuple[int | None, int | None] = (None, None),
    ) -> None:
        self.sheet: Worksheet = book.workbook.add_worksheet(name)
        self.name = name
        self._book = book
        self._language = language
        self._width = len(columns)
        self._amount, self._date = typed
        own = [cell_text(c) for c in columns]
        header = own + report_labels(own, _ROW_LABELS, language)
        sheet = self.sheet
        self._cells = book.spliced.rows(sheet)  # the data rows: see xlsx_rows
        self._own_widths: list[int] = []
        widths: list[tuple[str, float]] = []
        for index, label in enumerate(header):
            key = _ROW_LABELS[index - self._width] if index >= self._width else ""
            width = _WIDE.get(key) or _NARROW.get(key) or min(max(len(label) + 2, 10), 40)
            if index < self._width:
                self._own_widths.append(width)
            if key == "_id":
                width = _ID_WIDTH
            wrap = book.wrap if key in _WIDE else None
            self._cells.set_column(index, index, width, wrap)
            widths.append((label, width))
        sheet.freeze_panes(1, 0)
        sheet.set_row(0, wrapped_height(widths))  # a header wrapped is shown whole
        sheet.write_row(0, 0, header, book.header)
        self._columns = len(header)
        self.written = 0
        self.left_out = 0

    def add(self, row: WordedRow, amount: Decimal | None = None) -> None:
        """One row; `amount`: the file's own amount cell as read (None: shown as text)."""
        if self.written + 1 >= MAX_ROWS:
            self.left_out += 1
            return
        self.written += 1
        at = self.written
        sheet = self._cells
        book = self._book
        source = row.source[: self._width]
        # The file's amount and date cells are written as the number and date they were read
        # as (text where they were not): each cell once, in column order (`xlsx_rows`).
        typed: dict[int, tuple[float | datetime, Format]] = {}
        if amount is not None and self._amount is not None and self._amount < len(source):
            typed[self._amount] = (float(amount), book.money)
        if self._date is not None and self._date < len(source):
            day = _date_of(source[self._date].strip())
            if day is not None:
                shown = book.day if day == datetime(day.year, day.month, day.day) else book.date
                typed[self._date] = (day, shown)
        widths = self._own_widths
        long: list[tuple[str, int]] = []  # the file's own texts longer than their column
        for index, cell in enumerate(source):
            value = typed.get(index)
            if value is None:
                if cell:
                    shown = cell_text(cell)
                    if len(shown) > widths[index]:  # wrapped, whole on screen and on paper
                        sheet.write_string(at, index, shown, book.wrap)
                        long.append((shown, widths[index]))
                    else:
                        sheet.write_string(at, index, shown)
            elif isinstance(value[0], datetime):
                sheet.write_datetime(at, index, value[0], value[1])
            else:
                sheet.write_number(at, index, value[0], value[1])
        col = self._width
        sheet.write_number(at, col, row.row)
        sheet.write_string(
            at, col + 1, row.outcome_text, book.fills[fill_key(row.outcome, row.status)]
        )
        if row.reason:
            sheet.write_string(at, col + 2, cell_text(row.reason), book.wrap)
        next_step = self._next_step(row)
        if next_step:
            sheet.write_string(at, col + 3, next_step, book.wrap)
        if row.requested is not None:
            sheet.write_number(at, col + 4, float(row.requested), book.money)
        if row.settled is not None:
            sheet.write_number(at, col + 5, float(row.settled), book.money)
        if row.crediting_id:
            sheet.write_string(at, col + 6, cell_text(row.crediting_id))
        if row.details:
            sheet.write_string(at, col + 7, cell_text(row.details), book.wrap)
        outcome_wraps = len(row.outcome_text) > _NARROW["label.outcome"]
        if row.reason or next_step or row.details or long or outcome_wraps:
            height = wrapped_height(
                (
                    (row.reason, _WIDE["label.reason"]),
                    (next_step, _WIDE["label.next_step"]),
                    (row.details, _WIDE["label.message"]),
                    (row.outcome_text, _NARROW["label.outcome"]),
                    *long,
                )
            )
            if height is not None:
                sheet.set_height(at, height)

    def _next_step(self, row: WordedRow) -> str:
        """The row's next step; for a row to correct, without the `rerun --fix` command,
        which the Summary says once."""
        if row.next_step_key == "next.invalid":
            return text("next.invalid_summary", self._language)
        return row.next_step

    def finish(self) -> None:
        self.sheet.autofilter(0, 0, max(self.written, 1), self._columns - 1)
        print_setup(self.sheet, self.written + 1, self._columns - _ON_SCREEN)


_NOT_WANTED = Decimal("NaN")
"""Marks a row the reader must not read (not written to any sheet)."""


class XlsxWriter:
    """report.xlsx, written block by block (see `importer.report.write_reports`)."""

    def __init__(
        self, report: Report, columns: list[str], handle: BinaryIO, settings: ReportSettings
    ) -> None:
        self._report = report
        self._settings = settings
        self._columns = columns
        language = settings.language
        self._book = book = Book(handle)
        self._summary = book.workbook.add_worksheet(text("sheet.summary", language))
        room = MAX_COLUMNS - len(_ROW_LABELS)
        self._columns_left_out = max(0, len(columns) - room)
        shown = columns[:room]
        source = settings.source
        typed = (source.amount_column, source.date_column)
        reading = settings.amount_reading
        self._read = None if reading is None else reading(source, columns)
        sheets = [text("sheet.attention", language), text("sheet.all_rows", language)]
        self._attention = _RowSheet(book, sheets[0], shown, language, typed)
        self._all: _RowSheet | None = None
        if report.summary.rows <= settings.xlsx_all_rows:
            self._all = _RowSheet(book, sheets[1], shown, language, typed)
        self._creditors: dict[str, None] = {}

    def add(self, block: RowBlock) -> None:
        report = self._report
        dry_run = report.dry_run
        held = report.held_back
        attention = set(attention_indices(block, dry_run=dry_run, held=held))
        wanted = range(len(block)) if self._all is not None else sorted(attention)
        self._note_creditors(block)
        amounts = self._own_amounts(block, wanted)
        for index, row in zip(
            wanted,
            worded_rows(
                block,
                self._columns,
                wanted,
                language=self._settings.language,
                import_id=report.file_import_report,
                dry_run=dry_run,
                report_csv=self._settings.report_csv,
                shared=shares_rejection(report.warnings),
                held=held,
            ),
            strict=True,
        ):
            amount = amounts[index]
            if index in attention:
                self._attention.add(row, amount)
            if self._all is not None:
                self._all.add(row, amount)

    def _own_amounts(self, block: RowBlock, wanted: Sequence[int]) -> list[Decimal | None]:
        """The file's own amount cell of each row as read (None where it reads as no
        amount), for the rows `wanted`; every row None without a reader."""
        if self._read is None:
            return [None] * len(block)
        skip: list[Decimal | None] = [_NOT_WANTED] * len(block)
        for index in wanted:
            skip[index] = None
        found = self._read(block, skip)
        return [None if amount is _NOT_WANTED else amount for amount in found]

    def _note_creditors(self, block: RowBlock) -> None:
        """The creditor(s) the rows were (to be) credited for, for the Summary when the
        report itself names none."""
        requests = block.request
        fields = getattr(requests, "fields", None)
        if fields is not None:
            values: Any = fields.get("creditor", [])
        else:
            values = [r.get("creditor") for r in requests if r]
        for value in set(values):
            if value and len(self._creditors) < 5:
                self._creditors[str(value)] = None

    def finish(self) -> None:
        self._attention.finish()
        if self._all is not None:
            self._all.finish()
        SummarySheet(self._book, self._summary, self._report, self._settings).write(
            creditors=list(self._creditors),
            notes=self._notes(),
            attention=self._attention.written + self._attention.left_out,
        )
        try:
            self._book.spliced.close()
        except FileCreateError as exc:  # XlsxWriter's wrapper of the OS's error (a full disk)
            drop_archive(exc)
            cause = exc.args[0] if exc.args and isinstance(exc.args[0], OSError) else None
            raise cause or OSError(str(exc)) from exc

    def _notes(self) -> list[str]:
        language = self._settings.language
        notes = []
        rows = self._report.summary.rows
        if self._all is None:
            notes.append(
                text(
                    "label.all_rows_elsewhere",
                    language,
                    count=f"{rows:,}",
                    limit=f"{self._settings.xlsx_all_rows:,}",
                )
            )
        notes.extend(
            text(
                "label.xlsx_rows_cut",
                language,
                limit=f"{MAX_ROWS:,}",
                count=f"{sheet.left_out:,}",
                sheet=sheet.name,
            )
            for sheet in (self._attention, self._all)
            if sheet is not None and sheet.left_out
        )
        if self._columns_left_out:
            notes.append(
                text(
                    "label.xlsx_columns_cut",
                    language,
                    limit=f"{MAX_COLUMNS:,}",
                    count=f"{self._columns_left_out:,}",
                )
            )
        return notes
