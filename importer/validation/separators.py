"""Which decimal separator a file's amounts use: one per file, detected from the evidence in all
its amount cells (rules in `detect_decimal_separator`), so `1,234` is never guessed row by row."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal, NamedTuple, cast

# Evidence for detection, searched line by line in the file's amount cells joined by "\n".
# A separator followed by exactly 1-2 digits and no digit after them (`5,00 kr.`) is decimal.
_COMMA_DECIMAL = re.compile(r"(?m),[0-9]{1,2}[^0-9\n]*$")


_DOT_DECIMAL = re.compile(r"(?m)\.[0-9]{1,2}[^0-9\n]*$")


# Two or more groups of a separator (1.234.567) can only be thousands: the other is decimal.
_DOT_GROUPS = re.compile(r"\.[0-9]{3}\.[0-9]{3}(?![0-9])")


_COMMA_GROUPS = re.compile(r",[0-9]{3},[0-9]{3}(?![0-9])")


class Detection(NamedTuple):
    """The file's decimal separator and whether any cell proved it (see the ambiguity guard)."""

    separator: Literal[".", ","]
    evidenced: bool


def detect_decimal_separator(cells: Iterable[object]) -> Detection:
    """Decide the file's decimal separator from all its amount cells.

    Only text cells count (spreadsheet numbers carry no separator). Each cell can vote:

    - a `,` followed by exactly 1-2 digits at the end (`12,5`, `1 234,50`, `1.234,56`, `5,00 kr`)
      votes `,`; likewise `.` + 1-2 digits (`1234.5`, `1,234.56`) votes `.` — when both
      characters appear, only the last one can be followed by the final digits, so the last one
      is the decimal separator;
    - repeated 3-digit groups (`1.234.567`) can only be thousands: they vote for the other one;
    - `1,234`, `12.345`, integers: no vote (they read fine either way, or are ambiguous).

    The side with more votes wins; a tie between votes goes to `.` (the cells of the losing
    convention are then rejected one by one, never silently misread). No votes at all →
    `.` with `evidenced=False`, which switches on the ambiguity guard for `1,234`-like cells.
    """
    joined = _joined(cells)
    if joined is None:
        return Detection(".", False)
    comma = _COMMA_DECIMAL.search(joined) or _DOT_GROUPS.search(joined)
    dot = _DOT_DECIMAL.search(joined) or _COMMA_GROUPS.search(joined)
    if not (comma and dot):  # the common case: one side (or neither) has evidence
        return Detection("," if comma else ".", bool(comma or dot))
    return Votes.of_joined(joined).detection()


class Votes(NamedTuple):
    """The cells voting for each separator (`detect_decimal_separator`). Each cell votes on
    its own, so the votes of a file read a block of rows at a time add up to the file's."""

    comma: int
    dot: int

    @classmethod
    def of(cls, cells: Iterable[object]) -> Votes:
        joined = _joined(cells)
        return cls(0, 0) if joined is None else cls.of_joined(joined)

    @classmethod
    def of_joined(cls, joined: str) -> Votes:
        return cls(
            len(_COMMA_DECIMAL.findall(joined)) + _count_lines(_DOT_GROUPS, joined),
            len(_DOT_DECIMAL.findall(joined)) + _count_lines(_COMMA_GROUPS, joined),
        )

    def __add__(self, other: object) -> Votes:
        if not isinstance(other, Votes):
            return NotImplemented
        return Votes(self.comma + other.comma, self.dot + other.dot)

    def detection(self) -> Detection:
        """The separator these votes decide: one side alone wins; both, the larger (a tie
        goes to `.`); none, `.` unevidenced."""
        if not (self.comma and self.dot):
            return Detection("," if self.comma else ".", bool(self.comma or self.dot))
        return Detection("," if self.comma > self.dot else ".", True)


def _joined(cells: Iterable[object]) -> str | None:
    """The text cells joined by line breaks, one line per cell; None without a text cell."""
    cells = list(cells)
    texts: list[str] = (
        cast(list[str], cells)
        if set(map(type, cells)) == {str}
        else [c for c in cells if isinstance(c, str)]
    )
    if not texts:
        return None
    joined = "\n".join(texts)
    if joined.count("\n") != len(texts) - 1:  # a cell with a line break must stay one line
        joined = "\n".join(t.replace("\n", " ") for t in texts)
    return joined


def _count_lines(pattern: re.Pattern[str], joined: str) -> int:
    """How many lines (cells) hold a match: a cell votes once however many groups it has."""
    lines: set[int] = set()
    line = position = 0
    for match in pattern.finditer(joined):
        line += joined.count("\n", position, match.start())
        position = match.start()
        lines.add(line)
    return len(lines)
