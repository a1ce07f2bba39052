"""Read Excel (.xlsx, .xls) and OpenDocument (.ods) workbooks with python-calamine.

Why calamine: it is a Rust reader that parses all three formats in one call, several times
faster than openpyxl, and returns typed cells (text stays text, so an id such as "0012345"
keeps its leading zeros; numbers are floats; date-formatted cells are dates).

Why it is safe against XML attacks: calamine parses with quick-xml, which never expands DTD
entities. A part that declares and uses entities (the "billion laughs" attack) fails with an
"unrecognized entity" error in microseconds instead of expanding, and no external entity is
ever fetched (tests/sources/test_workbook.py proves both). openpyxl is not used for reading;
if it ever is, it must be with defusedxml installed, which openpyxl then uses automatically.
Zip-based workbooks have already passed `zipguard` before they reach this module.

What this module does not do: interpret values. Numbers are returned exactly as stored
(0.30000000000000004 stays that float; validation decides it means 0.30), and the header row
is chosen by the mapping stage.

Dates: calamine turns a date-formatted cell holding a whole day number into a
`datetime.date`, and one with a time of day into a `datetime.datetime`. It does not expose the
cell's number format, so a cell formatted as date-and-time whose value is exactly midnight also
comes back as a `date`; that keeps the calendar date the person sees, which is what matters.
Time-of-day-only cells and durations (rare in credit exports, and outside `Cell`) are returned
as their ISO text, except 00:00: calamine returns serial 0 of a date-formatted cell (Excel's
zero date) so, and it is returned as `ZERO_DATE`.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import struct
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import python_calamine as calamine

from importer.errors import FileRejected
from importer.refusal import Refusal
from importer.sources.model import Cell, Record, ShownNumber
from importer.sources.sniff import PASSWORD, ZIP_MAGIC
from importer.sources.xlsx_layout import SheetLayout, sheet_layout, show
from importer.sources.zipguard import DAMAGED

ENTITIES = Refusal("entities")
# BOF record (type 0x0809) of a workbook-globals substream (dt = 0x0005), any BIFF version.
_GLOBALS_BOF = re.compile(rb"\x09\x08[\x08-\x14]\x00..\x05\x00", re.DOTALL)
_FILEPASS = b"\x2f\x00"
ZERO_DATE = dt.date(1899, 12, 31)
"""Excel's serial 0 as a date: validation reads it as an empty date cell."""
_PLAIN_TYPES = frozenset({float, int, bool, dt.date, dt.datetime})


@dataclass(frozen=True, slots=True)
class Sheet:
    """One sheet as read, with what a person sees of it beyond the cells."""

    name: str
    records: list[Record]
    hidden_rows: tuple[int, ...] = ()
    hidden_sheets: tuple[str, ...] = ()
    merged: dict[tuple[int, int], tuple[str, str]] = field(default_factory=dict)
    merged_heads: dict[tuple[int, int], tuple[str, str]] = field(default_factory=dict)
    uncomputed: frozenset[tuple[int, int]] = frozenset()
    """(row number, column index within the records) of formula cells without a computed
    value (.xlsx; see `xlsx_layout`)."""


def read_workbook(data: bytes, file: str, *, sheet: str | int | None = None) -> list[Record]:
    """Return the non-blank rows of one sheet as (row number, cells), for any of the three
    workbook formats (calamine tells them apart itself).

    `sheet` is a sheet name or a 0-based index; None means the first visible worksheet
    (a workbook may start with a chart sheet or a hidden sheet nobody looks at).
    """
    return read_sheet(data, file, sheet=sheet).records


def read_sheet(
    data: bytes, file: str, *, sheet: str | int | None = None, xlsx: bool = False
) -> Sheet:
    """`read_workbook` with the sheet's name, hidden sheets and merged cells; for an .xlsx
    file (`xlsx`) also its hidden rows, and number cells shown through a padded format
    (`00123`) become `ShownNumber`s (see `xlsx_layout`)."""
    try:
        with calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)) as workbook:
            index = _sheet_index(workbook, sheet, file)
            chosen = workbook.get_sheet_by_index(index)
            rows = chosen.to_python(skip_empty_area=True)
            start = chosen.start
            ranges = chosen.merged_cell_ranges or []
            hidden_sheets = tuple(
                meta.name
                for meta in workbook.sheets_metadata
                if meta.visible != calamine.SheetVisibleEnum.Visible
                and meta.typ == calamine.SheetTypeEnum.WorkSheet
            )
            name = workbook.sheet_names[index]
    except FileRejected:
        raise
    except calamine.PasswordError as exc:
        raise FileRejected(file, PASSWORD) from exc
    except Exception as exc:
        # Reading from memory, calamine tries each format in turn and reports only "cannot
        # detect file format", so the specific cause is looked for here, on failure only.
        if data.startswith(ZIP_MAGIC) and _declares_entities(data):
            raise FileRejected(file, ENTITIES) from exc
        if _has_filepass(data):
            raise FileRejected(file, PASSWORD) from exc
        raise FileRejected(file, DAMAGED) from exc
    except BaseException as error:
        # A malformed file can make the Rust reader panic; pyo3 raises that as a
        # BaseException so it is not swallowed by accident. Here it means a damaged file.
        if type(error).__name__ == "PanicException":
            raise FileRejected(file, DAMAGED) from error
        raise
    first_row = start[0] + 1 if start else 1
    first_column = start[1] if start else 0
    layout = sheet_layout(data, index) if xlsx else SheetLayout()
    records = _records(_shown(rows, layout.formats, first_row, first_column), first_row)
    merged, heads = _merged(ranges, first_column)
    return Sheet(
        name=name,
        records=records,
        hidden_rows=tuple(layout.hidden_rows),
        hidden_sheets=tuple(n for n in hidden_sheets if n != name),
        merged=merged,
        merged_heads=heads,
        uncomputed=frozenset((row, column - first_column) for row, column in layout.uncomputed),
    )


def _shown(
    rows: list[list[Any]], formats: dict[tuple[int, int], str], first_row: int, first_column: int
) -> list[list[Any]]:
    """The rows with each padded-format number cell as a `ShownNumber`."""
    for (row, column), code in formats.items():
        r, c = row - first_row, column - first_column
        if 0 <= r < len(rows) and 0 <= c < len(rows[r]):
            value = rows[r][c]
            if type(value) in (float, int):
                shown = show(value, code)
                if shown is not None:
                    rows[r][c] = ShownNumber(value, shown)
    return rows


Cells = dict[tuple[int, int], tuple[str, str]]


def _merged(
    ranges: list[tuple[tuple[int, int], tuple[int, int]]], first_column: int
) -> tuple[Cells, Cells]:
    """Every cell of a merged range but its first (which holds the value), and the first
    cell of every range over several rows (whose one value is shown beside each of those
    rows) -> its name and the range's ("B7", "B6:B8"), keyed by (row number, column index in
    the rows read)."""
    merged: Cells = {}
    heads: Cells = {}
    for (top, left), (bottom, right) in ranges:
        if (bottom - top + 1) * (right - left + 1) > 100_000:
            continue  # a whole-sheet merge: no table lives inside it
        text = f"{_cell_name(top, left)}:{_cell_name(bottom, right)}"
        if bottom > top:
            heads[(top + 1, left - first_column)] = (_cell_name(top, left), text)
        for row in range(top, bottom + 1):
            for column in range(left, right + 1):
                if (row, column) != (top, left):
                    merged[(row + 1, column - first_column)] = (_cell_name(row, column), text)
    return merged, heads


def _cell_name(row: int, column: int) -> str:
    """0-based (row, column) -> the cell's name as Excel shows it ("B7")."""
    letters = ""
    column += 1
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row + 1}"


def workbook_sheet_names(data: bytes, file: str) -> list[str]:
    """The names of a workbook's sheets, in order (hidden ones included)."""
    try:
        with calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)) as workbook:
            return list(workbook.sheet_names)
    except calamine.PasswordError:
        raise FileRejected(file, PASSWORD) from None
    except Exception:
        raise FileRejected(file, DAMAGED) from None


def _has_filepass(data: bytes) -> bool:
    """Whether an .xls workbook is encrypted: its globals begin with BOF then FILEPASS.

    calamine would say so, but reading from memory it loses that error (see above); so the
    record sequence is looked for directly. Streams start on 64-byte boundaries in an OLE2
    file, which keeps chance matches out.
    """
    for match in _GLOBALS_BOF.finditer(data):
        start = match.start()
        if start % 64:
            continue
        (length,) = struct.unpack_from("<H", data, start + 2)
        following = start + 4 + length
        if data[following : following + 2] == _FILEPASS:
            return True
    return False


def _declares_entities(data: bytes) -> bool:
    """Whether an XML part of a zip-based workbook declares entities (`<!ENTITY`).

    Only used to explain a failure. The parts are streamed in small chunks, and the zip
    guard has already bounded their total size.
    """
    marker = b"<!ENTITY"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                if not info.filename.endswith((".xml", ".rels")):
                    continue
                with archive.open(info) as part:
                    tail = b""
                    while chunk := part.read(1 << 16):
                        if marker in tail + chunk:
                            return True
                        tail = chunk[-len(marker) :]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return False
    return False


def _sheet_index(workbook: calamine.CalamineWorkbook, sheet: str | int | None, file: str) -> int:
    names: list[str] = workbook.sheet_names
    if not names:
        raise FileRejected(file, Refusal("no_sheets"))
    if sheet is None:
        for index, meta in enumerate(workbook.sheets_metadata):
            if (
                meta.typ == calamine.SheetTypeEnum.WorkSheet
                and meta.visible == calamine.SheetVisibleEnum.Visible
            ):
                return index
        return 0
    listed = ", ".join(f"'{name}'" for name in names)
    if isinstance(sheet, int) and not isinstance(sheet, bool):
        if 0 <= sheet < len(names):
            return sheet
        raise FileRejected(file, Refusal("no_sheet_number", sheet=sheet, sheets=listed))
    if sheet in names:
        return names.index(sheet)
    wanted = str(sheet).strip().casefold()
    loose = [index for index, name in enumerate(names) if name.strip().casefold() == wanted]
    if len(loose) == 1:
        return loose[0]
    raise FileRejected(file, Refusal("no_sheet_named", sheet=str(sheet), sheets=listed))


def _records(rows: Iterable[list[Any]], first_row: int) -> list[Record]:
    records: list[Record] = []
    append = records.append
    plain = _PLAIN_TYPES
    for row_number, row in enumerate(rows, first_row):
        cells: list[Cell] = [value if type(value) in plain else _cell(value) for value in row]
        while cells and cells[-1] is None:
            cells.pop()
        if cells and any(
            cell is not None and not (type(cell) is str and cell.isspace()) for cell in cells
        ):
            append((row_number, tuple(cells)))
    return records


def _cell(value: Any) -> Cell:
    """Map calamine's less common values onto `Cell`: "" is an empty cell."""
    if isinstance(value, str):
        return value if value else None
    if isinstance(value, dt.time):
        # Serial 0 in a date-formatted cell (Excel's zero date, which Excel shows as
        # 1900-01-00 and a formula leaves in a "blank" date cell) comes back as 00:00.
        return ZERO_DATE if value == dt.time(0) else value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, (float, int, dt.date)):  # subclasses of the plain types
        return value
    return None if value is None else str(value)
