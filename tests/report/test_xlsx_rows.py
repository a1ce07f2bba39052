"""The row sheets' rows written by `importer.report.xlsx_rows` make the workbook XlsxWriter
writes cell by cell: every member of the archive the same, in the same order, byte for byte
once each style index is read as the style it names (XlsxWriter numbers styles in the order
it first meets them, which the probe cannot follow)."""

from __future__ import annotations

import hashlib
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from zipfile import ZipFile

import pytest
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st
from xlsxwriter.worksheet import Worksheet

from importer.report.xlsx_rows import SheetRows, SplicedWorkbook

OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}
Cell = tuple[int, int, "str | float | datetime", "str | None"]
"""row, column, value, the name of its style (None: no style)."""

_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _write(
    fast: bool, sheets: Sequence[Sequence[Cell]], heights: dict[int, float] | None = None
) -> bytes:
    """A workbook like report.xlsx: a first sheet filled in last, then row sheets with a
    styled header, column styles and frozen panes, their rows written cell by cell through
    XlsxWriter's worksheet (`fast` False) or through `SheetRows` (True); `heights`: rows
    given a height (`Worksheet.set_row`, `SheetRows.set_height` once the row is written)."""
    heights = heights or {}
    handle = io.BytesIO()
    spliced = SplicedWorkbook(handle, OPTIONS) if fast else None
    book = spliced.workbook if spliced else xlsxwriter.Workbook(handle, OPTIONS)
    styles = {
        "bold": book.add_format({"bold": True}),
        "wrap": book.add_format({"text_wrap": True, "valign": "top"}),
        "money": book.add_format({"num_format": "#,##0.00"}),
        "red": book.add_format({"bg_color": "#FFC7CE", "pattern": 1}),
        "green": book.add_format({"bg_color": "#C6EFCE", "pattern": 1}),
        "title": book.add_format({"bold": True, "font_size": 14}),
        "day": book.add_format({"num_format": "yyyy-mm-dd", "align": "left"}),
    }
    first = book.add_worksheet("Summary")
    targets: list[tuple[Worksheet, Any]] = []
    for number, _ in enumerate(sheets):
        sheet = book.add_worksheet(f"Rows {number}")
        target = spliced.rows(sheet) if spliced else sheet
        target.set_column(0, 0, 20)
        target.set_column(3, 4, 50, styles["wrap"])
        sheet.freeze_panes(1, 0)
        sheet.write_row(0, 0, ["Invoice", "Amount", "Outcome", "Reason", "Step"], styles["bold"])
        targets.append((sheet, target))
    for (sheet, target), cells in zip(targets, sheets, strict=True):
        for index, (row, col, value, style) in enumerate(cells):
            if not fast and row in heights and (not index or cells[index - 1][0] != row):
                sheet.set_row(row, heights[row])  # before the row's cells: constant memory
            chosen = styles[style] if style else None
            if isinstance(value, str):
                target.write_string(row, col, value, chosen)
            elif isinstance(value, datetime):
                target.write_datetime(row, col, value, chosen)
            else:
                target.write_number(row, col, value, chosen)
            last_of_row = index + 1 == len(cells) or cells[index + 1][0] != row
            if fast and row in heights and last_of_row:
                target.set_height(row, heights[row])
        last = max((row for row, *_ in cells), default=1)
        sheet.autofilter(0, 0, last, 4)
    first.write_string(0, 0, "Report", styles["title"])
    first.write_number(1, 1, 12.5, styles["money"])
    if spliced:
        spliced.close()
    else:
        book.close()
    return handle.getvalue()


def _styles(archive: ZipFile) -> dict[str, str]:
    """Each cell style index (as written in a sheet) → a name for the style it stands for."""
    root = ET.fromstring(archive.read("xl/styles.xml"))
    codes = {f.get("numFmtId"): f.get("formatCode") for f in root.iter(f"{_NS}numFmt")}
    parts = {
        name: [ET.tostring(child) for child in root.find(f"{_NS}{name}s") or []]
        for name in ("font", "fill", "border")
    }
    names = {}
    for index, xf in enumerate(root.find(f"{_NS}cellXfs") or []):
        attributes = dict(xf.attrib)
        attributes["numFmtId"] = codes.get(attributes["numFmtId"], attributes["numFmtId"])
        described = [found[int(attributes.pop(f"{name}Id"))] for name, found in parts.items()]
        described += [sorted(attributes.items()), [ET.tostring(child) for child in xf]]
        names[str(index)] = hashlib.sha256(repr(described).encode()).hexdigest()[:12]
    return names


def _members(data: bytes) -> list[tuple[str, Any, bytes]]:
    """The archive's members in order (name, zip metadata, content) with style indices
    resolved; the creation time and the list of styles itself left out."""
    with ZipFile(io.BytesIO(data)) as archive:
        names = _styles(archive)
        members = []
        for info in archive.infolist():
            content = archive.read(info)
            if info.filename in ("docProps/core.xml", "xl/styles.xml"):
                content = b""
            content = re.sub(
                rb' (s|style)="(\d+)"',
                lambda m: b' %s="%s"' % (m[1], names[m[2].decode()].encode()),
                content,
            )
            meta = (info.date_time, info.compress_type, info.external_attr, info.create_system)
            members.append((info.filename, meta, content))
        return members


def _same_workbook(
    sheets: Sequence[Sequence[Cell]], heights: dict[int, float] | None = None
) -> None:
    obvious, fast = _write(False, sheets, heights), _write(True, sheets, heights)
    assert _members(fast) == _members(obvious)
    with ZipFile(io.BytesIO(fast)) as a, ZipFile(io.BytesIO(obvious)) as b:
        assert sorted(_styles(a).values()) == sorted(_styles(b).values())


def _report_rows(count: int, start: int = 1) -> list[Cell]:
    cells: list[Cell] = []
    for row in range(start, start + count):
        cells.append((row, 0, f"INV-{row:07d}", None))
        cells.append((row, 1, row * 10.25, "money"))
        cells.append((row, 2, "Invalid" if row % 3 else "Credited", "red" if row % 3 else "green"))
        if row % 3:
            cells.append((row, 3, "The amount is not a number", "wrap"))
        cells.append((row, 4, f"Fix row {row}", None))
    return cells


def test_rows_written_here_make_the_workbook_xlsxwriter_writes_cell_by_cell() -> None:
    _same_workbook([_report_rows(40_000 // 5), _report_rows(3, start=1)])


def test_a_date_is_written_as_xlsxwriter_writes_it() -> None:
    days = [datetime(2026, 11, 20), datetime(1900, 3, 1), datetime(2026, 12, 7, 9, 14, 5)]
    _same_workbook([[(row, 1, day, "day") for row, day in enumerate(days, start=1)]])


def test_a_row_sheet_without_rows_is_xlsxwriters_own() -> None:
    _same_workbook([[], _report_rows(2)])


def test_rows_may_skip_rows_and_columns() -> None:
    _same_workbook([[(2, 1, "b", None), (2, 4, 3.0, "money"), (7, 0, "a", "green")]])


HOSTILE = [
    "",
    " leading",
    "trailing\t",
    "\u00a0no-break space",
    "line\nbreak",
    "carriage\rreturn",
    "nul\x00and\x1fcontrols",
    "_x0041_ looks escaped",
    "<r>rich?</r>",
    "<b>&amp; \"quoted\" 'single' & < >",
    "=SUM(A1:A9)",
    "Åsa Öberg ✓ 𝄞",
    "\u2028\u2029",
    "a" * 40_000,
    "𝄞" * 20_000,
    "x" * 32_766 + "𝄞",
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_a_hostile_text_is_written_as_xlsxwriter_writes_it(text: str) -> None:
    _same_workbook([[(1, 0, text, None), (1, 3, text, "wrap"), (2, 2, text, "red")]])


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=12), min_size=1, max_size=6))
def test_any_text_is_written_as_xlsxwriter_writes_it(texts: list[str]) -> None:
    _same_workbook([[(1, col, text, None) for col, text in enumerate(texts)]])


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=6))
def test_any_number_is_written_as_xlsxwriter_writes_it(numbers: list[float]) -> None:
    _same_workbook([[(1, col, number, "money") for col, number in enumerate(numbers)]])


@pytest.mark.parametrize(
    "write",
    [
        lambda rows: (rows.write_string(3, 0, "a"), rows.write_string(2, 0, "b")),
        lambda rows: (rows.write_string(3, 2, "a"), rows.write_string(3, 2, "b")),
        lambda rows: rows.write_string(0, 0, "the header is XlsxWriter's"),
    ],
    ids=["row-back", "column-again", "header"],
)
def test_cells_out_of_order_are_refused(write: Callable[[SheetRows], object]) -> None:
    book = SplicedWorkbook(io.BytesIO(), OPTIONS)
    sheet = book.workbook.add_worksheet()
    sheet.write_string(0, 0, "header")
    rows = book.rows(sheet)
    with pytest.raises(ValueError, match="written"):
        write(rows)
    book.close()


def test_rows_without_a_header_from_a1_are_refused() -> None:
    book = SplicedWorkbook(io.BytesIO(), OPTIONS)
    sheet = book.workbook.add_worksheet()
    sheet.write_string(0, 1, "header in B1")
    book.rows(sheet).write_string(1, 0, "x")
    with pytest.raises(ValueError, match="header row that starts in cell A1"):
        book.close()


def test_a_number_excel_cannot_hold_is_refused_as_xlsxwriter_refuses_it() -> None:
    book = SplicedWorkbook(io.BytesIO(), OPTIONS)
    sheet = book.workbook.add_worksheet()
    sheet.write_string(0, 0, "header")
    rows = book.rows(sheet)
    with pytest.raises(TypeError, match="NAN/INF"):
        rows.write_number(1, 0, float("inf"))
    book.close()


def test_a_full_disk_is_the_oses_error(tmp_path: Path) -> None:
    """Writing the archive into a file that refuses bytes raises that OSError unchanged."""

    class Full(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, data: Any) -> int:
            raise OSError(28, "No space left on device")

    book = SplicedWorkbook(Full(), OPTIONS)  # type: ignore[arg-type]
    sheet = book.workbook.add_worksheet()
    sheet.write_string(0, 0, "header")
    rows = book.rows(sheet)
    rows.write_string(1, 0, "x")
    with pytest.raises(OSError, match="No space left"):
        book.close()


def test_a_rows_height_is_written_as_xlsxwriter_writes_it() -> None:
    """A row made tall for its wrapped texts (`SheetRows.set_height`) is the row XlsxWriter's
    `set_row` writes, in the first block of rows and after the rows have gone to the
    temporary file."""
    rows = _report_rows(9000)
    _same_workbook([rows], {2: 45.0, 3: 30.0, 8999: 75.5})
