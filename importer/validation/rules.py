"""Row validation: mapped cells → a `CreditingRequest`, or row errors a finance person can act on.

`CreditingRequest` is the single source of truth for a request body (DESIGN.md §1, §2
"Validate"): its field types and constraints are the API contract. `Validator` turns the
mapping stage's rows (API field → raw cell) into requests, enforcing every documented rule and
wording each failure as a `RowError(field, code, message)` with a stable code (see
`ERROR_CODES`).

Why the Validator does not simply call `CreditingRequest.model_validate` per row: a nightly
file has hundreds of thousands of rows and pydantic's per-row validation alone costs more than
the whole import may spend per row. So the Validator works *column by column* with C-level
fast paths (one regex pass over all amounts, each distinct date converted once), checks every
constraint of the model itself (the tests prove it accepts nothing the model would refuse), and
then builds the model instances the way `model_construct` does, only cheaper. Messages are
built only for failing rows.

Decisions worth knowing:

- **Ids** (`creditor`, `case`) are trimmed and lower-cased before the 24-hex check: Mongo
  ObjectIds are case-insensitive hex, so `5F1A…` and `5f1a…` are the same id and lower-casing
  is safe; the API wants lower case.
- **Text fields** (`invoice_number`, `credit_invoice`, `creditor_reference`) are trimmed; an
  empty text is "absent". At most 100 characters. A spreadsheet number in a text column is the
  text Excel shows: `1001.0` → `"1001"`; a fractional or over-long (>= 2**53, digits already
  lost) number, a boolean or a date there is `{field}_invalid`.
- **Defaults** (`defaults.creditor`, `.currency`, `.origin`) fill absent or empty cells here
  too, so the Validator gives the same answer whether or not the mapping already did.
- **creditor_reference** must be unique within one `validate()` call (= one import); the later
  row(s) get `creditor_reference_duplicate` naming the first row, whether or not that first
  row is valid (it may be fixed and posted later, and two rows sharing a reference would make
  reconciliation ambiguous). References compare exactly (case-sensitive, after trimming), as
  the API's lookup does.
- **One call per file**: the decimal separator is detected per `validate()` call and
  references are unique per call; call it once with all rows of a file.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import deque
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from itertools import compress, repeat
from operator import setitem
from typing import Annotated, Any, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from importer.amounts import AmountError, AmountParser, detect_decimal_separator, plain_amounts
from importer.bulk import gc_paused, set_dict, set_extra, set_fields_set, set_private
from importer.config import Config
from importer.dates import RFC1123_PATTERN, DateConverter, DateError
from importer.errors import ConfigError
from importer.outcomes import RowError
from importer.sources.model import Cell

#: The request fields, in the API's (and the report's) order; the model declares them so too.
FIELDS: tuple[str, ...] = (
    "creditor",
    "case",
    "invoice_number",
    "currency",
    "amount",
    "origin",
    "credit_invoice",
    "client_registration_date",
    "creditor_reference",
    "account",
)
MAX_TEXT_LENGTH = 100
#: 15 significant digits: every such 2-decimal amount survives the trip through a JSON float
#: (a double holds 15 decimal digits exactly), so `to_json_body` can send a number safely.
MAX_AMOUNT_DIGITS = 15
AMOUNT_CEILING = Decimal("9999999999999.99")

ERROR_CODES: dict[str, str] = {
    "creditor_missing": "no creditor id in the row and no defaults.creditor",
    "creditor_invalid": "creditor id is not 24 hex characters",
    "case_invalid": "case id is not 24 hex characters",
    "case_and_invoice_number": "both a case id and an invoice number (give exactly one)",
    "case_or_invoice_number_missing": "neither a case id nor an invoice number",
    "invoice_number_invalid": "invoice number cell is a fraction, boolean, date or lost digits",
    "invoice_number_too_long": f"invoice number longer than {MAX_TEXT_LENGTH} characters",
    "amount_missing": "amount is empty",
    "amount_not_a_number": "amount is not a number (text, NaN, infinity, date, boolean)",
    "amount_ambiguous": "1,234-like amount in a file that never shows its decimal separator",
    "amount_too_many_decimals": "amount has more than two decimals (öre)",
    "amount_negative": "amount is negative and input.negative_amounts is reject",
    "amount_zero": "amount is zero",
    "amount_too_large": "amount above input.max_amount",
    "currency_missing": "currency empty and no default currency",
    "currency_not_supported": "currency other than SEK",
    "origin_invalid": "origin other than creditor_system",
    "credit_invoice_invalid": "credit invoice cell is a fraction, boolean, date or lost digits",
    "credit_invoice_too_long": f"credit invoice longer than {MAX_TEXT_LENGTH} characters",
    "date_invalid": "client_registration_date unreadable, ambiguous (04/07/2025) or impossible",
    "creditor_reference_invalid": "reference cell is a fraction, boolean, date or lost digits",
    "creditor_reference_too_long": f"reference longer than {MAX_TEXT_LENGTH} characters",
    "creditor_reference_duplicate": "reference already used by an earlier row of the import",
    "account_invalid": "account id is not 24 hex characters (only sent with api.send_account)",
}

_LABELS = {
    "creditor": "Creditor id",
    "case": "Case id",
    "invoice_number": "Invoice number",
    "credit_invoice": "Credit invoice",
    "creditor_reference": "Creditor reference",
    "account": "Account id",
}

_OBJECT_ID = re.compile(r"[0-9a-f]{24}")
ObjectId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{24}$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT_LENGTH)]
Rfc1123 = Annotated[str, StringConstraints(pattern=RFC1123_PATTERN)]
Amount = Annotated[
    Decimal,
    Field(gt=0, max_digits=MAX_AMOUNT_DIGITS, decimal_places=2, allow_inf_nan=False),
]


class CreditingRequest(BaseModel):
    """The body of `POST /creditor--creditings` (DESIGN.md §1). Every constraint the API
    documents is a field constraint here, so `model_validate` refuses any body the API would.
    `file_import_report` is read-only and does not exist here on purpose; `account` is
    read-only in today's API and only reaches the model when `api.send_account` is true (older
    API versions required it)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    creditor: ObjectId
    case: ObjectId | None = None
    invoice_number: Text | None = None
    currency: Literal["SEK"]
    amount: Amount
    origin: Literal["creditor_system"]
    credit_invoice: Text | None = None
    client_registration_date: Rfc1123 | None = None
    creditor_reference: Text | None = None
    account: ObjectId | None = None

    @model_validator(mode="after")
    def _exactly_one_of_case_and_invoice_number(self) -> Self:
        if (self.case is None) == (self.invoice_number is None):
            raise ValueError("exactly one of case and invoice_number is required")
        return self

    def to_json_body(self) -> dict[str, Any]:
        """The JSON body: absent (None) fields omitted, `amount` a JSON *number*.

        The amount goes out as a float only because `json.dumps` renders a float with its
        shortest round-trip `repr`, which for an amount of at most 15 significant digits is
        exactly the decimal text (`Decimal("0.30")` → `0.3`, `Decimal("1234.56")` →
        `1234.56`). That is checked, not assumed: an amount that would not survive raises."""
        body = {name: value for name, value in self.__dict__.items() if value is not None}
        body["amount"] = amount_to_json(self.amount)
        return body


def amount_to_json(amount: Decimal) -> float:
    """`amount` as the float whose JSON text is exactly its decimal value, or ValueError."""
    number = float(amount)
    if not math.isfinite(number) or Decimal(repr(number)) != amount:
        raise ValueError(f"amount {amount} cannot be sent as an exact JSON number")
    return number


_NO_ERRORS: tuple[RowError, ...] = ()
"""Shared by every valid row: a list each would cost 11 MB on a 200,000-row file."""


@dataclass(slots=True)
class RowValidation:
    """One row's verdict: the request to send, or why there is none."""

    request: CreditingRequest | None  # None when invalid
    errors: Sequence[RowError]  # empty when valid: one shared empty tuple for every valid row

    @property
    def is_valid(self) -> bool:
        return self.request is not None


@dataclass(slots=True)
class CheckedColumns:
    """A whole file's verdicts column-wise, in row order — what the pipeline consumes.

    `fields` maps each request field (in `FIELDS` order) to every row's checked value, exactly
    as a `CreditingRequest` holds it (None where absent); an invalid row's values are no
    request. `errors[i]` says why row i is invalid (the shared empty tuple when it is valid).
    Columns, not models: the pipeline journals and reports field values, and a dry run
    renders its report straight from these columns; 200,000 models (or even dicts) built
    only to be taken apart again cost a fifth of a large `validate`. `requests()` gives a
    row's dict, `Validator.validate_columns` models."""

    fields: dict[str, list[Any]]
    errors: list[Sequence[RowError]]
    invalid: int
    constant: frozenset[str] = frozenset()
    """Fields whose value is the same on every row (their dicts share it from a template)."""

    @property
    def valid(self) -> list[bool] | None:
        """Whether each row is valid; None when all are."""
        if not self.invalid:
            return None
        return [not errors for errors in self.errors]

    def requests(self) -> list[dict[str, Any] | None]:
        """Each row's request fields as the model holds them (None fields included), or None
        for an invalid row."""
        mask = self.valid
        valid = None if mask is None else list(compress(range(len(mask)), mask))
        made = _request_dicts(self.fields, self.constant, valid)
        if valid is None:
            return list(made)
        requests: list[dict[str, Any] | None] = [None] * len(self.errors)
        for index, request in zip(valid, made, strict=True):
            requests[index] = request
        return requests


class _Problem(ValueError):
    """A field-level failure before it becomes a RowError (code + message)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


_Failure = _Problem | AmountError | DateError
_FAILURES = (_Problem, DateError)  # what a per-cell rule may raise


@dataclass(slots=True)
class _Column:
    """One field's verdict for every row: values (None where absent or invalid), failures by
    row index, and whether every row holds the same value (then it is set once, not n times)."""

    values: list[Any]
    errors: dict[int, _Failure]
    constant: bool = False
    filled: bool = False  # known: no row is None (saves a scan in the cross-field rules)


class Validator:
    """Validates the rows of one file at a time (see the module docstring for the rules).

    `decimal_separator` pins the amounts' decimal separator (overriding
    `config.input.decimal_separator`); otherwise each `validate()` call detects it from its
    rows' amount cells."""

    def __init__(self, config: Config, decimal_separator: str | None = None) -> None:
        pinned = decimal_separator or config.input.decimal_separator
        if pinned not in (None, ".", ","):
            raise ConfigError(f"decimal separator must be '.' or ',', not {pinned!r}")
        self._pinned: Literal[".", ","] | None = pinned  # type: ignore[assignment]
        self._negative_amounts = config.input.negative_amounts
        self._max_amount = _max_amount(config.input.max_amount)
        self._dates = DateConverter(_zone(config.input.timezone))
        self._defaults = config.defaults

    def detect_decimal_separator(self, amount_cells: Iterable[Cell]) -> str:
        """The decimal separator `validate()` would use for these amount cells: the pinned
        one, else the detected one (rules: `importer.amounts.detect_decimal_separator`)."""
        if self._pinned is not None:
            return self._pinned
        return detect_decimal_separator(amount_cells).separator

    def validate(
        self, rows: Sequence[dict[str, Cell]], row_numbers: Sequence[int] | None = None
    ) -> list[RowValidation]:
        """Validate one file's rows; the result has the same length and order.

        `row_numbers` are the rows' numbers as a spreadsheet shows them (used in duplicate
        messages: "already used on row 7"); without them row i (0-based) is called i + 2,
        i.e. a file whose header is row 1 and has no blank or title rows.

        The cyclic garbage collector is paused meanwhile: the call allocates a few objects
        per row and none of them form cycles, yet each automatic full collection would walk
        every object alive (200,000-row files triggered several, which more than doubled the
        time). Reference counting still frees everything as usual."""
        columns = {name: list(map(dict.get, rows, repeat(name))) for name in FIELDS}
        return self.validate_columns(columns, len(rows), row_numbers)

    def validate_columns(
        self,
        columns: dict[str, list[Cell]],
        count: int,
        row_numbers: Sequence[int] | None = None,
    ) -> list[RowValidation]:
        """`validate` for a file already held column-wise (what the mapping stage produces):
        field -> one cell per row; a field without a column may be left out."""
        checked = self.check_columns(columns, count, row_numbers)
        with gc_paused():
            requests = checked.requests()
            models = _instances([r for r in requests if r is not None])
        if not checked.invalid:
            return list(map(RowValidation, models, checked.errors))
        made = iter(models)
        return [
            RowValidation(None if request is None else next(made), errors)
            for request, errors in zip(requests, checked.errors, strict=True)
        ]

    def check_columns(
        self,
        columns: dict[str, list[Cell]],
        count: int,
        row_numbers: Sequence[int] | None = None,
    ) -> CheckedColumns:
        """`validate_columns` without the models: each valid row's request fields as the
        model would hold them (see `CheckedColumns`)."""
        numbers: Sequence[int] = range(2, count + 2) if row_numbers is None else row_numbers
        if len(numbers) != count:
            raise ValueError(f"{len(numbers)} row numbers for {count} rows")
        absent: list[Cell] = [None] * count
        cells = {name: columns.get(name, absent) for name in FIELDS}
        if any(len(column) != count for column in cells.values()):
            raise ValueError(f"every column must hold {count} cells")
        with gc_paused():
            return self._validate(cells, count, numbers)

    def _validate(
        self, cells: dict[str, list[Cell]], count: int, numbers: Sequence[int]
    ) -> CheckedColumns:
        columns = {
            "creditor": _map_distinct(cells["creditor"], self._creditor),
            "case": _map_distinct(cells["case"], _case_id),
            "invoice_number": _text_column(cells["invoice_number"], "invoice_number"),
            "currency": _map_distinct(cells["currency"], self._currency),
            "amount": self._amounts(cells["amount"]),
            "origin": _map_distinct(cells["origin"], self._origin),
            "credit_invoice": _text_column(cells["credit_invoice"], "credit_invoice"),
            "client_registration_date": _map_distinct(
                cells["client_registration_date"], self._dates.convert, _DATE_TABLE_TYPES
            ),
            "creditor_reference": _text_column(cells["creditor_reference"], "creditor_reference"),
            "account": _map_distinct(cells["account"], _account_id),
        }
        # A row's errors are listed in field order, each cross-field rule after its fields.
        failures: list[tuple[str, dict[int, _Failure]]] = []
        for name, column in columns.items():
            failures.append((name, column.errors))
            if name == "invoice_number":
                failures.append(("case", _one_of_case_and_invoice(columns)))
            elif name == "creditor_reference":
                failures.append((name, _duplicates(column.values, numbers)))
        bad = set().union(*(found for _, found in failures))
        errors: list[Sequence[RowError]] = [_NO_ERRORS] * count
        for index in sorted(bad):
            errors[index] = _row_errors(index, failures)
        return CheckedColumns(
            {name: column.values for name, column in columns.items()},
            errors,
            len(bad),
            frozenset(name for name, column in columns.items() if column.constant),
        )

    # ------------------------------------------------------------------ per-field rules

    def _amounts(self, cells: list[Cell]) -> _Column:
        if self._pinned != ",":  # plain `1234.50` needs no detection (see plain_amounts)
            plain = plain_amounts(cells, ".", self._max_amount)
            if plain is not None:
                return _Column(plain, {}, filled=True)
        if self._pinned is not None:
            separator, guard = self._pinned, False
        else:
            detection = detect_decimal_separator(cells)
            separator, guard = detection.separator, not detection.evidenced
        parser = AmountParser(
            separator,
            max_amount=self._max_amount,
            negative_amounts=self._negative_amounts,
            ambiguity_guard=guard,
        )
        values, errors = parser.parse_column(cells)
        return _Column(values, dict(errors))

    def _creditor(self, cell: Cell) -> str:
        if _is_blank(cell):
            cell = self._defaults.creditor
        if _is_blank(cell):
            raise _Problem(
                "creditor_missing",
                "Creditor id is missing: add a creditor column or set defaults.creditor "
                "in the configuration.",
            )
        value = _object_id(cell, "creditor")
        assert value is not None  # not blank, so either an id or a _Problem
        return value

    def _currency(self, cell: Cell) -> str:
        if _is_blank(cell):
            cell = self._defaults.currency
        if _is_blank(cell):
            raise _Problem("currency_missing", "Currency is empty; it must be SEK.")
        if isinstance(cell, str) and cell.strip().upper() == "SEK":
            return "SEK"
        raise _Problem(
            "currency_not_supported",
            f"Currency {_shown(cell)} is not supported; only SEK can be credited.",
        )

    def _origin(self, cell: Cell) -> str:
        if _is_blank(cell):
            cell = self._defaults.origin
        if isinstance(cell, str) and cell.strip().lower() == "creditor_system":
            return "creditor_system"
        raise _Problem(
            "origin_invalid",
            f"Origin {_shown(cell)} is not allowed; it must be creditor_system "
            "(or leave the column out).",
        )


# ---------------------------------------------------------------------- column helpers


_TEXT_TYPES = frozenset({str, type(None)})
_DATE_TABLE_TYPES = frozenset({str, type(None), dt.date, dt.datetime})


def _map_distinct(
    cells: list[Cell], convert: Callable[[Cell], Any], table_types: frozenset[type] = _TEXT_TYPES
) -> _Column:
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
            except _FAILURES as problem:
                table[cell] = problem.with_traceback(None)  # see AmountParser.parse_column
        if len(table) == 1 and not isinstance(only := next(iter(table.values())), _FAILURES):
            return _Column([only] * len(cells), {}, constant=True, filled=only is not None)
        mapped = list(map(table.__getitem__, cells))
        if not any(isinstance(v, _FAILURES) for v in table.values()):
            return _Column(mapped, {})
    else:
        mapped = []
        for cell in cells:
            try:
                mapped.append(convert(cell))
            except _FAILURES as problem:
                mapped.append(problem.with_traceback(None))
    errors: dict[int, _Failure] = {i: v for i, v in enumerate(mapped) if isinstance(v, _FAILURES)}
    for i in errors:
        mapped[i] = None
    return _Column(mapped, errors)


def _text_column(cells: list[Cell], field: str) -> _Column:
    """Trim a text column; empty → None; check lengths. Whole-column C calls when possible;
    cell by cell (`_text_value`, with its messages) when a cell is unusual or too long."""

    def per_cell() -> _Column:
        return _map_distinct(cells, lambda cell: _text_value(cell, field), frozenset())

    try:
        values: list[Any] = list(map(str.strip, cells))  # type: ignore[arg-type]
    except TypeError:  # str.strip met a None or a number cell: look at the types
        kinds = set(map(type, cells))
        if kinds == {type(None)}:
            return _Column(list(cells), {}, constant=True)
        if not kinds <= _TEXT_TYPES:
            return per_cell()
        values = [cell and cell.strip() for cell in cells]  # type: ignore[union-attr]
    else:
        if "" not in values:  # every row has the text: the common case
            if max(map(len, values), default=0) <= MAX_TEXT_LENGTH:
                return _Column(values, {}, filled=True)
            return per_cell()
    values = [value or None for value in values]
    if max(map(len, filter(None, values)), default=0) <= MAX_TEXT_LENGTH:
        return _Column(values, {})
    return per_cell()


def _one_of_case_and_invoice(columns: dict[str, _Column]) -> dict[int, _Failure]:
    """Exactly one of case / invoice_number per row. An invalid cell still counts as given."""
    case, invoice = columns["case"], columns["invoice_number"]
    if (
        not case.errors
        and not invoice.errors
        and ((_absent(case) and _present(invoice)) or (_absent(invoice) and _present(case)))
    ):
        return {}
    errors: dict[int, _Failure] = {}
    for index, (case_id, number) in enumerate(zip(case.values, invoice.values, strict=True)):
        has_case = case_id is not None or index in case.errors
        has_invoice = number is not None or index in invoice.errors
        if has_case and has_invoice:
            given = f" ({case_id} and {_shown(number)})" if case_id and number else ""
            errors[index] = _Problem(
                "case_and_invoice_number",
                f"The row has both a case id and an invoice number{given}; give only one of "
                "them (the invoice number is only for finding the case).",
            )
        elif not has_case and not has_invoice:
            errors[index] = _Problem(
                "case_or_invoice_number_missing",
                "The row has neither a case id nor an invoice number; one of them is needed "
                "to know which case to credit.",
            )
    return errors


def _absent(column: _Column) -> bool:
    """No row has a value."""
    if column.constant:
        return not column.values or column.values[0] is None
    return column.values.count(None) == len(column.values)


def _present(column: _Column) -> bool:
    """Every row has a value."""
    return column.filled or None not in column.values


def _duplicates(references: list[str | None], numbers: Sequence[int]) -> dict[int, _Failure]:
    """Later rows repeating a creditor_reference, each naming the first row that used it."""
    distinct = set(references)
    if len(distinct) == len(references):  # the common case: every row has its own
        return {}
    if len(distinct) - (None in distinct) == len(references) - references.count(None):
        return {}
    first: dict[str, int] = {}
    errors: dict[int, _Failure] = {}
    for index, reference in enumerate(references):
        if reference is None:
            continue
        earlier = first.setdefault(reference, index)
        if earlier != index:
            errors[index] = _Problem(
                "creditor_reference_duplicate",
                f"Creditor reference {reference} is already used on row {numbers[earlier]}; "
                "every row needs its own reference.",
            )
    return errors


def _row_errors(index: int, failures: list[tuple[str, dict[int, _Failure]]]) -> list[RowError]:
    return [
        RowError(field=field, code=found[index].code, message=found[index].message)
        for field, found in failures
        if index in found
    ]


# ---------------------------------------------------------------------- cell rules


def _is_blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _shown(cell: object) -> str:
    text = cell.strip() if isinstance(cell, str) else str(cell)
    return text if len(text) <= 40 else text[:40] + "…"


def _object_id(cell: Cell, field: str) -> str | None:
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
    raise _Problem(
        f"{field}_invalid",
        f"{_LABELS[field]} {_shown(cell)} is not a valid id: it must be 24 characters 0-9 "
        f"and a-f ({detail}).",
    )


def _case_id(cell: Cell) -> str | None:
    return _object_id(cell, "case")


def _account_id(cell: Cell) -> str | None:
    return _object_id(cell, "account")


def _text_value(cell: Cell, field: str) -> str | None:
    """One text cell → trimmed text (None if empty). A number cell becomes the text a
    spreadsheet shows for it; numbers that cannot be an id's text are refused."""
    label = _LABELS[field]
    if cell is None:
        return None
    if isinstance(cell, str):
        text = cell.strip()
    elif isinstance(cell, bool | dt.date):
        kind = "a date" if isinstance(cell, dt.date) else "TRUE/FALSE"
        raise _Problem(f"{field}_invalid", f"{label} cell holds {kind} ({cell}), not text.")
    elif isinstance(cell, int):
        text = str(cell)
    elif isinstance(cell, float):
        if not math.isfinite(cell) or not cell.is_integer():
            raise _Problem(
                f"{field}_invalid",
                f"{label} {cell!r} is a decimal number; store the column as text.",
            )
        if abs(cell) >= 2.0**53:
            raise _Problem(
                f"{field}_invalid",
                f"{label} {cell!r} is a number too long for a spreadsheet number cell "
                "(digits are lost); store the column as text.",
            )
        text = str(int(cell))
    else:
        raise _Problem(f"{field}_invalid", f"{label} {cell!r} is not text.")
    if not text:
        return None
    if len(text) > MAX_TEXT_LENGTH:
        raise _Problem(
            f"{field}_too_long",
            f"{label} {_shown(text)} is {len(text)} characters long; "
            f"at most {MAX_TEXT_LENGTH} are allowed.",
        )
    return text


# ---------------------------------------------------------------------- configuration


def _max_amount(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ConfigError(f"input.max_amount: {text!r} is not a number") from None
    if not value.is_finite() or value <= 0 or value > AMOUNT_CEILING:
        raise ConfigError(f"input.max_amount must be between 0.01 and {AMOUNT_CEILING}")
    return value


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"input.timezone: unknown time zone {name!r}") from None


# ---------------------------------------------------------------------- trusted construction
#
# `model_construct` semantics (data already checked against every model constraint: the
# tests prove the Validator accepts nothing `CreditingRequest.model_validate` refuses), built
# column-wise with C-level `map` calls instead of a Python loop per row: at 200,000 rows the
# per-row bytecode of `model_construct` (or even of a hand-written loop) would cost more than
# all the validation rules together.

_ALL_FIELDS = set(FIELDS)  # shared: the model is frozen, pydantic copies it in model_copy


def _request_dicts(
    fields: dict[str, list[Any]], constant: Collection[str], valid: list[int] | None
) -> list[dict[str, Any]]:
    """The request fields of the valid rows (all rows when `valid` is None), in row order:
    one dict per row, a copy of the `constant` fields with the varying ones set
    column-wise. `fields` holds every field of `FIELDS`, in that order."""
    count = len(fields[FIELDS[0]]) if valid is None else len(valid)
    template: dict[str, Any] = {}
    varying: list[tuple[str, list[Any]]] = []
    for name in FIELDS:
        values = fields[name]
        if name in constant:
            template[name] = values[0] if values else None
        else:
            template[name] = None
            varying.append((name, values if valid is None else [values[i] for i in valid]))
    dicts = list(map(dict.copy, repeat(template, count)))
    for name, values in varying:
        deque(map(setitem, dicts, repeat(name, count), values), maxlen=0)
    if not _TRUSTED_CONSTRUCTION:
        # The slow, obviously-correct twin: every row through the model itself.
        return [CreditingRequest.model_validate(d).__dict__ for d in dicts]
    return dicts


def _instances(dicts: list[dict[str, Any]]) -> list[CreditingRequest]:
    """Models of checked request fields, exactly as `BaseModel.model_construct` sets them up
    (or, if the import-time probe distrusts that, by full model validation)."""
    if not _TRUSTED_CONSTRUCTION:
        return [CreditingRequest.model_validate(d) for d in dicts]
    count = len(dicts)
    requests = list(map(object.__new__, repeat(CreditingRequest, count)))
    deque(map(set_dict, requests, dicts), maxlen=0)
    deque(map(set_fields_set, requests, repeat(_ALL_FIELDS, count)), maxlen=0)
    deque(map(set_extra, requests, repeat(None, count)), maxlen=0)
    deque(map(set_private, requests, repeat(None, count)), maxlen=0)
    return requests


def _probe_trusted_construction() -> bool:
    """Self-check at import: a constructed instance must be indistinguishable from a
    validated one. If a pydantic upgrade ever breaks that, validation uses the model."""
    data: dict[str, Any] = {
        "creditor": "5f1a2b3c4d5e6f7a8b9c0d1e", "case": None, "invoice_number": "1001",
        "currency": "SEK", "amount": Decimal("0.30"), "origin": "creditor_system",
        "credit_invoice": None, "client_registration_date": "Fri, 04 Jul 2025 00:00:00 GMT",
        "creditor_reference": "r-1", "account": None,
    }  # fmt: skip
    try:
        fields = {name: [data[name]] for name in FIELDS}
        (trusted,) = _instances(_request_dicts(fields, {"case", "currency", "account"}, None))
        checked = CreditingRequest.model_validate(data)
        return (
            tuple(CreditingRequest.model_fields) == FIELDS
            and trusted == checked
            and trusted.model_dump() == checked.model_dump()
            and trusted.model_dump_json() == checked.model_dump_json()
            and trusted.model_fields_set == checked.model_fields_set
            and repr(trusted) == repr(checked)
            and trusted.to_json_body() == checked.to_json_body()
        )
    except Exception:  # pragma: no cover - any surprise means: do not trust it
        return False


_TRUSTED_CONSTRUCTION = True  # what the probe tries out
_TRUSTED_CONSTRUCTION = _probe_trusted_construction()
