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
from zipfile import ZipFile

from xlsxwriter.exceptions import FileCreateError
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from importer.attention import import_next_steps
from importer.outcomes import OUTCOME_ORDER
from importer.report.blocks import RowBlock
from importer.report.cells import safe_text
from importer.report.model import KNOWN_STATUSES, Report
from importer.report.row_words import (
    OUTCOME_FILLS,
    WordedRow,
    attention_indices,
    fill_key,
    worded_rows,
)
from importer.report.settings import ReportSettings
from importer.report.xlsx_rows import SplicedWorkbook
from importer.words import Language, outcome_text, text

_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
"""Control characters XML 1.0 cannot hold (a raw CSV cell may contain them)."""

MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd hh:mm:ss"
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
_WIDE = {"label.reason": 50, "label.next_step": 50, "label.message": 60}


def cell_text(value: str) -> str:
    """A text as the workbook holds it: neutralised (`safe_text`), and the control characters
    XML cannot hold become U+FFFD, so a person sees that something was there."""
    value = safe_text(value)
    if _XML_ILLEGAL.search(value):
        value = _XML_ILLEGAL.sub("\ufffd", value)
    return value


class _RowSheet:
    """One row sheet: header, frozen panes, autofilter, outcome colours, money as numbers,
    long texts wrapped; stops at Excel's row limit and counts what it left out."""

    def __init__(self, book: _Book, name: str, columns: Sequence[str], language: Language) -> None:
        self.sheet: Worksheet = book.workbook.add_worksheet(name)
        self.name = name
        self._book = book
        self._width = len(columns)
        header = [cell_text(c) for c in columns] + [
            text(label, language) if label.startswith("label.") else label for label in _ROW_LABELS
        ]
        sheet = self.sheet
        self._cells = book.spliced.rows(sheet)  # the data rows: see xlsx_rows
        for index, label in enumerate(header):
            key = _ROW_LABELS[index - self._width] if index >= self._width else ""
            width = _WIDE.get(key) or min(max(len(label) + 2, 10), 40)
            wrap = book.wrap if key in _WIDE else None
            self._cells.set_column(index, index, width, wrap)
        sheet.freeze_panes(1, 0)
        sheet.write_row(0, 0, header, book.bold)
        self._columns = len(header)
        self.written = 0
        self.left_out = 0

    def add(self, row: WordedRow) -> None:
        if self.written + 1 >= MAX_ROWS:
            self.left_out += 1
            return
        self.written += 1
        at = self.written
        sheet = self._cells
        book = self._book
        source = row.source[: self._width]
        for index, cell in enumerate(source):
            if cell:
                sheet.write_string(at, index, cell_text(cell))
        col = self._width
        sheet.write_number(at, col, row.row)
        sheet.write_string(
            at, col + 1, row.outcome_text, book.fills[fill_key(row.outcome, row.status)]
        )
        if row.reason:
            sheet.write_string(at, col + 2, cell_text(row.reason), book.wrap)
        if row.next_step:
            sheet.write_string(at, col + 3, row.next_step, book.wrap)
        if row.requested is not None:
            sheet.write_number(at, col + 4, float(row.requested), book.money)
        if row.settled is not None:
            sheet.write_number(at, col + 5, float(row.settled), book.money)
        if row.crediting_id:
            sheet.write_string(at, col + 6, cell_text(row.crediting_id))
        if row.details:
            sheet.write_string(at, col + 7, cell_text(row.details), book.wrap)

    def finish(self) -> None:
        self.sheet.autofilter(0, 0, max(self.written, 1), self._columns - 1)


def _drop_archive(exc: BaseException) -> None:
    """When a write fails (a full disk), XlsxWriter leaves its half-built zip archive to the
    collector, and the collector may get to it only at interpreter exit (bulk phases pause
    it), when the file is long closed and deleted: "Exception ignored" on stderr. The archive
    is found in the failed call's frames and detached from its file here, so closing it
    later does nothing."""
    seen: list[BaseException] = []
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop()
        if any(current is s for s in seen):
            continue
        seen.append(current)
        tb = current.__traceback__
        while tb is not None:
            archive = tb.tb_frame.f_locals.get("xlsx_file")
            if isinstance(archive, ZipFile):
                archive.fp = None  # ZipFile.close is a no-op without its file
            tb = tb.tb_next
        nested = [*current.args, current.__cause__, current.__context__]
        todo += [n for n in nested if isinstance(n, BaseException)]


class _Book:
    """The workbook and its formats (XlsxWriter shares one Format per style)."""

    def __init__(self, handle: BinaryIO) -> None:
        self.spliced = SplicedWorkbook(
            handle,
            {
                "constant_memory": True,
                # Every cell is written as what it is: a text that looks like a formula,
                # number or URL stays text (the report never runs what a file holds).
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
            },
        )
        self.workbook = self.spliced.workbook
        add = self.workbook.add_format
        self.bold: Format = add({"bold": True})
        self.title: Format = add({"bold": True, "font_size": 14})
        self.warn: Format = add({"bold": True, "font_color": "#9C0006"})
        self.money: Format = add({"num_format": MONEY_FORMAT})
        self.money_bold: Format = add({"num_format": MONEY_FORMAT, "bold": True})
        self.date: Format = add({"num_format": DATE_FORMAT, "align": "left"})
        self.wrap: Format = add({"text_wrap": True, "valign": "top"})
        self.fills: dict[str, Format] = {
            key: add({"bg_color": rgb, "pattern": 1}) for key, rgb in OUTCOME_FILLS.items()
        }


class XlsxWriter:
    """report.xlsx, written block by block (see `importer.report.write_reports`)."""

    def __init__(
        self, report: Report, columns: list[str], handle: BinaryIO, settings: ReportSettings
    ) -> None:
        self._report = report
        self._settings = settings
        self._columns = columns
        language = settings.language
        self._book = book = _Book(handle)
        self._summary = book.workbook.add_worksheet(text("sheet.summary", language))
        room = MAX_COLUMNS - len(_ROW_LABELS)
        self._columns_left_out = max(0, len(columns) - room)
        shown = columns[:room]
        self._attention = _RowSheet(book, text("sheet.attention", language), shown, language)
        self._all: _RowSheet | None = None
        if report.summary.rows <= settings.xlsx_all_rows:
            self._all = _RowSheet(book, text("sheet.all_rows", language), shown, language)
        self._creditors: dict[str, None] = {}

    def add(self, block: RowBlock) -> None:
        report = self._report
        dry_run = report.dry_run
        attention = set(attention_indices(block, dry_run=dry_run))
        wanted = range(len(block)) if self._all is not None else sorted(attention)
        self._note_creditors(block)
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
            ),
            strict=True,
        ):
            if index in attention:
                self._attention.add(row)
            if self._all is not None:
                self._all.add(row)

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
        _Summary(self._book, self._summary, self._report, self._settings).write(
            creditors=list(self._creditors),
            notes=self._notes(),
            attention=self._attention.written + self._attention.left_out,
        )
        try:
            self._book.spliced.close()
        except FileCreateError as exc:  # XlsxWriter's wrapper of the OS's error (a full disk)
            _drop_archive(exc)
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


class _Summary:
    """Sheet Summary: what finance asks first — which import, file and creditor, where to,
    when, how many rows and how much money per outcome, and what to do next — on one
    screen."""

    def __init__(
        self, book: _Book, sheet: Worksheet, report: Report, settings: ReportSettings
    ) -> None:
        self._book = book
        self._sheet = sheet
        self._report = report
        self._settings = settings
        self._at = 0
        sheet.set_column(0, 0, 34)
        sheet.set_column(1, 1, 70, book.wrap)
        sheet.set_column(2, 2, 18)

    def _t(self, key: str, **values: object) -> str:
        return text(key, self._settings.language, **values)

    def _line(self, *cells: Any, formats: Sequence[Format | None] = ()) -> None:
        for index, cell in enumerate(cells):
            chosen = formats[index] if index < len(formats) else None
            if cell is None or cell == "":
                continue
            if isinstance(cell, datetime):
                self._sheet.write_datetime(self._at, index, cell, chosen or self._book.date)
            elif isinstance(cell, Decimal):
                self._sheet.write_number(self._at, index, float(cell), chosen or self._book.money)
            elif isinstance(cell, int):
                self._sheet.write_number(self._at, index, cell, chosen)
            else:
                self._sheet.write_string(self._at, index, cell_text(str(cell)), chosen)
        self._at += 1

    def write(self, *, creditors: list[str], notes: list[str], attention: int) -> None:
        report, book, t = self._report, self._book, self._t
        summary = report.summary
        self._line(t("label.title"), formats=[book.title])
        if report.dry_run:
            self._line(t("label.dry_run"), formats=[book.warn])
        if report.sandbox and not report.dry_run:
            self._line(t("label.sandbox_yes"), formats=[book.warn])
        self._at += 1
        creditor = ", ".join(report.creditor or creditors)
        finished = report.finished
        for label, value in (
            ("label.import", report.file_import_report),
            ("label.file", report.file.name),
            ("label.sha256", report.file.sha256),
            ("label.format", report.file.format),
            ("label.creditor", creditor),
            ("label.api", report.api.get("base_url", "")),
            ("label.sandbox", t("label.sandbox_yes" if report.sandbox else "label.sandbox_no")),
            ("label.started", self._settings.local(report.started)),
            (
                "label.finished",
                t("label.not_finished") if finished is None else self._settings.local(finished),
            ),
            ("label.exit_code", report.exit_code),
        ):
            self._line(t(label), value, formats=[book.bold])
        self._at += 1
        self._line(
            t("label.control_totals"), t("label.rows"), t("label.amount"), formats=[book.bold] * 3
        )
        self._line(t("label.rows_read"), summary.rows, summary.amount_read)
        for outcome in OUTCOME_ORDER:
            key = outcome.value
            self._line(
                outcome_text(key, None, self._settings.language),
                summary.outcomes.get(key, 0),
                summary.amounts.get(key, Decimal(0)),
                formats=[book.fills[key]],
            )
        for status in KNOWN_STATUSES:
            self._line(
                "  " + outcome_text("credited", status, self._settings.language),
                summary.statuses.get(status, 0),
            )
        self._line(t("label.amount_settled"), None, summary.amount_settled, formats=[book.bold])
        self._at += 1
        self._line(t("label.next_step"), formats=[book.bold])
        steps = import_next_steps(
            summary.outcomes,
            summary.statuses,
            dry_run=report.dry_run,
            rejected_file=bool(report.file_errors) and not summary.rows,
        )
        for step in steps:
            self._line("", t(step, id=report.file_import_report, csv=self._settings.report_csv))
        if not attention:
            self._line("", t("label.nothing_needs_attention"))
        for note in notes:
            self._line("", note, formats=[None, book.warn])
        if report.file_errors:
            self._at += 1
            self._line(t("label.file_errors"), formats=[book.bold])
            for error in report.file_errors:
                self._line(error.field, error.message, error.code)
        if report.warnings:
            self._at += 1
            self._line(t("label.warnings"), formats=[book.bold])
            for warning in report.warnings:
                self._line("", warning.message)
