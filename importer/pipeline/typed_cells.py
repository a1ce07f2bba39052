"""Corrections read back from report.xlsx, whose own amount and date cells the workbook shows
typed (`importer.report.xlsx_writer`): a typed cell still holding the row's value is the row's
text, so a workbook opened, saved and fed back unchanged changes no row. The same holds for a
report.csv saved again by a spreadsheet program, in its dialect or another (`1 250,00`
written back as `1234,5` or `1250`, `2026-11-20 08:00` as `2026-11-20 08:00:00`): an amount
or time that reads as the row's own is the row's text — for a row still invalid too, whose
cells would otherwise be recorded in the append-only audit trail as changed by hand."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from importer.report.csv_writer import decimal_comma
from importer.sources import Cell
from importer.validation.amounts import AmountParser


@dataclass(frozen=True, slots=True)
class TypedCells:
    """report.xlsx shows the file's own amount as a number and its date as a date; read back
    they are a float and a date, no longer the row's text ("1 250,50", "2026-11-20 08:00").
    A typed cell that still holds the row's value keeps the row's text: the row is not
    changed by being opened and saved."""

    own: dict[str, int]
    """The import's columns of the typed fields (API field -> column index)."""
    amounts: AmountParser
    workbook: bool = False
    """The import read a workbook, whose number cells report.csv may write with a comma."""

    def as_written(
        self,
        cells: list[str],
        kept: Sequence[str],
        raw: dict[str, list[Cell]],
        index: int,
        written: AmountParser,
    ) -> None:
        """Put the row's own text back in `cells` where the correction's amount or date
        holds the row's value. `written` reads the correction file's amount texts as that
        file's amounts were read (its own decimal separator: `1234,5` or `1234.5`)."""
        for field in ("amount", "client_registration_date"):
            column = self.own.get(field)
            values = raw.get(field)
            if column is None or column >= len(kept) or not values:
                continue
            cell = values[index]
            original = kept[column]
            if cell is None or isinstance(cell, bool) or cell == original:
                continue
            if self.workbook and field == "amount" and cell == decimal_comma(original):
                same = True  # as a decimal-comma report.csv wrote a workbook's number
            elif field == "amount":
                value = written.read(cell) if isinstance(cell, str) else self.amounts.read(cell)
                same = value == self.amounts.read(original) is not None
            elif isinstance(cell, str):
                same = _same_iso_time(cell, original)
            else:
                same = _moment(cell) == _moment(original) is not None
            if same:
                cells[column] = original

    def amount_as_written(
        self,
        cells: list[str],
        kept: Sequence[str],
        request: dict[str, Any] | None,
        original: dict[str, Any] | None,
    ) -> None:
        """An amount cell that the correction file's own dialect reads as the amount the row
        was sent with keeps the row's text: a report.csv opened with other settings and
        saved (`200,00` written back as `200`) changes no amount."""
        column = self.own.get("amount")
        if column is None or column >= len(kept) or request is None or original is None:
            return
        if Decimal(str(request["amount"])) == Decimal(str(original["amount"])):
            cells[column] = kept[column]


def _moment(value: object) -> dt.datetime | None:
    """A date cell (read or written the ISO way) as a datetime, None when it is no date."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            return _moment(dt.datetime.fromisoformat(value.strip()))
        except ValueError:
            return None
    return None


def _same_iso_time(cell: str, original: str) -> bool:
    """Two ISO texts of one date or time (`2026-11-20 08:00` and `2026-11-20 08:00:00`): the
    same moment and the same offset, or both without one. A text in any other form is not
    compared (it stays a change)."""
    try:
        one = dt.datetime.fromisoformat(cell.strip())
        other = dt.datetime.fromisoformat(original.strip())
    except ValueError:
        return False
    return one.utcoffset() == other.utcoffset() and one.replace(tzinfo=None) == other.replace(
        tzinfo=None
    )
