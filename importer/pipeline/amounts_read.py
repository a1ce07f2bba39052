"""Reads the amount of a row that has no request from its cell, as the file's amounts were
read: what the report's control totals add up for an invalid row (`importer.report.control`).
Here, not in the report, because reading an amount is validation's rule: the pipeline hands
`amount_reading` to the renderer."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from functools import partial
from operator import is_not

from importer.api.request import AMOUNT_CEILING
from importer.report.blocks import AmountFill, RowBlock
from importer.report.settings import SourceDialect
from importer.sources.model import NUMBER_TEXT
from importer.validation.amounts import AmountParser, NegativeAmounts
from importer.validation.fast_amounts import plain_amounts

_not_none = partial(is_not, None)

_AT_ONCE = 64
"""Cells from which a column is first tried at once (`AmountReader._read`)."""


class _NumberCellsFirst(AmountParser):
    """A workbook's amount cells whose texts use a decimal comma (`1 234,50` pasted from an
    export) beside number cells: a number carries no separator — validation read it as the
    number it is — and is kept written with a point (`-75.5`, `10.005`). Read in the comma
    convention it would be no amount, or a thousand times the cell (`10.005` as 10 005); so
    a cell written as a number is read as one. A text cell written so (`1.234`, meaning
    1 234 in the comma convention) reads as that number too: at worst a row without an
    amount, never an amount the cell does not show."""

    def __init__(self, *, ambiguity_guard: bool, negative_amounts: NegativeAmounts) -> None:
        super().__init__(
            ",",
            max_amount=Decimal(0),
            negative_amounts=negative_amounts,
            ambiguity_guard=ambiguity_guard,
            checks=False,
        )
        self._numbers = AmountParser(
            ".", max_amount=Decimal(0), negative_amounts=negative_amounts, checks=False
        )

    def read(self, cell: object) -> Decimal | None:
        if isinstance(cell, str) and NUMBER_TEXT.fullmatch(cell):
            return self._numbers.read(cell)
        return super().read(cell)


def cell_reader(dialect: SourceDialect) -> AmountParser:
    """Reads an amount cell as the file's amounts were read (`AmountParser.read`), with no
    rule applied: a negative, zero or too large amount is the amount the cell shows — its
    absolute value where the import took negative amounts so (`amount_absolute`), as a row
    sent was."""
    negative: NegativeAmounts = "absolute" if dialect.amount_absolute else "reject"
    if dialect.workbook and dialect.amount_decimal == ",":
        return _NumberCellsFirst(ambiguity_guard=dialect.amount_guard, negative_amounts=negative)
    return AmountParser(
        dialect.amount_decimal or ".",
        max_amount=Decimal(0),
        negative_amounts=negative,
        ambiguity_guard=dialect.amount_guard,
        checks=False,
    )


class AmountReader:
    """Reads the amount cell of a row that has no request, as the file's amounts were read
    (its decimal separator; a guessed one keeps `1,234`-like cells unread). Without the
    file's amount column or separator (an import journalled before they were kept) it reads
    nothing, and such rows count as without a readable amount."""

    def __init__(self, dialect: SourceDialect, headers: Sequence[str]) -> None:
        column = dialect.amount_column
        known = column is not None and column < len(headers) and dialect.amount_decimal
        self._column = column if known else None
        self._header = headers[column] if known and column is not None else ""
        self._parser = cell_reader(dialect)

    def fill(self, block: RowBlock, amounts: list[Decimal | None]) -> list[Decimal | None]:
        """`amounts` (one per row of `block`, None where the row has no request) with each
        None replaced by the amount the row's cell shows, where it shows one."""
        column = self._column
        if column is None or all(map(_not_none, amounts)):  # by identity: no Decimal ==
            return amounts
        header = self._header
        wanted = [index for index, amount in enumerate(amounts) if amount is None]
        if block.keyed:
            read = self._read([block.source[index].get(header) for index in wanted])
        else:
            read = self.rows_read([block.source[index] for index in wanted])
        filled = list(amounts)  # never the request column itself
        for index, amount in zip(wanted, read, strict=True):
            filled[index] = amount
        return filled

    def rows_read(self, rows: Sequence[Sequence[str]]) -> list[Decimal | None]:
        """The amount each row's cell shows (rows of raw cells, in the file's column order),
        None where it shows none: the same reading as `fill`, for rows the journal holds."""
        column = self._column
        if column is None:
            return [None] * len(rows)
        return self._read([row[column] if column < len(row) else None for row in rows])

    def _read(self, cells: list[object]) -> list[Decimal | None]:
        """Each cell's amount (`AmountParser.read`): a column of plain positive amounts at
        once (`fast_amounts.plain_amounts`, the same values), any other cell by cell."""
        parser = self._parser
        separator = parser.separator
        at_once = not isinstance(parser, _NumberCellsFirst)  # its fast path knows one reading
        if at_once and len(cells) >= _AT_ONCE and separator in (".", ","):
            plain = plain_amounts(cells, separator, AMOUNT_CEILING)
            if plain is not None:
                return list(plain)
        return list(map(parser.read, cells))


def amount_reading(dialect: SourceDialect, headers: Sequence[str]) -> AmountFill:
    """`importer.report.control.AmountReading`: the reader of a file's amount cells."""
    return AmountReader(dialect, headers).fill
