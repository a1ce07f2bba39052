"""Key cells Excel has already turned into a number in exponent form: `9.87654E+11`.

A credit note, invoice number, case id or reference of twelve digits or more, opened in
Excel and saved as CSV, comes out as `9.87654E+11` unless the column was formatted as text:
the digits after the sixth are gone. Read as text it is a valid key, and a wrong one — two
credit notes of different months shortened to the same form made the second a `duplicate`
of the first, never sent. The digits cannot be got back here, so such a cell is `invalid`
(`excel_number_format`) with the one fix that works: format the column as text and export
again.

Only Excel's own shape is recognised — one digit, optional decimals after `.` or `,` (a
Swedish Excel writes `9,87654E+11`), `E`, a sign, at least two exponent digits — so a key
such as `KF-9.8E+11` or `1E5` stays text. Checked column-wise: one regular-expression pass
over the joined column, and a cell-by-cell look only in a column where it matched.
"""

from __future__ import annotations

import re

from importer.sources.model import Cell, ShownNumber
from importer.validation.cells import FieldColumn
from importer.validation.problems import CellProblem

CODE = "excel_number_format"
FIELDS = ("case", "invoice_number", "credit_invoice", "creditor_reference")
"""The key fields a lost digit changes the meaning of."""

_SHAPE = r"[ \t]*[+-]?\d(?:[.,]\d+)?E[+-]\d{2,}[ \t]*"
_CELL = re.compile(_SHAPE)
_ANY_LINE = re.compile(f"^{_SHAPE}$", re.MULTILINE)
_LABELS = {
    "case": "Case id",
    "invoice_number": "Invoice number",
    "credit_invoice": "Credit invoice",
    "creditor_reference": "Creditor reference",
}


def exponent_form_errors(cells: list[Cell], field: str) -> dict[int, CellProblem]:
    """Row index -> the `excel_number_format` problem, for each cell of `field`'s column
    that reads like Excel's exponent form."""
    # A cell of Excel's shape holds no line break, so it is a whole line of the joined column:
    # a column where no line matches has no such cell (a match is only checked cell by cell).
    # The plain `in` tests first: they leave out nearly every column at memchr speed (a
    # 200,000-row text column costs about 7 ms, the regular expression alone 30 ms: well
    # under 1% of validating the file).
    try:
        joined = "\n".join(cells)  # type: ignore[arg-type]
        texts: list[str] = cells  # type: ignore[assignment]
    except TypeError:  # an empty or a number cell: each cell's text
        if cells.count(None) == len(cells):
            return {}  # a column the file does not have
        texts = list(map(_text, cells))
        joined = "\n".join(texts)
    if ("E+" not in joined and "E-" not in joined) or not _ANY_LINE.search(joined):
        return {}
    return {
        index: CellProblem(
            CODE,
            f"{_LABELS[field]}: Excel turned this number into {text.strip()}; format the "
            "column as text and export again.",
        )
        for index, text in enumerate(texts)
        if _CELL.fullmatch(text)
    }


def hold_back(column: FieldColumn, found: dict[int, CellProblem]) -> None:
    """Make the rows of `found` invalid in `column`: their problem replaces whatever the
    field's own rule said (`case_invalid` for a case id Excel shortened says less), and
    their value is gone, as for every invalid cell."""
    if not found:
        return
    column.values = list(column.values)
    for index in found:
        column.values[index] = None
    column.errors = {**column.errors, **found}
    column.constant = column.filled = False


def _text(cell: Cell) -> str:
    if isinstance(cell, str):
        return cell
    if isinstance(cell, ShownNumber):  # a number shown in the scientific format `0.00E+00`
        return cell.shown
    return ""
