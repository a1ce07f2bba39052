"""The Validator: every documented rule applied column by column, with the cross-field rules
(exactly one of case and invoice number; unique references) and the settings it checks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from itertools import repeat
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from importer.api.request import AMOUNT_CEILING, FIELDS
from importer.bulk import gc_paused
from importer.config import Config
from importer.errors import ConfigError
from importer.outcomes import ImportWarning, RowError
from importer.sources.model import Cell
from importer.validation.amount_column import FileAmounts
from importer.validation.amounts import AmountParser
from importer.validation.cells import (
    DATE_TABLE_TYPES,
    DefaultedCells,
    FieldColumn,
    account_id,
    case_id_of,
    map_distinct,
    shown,
    text_column,
)
from importer.validation.checked import NO_ERRORS, CheckedColumns, RowValidation, instances
from importer.validation.dates import (
    DateConverter,
    Shift,
    daylight_rows,
    daylight_saving,
    daylight_warnings,
)
from importer.validation.excel_numbers import FIELDS as EXCEL_KEY_FIELDS
from importer.validation.excel_numbers import exponent_form_errors, hold_back
from importer.validation.file_facts import FactsGatherer, FileFacts
from importer.validation.problems import CellProblem
from importer.validation.separators import detect_decimal_separator


class Validator:
    """Validates the rows of one file at a time (see the module docstring for the rules).

    `decimal_separator` pins the amounts' decimal separator (overriding
    `config.input.decimal_separator`); otherwise each `validate()` call detects it from its
    rows' amount cells."""

    def __init__(
        self,
        config: Config,
        decimal_separator: str | None = None,
        *,
        creditor: str | None = None,
    ) -> None:
        pinned = decimal_separator or config.input.decimal_separator
        if pinned not in (None, ".", ","):
            raise ConfigError(f"decimal separator must be '.' or ',', not {pinned!r}")
        self._pinned: Literal[".", ","] | None = pinned  # type: ignore[assignment]
        self._max_amount = _max_amount(config.input.max_amount)
        self._zone_name = config.input.timezone
        self._dates = DateConverter(_zone(config.input.timezone), config.input.date_format)
        self._defaulted = DefaultedCells(config.defaults, creditor)
        self._amounts = FileAmounts(self._pinned, self._max_amount, config.input.negative_amounts)

    @property
    def amount_reader(self) -> AmountParser:
        """Reads amount cells as the last validated file's amounts were read (its decimal
        separator), without the rules: what the report's control totals add up
        (`AmountParser.read`)."""
        return self._amounts.reader

    def detect_decimal_separator(self, amount_cells: Iterable[Cell]) -> str:
        """The decimal separator `validate()` would use for these amount cells: the pinned
        one, else the detected one (rules: `separators.detect_decimal_separator`)."""
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
            models = instances([r for r in requests if r is not None])
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
        file: FileCheck | None = None,
    ) -> CheckedColumns:
        """`validate_columns` without the models: each valid row's request fields as the
        model would hold them (see `CheckedColumns`).

        With `file` (`begin`), the columns are one block of a file validated a block at a
        time, the blocks in file order: a reference repeating one of an earlier block is
        refused as within a block, and the file's warnings come once, at the end
        (`block_warnings`)."""
        numbers: Sequence[int] = range(2, count + 2) if row_numbers is None else row_numbers
        if len(numbers) != count:
            raise ValueError(f"{len(numbers)} row numbers for {count} rows")
        absent: list[Cell] = [None] * count
        cells = {name: columns.get(name, absent) for name in FIELDS}
        if any(len(column) != count for column in cells.values()):
            raise ValueError(f"every column must hold {count} cells")
        with gc_paused():
            return self._validate(cells, count, numbers, file)

    def gather_facts(self) -> FactsGatherer:
        """What gathers a file's `FileFacts` a block at a time, for `begin`."""
        return FactsGatherer(self._pinned, self._max_amount)

    def begin(self, facts: FileFacts) -> FileCheck:
        """Start a file validated a block at a time (`check_columns` with `file`) with the
        facts all its rows decide (`file_facts`): its amounts read as the whole file's would
        be."""
        self._amounts.begin(facts)
        self._dates.begin(facts.order)
        return FileCheck(facts)

    def block_warnings(self, file: FileCheck) -> tuple[ImportWarning, ...]:
        """The warnings of a file validated a block at a time (daylight-saving times)."""
        return daylight_warnings(file.daylight, self._zone_name)

    def _validate(
        self,
        cells: dict[str, list[Cell]],
        count: int,
        numbers: Sequence[int],
        file: FileCheck | None = None,
    ) -> CheckedColumns:
        facts = None if file is None else file.facts
        if facts is None:
            self._dates.learn(cells["client_registration_date"])
        columns = {
            "creditor": map_distinct(cells["creditor"], self._defaulted.creditor),
            "case": map_distinct(cells["case"], case_id_of),
            "invoice_number": text_column(cells["invoice_number"], "invoice_number"),
            "currency": map_distinct(cells["currency"], self._defaulted.currency),
            "amount": self._amounts.column(cells["amount"], facts),
            "origin": map_distinct(cells["origin"], self._defaulted.origin),
            "credit_invoice": text_column(cells["credit_invoice"], "credit_invoice"),
            "client_registration_date": map_distinct(
                cells["client_registration_date"], self._dates.convert, DATE_TABLE_TYPES
            ),
            "creditor_reference": text_column(cells["creditor_reference"], "creditor_reference"),
            "account": map_distinct(cells["account"], account_id),
        }
        for name in EXCEL_KEY_FIELDS:
            hold_back(columns[name], exponent_form_errors(cells[name], name))
        # A row's errors are listed in field order, each cross-field rule after its fields.
        failures: list[tuple[str, dict[int, CellProblem]]] = []
        for name, column in columns.items():
            failures.append((name, column.errors))
            if name == "invoice_number":
                failures.append(("case", _one_of_case_and_invoice(columns)))
            elif name == "creditor_reference":
                repeats = (
                    _duplicates(column.values, numbers)
                    if file is None
                    else file.repeats(column.values, numbers)
                )
                failures.append((name, repeats))
        bad = set().union(*(found for _, found in failures))
        errors: list[Sequence[RowError]] = [NO_ERRORS] * count
        for index in sorted(bad):
            errors[index] = _row_errors(index, failures)
        dates = cells["client_registration_date"]
        if file is None:
            warnings = daylight_saving(self._dates.shifted, dates, numbers, self._zone_name)
        else:
            warnings = ()
            for kind, rows in daylight_rows(self._dates.shifted, dates, numbers).items():
                file.daylight[kind] += rows
        return CheckedColumns(
            {name: column.values for name, column in columns.items()},
            errors,
            len(bad),
            frozenset(name for name, column in columns.items() if column.constant),
            warnings,
        )


def _one_of_case_and_invoice(columns: dict[str, FieldColumn]) -> dict[int, CellProblem]:
    """Exactly one of case / invoice_number per row. An invalid cell still counts as given."""
    case, invoice = columns["case"], columns["invoice_number"]
    if (
        not case.errors
        and not invoice.errors
        and ((_absent(case) and _present(invoice)) or (_absent(invoice) and _present(case)))
    ):
        return {}
    errors: dict[int, CellProblem] = {}
    for index, (case_id, number) in enumerate(zip(case.values, invoice.values, strict=True)):
        has_case = case_id is not None or index in case.errors
        has_invoice = number is not None or index in invoice.errors
        if has_case and has_invoice:
            given = f" ({case_id} and {shown(number)})" if case_id and number else ""
            errors[index] = CellProblem(
                "case_and_invoice_number",
                f"The row has both a case id and an invoice number{given}; give only one of "
                "them (the invoice number is only for finding the case).",
            )
        elif not has_case and not has_invoice:
            errors[index] = CellProblem(
                "case_or_invoice_number_missing",
                "The row has neither a case id nor an invoice number; one of them is needed "
                "to know which case to credit.",
            )
    return errors


def _absent(column: FieldColumn) -> bool:
    """No row has a value."""
    if column.constant:
        return not column.values or column.values[0] is None
    return column.values.count(None) == len(column.values)


def _present(column: FieldColumn) -> bool:
    """Every row has a value."""
    return column.filled or None not in column.values


def _duplicates(references: list[str | None], numbers: Sequence[int]) -> dict[int, CellProblem]:
    """Later rows repeating a creditor_reference, each naming the first row that used it."""
    distinct = set(references)
    if len(distinct) == len(references):  # the common case: every row has its own
        return {}
    if len(distinct) - (None in distinct) == len(references) - references.count(None):
        return {}
    first: dict[str, int] = {}
    errors: dict[int, CellProblem] = {}
    for index, reference in enumerate(references):
        if reference is None:
            continue
        earlier = first.setdefault(reference, index)
        if earlier != index:
            errors[index] = _repeated_reference(reference, numbers[earlier])
    return errors


def _repeated_reference(reference: str, row: int) -> CellProblem:
    return CellProblem(
        "creditor_reference_duplicate",
        f"Creditor reference {reference} is already used on row {row}; every row needs its "
        "own reference.",
    )


@dataclass(slots=True)
class FileCheck:
    """What validating a file a block at a time carries from one block to the next."""

    facts: FileFacts
    first: dict[str, int] = field(default_factory=dict)
    """Each repeated reference (`FileFacts.repeated`) -> the row that used it first."""
    daylight: dict[Shift, list[int]] = field(default_factory=lambda: {"gap": [], "overlap": []})
    """The rows whose dates name a skipped or repeated local time (`dates.daylight_rows`)."""

    def repeats(
        self, references: list[str | None], numbers: Sequence[int]
    ) -> dict[int, CellProblem]:
        """`_duplicates` across the blocks: rows repeating a reference of this block or of
        an earlier one, each naming the first row that used it."""
        repeated = self.facts.repeated
        if not repeated:
            return {}
        first = self.first
        errors: dict[int, CellProblem] = {}
        for index, reference in enumerate(references):
            if reference is None or hash(reference) not in repeated:
                continue
            earlier = first.setdefault(reference, numbers[index])
            if earlier != numbers[index]:
                errors[index] = _repeated_reference(reference, earlier)
        return errors


def _row_errors(index: int, failures: list[tuple[str, dict[int, CellProblem]]]) -> list[RowError]:
    return [
        RowError(field=field, code=found[index].code, message=found[index].message)
        for field, found in failures
        if index in found
    ]


def _max_amount(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise ConfigError(f"input.max_amount: {text!r} is not a number") from exc
    if not value.is_finite() or value <= 0 or value > AMOUNT_CEILING:
        raise ConfigError(f"input.max_amount must be between 0.01 and {AMOUNT_CEILING}")
    return value


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"input.timezone: unknown time zone {name!r}") from exc
