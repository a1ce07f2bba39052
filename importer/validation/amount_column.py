"""A file's amount column read as one: the decimal separator pinned by the configuration, or
told by the whole column (`separators`), or — for a file read a block at a time — by all of
its blocks (`file_facts`); the plain column on its fast path (`fast_amounts`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from importer.errors import InternalError
from importer.sources.model import Cell
from importer.validation.amounts import AmountParser, NegativeAmounts
from importer.validation.cells import FieldColumn
from importer.validation.fast_amounts import plain_amounts
from importer.validation.file_facts import FileFacts
from importer.validation.separators import detect_decimal_separator


class FileAmounts:
    """Reads one file's amount column at a time (a file read a block at a time: `begin`, then
    each block's)."""

    def __init__(
        self,
        pinned: Literal[".", ","] | None,
        max_amount: Decimal,
        negative_amounts: NegativeAmounts,
    ) -> None:
        self._pinned = pinned
        self._max_amount = max_amount
        self._negative_amounts = negative_amounts
        self.reader = AmountParser(
            pinned or ".", max_amount=max_amount, negative_amounts=negative_amounts, checks=False
        )
        """Reads amount cells as the last file's amounts were read, without the rules (a
        negative amount as its absolute value where the file's were read so)."""

    def begin(self, facts: FileFacts) -> None:
        """Start a file read a block at a time: its amounts read as the whole file's would
        be (the facts its amount cells decide: `file_facts`)."""
        separator: Literal[".", ","]
        if self._pinned != "," and facts.plain:
            separator, guard = ".", False
        elif self._pinned is not None:
            separator, guard = self._pinned, False
        else:
            separator, guard = facts.detection.separator, not facts.detection.evidenced
        self._read_with(separator, guard)

    def column(self, cells: list[Cell], facts: FileFacts | None = None) -> FieldColumn:
        """The amounts of a file's column (`facts` None), or of one block of a file begun
        with `begin`."""
        if self._pinned != "," and (facts is None or facts.plain):
            plain = plain_amounts(cells, ".", self._max_amount)  # no detection needed
            if plain is not None:
                if facts is None:
                    self._read_with(".", False)
                return FieldColumn(plain, {}, filled=True)
            if facts is not None:  # pragma: no cover - the facts came from these cells
                raise InternalError("a block's amounts are not the file's plain amounts")
        if facts is None and self._pinned is not None:
            self._read_with(self._pinned, False)
        elif facts is None:
            detection = detect_decimal_separator(cells)
            self._read_with(detection.separator, not detection.evidenced)
        reader = self.reader
        parser = AmountParser(
            reader.separator,
            max_amount=self._max_amount,
            negative_amounts=self._negative_amounts,
            ambiguity_guard=reader.ambiguity_guard,
        )
        values, errors = parser.parse_column(cells)
        return FieldColumn(values, dict(errors))

    def _read_with(self, separator: Literal[".", ","], guard: bool) -> None:
        self.reader = AmountParser(
            separator,
            max_amount=self._max_amount,
            negative_amounts=self._negative_amounts,
            ambiguity_guard=guard,
            checks=False,
        )
