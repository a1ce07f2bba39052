"""Total rows: a row that sums the rows above is not a credit.

Finance staff add a total at the bottom of a sheet (or after each group) before sending it.
Imported, such a row would be `invalid` (it has no invoice or case) and raise the exit code,
or — worse, when its first cell lands in the invoice column — be sent as a credit for the sum
of the file. A row is a total when it names no invoice and no case (a total word in the
invoice or case column counts as none), names no credit note and no reference of its own (a
row that does is a credit missing its invoice: `invalid`, never left out), and either:

- its first filled cell is a total word (Summa, Totalt, Total, Sum, …), alone or followed
  by words ("Totalt belopp", "Summa kreditnotor": the sum above cannot tell it when an
  amount above is unreadable), or
- its amount equals the sum of the amounts above it (since the header or the previous total;
  at least two rows).

A total row is left out of the rows and listed in report.json's warnings with its row number
and amount; it does not raise the exit code.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import compress
from operator import itemgetter, not_
from typing import Any

from importer.outcomes import ImportWarning
from importer.sources import Cell

TOTAL_WORDS = frozenset(
    {"summa", "totalt", "total", "sum", "totalsumma", "summa totalt", "delsumma", "subtotal",
     "grand total", "yhteensä", "i alt", "gesamt", "summe"}
)  # fmt: skip


@dataclass(slots=True)
class TotalsCarry:
    """The amounts above the next total row that lie in the earlier blocks of a file read a
    block at a time: their sum and how many there are."""

    total: Decimal = Decimal(0)
    count: int = 0


def total_rows(
    numbers: Sequence[int],
    sources: Sequence[Sequence[str]],
    invoices: Sequence[Cell],
    cases: Sequence[Cell],
    amounts: Sequence[Any],
    own_keys: Sequence[Sequence[Cell]] = (),
    carry: TotalsCarry | None = None,
) -> dict[int, ImportWarning]:
    """Row index -> the warning for each total row (see the module docstring).

    Only rows without an invoice and a case can be totals: they are found column-wise first
    (`_keyless`), so a 200,000-row file with an invoice on every row costs one regular
    expression scan, not a Python step per row. For one block of a file read a block at a
    time, `carry` holds the amounts above it since the header or the last total (and is
    moved past this block)."""
    candidates = _keyless(invoices, len(numbers))
    if candidates and cases:
        candidates &= _keyless(cases, len(numbers))
    for column in own_keys:  # a credit note or reference of its own: a credit, not a total
        if candidates and column:
            candidates &= _keyless(column, len(numbers))
    totals: dict[int, ImportWarning] = {}
    since = 0  # the rows above a candidate: since the header or the previous total
    before = carry or TotalsCarry()  # the rows above this block's first row
    for index in sorted(candidates):
        first = next((text.strip() for text in sources[index] if text.strip()), "")
        word = _is_total_label(first)
        amount = amounts[index]
        above = [value for value in amounts[since:index] if value is not None]
        summed, count = sum(above, Decimal(0)), len(above)
        if not totals:
            summed, count = before.total + summed, before.count + count
        sums = amount is not None and count >= 2 and amount == summed
        if not (word or sums):
            continue
        shown = "" if amount is None else f"{amount:.2f}"
        why = f"'{first}'" if word else "the sum of the rows above"
        totals[index] = ImportWarning(
            code="total_row_left_out",
            message=f"row {numbers[index]} is a total ({why}"
            f"{', amount ' + shown if shown else ''}), not a credit: left out",
            rows=[numbers[index]],
            amount=shown or None,
        )
        since = index + 1
    if carry is not None:
        rest = [value for value in amounts[since:] if value is not None]
        if totals:
            carry.total, carry.count = Decimal(0), 0
        carry.total += sum(rest, Decimal(0))
        carry.count += len(rest)
    return totals


def _keyless(column: Sequence[Cell], count: int) -> set[int]:
    """Indexes of the rows whose cell in `column` names no key: empty, or a total word. An
    absent column (no cells) names no key on any row.

    Each distinct cell is judged once, and a text ending in a digit (an invoice number, a
    case id) is none of those without a Python step: a column of 200,000 invoice numbers is
    a few C-level passes. The rows holding a keyless cell are picked in one more."""
    if not column:
        return set(range(count))
    distinct = set(column)
    keyless: set[Cell] = {None} if None in distinct else set()
    distinct.discard(None)
    cells = list(distinct)
    try:
        last_digit = map(str.isdigit, map(_last_character, cells))  # type: ignore[arg-type]
        maybe = list(compress(cells, map(not_, last_digit)))
    except TypeError:  # a workbook's numbers or dates among the texts
        maybe = cells
    keyless.update(cell for cell in maybe if _no_key(_text(cell)))
    if not keyless:
        return set()
    return set(compress(range(len(column)), map(keyless.__contains__, column)))


_last_character = itemgetter(slice(-1, None))


def _no_key(text: str) -> bool:
    """Empty, or a total word (a total's label often sits in the invoice or case column)."""
    return not text or _is_total_label(text)


def _is_total_label(text: str) -> bool:
    """A total word, alone or followed by words ("Totalt belopp", "Summa kreditnotor:"):
    the labels an ERP or a person writes on a total row. Followed by a number ("Summa
    2026", "Total 1") or joined to it ("Total-2024") it may be an invoice number: a key."""
    word = _word(text)
    return word in TOTAL_WORDS or _LABELLED.fullmatch(word) is not None


_WORDS = "|".join(map(re.escape, sorted(TOTAL_WORDS, key=len, reverse=True)))
_LABELLED = re.compile(rf"(?:{_WORDS})(?: [^\W\d_]+)+")
"""A total word and then words of letters only (`_word`'s form: folded, single spaces)."""


def _word(text: str) -> str:
    return " ".join(text.rstrip(":").split()).casefold()


def _text(cell: Cell) -> str:
    if cell is None:
        return ""
    return cell.strip() if isinstance(cell, str) else str(cell)
