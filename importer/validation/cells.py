"""Per-cell rules (ids, texts) and the column helpers that apply a rule once per distinct cell."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from importer.api.request import MAX_TEXT_LENGTH
from importer.errors import ConfigError
from importer.refusal_words import NAME_THE_CREDITOR
from importer.sources.model import Cell, ShownNumber
from importer.validation.problems import CellProblem

if TYPE_CHECKING:
    from importer.config import DefaultsConfig

_LABELS = {
    "creditor": "Creditor id",
    "case": "Case id",
    "invoice_number": "Invoice number",
    "credit_invoice": "Credit invoice",
    "creditor_reference": "Creditor reference",
    "account": "Account id",
}


_OBJECT_ID = re.compile(r"[0-9a-f]{24}")


@dataclass(slots=True)
class FieldColumn:
    """One field's verdict for every row: values (None where absent or invalid), failures by
    row index, and whether every row holds the same value (then it is set once, not n times)."""

    values: list[Any]
    errors: dict[int, CellProblem]
    constant: bool = False
    filled: bool = False  # known: no row is None (saves a scan in the cross-field rules)


_TEXT_TYPES: frozenset[type] = frozenset({str, type(None)})


DATE_TABLE_TYPES = frozenset({str, type(None), dt.date, dt.datetime})


def map_distinct(
    cells: list[Cell], convert: Callable[[Cell], Any], table_types: frozenset[type] = _TEXT_TYPES
) -> FieldColumn:
    """Apply `convert` to each distinct cell once, then map the column through the table.

    Columns like creditor, currency, origin and the date repeat a few values on every row,
    so this turns 200,000 conversions into a handful. Only columns whose cell types are in
    `table_types` take the table (as dict keys True == 1 == 1.0 would share a slot and blur
    an error message); others are converted cell by cell."""
    distinct = set(cells)
    # The types of the distinct values are the column's types: values of different types
    # only merge in a set when they are equal numbers (1 == 1.0 == True), none of which is
    # a table type.
    if all(type(cell) in table_types for cell in distinct):
        table: dict[Cell, Any] = {}
        for cell in distinct:
            try:
                table[cell] = convert(cell)
            except CellProblem as problem:
                table[cell] = problem.with_traceback(None)  # see AmountParser.parse_column
        if len(table) == 1 and not isinstance(only := next(iter(table.values())), CellProblem):
            return FieldColumn([only] * len(cells), {}, constant=True, filled=only is not None)
        mapped = list(map(table.__getitem__, cells))
        if not any(isinstance(v, CellProblem) for v in table.values()):
            return FieldColumn(mapped, {})
    else:
        mapped = []
        for cell in cells:
            try:
                mapped.append(convert(cell))
            except CellProblem as problem:
                mapped.append(problem.with_traceback(None))
    errors: dict[int, CellProblem] = {
        i: v for i, v in enumerate(mapped) if isinstance(v, CellProblem)
    }
    for i in errors:
        mapped[i] = None
    return FieldColumn(mapped, errors)


def text_column(cells: list[Cell], field: str) -> FieldColumn:
    """Trim a text column; empty → None; check lengths. Whole-column C calls when possible;
    cell by cell (`_text_value`, with its messages) when a cell is unusual or too long."""

    def per_cell() -> FieldColumn:
        return map_distinct(cells, lambda cell: _text_value(cell, field), frozenset())

    try:
        values: list[Any] = list(map(str.strip, cells))  # type: ignore[arg-type]
    except TypeError:  # str.strip met a None or a number cell: look at the types
        kinds = set(map(type, cells))
        if kinds == {type(None)}:
            return FieldColumn(list(cells), {}, constant=True)
        if not kinds <= _TEXT_TYPES:
            return per_cell()
        values = [cell and cell.strip() for cell in cells]  # type: ignore[union-attr]
    else:
        if "" not in values:  # every row has the text: the common case
            if max(map(len, values), default=0) <= MAX_TEXT_LENGTH:
                return FieldColumn(values, {}, filled=True)
            return per_cell()
    values = [value or None for value in values]
    if max(map(len, filter(None, values)), default=0) <= MAX_TEXT_LENGTH:
        return FieldColumn(values, {})
    return per_cell()


def is_blank(cell: object) -> bool:
    """None or only whitespace: an empty cell, whatever the reader made of it."""
    return cell is None or (isinstance(cell, str) and not cell.strip())


def shown(cell: object) -> str:
    """A cell as quoted in a message: trimmed, at most 40 characters."""
    text = cell.strip() if isinstance(cell, str) else str(cell)
    return text if len(text) <= 40 else text[:40] + "…"


def object_id(cell: Cell, field: str) -> str | None:
    """A 24-hex id, trimmed and lower-cased (ObjectIds are case-insensitive hex)."""
    if cell is None:
        return None
    if isinstance(cell, str):
        text = cell.strip()
        if not text:
            return None
        lowered = text.lower()
        if _OBJECT_ID.fullmatch(lowered):
            return lowered
        detail = f"{len(text)} characters" if len(text) != 24 else "not only 0-9 and a-f"
    else:
        detail = f"a {type(cell).__name__} cell, not text"
    raise CellProblem(
        f"{field}_invalid",
        f"{_LABELS[field]} {shown(cell)} is not a valid id: it must be 24 characters 0-9 "
        f"and a-f ({detail}).",
    )


def case_id_of(cell: Cell) -> str | None:
    """A `case` cell as an ObjectId (see `object_id`)."""
    return object_id(cell, "case")


def account_id(cell: Cell) -> str | None:
    """An `account` cell as an ObjectId (see `object_id`)."""
    return object_id(cell, "account")


def _text_value(cell: Cell, field: str) -> str | None:
    """One text cell → trimmed text (None if empty). A number cell becomes the text a
    spreadsheet shows for it; numbers that cannot be an id's text are refused."""
    label = _LABELS[field]
    if cell is None:
        return None
    if isinstance(cell, str):
        text = cell.strip()
    elif isinstance(cell, ShownNumber):  # a number formatted `00000`: the text on screen
        text = cell.shown.strip()
    elif isinstance(cell, bool | dt.date):
        kind = "a date" if isinstance(cell, dt.date) else "TRUE/FALSE"
        raise CellProblem(f"{field}_invalid", f"{label} cell holds {kind} ({cell}), not text.")
    elif isinstance(cell, int):
        text = str(cell)
    elif isinstance(cell, float):
        if not math.isfinite(cell) or not cell.is_integer():
            raise CellProblem(
                f"{field}_invalid",
                f"{label} {cell!r} is a decimal number; store the column as text.",
            )
        if abs(cell) >= 2.0**53:
            raise CellProblem(
                f"{field}_invalid",
                f"{label} {cell!r} is a number too long for a spreadsheet number cell "
                "(digits are lost); store the column as text.",
            )
        text = str(int(cell))
    else:
        raise CellProblem(f"{field}_invalid", f"{label} {cell!r} is not text.")
    if not text:
        return None
    if len(text) > MAX_TEXT_LENGTH:
        raise CellProblem(
            f"{field}_too_long",
            f"{label} {shown(text)} is {len(text)} characters long; "
            f"at most {MAX_TEXT_LENGTH} are allowed.",
        )
    return text


def creditor_option(text: str) -> str:
    """The `--creditor` value as sent: a 24-hex creditor id, lower-cased. ConfigError (exit 2)
    otherwise, before any file is read."""
    try:
        value = object_id(text, "creditor")
    except CellProblem as problem:
        raise ConfigError(f"--creditor: {problem.message}") from None  # the message says it
    if value is None:
        raise ConfigError("--creditor: the creditor id is empty")
    return value


class DefaultedCells:
    """The fields a configured default (or `--creditor`) fills where the file's cell is
    empty: the creditor, the currency, the origin."""

    def __init__(self, defaults: DefaultsConfig, creditor: str | None) -> None:
        self._defaults = defaults
        self._given = creditor
        """`--creditor`: the creditor of every row; a file cell naming another is refused."""

    def creditor(self, cell: Cell) -> str:
        given = self._given
        if is_blank(cell):
            cell = given or self._defaults.creditor
        if is_blank(cell):
            raise CellProblem("creditor_missing", f"Creditor id is missing: {NAME_THE_CREDITOR}.")
        value = object_id(cell, "creditor")
        assert value is not None  # not blank, so either an id or a CellProblem
        if given is not None and value != given:
            raise CellProblem(
                "creditor_conflict",
                f"Creditor {value} in the file is not {given}, the creditor given with "
                "--creditor; not sent (check that this is the right creditor's file).",
            )
        return value

    def currency(self, cell: Cell) -> str:
        if is_blank(cell):
            cell = self._defaults.currency
        if is_blank(cell):
            raise CellProblem("currency_missing", "Currency is empty; it must be SEK.")
        if isinstance(cell, str) and cell.strip().upper() == "SEK":
            return "SEK"
        raise CellProblem(
            "currency_not_supported",
            f"Currency {shown(cell)} is not supported; only SEK can be credited.",
        )

    def origin(self, cell: Cell) -> str:
        if is_blank(cell):
            cell = self._defaults.origin
        if isinstance(cell, str) and cell.strip().lower() == "creditor_system":
            return "creditor_system"
        raise CellProblem(
            "origin_invalid",
            f"Origin {shown(cell)} is not allowed; it must be creditor_system "
            "(or leave the column out).",
        )
