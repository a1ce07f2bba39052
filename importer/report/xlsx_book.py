"""report.xlsx's workbook: its formats (XlsxWriter shares one Format per style), how a text
becomes a cell, and how a sheet is set up for printing — what the Summary and the row sheets
share."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import BinaryIO
from zipfile import ZipFile

from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from importer.report.cells import safe_text
from importer.report.row_words import OUTCOME_FILLS
from importer.report.xlsx_rows import SplicedWorkbook

_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
"""Control characters XML 1.0 cannot hold (a raw CSV cell may contain them)."""


MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd hh:mm:ss"
DAY_FORMAT = "yyyy-mm-dd"


def cell_text(value: str) -> str:
    """A text as the workbook holds it: neutralised (`safe_text`), and the control characters
    XML cannot hold become U+FFFD, so a person sees that something was there."""
    value = safe_text(value)
    if _XML_ILLEGAL.search(value):
        value = _XML_ILLEGAL.sub("\ufffd", value)
    return value


def drop_archive(exc: BaseException) -> None:
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


class Book:
    """The workbook and its formats (XlsxWriter shares one Format per style)."""

    def __init__(self, handle: BinaryIO) -> None:
        # The row sheets' data rows are written by `xlsx_rows` and spliced into the archive
        # XlsxWriter writes (see there for why and the measured gain).
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
        self.day: Format = add({"num_format": DAY_FORMAT, "align": "left"})
        # Bottom-aligned, as every other cell: a row made tall for its wrapped texts keeps
        # its one-line cells (the invoice, the outcome) on the wrapped texts' last line.
        self.wrap: Format = add({"text_wrap": True})
        self.header: Format = add({"bold": True, "text_wrap": True})
        self.fills: dict[str, Format] = {  # an outcome wraps in its narrow column
            key: add({"bg_color": rgb, "pattern": 1, "text_wrap": True})
            for key, rgb in OUTCOME_FILLS.items()
        }


LINE_HEIGHT = 15.0
"""A row's height per line of text, in points: the default row height of the default font."""
MAX_ROW_HEIGHT = 409.5
"""The tallest row Excel takes, in points (a taller one is a damaged workbook to it)."""
_FILLED = 0.85
"""The part of a wrapped line a text of words fills on average: lines break between words
(a text without spaces, a path or a hash, breaks anywhere and fills its lines)."""


def wrapped_height(texts: Sequence[tuple[str, float]]) -> float | None:
    """The height a row needs to show each of its wrapped `texts` (text, column width in
    characters) whole, or None when one line does. LibreOffice keeps a row at the height
    the workbook gives it (it does not grow a row to its wrapped text when it opens one),
    so a row left at the default showed one line and printed the rest over the rows below."""
    lines = 1
    for shown, width in texts:
        needed = 0
        for part in shown.split("\n"):
            per_line = max(int(width * _FILLED) if " " in part else int(width), 1)
            needed += -(-len(part) // per_line) or 1
        lines = max(lines, needed)
    return min(lines * LINE_HEIGHT, MAX_ROW_HEIGHT) if lines > 1 else None


A4 = 9
"""XlsxWriter's paper code for A4, the paper Swedish offices print on."""


def print_setup(sheet: Worksheet, rows: int, columns: int, *, one_page: bool = False) -> None:
    """The sheet prints as a person expects: landscape, one page wide (a report's columns
    never spill onto pages of their own), the header row on every page, only the cells
    written (`rows` × `columns`, the header included). `one_page`: down as well as across,
    for the Summary, whose labels, counts and amounts belong on one sheet of paper."""
    sheet.set_landscape()
    sheet.set_paper(A4)
    sheet.fit_to_pages(1, 1 if one_page else 0)
    if not one_page:
        sheet.repeat_rows(0)
    sheet.print_area(0, 0, max(rows, 1) - 1, max(columns, 1) - 1)
