"""A sender's control total: what the file must hold, said apart from the file.

A drop marker (`credits.csv.done`) may carry lines `rows: N`, `amount: X` and `sha256: H`
(any of them, in any order, keys in any case; other lines are the sender's own and ignored).
A file that does not match what its marker says was cut short or changed on the way — an
upload broken off mid-row reads as a shorter, valid-looking file — so it is rejected as a
whole (exit 2: the drop moves it to failed/ with the reason) before any row is journaled or
sent. A value that cannot be read (`rows: twelve`) rejects the file too: a check the sender
asked for is never skipped.

What is compared: `sha256` against the file's bytes; `rows` against the data rows the import
counts (below the header, blank rows, hidden rows left out and total rows not counted — the
report's `total`); `amount` against the sum of those rows' amounts, which must all be
readable.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from importer.errors import FileRejected
from importer.refusal import Refusal
from importer.validation.amounts import AmountParser
from importer.validation.problems import CellProblem

_LINE = re.compile(r"^\s*(rows|amount|sha256)\s*[:=]\s*(.*?)\s*$", re.IGNORECASE | re.MULTILINE)
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_LAST_SEPARATOR = re.compile(r"([.,])\d{1,2}$")


@dataclass(frozen=True, slots=True)
class ControlTotal:
    marker: str
    """The marker's file name, to say where the control total came from."""
    rows: int | None = None
    amount: Decimal | None = None
    sha256: str | None = None


def control_total(file: str, marker: str, text: str) -> ControlTotal | None:
    """The control total `text` (a marker's content) carries, None when it carries none.
    Raises FileRejected (naming `file`) for a control line whose value cannot be read."""
    found = {key.lower(): value for key, value in _LINE.findall(text)}
    if not found:
        return None
    rows = amount = sha256 = None
    if "rows" in found:
        value = found["rows"].replace(" ", "")
        if not value.isdigit():
            raise FileRejected(
                file, Refusal("marker_rows_unreadable", marker=marker, value=found["rows"])
            )
        rows = int(value)
    if "amount" in found:
        amount = _amount(file, marker, found["amount"])
    if "sha256" in found:
        if not _SHA256.fullmatch(found["sha256"]):
            raise FileRejected(
                file, Refusal("marker_sha256_unreadable", marker=marker, value=found["sha256"])
            )
        sha256 = found["sha256"].lower()
    return ControlTotal(marker, rows, amount, sha256)


def check_sha256(control: ControlTotal | None, file: str, sha256: str) -> None:
    """FileRejected when the marker names other bytes than the file's."""
    if control is not None and control.sha256 is not None and control.sha256 != sha256:
        raise FileRejected(
            file,
            Refusal("marker_sha256", marker=control.marker, sha256=sha256, expected=control.sha256),
        )


@dataclass(slots=True)
class RowAmounts:
    """A file's rows as a control total counts them — how many, how many have no readable
    amount, what the readable ones add up to — added up a block of rows at a time."""

    rows: int = 0
    unread: int = 0
    total: Decimal = Decimal("0.00")

    def add(self, amounts: Sequence[Decimal | None]) -> None:
        """A block's amounts, one per row (None where unreadable)."""
        readable = [amount for amount in amounts if amount is not None]
        self.rows += len(amounts)
        self.unread += len(amounts) - len(readable)
        self.total += sum(readable, Decimal("0.00"))


def check_rows(control: ControlTotal | None, file: str, amounts: RowAmounts) -> None:
    """FileRejected when the file's rows (`amounts`) are not as many, or do not add up to,
    what the marker says."""
    if control is None:
        return
    if control.rows is not None and control.rows != amounts.rows:
        raise FileRejected(
            file,
            Refusal("marker_rows", marker=control.marker, expected=control.rows, rows=amounts.rows),
        )
    if control.amount is None:
        return
    if amounts.unread:
        raise FileRejected(
            file,
            Refusal(
                "marker_amount_unread",
                marker=control.marker,
                amount=str(control.amount),
                count=amounts.unread,
            ),
        )
    if amounts.total != control.amount:
        raise FileRejected(
            file,
            Refusal(
                "marker_amount",
                marker=control.marker,
                amount=str(control.amount),
                total=str(amounts.total),
            ),
        )


def _amount(file: str, marker: str, text: str) -> Decimal:
    """`1234.50`, `1 234,50`, `1,234.50`: the decimal mark is the last `.` or `,` followed by
    one or two digits, as a person writes a total."""
    last = _LAST_SEPARATOR.search(text.strip())
    parser = AmountParser(
        "," if last is not None and last.group(1) == "," else ".",
        max_amount=Decimal("1e15"),
    )
    try:
        return parser.parse(text)
    except CellProblem:
        raise FileRejected(
            file, Refusal("marker_amount_unreadable", marker=marker, value=text)
        ) from None
