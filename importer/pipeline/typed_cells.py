"""Corrections read back from report.xlsx, whose own amount and date cells the workbook shows
typed (`importer.report.xlsx_writer`): a typed cell still holding the row's value is the row's
text, so a workbook opened, saved and fed back unchanged changes no row. The same holds for a
report.csv saved again in another dialect (`1 250,00` written back as `1250`): an amount
that reads as the row's own is the row's text."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

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

    def as_written(
        self, cells: list[str], kept: Sequence[str], raw: dict[str, list[Cell]], index: int
    ) -> None:
        for field in ("amount", "client_registration_date"):
            column = self.own.get(field)
            values = raw.get(field)
            if column is None or column >= len(kept) or not values:
                continue
            cell = values[index]
            if cell is None or isinstance(cell, (str, bool)):
                continue
            original = kept[column]
            if field == "amount":
                same = self.amounts.read(cell) == self.amounts.read(original) is not None
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
