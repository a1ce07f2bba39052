"""report.xlsx: the workbook finance staff open — frozen header, autofilter, outcomes in colour,
money as numbers, and a summary sheet. Kept apart from report.py so openpyxl is imported only
when a workbook is written."""

from __future__ import annotations

from decimal import Decimal
from itertools import repeat
from typing import Any, BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from importer.outcomes import Outcome
from importer.report.blocks import RowBlock
from importer.report.cells import iso_utc, safe_text
from importer.report.model import OUTCOME_COLUMNS, Report, order_outcomes, order_statuses
from importer.report.table import table_header, table_rows_of

# --------------------------------------------------------------------------------------------
# report.xlsx
# --------------------------------------------------------------------------------------------

MONEY_FORMAT = "#,##0.00"

_GREEN = "FFC6EFCE"
_RED = "FFFFC7CE"
_AMBER = "FFFFEB9C"
_ORANGE = "FFF8CBAD"
_GREY = "FFD9D9D9"

OUTCOME_FILLS: dict[str, str] = {
    "credited": _GREEN,
    "credited/warning": _AMBER,
    "credited/error": _RED,
    Outcome.INVALID.value: _RED,
    Outcome.REJECTED.value: _RED,
    Outcome.DUPLICATE.value: _GREY,
    Outcome.NOT_SENT.value: _ORANGE,
    Outcome.UNKNOWN.value: _ORANGE,
}
"""ARGB fill of the outcome cell (Excel's own "Good"/"Bad"/"Neutral" tints): green is done,
red needs fixing, amber/orange needs a look or a rerun, grey was deliberately skipped. A
credited row whose crediting ended in status `warning`/`error` is coloured by that status,
because it is credited but still not in order."""


def _fill_key(outcome: Outcome, status: str | None) -> str:
    if outcome is Outcome.CREDITED and status in ("warning", "error"):
        return f"credited/{status}"
    return outcome.value


def _xlsx_text(text: str) -> str:
    """Neutralised, and without the control characters XML 1.0 cannot hold (openpyxl refuses
    them; a raw CSV cell may contain them). They become U+FFFD so a person sees something was
    there."""
    text = safe_text(text)
    if ILLEGAL_CHARACTERS_RE.search(text):
        text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", text)
    return text


class _StyledCell:
    """A reusable write-only cell per style. In write-only mode openpyxl serialises a row during
    `append`, so one pre-styled cell per style can carry a new value each row. Creating and
    styling a fresh WriteOnlyCell per row costs a style lookup each time and roughly halves the
    throughput of a 200,000-row sheet."""

    def __init__(self, sheet: Any, **style: Any) -> None:
        self.cell = WriteOnlyCell(sheet)
        for name, value in style.items():
            setattr(self.cell, name, value)

    def __call__(self, value: Any) -> Cell:
        self.cell.value = value
        return self.cell


class XlsxWriter:
    """report.xlsx, written block by block (see `importer.report.write_reports`): sheet
    "Rows" as the blocks come, then sheet "Summary"."""

    def __init__(self, report: Report, columns: list[str], handle: BinaryIO) -> None:
        self._report = report
        self._handle = handle
        self._workbook = Workbook(write_only=True)
        self._rows = _RowsSheet(self._workbook, columns)

    def add(self, block: RowBlock) -> None:
        self._rows.add(block)

    def finish(self) -> None:
        self._rows.finish()
        _write_summary_sheet(self._workbook, self._report)
        self._workbook.save(self._handle)


class _RowsSheet:
    """Sheet "Rows": the CSV's columns, frozen header, autofilter, outcome colour, money as
    numbers. The file's own cells stay the raw text the person had (converting "1 234,50" to
    a number would be a guess); only the outcome money column is numeric."""

    def __init__(self, workbook: Workbook, columns: list[str]) -> None:
        sheet = self._sheet = workbook.create_sheet("Rows")
        self._columns = columns
        header = table_header(columns)
        self._width = len(header)
        self._count = 0
        sheet.freeze_panes = "A2"  # must be set before the first row is written
        for index, name in enumerate(header, 1):
            sheet.column_dimensions[get_column_letter(index)].width = min(
                max(len(name) + 2, 10), 40
            )
        bold = Font(bold=True)
        sheet.append([_StyledCell(sheet, font=bold)(_xlsx_text(name)) for name in header])
        self._fills = {
            key: _StyledCell(sheet, fill=PatternFill("solid", start_color=rgb, end_color=rgb))
            for key, rgb in OUTCOME_FILLS.items()
        }
        self._money = _StyledCell(sheet, number_format=MONEY_FORMAT)
        first = len(columns)
        self._outcome_at = first + OUTCOME_COLUMNS.index("outcome")
        self._settled_at = first + OUTCOME_COLUMNS.index("settled_amount")

    def add(self, block: RowBlock) -> None:
        sheet = self._sheet
        fills = self._fills
        money = self._money
        outcome_at = self._outcome_at
        settled_at = self._settled_at
        illegal = ILLEGAL_CHARACTERS_RE.search
        statuses = block.status or repeat(None)
        settled_amounts = block.settled_amount or repeat(None)
        for outcome, status, settled, row in zip(
            block.outcome,
            statuses,
            settled_amounts,
            table_rows_of(block, self._columns),
            strict=False,
        ):
            cells = list(row)
            for index, value in enumerate(cells):
                if value == "":
                    cells[index] = None
                elif isinstance(value, str) and illegal(value):
                    cells[index] = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
            cells[outcome_at] = fills[_fill_key(outcome, status)](outcome.value)
            cells[settled_at] = None if settled is None else money(float(settled))
            sheet.append(cells)
        self._count += len(block)

    def finish(self) -> None:
        self._sheet.auto_filter.ref = f"A1:{get_column_letter(self._width)}{self._count + 1}"


def _write_summary_sheet(workbook: Workbook, report: Report) -> None:
    """Sheet "Summary": what finance asks first (how many, how much, which file, where to) on one
    screen. Times are ISO 8601 UTC text: Excel cannot store a time zone."""
    sheet = workbook.create_sheet("Summary")
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 66
    sheet.column_dimensions["C"].width = 60
    bold = Font(bold=True)
    warn = Font(bold=True, color="FF9C0006")
    summary = report.summary

    def text(value: object) -> str:
        return _xlsx_text("" if value is None else str(value))

    def heading(*labels: str) -> None:
        sheet.append([_StyledCell(sheet, font=bold)(text(label)) for label in labels])

    def amount(value: Decimal) -> Cell:
        return _StyledCell(sheet, number_format=MONEY_FORMAT)(float(value))

    sheet.append([_StyledCell(sheet, font=Font(bold=True, size=14))("File import report")])
    if report.sandbox:
        sheet.append([_StyledCell(sheet, font=warn)("Sandbox: no real credits were issued")])
    if report.dry_run:
        sheet.append([_StyledCell(sheet, font=warn)("Dry run: nothing was sent")])
    sheet.append([])
    for label, value in (
        ("Import", report.file_import_report),
        ("File", report.file.name),
        ("SHA-256", report.file.sha256),
        ("Format", report.file.format),
        ("API", report.api.get("base_url", "")),
        ("Started", iso_utc(report.started)),
        ("Finished", iso_utc(report.finished) or "not finished"),
    ):
        sheet.append([label, text(value)])
    sheet.append(["Rows", summary.rows])
    sheet.append([])

    heading("Outcome", "Rows")
    for name, count in order_outcomes(summary.outcomes).items():
        rgb = OUTCOME_FILLS.get(name)
        cell: Cell | str = (
            _StyledCell(sheet, fill=PatternFill("solid", start_color=rgb, end_color=rgb))(
                text(name)
            )
            if rgb
            else text(name)
        )
        sheet.append([cell, count])
    sheet.append([])
    heading("Status (credited rows)", "Rows")
    for name, count in order_statuses(summary.statuses).items():
        sheet.append([text(name), count])
    sheet.append([])
    sheet.append(["Amount requested", amount(summary.amount_requested)])
    sheet.append(["Amount settled", amount(summary.amount_settled)])

    if report.file_errors:
        sheet.append([])
        heading("File errors")
        heading("Field", "Code", "Message")
        for error in report.file_errors:
            sheet.append([text(error.field), text(error.code), text(error.message)])
    if report.warnings:
        sheet.append([])
        heading("Warnings")
        for warning in report.warnings:
            sheet.append([text(warning)])
