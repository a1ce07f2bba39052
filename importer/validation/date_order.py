"""Day-first or month-first: decided per file, from the dates that tell, like the decimal
separator (`amounts.detect_decimal_separator`).

`20/11/2026` tells: 20 is no month, so this file writes the day first, and its `04/07/2026`
is 4 July. `11/20/2026` tells the opposite. A date whose two leading numbers are both 12 or
less tells nothing on its own; it takes the order the file's other dates show, and is refused
as ambiguous only when no date of the file tells, or when the file's dates tell both orders
(two exports pasted together: guessing would shift one of them by months).

Dotted dates (`20.11.2026`, `4.7.2026`) are day-first wherever they are written (Finnish,
Norwegian, German, Swedish exports); no locale writes month.day.year, so they need no
evidence. The year must have four digits: `04/07/26` could be 1926 or 2026.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal, NamedTuple

Order = Literal["day", "month"]

NUMERIC_DATE = re.compile(
    r"""(?P<a>[0-9]{1,2})(?P<sep>[./-])(?P<b>[0-9]{1,2})(?P=sep)(?P<year>[0-9]{4})
        (?:[ T](?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2})(?::(?P<second>[0-9]{2}))?)?""",
    re.VERBOSE,
)
"""`D/M/YYYY`, `M/D/YYYY`, `D.M.YYYY`, `D-M-YYYY`, optionally with `HH:MM[:SS]`."""


class FileOrder:
    """What a file's numeric dates say about their order."""

    __slots__ = ("conflicting", "order")

    def __init__(self, order: Order | None, conflicting: bool) -> None:
        self.order = order
        self.conflicting = conflicting

    @classmethod
    def of(cls, cells: Iterable[object]) -> FileOrder:
        """The order the file's date cells tell (`DateVotes`)."""
        return DateVotes.of(cells).order()

    def day_and_month(self, a: int, b: int, separator: str) -> tuple[int, int] | str:
        """(day, month) for a date written `a<sep>b<sep>year`, or why it cannot be told."""
        if separator == ".":
            return a, b
        if a > 12 or a == b:
            return a, b
        if b > 12:
            return b, a
        if self.order == "day":
            return a, b
        if self.order == "month":
            return b, a
        if self.conflicting:
            return "the file has dates written day-first and others month-first"
        return "no date in the file shows whether the day or the month comes first"


class DateVotes(NamedTuple):
    """Whether some date of a file is written day-first, and whether some is month-first.
    Each date votes on its own, so the votes of a file read a block of rows at a time, or'ed
    together, are the file's."""

    day_first: bool
    month_first: bool

    @classmethod
    def of(cls, cells: Iterable[object]) -> DateVotes:
        """Look at every distinct text cell once; only slash and dash dates vote."""
        day_first = month_first = False
        for cell in set(cells):
            if not isinstance(cell, str):
                continue
            match = NUMERIC_DATE.fullmatch(cell.strip())
            if match is None or match["sep"] == ".":
                continue
            a, b = int(match["a"]), int(match["b"])
            day_first |= a > 12 >= b
            month_first |= b > 12 >= a
        return cls(day_first, month_first)

    def __or__(self, other: object) -> DateVotes:
        if not isinstance(other, DateVotes):
            return NotImplemented
        return DateVotes(self.day_first or other.day_first, self.month_first or other.month_first)

    def order(self) -> FileOrder:
        if self.day_first and self.month_first:
            return FileOrder(None, conflicting=True)
        if self.day_first:
            return FileOrder("day", conflicting=False)
        return FileOrder("month" if self.month_first else None, conflicting=False)
