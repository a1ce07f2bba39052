"""A report held column-wise, block by block (`RowBlock`): what every writer consumes, and
the summary counted from it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from itertools import compress, repeat
from operator import is_, is_not, itemgetter
from typing import Any, overload

from importer.attention import attention_kind
from importer.outcomes import OUTCOME_ORDER, Outcome, RowError
from importer.report.model import (
    KNOWN_STATUSES,
    Attempt,
    ControlLine,
    Report,
    ReportRow,
    Resolution,
    Summary,
)


def build_summary(rows: Iterable[ReportRow], read: AmountFill | None = None) -> Summary:
    """Count and add up `rows` for the report's summary.

    Every outcome is a key (zero included) so the invariant `sum(outcomes) == rows` can be read
    straight off the JSON. `amount_requested` is summed only over `credited` rows: that is the
    money that actually moved; a rejected or duplicate row's amount was never credited (it
    counts in its own outcome's control total, `amounts`). A row's amount is taken from the
    body that was sent (`request["amount"]`, a JSON number) through `Decimal(str(...))`, which
    gives the decimal the number was written as, never a binary float sum; a row without a
    body has an amount only when `read` reads it from its cell. Statuses are counted among
    credited rows only; a credited row not yet enriched (status None) is counted in no status.
    """
    rows = rows if isinstance(rows, Sequence) else list(rows)
    return summarise(blocks_of(rows), read=read)


def table_columns(report: Report) -> list[str]:
    """The file's own columns: `Report.columns`, or — when a producer left it empty — the
    source keys in order of first appearance, so no raw cell is silently dropped."""
    if report.columns or not report.rows:
        return list(report.columns)
    seen: dict[str, None] = {}
    for row in report.rows:
        for key in row.source:
            if key not in seen:
                seen[key] = None
    return list(seen)


BLOCK_ROWS = 5000
"""Rows per `RowBlock`: what one writer step holds in memory at a time."""


class RequestColumns(Sequence[dict[str, Any] | None]):
    """A block's requests held column-wise, as validation produces them: `fields` maps each
    request field (in the model's order) to one value per row; `present[i]` is False for a
    row without a request (None: every row has one). As a sequence it is the rows' dicts,
    made on demand, as `RowBlock.request` promises; report.json reads the columns directly,
    so a 200,000-row dry run never builds a dict per row."""

    __slots__ = ("_count", "fields", "present")

    def __init__(
        self, fields: dict[str, list[Any]], present: list[bool] | None, count: int
    ) -> None:
        self.fields = fields
        self.present = present
        self._count = count

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[dict[str, Any] | None]:
        return map(self.__getitem__, range(self._count))

    @overload
    def __getitem__(self, index: int) -> dict[str, Any] | None: ...
    @overload
    def __getitem__(self, index: slice) -> RequestColumns: ...
    def __getitem__(self, index: int | slice) -> dict[str, Any] | RequestColumns | None:
        if isinstance(index, slice):
            return RequestColumns(
                {name: values[index] for name, values in self.fields.items()},
                None if self.present is None else self.present[index],
                len(range(self._count)[index]),
            )
        if self.present is not None and not self.present[index]:
            return None
        return {name: values[index] for name, values in self.fields.items()}


@dataclass(slots=True)
class RowBlock:
    """A run of consecutive report rows held column-wise: what the writers consume.

    A report is rendered block by block, every block fed to every requested writer in turn,
    so the whole list of `ReportRow`s never has to exist (a 200,000-row dry run renders
    straight from the rows it validated). Column-wise, because then a writer's work is a few
    C-level passes per column instead of Python code per row — the difference between
    report.json costing 2 s and 0.3 s on 200,000 rows.

    Each list holds one entry per row, in row order, with the meaning of the `ReportRow`
    field of the same name. A column that is None is None (or empty) on every row. `source`
    holds either each row's raw cells in `Report.columns` order (`keyed` False; a shorter
    row lacks the trailing columns, extra cells are dropped — as `dict(zip(columns, cells))`)
    or each row's `ReportRow.source` dict (`keyed` True)."""

    row: list[int]
    outcome: list[Outcome]
    source: list[Any]
    request: Sequence[dict[str, Any] | None]  # a list, or `RequestColumns`
    errors: list[Sequence[RowError]]
    keyed: bool = False
    id: list[str | None] | None = None
    status: list[str | None] | None = None
    status_reason_locale: list[str | None] | None = None
    settled_amount: list[Decimal | None] | None = None
    http_status: list[int | None] | None = None
    duplicate_of: list[dict[str, Any] | None] | None = None
    case_invoice_number: list[str | None] | None = None
    case_reference_number: list[str | None] | None = None
    original_source: list[dict[str, str] | None] | None = None
    attempts: list[list[Attempt]] | None = None
    resolution: list[Resolution | None] | None = None

    def __len__(self) -> int:
        return len(self.row)

    @classmethod
    def of_rows(cls, rows: Sequence[ReportRow]) -> RowBlock:
        """The block of some `ReportRow`s (a report built as models)."""
        return cls.of_values([row.__dict__ for row in rows])

    @classmethod
    def of_values(cls, rows: Sequence[dict[str, Any]]) -> RowBlock:
        """The block of rows given as the values of `ReportRow`s, under its field names
        (what the journal's rows become: no model is built for a row only to be taken
        apart into columns again)."""
        column = _value_column(rows)
        return cls(
            row=column("row"),
            outcome=column("outcome"),
            source=column("source"),
            request=column("request"),
            errors=column("errors"),
            keyed=True,
            **{name: _or_none(column(name)) for name in _OPTIONAL_COLUMNS},
        )

    def sources(self, columns: Sequence[str]) -> list[dict[str, str]]:
        """Each row's `ReportRow.source`."""
        if self.keyed:
            return self.source
        return [dict(zip(columns, cells, strict=False)) for cells in self.source]

    def report_rows(self, columns: Sequence[str]) -> list[ReportRow]:
        """The block as `ReportRow` models (built unchecked: the values come from a report
        already checked, or from validation)."""
        count = len(self.row)
        none = [None] * count
        values: dict[str, Any] = {
            "row": self.row,
            "outcome": self.outcome,
            "source": self.sources(columns),
            "request": self.request,
            "errors": [list(e) for e in self.errors],
            "attempts": self.attempts or [[] for _ in range(count)],
        }
        for name in _OPTIONAL_COLUMNS[:-1]:
            values[name] = getattr(self, name) or none
        names = list(values)
        return [
            ReportRow.model_construct(**dict(zip(names, fields, strict=True)))
            for fields in zip(*values.values(), strict=True)
        ]


_OPTIONAL_COLUMNS: tuple[str, ...] = (
    "id",
    "status",
    "status_reason_locale",
    "settled_amount",
    "http_status",
    "duplicate_of",
    "case_invoice_number",
    "case_reference_number",
    "original_source",
    "resolution",
    "attempts",
)


def _value_column(rows: Sequence[dict[str, Any]]) -> Callable[[str], list[Any]]:
    return lambda name: list(map(itemgetter(name), rows))


def _or_none(values: list[Any]) -> list[Any] | None:
    """None for a column that is None (or an empty list) on every row."""
    empty: list[object] = [None, []]
    return None if all(v in empty for v in values) else values


def blocks_of(rows: Sequence[ReportRow], size: int = BLOCK_ROWS) -> Iterator[RowBlock]:
    for start in range(0, len(rows), size):
        yield RowBlock.of_rows(rows[start : start + size])


AmountFill = Callable[["RowBlock", list[Decimal | None]], list[Decimal | None]]
"""Fills in the amounts of a block's rows without a request from their cells
(`importer.pipeline.amounts_read.AmountReader.fill`)."""


def summarise(
    blocks: Iterable[RowBlock], *, dry_run: bool = False, read: AmountFill | None = None
) -> Summary:
    """The summary, from the report's blocks: what `build_summary` computes (see there),
    plus the control totals (`amount_read`, `amounts` per outcome, `rows_without_amount`):
    a row's amount is its request's, or — `read` given — the amount its cell shows.

    In a dry run nothing is credited, so `amount_requested` is what would be asked for: the
    total of the rows that would be sent (valid, not duplicate: `not_sent`)."""
    outcomes: dict[str, int] = {outcome.value: 0 for outcome in OUTCOME_ORDER}
    amounts: dict[str, Decimal] = {outcome.value: Decimal(0) for outcome in OUTCOME_ORDER}
    statuses: dict[str, int] = dict.fromkeys(KNOWN_STATUSES, 0)
    settled = Decimal(0)
    count = 0
    unread = 0
    credited = Outcome.NOT_SENT if dry_run else Outcome.CREDITED
    creditors: dict[str, None] = {}
    resolved: Counter[str] = Counter()
    corrected = ControlLine()
    for block in blocks:
        count += len(block.row)
        if block.resolution is not None:
            resolved.update(_resolved_kinds(block))
        for outcome, seen in Counter(block.outcome).items():
            outcomes[outcome.value] = outcomes.get(outcome.value, 0) + seen
        found = block_amounts(block)
        if read is not None:
            found = read(block, found)
        unread += sum(map(is_, found, repeat(None)))  # by identity: no Decimal ==
        _add_amounts(amounts, block.outcome, found)
        if read is not None and block.original_source is not None:
            _add_corrections(corrected, block, found, read)
        creditors.update(dict.fromkeys(_creditors(block.request)))
        if credited not in block.outcome:
            continue
        if block.settled_amount is None and (dry_run or block.status is None):
            continue  # no status to count, no settled amount to add (a dry run's blocks)
        none = repeat(None)
        for outcome, status, amount in zip(
            block.outcome, block.status or none, block.settled_amount or none, strict=False
        ):
            if outcome is not credited:
                continue
            if status is not None and not dry_run:
                statuses[status] = statuses.get(status, 0) + 1
            if amount is not None:
                settled += amount
    return Summary(
        rows=count,
        outcomes=outcomes,
        statuses=statuses,
        amount_requested=amounts[credited.value],
        amount_settled=settled,
        amount_read=sum(amounts.values(), Decimal(0)),
        amounts=amounts,
        resolved=resolved.total(),
        resolved_kinds=dict(resolved),
        rows_without_amount=unread,
        corrected=corrected,
        creditors=list(creditors),
    )


def _add_corrections(
    line: ControlLine, block: RowBlock, now: list[Decimal | None], read: AmountFill
) -> None:
    """Add to `line` the block's corrected rows whose amount changed, and the change: `now`
    (each row's amount as summed) less the amount `read` reads from the cells the file first
    had (`original_source`), an unreadable amount counting as none on either side."""
    originals = block.original_source or []
    at = [index for index, cells in enumerate(originals) if cells is not None]
    if not at:
        return
    first = RowBlock(
        row=[block.row[i] for i in at],
        outcome=[block.outcome[i] for i in at],
        source=[originals[i] for i in at],
        request=[None] * len(at),
        errors=[() for _ in at],
        keyed=True,
    )
    for index, was in zip(at, read(first, [None] * len(at)), strict=True):
        amount = now[index]
        if amount == was:
            continue
        line.rows += 1
        line.amount += (amount or Decimal(0)) - (was or Decimal(0))


def _resolved_kinds(block: RowBlock) -> Iterator[str]:
    """The `importer.attention` kind of each resolved row of the block."""
    statuses = block.status or [None] * len(block.row)
    for outcome, status, errors, resolution in zip(
        block.outcome, statuses, block.errors, block.resolution or (), strict=False
    ):
        if resolution is not None:
            yield attention_kind(outcome, status, errors)


def _add_amounts(
    totals: dict[str, Decimal], outcomes: list[Outcome], amounts: list[Decimal | None]
) -> None:
    """Add a block's amounts to `totals` per outcome: one C-level sum per outcome present
    (a block is nearly always one or two outcomes), not a dict update per row."""
    kinds = set(outcomes)
    for kind in kinds:
        chosen = amounts if len(kinds) == 1 else compress(amounts, [o is kind for o in outcomes])
        present: list[Decimal] = list(filter(_not_none, chosen))  # type: ignore[arg-type]
        if present:
            totals[kind.value] = totals.get(kind.value, Decimal(0)) + sum(present, Decimal(0))


_not_none = partial(is_not, None)


def block_amounts(block: RowBlock) -> list[Decimal | None]:
    """Each row's requested amount as a Decimal (None for a row without a request body).

    The body holds a Decimal (from validation or the journal) or a JSON number (from a report
    read back); `Decimal(str(...))` gives the decimal a number was written as, never a binary
    float sum."""
    requests = block.request
    values: list[Any]
    if isinstance(requests, RequestColumns) and "amount" in requests.fields:
        values = requests.fields["amount"]
        present = requests.present
        if present is not None and not all(present):
            values = [v if there else None for v, there in zip(values, present, strict=True)]
    else:
        values = [None if r is None else r.get("amount") for r in requests]
    if set(map(type, values)) <= {Decimal, type(None)}:
        return values
    return [None if v is None else v if v.__class__ is Decimal else Decimal(str(v)) for v in values]


def _creditors(requests: Sequence[dict[str, Any] | None]) -> Iterable[str]:
    """The creditor ids of a block's requests (with repeats; column-wise when it can)."""
    if isinstance(requests, RequestColumns):
        column = requests.fields.get("creditor", [])
        present = requests.present
        return column if present is None else compress(column, present)
    return [r["creditor"] for r in requests if r is not None and r.get("creditor")]
