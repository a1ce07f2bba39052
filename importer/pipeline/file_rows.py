"""A file's rows mapped and validated a block at a time (docs/pipeline.md, "Blocks").

A file of up to `INTAKE_WHOLE_ROWS` records — nearly every file — is one block, mapped and
validated once, whole. A larger CSV file is never held whole: its records are parsed a block
at a time (`sources.read_source(block_rows=…)`), first to gather what all its rows decide
for each of them (`validation.file_facts`, the field counts of its rows), then, as often as
the intake asks (`FileRows.blocks`), each block mapped and validated with those facts. What
a block needs of the blocks before it is carried along: the references already used
(`validation.rules.FileCheck`), the amounts above a total row (`TotalsCarry`). Every row
reads, and every rule decides, exactly as in the file validated whole."""

from __future__ import annotations

import os
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import compress

from importer.errors import ConfigError, InternalError
from importer.mapping import ColumnMap, MappedRows, Mapper
from importer.outcomes import ImportWarning, Outcome, RowError
from importer.pipeline.control_total import RowAmounts
from importer.row_shape import CODE as FIELD_COUNT
from importer.row_shape import field_counts, header_width, refuse_mostly_ragged
from importer.sources import Cell, Record, SourceFile
from importer.validation import CheckedColumns, Validator
from importer.validation.file_facts import FileFacts
from importer.validation.rules import FileCheck
from importer.validation.total_rows import TotalsCarry, total_rows

BLOCK_ROWS_ENV = "IMPORTER_INTAKE_BLOCK_ROWS"
WHOLE_ROWS_ENV = "IMPORTER_INTAKE_WHOLE_ROWS"


def _rows_setting(name: str, default: int) -> int | None:
    """The count of records the environment variable `name` sets (`default` unset): a whole
    number of at least 1, else None — said when a file is read (`intake_sizes`), not as a
    traceback at start-up."""
    text = os.environ.get(name, "").strip().replace("_", "")
    if not text:
        return default
    return int(text) if text.isdecimal() and int(text) >= 1 else None


INTAKE_BLOCK_ROWS = _rows_setting(BLOCK_ROWS_ENV, 100_000)
"""Records of a CSV file larger than `INTAKE_WHOLE_ROWS` mapped and validated at a time: it
is read again for each pass and never held whole (`IMPORTER_INTAKE_BLOCK_ROWS` sets it:
fewer rows, less memory; README, Performance)."""

INTAKE_WHOLE_ROWS = _rows_setting(WHOLE_ROWS_ENV, 250_000)
"""Records of a CSV file read, mapped and validated whole, at once: up to this many, a file is
one block (`IMPORTER_INTAKE_WHOLE_ROWS` sets it)."""


def intake_sizes(block_rows: int | None, whole_rows: int | None) -> tuple[int, int]:
    """(`INTAKE_BLOCK_ROWS`, `INTAKE_WHOLE_ROWS`), or a `ConfigError` naming the environment
    variable that set one to no count of records."""
    if block_rows is not None and whole_rows is not None:
        return block_rows, whole_rows
    name = BLOCK_ROWS_ENV if block_rows is None else WHOLE_ROWS_ENV
    raise ConfigError(
        f"{name} must be a whole number of records, 1 or more, not {os.environ.get(name)!r}"
    )


@dataclass(slots=True)
class Block:
    """One block's rows: their numbers, their cells as the report shows them, and their
    verdicts — total rows left out."""

    numbers: list[int]
    sources: list[Sequence[str]]
    checked: CheckedColumns

    def outcomes(self) -> list[Outcome]:
        """The rows' outcomes before anything is sent: invalid, or not sent (yet)."""
        checked = self.checked
        if not checked.invalid:
            return [Outcome.NOT_SENT] * len(checked.errors)
        return [Outcome.INVALID if e else Outcome.NOT_SENT for e in checked.errors]


@dataclass(slots=True)
class FileTally:
    """What a whole pass over a file's blocks found, for the import's record."""

    rows: int = 0
    invalid: int = 0
    warnings: list[ImportWarning] = field(default_factory=list)
    """The sheet's (hidden rows and sheets), the total rows', then the dates'."""
    amounts: RowAmounts = field(default_factory=RowAmounts)
    """The rows' validated amounts, counted and added up (`control_total.check_rows`) — when
    a control total asks for them."""


class FileRows:
    """The rows of one file, mapped and validated a block at a time (module docstring)."""

    def __init__(
        self,
        source: SourceFile,
        columns: ColumnMap,
        mapper: Mapper,
        validator: Validator,
        *,
        keep_amounts: bool = False,
        quoted: Callable[[str], str] | None = None,
    ) -> None:
        """`quoted`: what a row error's message is said through — the API key removed from
        the cells it quotes (`pipeline.quoted_key`); None: as the rules wrote it."""
        self._source = source
        self._quoted = quoted
        self._columns = columns
        self._mapper = mapper
        self._validator = validator
        self._keep_amounts = keep_amounts
        self._whole: Block | None = None
        self._hidden: list[Cell] = []
        self._tally: FileTally | None = None
        self._pass_tally = FileTally()
        self._facts: FileFacts | None = None
        self._lengths: Counter[int] | None = None
        self._has_amounts = False
        if source.more is not None:
            self._facts, self._lengths = self._gather()
            validator.begin(self._facts)  # its amount reader is the file's from here

    @property
    def tally(self) -> FileTally:
        """What a complete pass over the blocks found (one is made if none was)."""
        if self._tally is None:
            deque(self.blocks(), maxlen=0)
        assert self._tally is not None
        return self._tally

    @property
    def has_amounts(self) -> bool:
        """Some row has an amount cell (the file's decimal mark is its own:
        `intake._dialect`)."""
        if self.whole and self._whole is None:
            deque(self.blocks(), maxlen=0)  # the one block, mapped, tells
        return self._has_amounts

    @property
    def references_given(self) -> bool:
        """Every row of a file of several blocks has a creditor reference of its own."""
        return self._facts is not None and self._facts.references_given

    @property
    def repeated_notes(self) -> frozenset[int] | None:
        """`hash()` of the credit notes on two rows or more of a file of several blocks
        (None for one block: `pipeline.prediction.Prediction`)."""
        return None if self._facts is None else self._facts.repeated_notes

    @property
    def whole(self) -> bool:
        """Whether the file is one block (mapped and validated once, then kept)."""
        return self._source.more is None

    @property
    def hidden_amounts(self) -> list[Cell]:
        """The amount cells of the hidden rows left out (a workbook's: `MappedRows`)."""
        return self._hidden

    def blocks(self) -> Iterator[Block]:
        """The file's blocks in order, validated; `tally` is complete once the last is given.
        A one-block file is mapped and validated at the first call only."""
        if self.whole:
            if self._whole is None:
                self._start_tally()
                self._whole = self._one(None, None, None)
                self._tally = self._pass_tally
            yield self._whole
            return
        assert self._facts is not None  # gathered when the file has more than one block
        file = self._validator.begin(self._facts)
        carry = TotalsCarry()
        ragged = _Ragged()
        self._start_tally()
        for records in self._source.record_blocks():
            block = self._one(records, file, carry, ragged)
            if block.numbers:
                yield block
        ragged.refuse(self._source, self._columns)
        self._pass_tally.warnings += self._validator.block_warnings(file)
        self._tally = self._pass_tally

    # ---------------------------------------------------------------- the passes

    def _gather(self) -> tuple[FileFacts, Counter[int]]:
        """The first pass over a file of several blocks: the facts all its rows decide."""
        gatherer = self._validator.gather_facts()
        lengths: Counter[int] = Counter()
        header = self._columns.header_row
        for records in self._source.record_blocks():
            below = [cells for number, cells in records if number > header]
            lengths.update(field_counts(below))
            # No field counts yet (an empty Counter): a ragged file is refused after a pass.
            mapped = self._mapper.map_rows(self._source, self._columns, records, Counter())
            gatherer.add(mapped.columns)
            self._has_amounts |= bool(mapped.columns.get("amount"))
        return gatherer.facts(), lengths

    def _start_tally(self) -> None:
        self._pass_tally = FileTally()

    def _one(
        self,
        records: list[Record] | None,
        file: FileCheck | None,
        carry: TotalsCarry | None,
        ragged: _Ragged | None = None,
    ) -> Block:
        """One block mapped and validated (`records` None: the whole file, at once)."""
        mapped = self._mapper.map_rows(self._source, self._columns, records, self._lengths)
        count = len(mapped.row_numbers)
        checked = self._validator.check_columns(mapped.columns, count, mapped.row_numbers, file)
        checked = checked.with_row_errors(mapped.problems)
        if self._quoted is not None:
            checked.errors = _said_through(checked.errors, self._quoted)
        if ragged is not None:
            ragged.add(mapped)
        totals = _total_rows(mapped, checked.fields["amount"], carry)
        tally = self._pass_tally
        self._has_amounts |= bool(mapped.columns.get("amount"))
        tally.warnings += [*mapped.warnings, *totals.values(), *checked.warnings]
        if records is None:
            self._hidden = mapped.hidden_amounts
        mapped.columns.clear()
        numbers, sources = mapped.row_numbers, mapped.sources
        if totals:  # left out of the rows: a total is not a credit
            checked = checked.without_rows(set(totals))
            keep = [index not in totals for index in range(count)]
            numbers, sources = list(compress(numbers, keep)), list(compress(sources, keep))
        if len(checked.errors) != len(numbers):  # pragma: no cover - validation's contract
            raise InternalError("validation lost rows")
        tally.rows += len(numbers)
        tally.invalid += checked.invalid
        if self._keep_amounts:
            tally.amounts.add(checked.fields["amount"])
        return Block(numbers, sources, checked)


def _said_through(
    errors: list[Sequence[RowError]], quoted: Callable[[str], str]
) -> list[Sequence[RowError]]:
    """Each row's errors with their messages said through `quoted` (`FileRows`); the same
    list when no message changes."""
    said = errors
    for index in [index for index, found in enumerate(errors) if found]:
        found = errors[index]
        again = [
            error
            if (message := quoted(error.message)) == error.message
            # a RowError made like every other: validated (`RowError(...)`), not copied
            else RowError(field=error.field, code=error.code, message=message)
            for error in found
        ]
        if any(new is not old for new, old in zip(again, found, strict=True)):
            if said is errors:
                said = list(errors)
            said[index] = again
    return said


def _total_rows(
    mapped: MappedRows, amounts: Sequence[Decimal | None], carry: TotalsCarry | None
) -> dict[int, ImportWarning]:
    """The rows that total the rows above (`validation.total_rows`), by index: left out."""
    return total_rows(
        mapped.row_numbers,
        mapped.sources,
        mapped.columns.get("invoice_number", []),
        mapped.columns.get("case", []),
        amounts,
        [mapped.columns.get(key, []) for key in ("credit_invoice", "creditor_reference")],
        carry,
    )


@dataclass(slots=True)
class _Ragged:
    """The rows whose field count is not the header's, counted across the blocks: most rows
    ragged refuses the file (`row_shape.refuse_mostly_ragged`) once every block is seen."""

    ragged: int = 0
    rows: int = 0
    first: int | None = None

    def add(self, mapped: MappedRows) -> None:
        self.rows += len(mapped.row_numbers)
        for index, errors in mapped.problems.items():
            if any(error.code == FIELD_COUNT for error in errors):
                self.ragged += 1
                if self.first is None:
                    self.first = mapped.row_numbers[index]

    def refuse(self, source: SourceFile, columns: ColumnMap) -> None:
        if self.first is None or source.format != "csv":
            return
        refuse_mostly_ragged(
            self.ragged,
            self.rows,
            self.first,
            header_width(columns.header_cells),
            file=source.name,
            delimiter=source.delimiter,
        )
