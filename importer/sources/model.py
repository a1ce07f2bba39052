"""What every reader returns: the records of a file, each with the row number a spreadsheet shows.

The readers keep cells raw. Interpreting them (which row is the header, what an amount or a
date means) belongs to the mapping and validation stages, which need the untouched values to
explain a row error in the person's own terms.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeAlias


class ShownNumber(float):
    """A workbook number whose format shows it as other text: 123 formatted `00000` is
    `00123` on screen. It stays a number (an amount still reads as one), and `shown` is the
    text a text-like column (invoice number, credit note, reference) takes from it."""

    __slots__ = ("shown",)

    def __new__(cls, value: float, shown: str) -> ShownNumber:
        number = super().__new__(cls, value)
        number.shown = shown
        return number

    shown: str


Cell: TypeAlias = str | float | int | bool | dt.date | dt.datetime | None
"""One cell. CSV cells are always `str`; workbook cells keep the type the workbook stored."""

Record: TypeAlias = tuple[int, tuple[Cell, ...]]
"""(row number as a spreadsheet shows it, 1-based; the cells of that row)."""

Format: TypeAlias = Literal["csv", "xlsx", "xls", "ods"]


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file as read, before any interpretation.

    `records` holds every non-blank record in file order. Blank rows are left out but still
    counted, so `row_number` always points at the row a person sees when opening the file.
    Title rows and the header row are included: choosing the header is the mapping stage's job.
    """

    path: Path
    name: str
    sha256: str
    format: Format
    encoding: str | None
    delimiter: str | None
    records: list[Record]
    sheet: str | None = None
    """The workbook sheet read (None for CSV)."""
    hidden_rows: tuple[int, ...] = ()
    """Row numbers hidden in the sheet (.xlsx), among `records` or not."""
    hidden_sheets: tuple[str, ...] = ()
    """Sheets of the workbook nobody sees (hidden or very hidden), which are not read."""
    merged: dict[tuple[int, int], tuple[str, str]] = field(default_factory=dict)
    """(row number, column index) -> the cell's name and the merged range it is part of
    (("B7", "B6:B8")), for every cell of a merged range except its first: those cells hold
    no value of their own."""
    merged_heads: dict[tuple[int, int], tuple[str, str]] = field(default_factory=dict)
    """The same for the first cell of every merged range over several rows (("B6",
    "B6:B8")): the one value it holds is shown beside each of those rows."""
    unterminated_row: int | None = None
    """The last row of a CSV text whose last line has no line break (it may have been cut
    off mid-row); None when the text ends with one."""
    uncomputed: frozenset[tuple[int, int]] = frozenset()
    """(row number, column index) of formula cells no spreadsheet program has computed
    (.xlsx): their cell reads empty or 0, which is not what the sheet will show."""
    more: Callable[[], Iterator[list[Record]]] | None = None
    """A CSV file read a block at a time (`read_source(block_rows=…)`) that has more records
    than one block: all of its records, a block at a time from the first, parsed again at
    each call. `records` then holds its first records alone (`sources.HEAD_RECORDS`)."""

    def record_blocks(self) -> Iterator[list[Record]]:
        """Every record, a block at a time (one block: `records`)."""
        if self.more is None:
            yield self.records
        else:
            yield from self.more()


NUMBER_TEXT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
"""The text `cell_text` gives a workbook's number of ordinary size: digits, a point before
the decimals, never grouped (one it writes with an exponent, `1e+20`, is not matched)."""


def cell_text(cell: Cell) -> str:
    """The text a person sees for `cell`, for the report's `source` column.

    Numbers are shown as Excel's General format shows them: integral values without a
    decimal point ("1200", not "1200.0"), others with at most 15 significant digits, so a
    binary-float artefact such as 0.30000000000000004 reads "0.3" like it does in Excel.
    Dates and datetimes are ISO 8601, which every spreadsheet and person reads unambiguously.
    """
    if cell is None:
        return ""
    if isinstance(cell, str):
        return cell
    if isinstance(cell, ShownNumber):
        return cell.shown
    if isinstance(cell, bool):  # before int: bool is an int subclass
        return "TRUE" if cell else "FALSE"
    if isinstance(cell, int):
        return str(cell)
    if isinstance(cell, float):
        if cell.is_integer() and abs(cell) < 1e15:
            return str(int(cell))
        return f"{cell:.15g}"
    if isinstance(cell, dt.datetime):  # before date: datetime is a date subclass
        return cell.isoformat(timespec="seconds" if cell.microsecond == 0 else "microseconds")
    if isinstance(cell, dt.date):
        return cell.isoformat()
    return str(cell)
