"""report.xlsx's Summary sheet: which import, file and creditor, where to, when, the control
totals and what to do next — on one screen, and on one printed page."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from importer.outcomes import OUTCOME_ORDER
from importer.report import head_words
from importer.report.control import reconciling_lines
from importer.report.model import KNOWN_STATUSES, Report
from importer.report.settings import ReportSettings
from importer.report.xlsx_book import Book, cell_text, print_setup, wrapped_height
from importer.words import outcome_text, text

SUMMARY_COLUMNS = 3
"""Label, count or value, amount."""
_LABEL_WIDTH = 34
"""The labels' column, at least (wider for a longer label)."""
_TEXT_WIDTH = 70
"""The values' column, where next steps and warnings wrap."""
WARNINGS_SHOWN = 10
"""Warnings on the Summary, at most (a subtotal after every customer is one each): the rest
are counted in one line, so the sheet stays one readable printed page."""
AUDIT_SHOWN = 20
"""Lines of the changes by hand on the Summary, at most (a fix of hundreds of rows is a line
per changed cell): the rest are counted in one line pointing to where they all are."""


class SummarySheet:
    """Sheet Summary: what finance asks first — which import, file and creditor, where to,
    when, how many rows and how much money per outcome, and what to do next — on one
    screen."""

    def __init__(
        self, book: Book, sheet: Worksheet, report: Report, settings: ReportSettings
    ) -> None:
        self._book = book
        self._sheet = sheet
        self._report = report
        self._settings = settings
        self._at = 0
        self._label = _LABEL_WIDTH
        sheet.set_column(0, 0, _LABEL_WIDTH)
        sheet.set_column(1, 1, _TEXT_WIDTH, book.wrap)
        sheet.set_column(2, 2, 18)

    def _t(self, key: str, **values: object) -> str:
        return text(key, self._settings.language, **values)

    def _line(self, *cells: Any, formats: Sequence[Format | None] = ()) -> None:
        if cells and isinstance(cells[0], str):
            self._label = max(self._label, len(cells[0]) + 2)  # every label whole
        if len(cells) > 1 and isinstance(cells[1], str):
            height = wrapped_height([(cells[1], _TEXT_WIDTH)])
            if height is not None:
                self._sheet.set_row(self._at, height)
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
            ("label.timezone", self._settings.zone_text(report.started)),
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
        for label, rows, amount in reconciling_lines(summary):
            self._line(t(label), rows, amount)
        self._line(t("label.amount_settled"), None, summary.amount_settled, formats=[book.bold])
        self._at += 1
        self._line(t("label.next_step"), formats=[book.bold])
        for step in head_words.next_steps(report, self._settings):
            self._line("", step)
        if not attention:
            self._line("", t("label.nothing_needs_attention"))
        for note in notes:
            self._line("", note, formats=[None, book.warn])
        if report.file_errors:
            self._at += 1
            self._line(t("label.file_errors"), formats=[book.bold])
            worded = head_words.file_errors(report, self._settings)
            for error, words in zip(report.file_errors, worded, strict=True):
                self._line(error.field, words, error.code)
        warnings = head_words.warnings(report, self._settings)
        if warnings:
            self._at += 1
            self._line(t("label.warnings"), formats=[book.bold])
            for warning in warnings[:WARNINGS_SHOWN]:
                self._line("", warning)
            if len(warnings) > WARNINGS_SHOWN:
                self._line("", t("label.warnings_more", count=len(warnings) - WARNINGS_SHOWN))
        if report.audit:  # who changed the import by hand (written as strings, never formulas)
            self._at += 1
            self._line(t("label.audit"), formats=[book.bold])
            settings = self._settings
            said = [
                line
                for entry in report.audit
                for line in entry.lines(settings.language, settings.timezone)
            ]
            for line in said[:AUDIT_SHOWN]:
                self._line("", line)
            if len(said) > AUDIT_SHOWN:
                left = len(said) - AUDIT_SHOWN
                self._line("", t("label.audit_more", count=left, id=report.file_import_report))
        self._sheet.set_column(0, 0, self._label)
        print_setup(self._sheet, self._at, SUMMARY_COLUMNS, one_page=True)
