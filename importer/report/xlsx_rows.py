"""The row sheets' data rows, serialised here as XlsxWriter serialises them, and spliced into
the workbook XlsxWriter closed.

Why: XlsxWriter's per-cell path (argument checks, a cell tuple, then one XML write per cell)
was 90% of report.xlsx, and report.xlsx three quarters of `importer validate` at 50,000 rows
(2.8 s of CPU for 50,000 rows of 9 cells through XlsxWriter's own `write_string` and
`write_number`, however lean the caller). Here a cell is one f-string, a plain text (no
control character, markup, `_` or edge space) is not escaped at all, and the rows go to a
temporary file in chunks. Measured in-process on 50,000 rows (the workbook alone, CPU time):
2.85 s through XlsxWriter's cells, 1.05 s spliced; `validate` with the default formats went
from 0.4-0.5x frictionless to 0.7x or better at 20,000 and 50,000 rows (README, Performance).

How, with XlsxWriter's public interface only: the workbook is written by XlsxWriter into
memory with each row sheet holding just its header; a cell's style index is known only to
XlsxWriter, so a row here carries a placeholder per style, and before the workbook is closed
one blank "probe" cell per style is written below the header, which makes XlsxWriter number
those styles and write their index into the sheet. When it is closed, the archive is copied
into the report file member by member, each row sheet's probe rows replaced by the rows
written here (placeholders replaced by the probed indices) and its `<dimension>` made to
cover them. `SheetRows` offers the worksheet methods the row sheets call (`write_string`,
`write_number`), so the code deciding what goes in a cell stays the obvious one;
`tests/report/test_xlsx_rows.py` holds the workbook equal to XlsxWriter's own, cell by cell
and style by style. What differs: the order in which styles.xml numbers the styles (the
probes number them when the workbook closes, XlsxWriter as it first meets them)."""

from __future__ import annotations

import io
import math
import re
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime
from typing import IO, BinaryIO
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_cell_to_rowcol, xl_col_to_name
from xlsxwriter.worksheet import Worksheet

# XlsxWriter's own rules for an inline string (constant-memory mode), as it applies them:
_ESCAPED_ESCAPE = re.compile("(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"([\x00-\x08\x0b-\x1f])")
_LEADING_SPACE = re.compile(r"^\s")
_TRAILING_SPACE = re.compile(r"\s$")
_MARKUP = re.compile('["&<>\n]')
_PLAIN = re.compile(r"[\x00-\x1f&<>_]|^\s|\s\Z")
"""A text without any of these (nor space at either end) is written as it is."""

_STRING_MAX = 32_767
"""Excel's longest cell text, in UTF-16 units (XlsxWriter cuts longer texts there)."""
_FLUSH_CELLS = 20_000
"""Cells held as text before they go to the temporary file (a few hundred kB)."""
_ZIP64_FROM = (1 << 31) - 1


def _column_names() -> Iterator[str]:
    index = 0
    while True:
        yield xl_col_to_name(index)
        index += 1


_EXCEL_EPOCH = datetime(1899, 12, 31)


def excel_serial(moment: datetime) -> float:
    """A naive date and time as Excel's 1900 date system counts it: days since 1899-12-31,
    the time as the fraction of a day, one day more from 1 March 1900 (Excel takes 1900 for
    a leap year). XlsxWriter's own conversion is private; a test holds the two equal."""
    delta = moment - _EXCEL_EPOCH
    serial = delta.days + (delta.seconds + delta.microseconds / 1e6) / 86_400
    return serial + 1 if serial > 59 else serial


class SheetRows:
    """The data rows (below the header) of one worksheet, written cell by cell in row order
    with the worksheet's own method names; the sheet itself is written by XlsxWriter."""

    def __init__(self, sheet: Worksheet) -> None:
        self.sheet = sheet
        self.last_row = 0
        """The last row written (0: none; the header is row 0)."""
        self.max_column = -1
        self._file: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        self._sizes: list[int] = []
        self._parts: list[str] = []
        self._row_end = ""
        self._tag = 0
        """Where in `_parts` the open row's tag is (after the row before's end)."""
        self._reference = ""
        self._column = -1
        self._styles: dict[Format | None, str] = {None: ""}
        self._slots: list[Format] = []
        self._column_styles: dict[int, Format] = {}
        self._names: list[str] = []
        self._more_names = _column_names()

    def _cell(self, row: int, col: int) -> str:
        """The cell's reference; opens the row when it is a new one."""
        if row != self.last_row or not row or col <= self._column:
            self._open(row, col)
        self._column = col
        if col > self.max_column:
            self.max_column = col
            while len(self._names) <= col:
                self._names.append(next(self._more_names))
        return self._names[col] + self._reference

    def _open(self, row: int, col: int) -> None:
        if row < 1:
            raise ValueError(f"row {row} written here: the header (row 0) is the sheet's own")
        if row < self.last_row:
            raise ValueError(f"row {row} written after row {self.last_row}")
        if row == self.last_row:
            raise ValueError(f"column {col} of row {row} written after column {self._column}")
        if len(self._parts) > _FLUSH_CELLS:
            self._flush()  # before the row's tag, which `set_height` may still change
        self._tag = len(self._parts)
        self._parts.append(f'{self._row_end}<row r="{row + 1}">')
        self._row_end = "</row>"
        self._reference = str(row + 1)
        self.last_row = row
        self._column = -1

    def set_height(self, row: int, height: float) -> None:
        """The height of `row`, the row being written, in points (`Worksheet.set_row`'s
        height): a spreadsheet program keeps it as written, so a row of wrapped texts shows
        and prints them whole."""
        if row != self.last_row or not row:
            raise ValueError(f"the height of row {row} set while row {self.last_row} is written")
        shown = 0.75 * int(height * 4.0 / 3.0 + 0.5)  # whole pixels, as XlsxWriter rounds it
        before = "</row>" if self._parts[self._tag].startswith("</row>") else ""
        self._parts[self._tag] = f'{before}<row r="{row + 1}" ht="{shown:g}" customHeight="1">'

    def set_column(
        self, first: int, last: int, width: float | None = None, cell_format: Format | None = None
    ) -> None:
        """`Worksheet.set_column`, remembered: a cell written without a style takes its
        column's, as XlsxWriter writes it."""
        self.sheet.set_column(first, last, width, cell_format)
        for col in range(first, last + 1):
            if cell_format is None:
                self._column_styles.pop(col, None)
            else:
                self._column_styles[col] = cell_format

    def _style(self, col: int, cell_format: Format | None) -> str:
        """The cell's style attribute, a placeholder until the workbook numbers its styles."""
        if cell_format is None:
            cell_format = self._column_styles.get(col)
        style = self._styles.get(cell_format)
        if style is None and cell_format is not None:
            style = self._styles[cell_format] = f' s="\x01{len(self._slots)}\x02"'
            self._slots.append(cell_format)
        return style or ""

    def write_string(
        self, row: int, col: int, string: str, cell_format: Format | None = None
    ) -> None:
        """As `Worksheet.write_string` writes a text in constant-memory mode (an inline
        string: control characters as `_xHHHH_`, markup escaped, edge space preserved)."""
        reference = self._cell(row, col)
        style = self._style(col, cell_format)
        if len(string) <= _STRING_MAX // 2 and not _PLAIN.search(string):
            self._parts.append(
                f'<c r="{reference}"{style} t="inlineStr"><is><t>{string}</t></is></c>'
            )
            return
        self._parts.append(_inline_string(reference, style, string))

    def write_number(
        self, row: int, col: int, number: float, cell_format: Format | None = None
    ) -> None:
        """As `Worksheet.write_number` writes a finite number."""
        if not math.isfinite(number):
            raise TypeError("NAN/INF not supported in write_number()")
        reference = self._cell(row, col)
        self._parts.append(
            f'<c r="{reference}"{self._style(col, cell_format)}><v>{number:.16G}</v></c>'
        )

    def write_datetime(
        self, row: int, col: int, date: datetime, cell_format: Format | None = None
    ) -> None:
        """As `Worksheet.write_datetime` writes a naive date and time: Excel's serial number
        (the 1900 date system, as every workbook here is written) in the date's format."""
        self.write_number(row, col, excel_serial(date), cell_format)

    def _flush(self) -> None:
        data = "".join(self._parts).encode()
        self._parts.clear()
        if data:
            self._file.write(data)
            self._sizes.append(len(data))

    def probe(self) -> None:
        """Close the rows and write one blank cell per style used, in column A below the
        header, so that XlsxWriter gives each style its index (read back by `splice`)."""
        self._parts.append(self._row_end)
        self._row_end = ""
        self._flush()
        for offset, cell_format in enumerate(self._slots, start=1):
            self.sheet.write_blank(offset, 0, None, cell_format)

    def chunks(self, indices: dict[int, int]) -> Iterator[bytes]:
        """The rows as XML, each style placeholder replaced by its index in the workbook."""
        replacements = [
            (placeholder.encode(), f' s="{indices[slot]}"'.encode())
            for slot, placeholder in enumerate(map(self._styles.__getitem__, self._slots))
        ]
        self._file.seek(0)
        for size in self._sizes:
            chunk = self._file.read(size)
            for placeholder, index in replacements:
                chunk = chunk.replace(placeholder, index)
            yield chunk

    @property
    def size(self) -> int:
        """The rows' XML in bytes (at least: placeholders are longer than indices)."""
        return sum(self._sizes)

    def close(self) -> None:
        self._file.close()


def _inline_string(reference: str, style: str, string: str) -> str:
    """A text cell exactly as XlsxWriter's constant-memory `_write_cell` writes it."""
    if len(string) > _STRING_MAX // 2 and len(string.encode("utf-16-le")) // 2 > _STRING_MAX:
        string = _utf16_cut(string)
    string = _ESCAPED_ESCAPE.sub(r"_x005F\1", string)
    string = _CONTROL.sub(lambda match: f"_x{ord(match.group(1)):04X}_", string)
    if string.startswith("<r>") and string.endswith("</r>"):  # XlsxWriter's rich text
        return f'<c r="{reference}"{style} t="inlineStr"><is>{string}</is></c>'
    preserve = (
        ' xml:space="preserve"'
        if _LEADING_SPACE.search(string) or _TRAILING_SPACE.search(string)
        else ""
    )
    if _MARKUP.search(string):
        string = string.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'<c r="{reference}"{style} t="inlineStr"><is><t{preserve}>{string}</t></is></c>'


def _utf16_cut(string: str) -> str:
    """The longest start of `string` within Excel's limit, never half a surrogate pair."""
    units = 0
    for index, char in enumerate(string):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > _STRING_MAX:
            return string[:index]
    return string


_PROBE = re.compile(rb'<c r="A(\d+)" s="(\d+)"/>')
_DIMENSION = re.compile(rb'<dimension ref="A1(?::([A-Z]+)\d+)?"/>')


class SplicedWorkbook:
    """An XlsxWriter workbook written to `handle`, whose sheets' data rows may be written
    through `rows` (a `SheetRows` each) instead of cell by cell."""

    def __init__(self, handle: BinaryIO, options: dict[str, object]) -> None:
        self._handle = handle
        self._buffer = io.BytesIO()
        self.workbook = xlsxwriter.Workbook(self._buffer, options)
        self._rows: list[SheetRows] = []

    def rows(self, sheet: Worksheet) -> SheetRows:
        """The data rows of `sheet` (from row 1 on; nothing else may be written there)."""
        rows = SheetRows(sheet)
        self._rows.append(rows)
        return rows

    def close(self) -> None:
        """Close the workbook and write it to the handle, the rows spliced in. The rows'
        temporary files are closed whatever happens."""
        with ExitStack() as stack:
            for rows in self._rows:
                stack.callback(rows.close)
            for rows in self._rows:
                rows.probe()
            self.workbook.close()
            self._write()

    def _write(self) -> None:
        spliced = {
            f"xl/worksheets/sheet{self.workbook.worksheets().index(rows.sheet) + 1}.xml": rows
            for rows in self._rows
            if rows.last_row
        }
        self._buffer.seek(0)
        with (
            ZipFile(self._buffer) as built,
            ZipFile(self._handle, "w", ZIP_DEFLATED, allowZip64=True) as out,
        ):
            for info in built.infolist():
                copy = ZipInfo(info.filename, info.date_time)
                copy.compress_type = info.compress_type
                copy.external_attr = info.external_attr
                copy.create_system = info.create_system
                data = built.read(info)
                rows = spliced.get(info.filename)
                if rows is None:
                    out.writestr(copy, data)
                    continue
                head, indices, tail = _split_sheet(data, rows)
                copy.file_size = len(head) + rows.size + len(tail)
                with out.open(copy, "w", force_zip64=copy.file_size > _ZIP64_FROM) as member:
                    member.write(head)
                    for chunk in rows.chunks(indices):
                        member.write(chunk)
                    member.write(tail)


def _split_sheet(xml: bytes, rows: SheetRows) -> tuple[bytes, dict[int, int], bytes]:
    """The sheet's XML before and after its probe rows (the place of the data rows), its
    `<dimension>` covering them, and the style index each probe found (slot → index)."""
    start = xml.find(b'<row r="2"')
    end = xml.find(b"</sheetData>")
    dimension = _DIMENSION.search(xml, 0, max(start, end))
    if dimension is None or b'<row r="1"' not in xml:
        raise ValueError("rows are spliced only below a header row that starts in cell A1")
    if start < 0 or start > end:
        start = end
    indices = {int(row) - 2: int(index) for row, index in _PROBE.findall(xml, start, end)}
    columns = dimension.group(1)
    built = xl_cell_to_rowcol(f"{columns.decode()}1")[1] if columns else 0
    last = xl_col_to_name(max(built, rows.max_column))
    ref = f'<dimension ref="A1:{last}{rows.last_row + 1}"/>'.encode()
    head = xml[: dimension.start()] + ref + xml[dimension.end() : start]
    return head, indices, xml[end:]
