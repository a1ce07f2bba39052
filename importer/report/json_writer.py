"""The file import report (DESIGN.md §4): rendered from the journal, never from memory, so it can
be regenerated at any time and a rerun updates it in place.

`report.json` is the machine contract; `report.csv` and `report.xlsx` are for people (original
columns plus outcome columns)."""

from __future__ import annotations

import codecs
import json.encoder
import math
import os
import queue
import re
import secrets
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from itertools import compress, repeat
from operator import itemgetter
from pathlib import Path
from typing import Any, BinaryIO, Protocol, overload

import orjson
from pydantic import BaseModel, ConfigDict, Field, field_serializer

from importer.bulk import gc_paused
from importer.errors import ConfigError
from importer.outcomes import OUTCOME_ORDER, Outcome, RowError


class Attempt(BaseModel):
    """One try at posting a row (or at reconciling it)."""

    at: datetime
    outcome: Outcome
    http_status: int | None = None
    note: str | None = None

    @field_serializer("at", when_used="json")
    def _at_json(self, value: datetime) -> datetime:
        return _utc(value)


class ReportRow(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    row: int
    """Row number as a spreadsheet shows it (1-based, header and title rows counted)."""
    outcome: Outcome
    id: str | None = Field(default=None, alias="_id")
    status: str | None = None
    status_reason_locale: str | None = None
    settled_amount: Decimal | None = None
    http_status: int | None = None
    errors: list[RowError] = Field(default_factory=list)
    request: dict[str, Any] | None = None
    """The JSON body sent (or, in a dry run, that would be sent). Amounts are JSON numbers;
    fields that are None here were not sent and are left out of report.json."""
    source: dict[str, str] = Field(default_factory=dict)
    """The raw cells, keyed by the file's own header text, in the file's column order."""
    duplicate_of: dict[str, Any] | None = None
    """For `duplicate`: {"file_import_report", "row", "_id"} of the original."""
    case_invoice_number: str | None = None
    case_reference_number: str | None = None
    attempts: list[Attempt] = Field(default_factory=list)

    @field_serializer("settled_amount", when_used="json")
    def _settled_json(self, value: Decimal | None) -> str | None:
        return None if value is None else _money(value)

    @field_serializer("request", when_used="json")
    def _request_json(self, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if value is None else _request_json(value)


class FileInfo(BaseModel):
    name: str
    sha256: str
    format: str
    rows: int


class Summary(BaseModel):
    rows: int
    outcomes: dict[str, int]
    """Every outcome of DESIGN.md §3 as a key, zero included; they add up to `rows`."""
    statuses: dict[str, int]
    """Counts of `status` among credited rows (completed / warning / error)."""
    amount_requested: Decimal
    """Sum of `amount` over rows that were credited (what was asked for)."""
    amount_settled: Decimal
    """Sum of `settled_amount` over credited rows."""

    @field_serializer("amount_requested", "amount_settled", when_used="json")
    def _money_json(self, value: Decimal) -> str:
        return _money(value)

    @field_serializer("outcomes", when_used="json")
    def _outcomes_json(self, value: dict[str, int]) -> dict[str, int]:
        return order_outcomes(value)

    @field_serializer("statuses", when_used="json")
    def _statuses_json(self, value: dict[str, int]) -> dict[str, int]:
        return order_statuses(value)


class Report(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    file_import_report: str
    """The import id."""
    file: FileInfo
    api: dict[str, str]
    """{"base_url": ...}; never the key."""
    dry_run: bool = False
    sandbox: bool = False
    """True when the target was the embedded sandbox: no real credits were issued."""
    started: datetime
    finished: datetime | None = None
    file_errors: list[RowError] = Field(default_factory=list)
    """Why the file was rejected as a whole (then `rows` is empty), or file-level warnings."""
    warnings: list[str] = Field(default_factory=list)
    columns: list[str] = Field(default_factory=list)
    """The file's own header texts in order (the original columns of report.csv/xlsx)."""
    summary: Summary
    rows: list[ReportRow]
    """Last, so report.json can stream rows after the head (see _write_json)."""

    @field_serializer("started", "finished", when_used="json")
    def _time_json(self, value: datetime | None) -> datetime | None:
        return None if value is None else _utc(value)


# --------------------------------------------------------------------------------------------
# Summary
# --------------------------------------------------------------------------------------------

KNOWN_STATUSES: tuple[str, ...] = ("completed", "warning", "error")
"""The processing statuses of a stored crediting (DESIGN.md §1); always present in
`Summary.statuses`, zero included, so a consumer never has to guess whether a key is missing
because it is zero or because it was forgotten."""


def build_summary(rows: Iterable[ReportRow]) -> Summary:
    """Count and add up `rows` for the report's summary.

    Every outcome is a key (zero included) so the invariant `sum(outcomes) == rows` can be read
    straight off the JSON. Amounts are summed only over `credited` rows: that is the money that
    actually moved; a rejected or duplicate row's amount was never credited. The requested
    amount is taken from the body that was sent (`request["amount"]`, a JSON number) through
    `Decimal(str(...))`, which gives the decimal the number was written as, never a binary
    float sum. Statuses are counted among credited rows only; a credited row not yet enriched
    (status None) is counted in no status.
    """
    rows = rows if isinstance(rows, Sequence) else list(rows)
    return summarise(blocks_of(rows))


# --------------------------------------------------------------------------------------------
# Shared cell rules
# --------------------------------------------------------------------------------------------

FORMATS: tuple[str, ...] = ("json", "csv", "xlsx")

OUTCOME_COLUMNS: tuple[str, ...] = (
    "row",
    "outcome",
    "_id",
    "status",
    "status_reason_locale",
    "settled_amount",
    "http_status",
    "errors",
    "duplicate_of",
    "attempts",
)
"""The columns appended after the file's own columns in report.csv / report.xlsx. The row
number column is called `row` so that a corrected report.csv can be fed back with
`importer rerun --fix report.csv` (issue 4 §4): the rows are matched by that number."""

_FORMULA_START = frozenset("=+-@\t\r")
"""First characters that make Excel/LibreOffice treat a cell as a formula (OWASP CSV
injection list). A frozenset of single characters, so `""[:1]` (an empty cell) is never in it."""

_PLAIN_NUMBER = re.compile(
    r"[+-]?(?=[\d.,])(?:\d+|\d{1,3}(?:[ \u00a0\u202f.,']\d{3})+)?(?:[.,]\d+)?\s*\Z"
)
"""A cell that is entirely one number: optional sign, digits with optional thousands
separators (space, no-break space, narrow no-break space, '.', ',', "'"), optional decimals
after '.' or ','. Such a cell is exempt from neutralisation: a spreadsheet evaluates "-100.00"
to the number -100 and nothing else — there is no function, reference or operator for an
attacker to smuggle in — while prefixing it would turn every negative amount (credit notes are
full of them) into text that no longer sums and would no longer validate when fed back with
`--fix`. Anything more ("-2+3", "-1+cmd|...", "+46 70 123 45 67") is neutralised."""


def _neutralise(text: str) -> str:
    """Prefix a text that a spreadsheet would run as a formula with an apostrophe.

    Only called for texts whose first character is in `_FORMULA_START` (the callers test that
    inline, because it is the hot path of 200,000-row reports)."""
    if _PLAIN_NUMBER.match(text):
        return text
    return "'" + text


def safe_text(text: str) -> str:
    """The formula-neutralisation rule of report.csv and report.xlsx for one text cell."""
    if text[:1] in _FORMULA_START:
        return _neutralise(text)
    return text


def _money(value: Decimal) -> str:
    """Money as a decimal string with exactly two decimals ("100.00"), never a float, never
    "-0.00" (DESIGN.md §4)."""
    if not value:
        return "0.00"
    return f"{value:.2f}"


def iso_utc(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a `Z`, as text: for the Summary sheet, because Excel cannot store a
    time zone. Same rule as report.json (see `_utc`)."""
    if moment is None:
        return None
    return _utc(moment).replace(tzinfo=None).isoformat() + "Z"


def _errors_text(errors: list[RowError]) -> str:
    """Row errors in one cell: "field: message; field: message" (a row-level error, with no
    field, is just its message)."""
    return "; ".join(f"{e.field}: {e.message}" if e.field else e.message for e in errors)


def _duplicate_text(original: dict[str, Any] | None) -> str:
    """Where the original of a duplicate is, the way an operator would look it up:
    "import <id> row <n>"."""
    if not original:
        return ""
    parts = []
    if original.get("file_import_report") is not None:
        parts.append(f"import {original['file_import_report']}")
    if original.get("row") is not None:
        parts.append(f"row {original['row']}")
    if not parts and original.get("_id") is not None:
        parts.append(f"_id {original['_id']}")
    return " ".join(parts)


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


# --------------------------------------------------------------------------------------------
# Atomic files
# --------------------------------------------------------------------------------------------

_TEMP_RE = re.compile(r"\.report\.(?:json|csv|xlsx)\.(\d+)\.[0-9a-f]+\.tmp\Z")


@contextmanager
def _atomic(path: Path) -> Iterator[BinaryIO]:
    """Open a temporary file beside `path`, yield it, and on success fsync it and `os.replace`
    it over `path`: a reader (or a crash) sees the old report or the new one, never half of
    one. The temporary file is in the same directory because a rename is only atomic within
    one file system. It is created with mode 0o666 so the umask, not a hard-coded 0o600, sets
    who may read the report. On any error the temporary file is removed."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with suppress(OSError):
            temp.unlink()
        raise
    _fsync_directory(path.parent)


class _WriteBehind:
    """A write-only handle whose bytes reach the file on a thread of its own.

    Copying a large report into the file (report.json of 200,000 rows is ~140 MB) is a
    system call that releases the GIL: done behind the renderer, it overlaps with rendering
    the next block instead of adding to it (measured: a tenth of a large `validate`). At most
    `depth` blocks wait, so memory stays bounded by a few blocks. `close` waits for the last
    write and raises the first write error (a full disk), so no failure passes silently."""

    def __init__(self, handle: BinaryIO, depth: int = 4) -> None:
        self._handle = handle
        self._pending: queue.Queue[bytes | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._drain, name="report-writer", daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        while (data := self._pending.get()) is not None:
            if self._error is None:
                try:
                    self._handle.write(data)
                except BaseException as exc:  # raised to the renderer by write/close
                    self._error = exc

    def write(self, data: bytes) -> int:
        if self._error is not None:
            raise self._error
        self._pending.put(data)
        return len(data)

    def close(self) -> None:
        """Wait for every queued write; raise the first write error."""
        if self._thread.is_alive():
            self._pending.put(None)
            self._thread.join()
        if self._error is not None:
            raise self._error


@contextmanager
def _written_behind(handle: BinaryIO) -> Iterator[BinaryIO]:
    behind = _WriteBehind(handle)
    try:
        yield behind  # type: ignore[misc]  # write-only: all the streamed writers need
    except BaseException:
        with suppress(BaseException):
            behind.close()
        raise
    behind.close()


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove_stale_temps(directory: Path) -> None:
    """Delete temporary report files left by a writer that was killed (SIGKILL gives no chance
    to clean up). Only files of processes that no longer exist are touched, so a concurrent
    writer's temporary file is left alone."""
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for entry in entries:
        match = _TEMP_RE.match(entry.name)
        if match is None or _process_alive(int(match.group(1))):
            continue
        with suppress(OSError):
            os.unlink(entry.path)


def _process_alive(pid: int) -> bool:
    """Signal 0 probes without touching the process; "no such process" is the only answer
    that proves it is gone (a permission error means it exists under another user)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


# --------------------------------------------------------------------------------------------
# report.json
# --------------------------------------------------------------------------------------------


def _utc(moment: datetime) -> datetime:
    """A datetime in UTC, which pydantic then writes as ISO 8601 with `Z`. A naive datetime is
    taken to be UTC already: the journal stores UTC, and guessing the local zone would shift
    times by the server's offset. The identity test is the fast path for the usual case."""
    if moment.tzinfo is UTC:
        return moment
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _json_number(value: Decimal) -> int | float:
    """A Decimal of the request body as the JSON number it went out as: int when whole, else
    float — amounts have two decimals and far fewer than 15 significant digits, so the float
    prints back exactly as the decimal."""
    if not value.is_finite():
        raise ValueError(f"non-finite amount {value} cannot be written to JSON")
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def _request_json(body: dict[str, Any]) -> dict[str, Any]:
    """The request as sent: absent (None) fields left out, and the amount a JSON number.
    Pydantic would write a Decimal as a string, which would misstate what the API received.
    `amount` is the only money field of a request."""
    sent = {k: v for k, v in body.items() if v is not None}
    amount = sent.get("amount")
    if amount.__class__ is Decimal:
        sent["amount"] = _json_number(amount)
    return sent


def _ordered_counts(order: tuple[str, ...]) -> Callable[[dict[str, int]], dict[str, int]]:
    """Counts in the vocabulary's order, then any other keys sorted: stable key order whoever
    built the Summary."""

    def ordered(counts: dict[str, int]) -> dict[str, int]:
        result = {key: counts[key] for key in order if key in counts}
        result.update(sorted((k, v) for k, v in counts.items() if k not in result))
        return result

    return ordered


order_outcomes = _ordered_counts(tuple(o.value for o in OUTCOME_ORDER))
order_statuses = _ordered_counts(KNOWN_STATUSES)


_ORJSON_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC

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
    attempts: list[list[Attempt]] | None = None

    def __len__(self) -> int:
        return len(self.row)

    @classmethod
    def of_rows(cls, rows: Sequence[ReportRow]) -> RowBlock:
        """The block of some `ReportRow`s (a report built as models)."""
        column = _model_column(rows)
        return cls(
            row=column("row"),  # type: ignore[arg-type]
            outcome=column("outcome"),  # type: ignore[arg-type]
            source=column("source"),
            request=column("request"),  # type: ignore[arg-type]
            errors=column("errors"),  # type: ignore[arg-type]
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
    "attempts",
)


def _model_column(rows: Sequence[ReportRow]) -> Callable[[str], list[Any]]:
    dicts = [row.__dict__ for row in rows]
    return lambda name: list(map(itemgetter(name), dicts))


def _or_none(values: list[Any]) -> list[Any] | None:
    """None for a column that is None (or an empty list) on every row."""
    empty = [None, []]
    return None if all(v in empty for v in values) else values


def blocks_of(rows: Sequence[ReportRow], size: int = BLOCK_ROWS) -> Iterator[RowBlock]:
    for start in range(0, len(rows), size):
        yield RowBlock.of_rows(rows[start : start + size])


def summarise(blocks: Iterable[RowBlock]) -> Summary:
    """The summary, from the report's blocks: what `build_summary` computes (see there)."""
    outcomes: dict[str, int] = {outcome.value: 0 for outcome in OUTCOME_ORDER}
    statuses: dict[str, int] = dict.fromkeys(KNOWN_STATUSES, 0)
    requested = Decimal(0)
    settled = Decimal(0)
    count = 0
    credited = Outcome.CREDITED
    for block in blocks:
        count += len(block.row)
        for outcome, seen in Counter(block.outcome).items():
            outcomes[outcome.value] = outcomes.get(outcome.value, 0) + seen
        if credited not in block.outcome:
            continue
        none = repeat(None)
        for outcome, status, request, amount in zip(
            block.outcome,
            block.status or none,
            block.request,
            block.settled_amount or none,
            strict=False,
        ):
            if outcome is not credited:
                continue
            if status is not None:
                statuses[status] = statuses.get(status, 0) + 1
            if request is not None and request.get("amount") is not None:
                requested += Decimal(str(request["amount"]))
            if amount is not None:
                settled += amount
    return Summary(
        rows=count,
        outcomes=outcomes,
        statuses=statuses,
        amount_requested=requested,
        amount_settled=settled,
    )


# JSON of one block, column by column. `encode_basestring` is the C function the json module
# writes strings with: only the escapes JSON requires, non-ASCII kept, exactly as orjson and
# pydantic write a string (a test holds them equal).
_json_text = json.encoder.c_encode_basestring or json.encoder.encode_basestring  # type: ignore[attr-defined]
_OUTCOME_JSON = {outcome: _json_text(outcome.value) for outcome in Outcome}
_NULL = "null"


def _json_any(value: Any) -> str:
    return _NULL if value is None else orjson.dumps(value, option=_ORJSON_OPTIONS).decode()


def _json_texts(values: Sequence[Any]) -> list[str]:
    """JSON of a column of texts (None as null; anything else as orjson writes it)."""
    try:
        return list(map(_json_text, values))
    except TypeError:
        return list(map(_json_text_or_any, values))


def _json_text_or_any(value: Any) -> str:
    return _json_text(value) if isinstance(value, str) else _json_any(value)


def _json_amounts(values: Sequence[Any]) -> list[str]:
    """JSON numbers of request amounts (no None among them), each exactly as
    `orjson.dumps(_json_number(amount))` writes it for a Decimal (and as orjson writes
    anything else): for a column of Decimals, one float conversion and one orjson call for
    the whole column."""
    if set(map(type, values)) == {Decimal}:
        numbers: list[Any] = list(map(float, values))
        if not all(map(math.isfinite, numbers)):
            for value in values:
                _json_number(value)  # raises for the first non-finite amount
        wholes = list(map(float.is_integer, numbers))
        if any(wholes):
            for index in [i for i, whole in enumerate(wholes) if whole]:
                numbers[index] = _json_number(values[index])
        return orjson.dumps(numbers).decode().removeprefix("[").removesuffix("]").split(",")
    return [_json_any(_json_number(v) if v.__class__ is Decimal else v) for v in values]


def _json_objects(dicts: list[dict[str, Any]], amount: str | None = None) -> list[str]:
    """JSON objects of dicts, leaving out None values (the way `_request_json` does; source
    dicts hold no None). `amount` names the key whose Decimal values are written as JSON
    numbers."""
    parts = _object_parts(dicts, amount)
    if parts is None:
        return [
            orjson.dumps(_request_json(d) if amount else d, option=_ORJSON_OPTIONS).decode()
            for d in dicts
        ]
    return _join_parts(parts, len(dicts))


def _object_parts(dicts: list[dict[str, Any]], amount: str | None = None) -> list[Any] | None:
    """`_json_objects` as parts for `_join_parts`, column-wise: when every dict has the same
    keys in the same order — always so for a validated file. None when they do not."""
    count = len(dicts)
    if not count:
        return []
    shapes = set(map(tuple, dicts))
    if len(shapes) != 1:
        return None
    (keys,) = shapes
    if not keys:
        return ["{}"]
    return _columns_parts(keys, [list(map(itemgetter(key), dicts)) for key in keys], count, amount)


def _columns_parts(
    keys: Sequence[str], values: list[list[Any]], count: int, amount: str | None = None
) -> list[Any]:
    """`_object_parts` of objects given column-wise: `values[k]` holds key k's value on each
    of `count` rows (None: the key is left out on that row)."""
    if not keys:
        return ["{}"]
    parts: list[Any] = []
    first_always = None  # whether the first key written is present on every row
    for key, column in zip(keys, values, strict=True):
        prefix = "," + _json_text(key) + ":"
        encoded = _json_value_column(column, key == amount)
        if encoded is None:
            continue  # None on every row: left out
        if isinstance(encoded, tuple):  # None on some rows
            if first_always is None:
                first_always = False
            made = iter(encoded[0])
            parts.append(["" if v is None else prefix + next(made) for v in column])
            continue
        if first_always is None:
            first_always = True
            prefix = "{" + prefix[1:]
        parts += (prefix, encoded)
    if first_always is None:
        return ["{}"]
    parts.append("}")
    if first_always:
        return parts
    joined = _join_parts(parts, count)
    return [["{" + text[1:] if text != "}" else "{}" for text in joined]]


def _json_value_column(column: Sequence[Any], amount: bool) -> Any:
    """JSON of one key's values: None when all are None; one text when all are equal (a
    constant column: `_join_parts` folds it into the template); a list of texts when none
    is None; else a 1-tuple holding the texts of the values that are not None."""
    first = column[0]
    if column.count(first) == len(column):
        if first is None:
            return None
        return (_json_amounts if amount else _json_texts)([first])[0]
    if amount:
        if set(map(type, column)) == {Decimal}:
            return _json_amounts(column)
    else:
        try:
            return list(map(_json_text, column))
        except TypeError:
            pass
    present = [v for v in column if v is not None]
    encoded = _json_amounts(present) if amount else _json_texts(present)
    if len(present) == len(column):
        return encoded
    return (encoded,)


def _join_parts(parts: list[Any], count: int) -> list[str]:
    """Per row, the concatenation of `parts` — each a text (the same on every row) or a list
    of one text per row — by C-level joins; adjacent constant texts are merged first."""
    merged: list[Any] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        else:
            merged.append(part)
    if all(isinstance(part, str) for part in merged):
        return ["".join(merged)] * count
    return list(
        map(
            "".join,
            zip(*[repeat(p, count) if isinstance(p, str) else p for p in merged], strict=False),
        )
    )


def _source_parts(block: RowBlock, columns: Sequence[str]) -> list[Any]:
    """The `source` objects of a block as parts for `_join_parts`."""
    if (
        not block.keyed
        and columns
        and len(set(columns)) == len(columns)
        and set(map(len, block.source)) == {len(columns)}
    ):
        parts: list[Any] = []
        transposed = zip(*block.source, strict=True)
        for index, (key, cells) in enumerate(zip(columns, transposed, strict=True)):
            first = cells[0]
            encoded = _json_text(first) if cells.count(first) == len(cells) else _json_texts(cells)
            parts += (("{" if index == 0 else ",") + _json_text(key) + ":", encoded)
        parts.append("}")
        return parts
    sources = block.sources(columns)
    parts_or_none = _object_parts(sources)
    if parts_or_none is None:
        return [[orjson.dumps(s).decode() for s in sources]]
    return parts_or_none


def _request_parts(requests: Sequence[dict[str, Any] | None]) -> list[Any]:
    """The `request` objects of a block (null for a row without one) as parts."""
    if isinstance(requests, RequestColumns):
        return _request_columns_parts(requests)
    present = [r for r in requests if r is not None]
    if len(present) == len(requests):
        parts = _object_parts(present, amount="amount")
        if parts is not None:
            return parts
    encoded = _json_objects(present, amount="amount")
    if len(present) == len(requests):
        return [encoded]
    made = iter(encoded)
    return [[_NULL if r is None else next(made) for r in requests]]


def _request_columns_parts(requests: RequestColumns) -> list[Any]:
    """`_request_parts` straight from the columns: no dict per row."""
    count = len(requests)
    keys = list(requests.fields)
    if requests.present is None:
        return _columns_parts(keys, list(requests.fields.values()), count, amount="amount")
    present = requests.present
    values = [list(compress(column, present)) for column in requests.fields.values()]
    made = iter(_join_parts(_columns_parts(keys, values, sum(present), amount="amount"), count))
    return [[next(made) if there else _NULL for there in present]]


def _json_lists(values: list[Any] | None, dump: Callable[[Any], Any]) -> str | list[str]:
    if values is None or not any(values):
        return "[]"
    return [
        orjson.dumps([dump(i) for i in items], option=_ORJSON_OPTIONS).decode() if items else "[]"
        for items in values
    ]


def _json_column(values: list[Any] | None, encode: Callable[[Any], str] | None = None) -> Any:
    if values is None or values.count(None) == len(values):
        return _NULL
    if encode is None:
        return _json_texts(values)
    return [_NULL if v is None else encode(v) for v in values]


def _json_money(value: Decimal) -> str:
    return '"' + _money(value) + '"'


def json_rows(block: RowBlock, columns: Sequence[str]) -> list[str]:
    """The rows of report.json for one block, each exactly as
    `ReportRow.model_dump_json(by_alias=True)` writes it (a test holds them equal, byte for
    byte) — built column-wise: the same text ~6 times faster than one orjson call per row."""
    count = len(block.row)
    if not count:
        return []
    parts: list[Any] = [
        '{"row":',
        list(map(str, block.row)),
        ',"outcome":',
        list(map(_OUTCOME_JSON.__getitem__, block.outcome)),
        ',"_id":',
        _json_column(block.id),
        ',"status":',
        _json_column(block.status),
        ',"status_reason_locale":',
        _json_column(block.status_reason_locale),
        ',"settled_amount":',
        _json_column(block.settled_amount, _json_money),
        ',"http_status":',
        _json_column(block.http_status, _json_any),
        ',"errors":',
        _json_lists(block.errors, _dict_of),
        ',"request":',
        *_request_parts(block.request),
        ',"source":',
        *_source_parts(block, columns),
        ',"duplicate_of":',
        _json_column(block.duplicate_of, _json_any),
        ',"case_invoice_number":',
        _json_column(block.case_invoice_number),
        ',"case_reference_number":',
        _json_column(block.case_reference_number),
        ',"attempts":',
        _json_lists(block.attempts, _dict_of),
        "}",
    ]
    return _join_parts(parts, count)


_JSON_KEYS = (
    "row", "outcome", "_id", "status", "status_reason_locale", "settled_amount", "http_status",
    "errors", "request", "source", "duplicate_of", "case_invoice_number",
    "case_reference_number", "attempts",
)  # fmt: skip
if tuple(f.alias or n for n, f in ReportRow.model_fields.items()) != _JSON_KEYS:
    raise RuntimeError("json_rows must follow ReportRow's fields")  # pragma: no cover


def _dict_of(model: BaseModel) -> dict[str, Any]:
    return model.__dict__


class _JsonWriter:
    """report.json: the head on the first line, then one row per line — valid JSON either way,
    and `grep`/`diff` work on a 200,000-row report. `rows` is the last field of `Report`, so
    writing it after the head keeps the model's key order."""

    def __init__(self, report: Report, columns: list[str], handle: BinaryIO) -> None:
        if list(Report.model_fields)[-1] != "rows":  # pragma: no cover - guards a model change
            raise RuntimeError("Report.rows must stay the last field of report.json")
        head = Report.__pydantic_serializer__.to_json(report, by_alias=True, exclude={"rows"})
        handle.write(head[:-1])
        handle.write(b',"rows":[')
        self._handle = handle
        self._columns = columns
        self._any = False

    def add(self, block: RowBlock) -> None:
        rows = json_rows(block, self._columns)
        if not rows:
            return
        text = ",\n".join(rows)
        self._handle.write(((",\n" if self._any else "\n") + text).encode("utf-8"))
        self._any = True

    def finish(self) -> None:
        self._handle.write(b"\n]}\n" if self._any else b"]}\n")


# --------------------------------------------------------------------------------------------
# report.csv
# --------------------------------------------------------------------------------------------

_first_character = itemgetter(slice(0, 1))


def _neutralised(cells: Sequence[str]) -> Sequence[str]:
    """A column of texts with formula neutralisation applied (`_neutralise`): one C-level
    scan of first characters, Python only for a column that has a suspect cell."""
    if _FORMULA_START.isdisjoint(map(_first_character, cells)):
        return cells
    start = _FORMULA_START
    return [_neutralise(c) if c[:1] in start else c for c in cells]


def _texts(values: list[Any] | None) -> Any:
    """A column of optional texts as cells: None as ""; neutralised."""
    if values is None or values.count(None) == len(values):
        return ""
    return _neutralised([v or "" for v in values])


def table_columns_of(block: RowBlock, columns: list[str]) -> list[Any]:
    """The cells shared by report.csv and report.xlsx for one block, column by column: the
    file's raw cells, then the outcome columns (`OUTCOME_COLUMNS`). Text that came from
    outside — the file's cells, and the id, status, reason and error texts the API or
    validation (quoting input) produced — is neutralised; ints, the outcome, formatted money
    and our own "import X row N" phrasing cannot start a formula. Absent values are "".
    A column the same on every row is a plain value (not a list): see `_join_parts`."""
    count = len(block.row)
    width = len(columns)
    cells: list[Any]
    if block.keyed:
        cells = [
            list(map(dict.get, block.source, repeat(column, count), repeat("", count)))
            for column in columns
        ]
    elif not width:
        cells = []
    else:
        sources = block.source
        if set(map(len, sources)) != {width} or len(set(columns)) != width:
            sources = [[s.get(c, "") for c in columns] for s in block.sources(columns)]
        cells = [list(column) for column in zip(*sources, strict=True)] if sources else [[]] * width
    cells = [_neutralised(column) for column in cells]
    errors = block.errors
    duplicates = block.duplicate_of
    settled = block.settled_amount
    http = block.http_status
    cells += (
        block.row,
        block.outcome,  # a StrEnum is its value to csv and openpyxl alike
        _texts(block.id),
        _texts(block.status),
        _texts(block.status_reason_locale),
        "" if settled is None else ["" if v is None else _money(v) for v in settled],
        "" if http is None else ["" if v is None else v for v in http],
        _neutralised([_errors_text(e) if e else "" for e in errors]) if any(errors) else "",
        "" if duplicates is None else [_duplicate_text(d) if d else "" for d in duplicates],
        0 if block.attempts is None else list(map(len, block.attempts)),
    )
    return cells


def table_rows_of(block: RowBlock, columns: list[str]) -> Iterator[tuple[Any, ...]]:
    """`table_columns_of`, row by row."""
    count = len(block.row)
    cells = table_columns_of(block, columns)
    return zip(*[c if isinstance(c, list) else repeat(c, count) for c in cells], strict=False)


def table_header(columns: list[str]) -> list[str]:
    return [safe_text(c) for c in columns] + list(OUTCOME_COLUMNS)


# CSV of one block, column by column, byte for byte what `csv.writer` (the excel dialect:
# `,`, CRLF, minimal quoting) writes — a test holds them equal. csv.writer costs ~80 ns a
# field in C; most columns of a report need no quoting at all (row numbers, outcomes, ids,
# amounts written with a decimal point), and that is settled with one scan per column, so
# what is left is joining texts, half the time.
_CSV_SPECIAL = ('"', ",", "\r", "\n")
"""What makes csv.writer quote a field: the quote, the delimiter, a line-ending character."""


def _csv_field(text: str) -> str:
    if '"' in text or "," in text or "\r" in text or "\n" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv_column(column: Any) -> Any:
    """One column as CSV fields: a text for a constant (see `table_columns_of`), else a list.
    None is "" and anything not a text is `str()`ed, as csv.writer does."""
    if not isinstance(column, list):
        return _csv_field("" if column is None else str(column))
    if not set(map(type, column)) <= _TEXT_TYPES:
        column = ["" if v is None else str(v) for v in column]
    joined = "\x00".join(column)
    if not any(special in joined for special in _CSV_SPECIAL):
        return column
    return list(map(_csv_field, column))


_TEXT_TYPES = {str, Outcome}  # joined as they are (a StrEnum is its value)


def csv_lines(cells: list[Any], count: int) -> str:
    """The CRLF-terminated CSV lines of `count` rows given column-wise (`table_columns_of`)."""
    if not count:
        return ""
    parts = _join_parts(_interleave(list(map(_csv_column, cells)), ","), count)
    return "\r\n".join(parts) + "\r\n"


def _interleave(columns: list[Any], separator: str) -> list[Any]:
    """The parts of `_join_parts` for `columns` with `separator` between them."""
    parts: list[Any] = []
    for index, column in enumerate(columns):
        if index:
            parts.append(separator)
        parts.append(column)
    return parts


class _CsvWriter:
    """report.csv: UTF-8 with BOM, so Excel detects the encoding (without it, Excel assumes the
    ANSI code page and mangles å, ä, ö); the file's own columns first, so the operator can fix
    failed rows and feed the file back with `--fix`. Lines end in CRLF (RFC 4180)."""

    def __init__(self, report: Report, columns: list[str], handle: BinaryIO) -> None:
        self._handle = handle
        self._columns = columns
        header = table_header(columns)
        handle.write(codecs.BOM_UTF8 + csv_lines(header, 1).encode("utf-8"))

    def add(self, block: RowBlock) -> None:
        cells = table_columns_of(block, self._columns)
        self._handle.write(csv_lines(cells, len(block.row)).encode("utf-8"))

    def finish(self) -> None:
        pass


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


class _Writer(Protocol):
    def add(self, block: RowBlock) -> None: ...
    def finish(self) -> None: ...


def _xlsx_writer(report: Report, columns: list[str], handle: BinaryIO) -> _Writer:
    """openpyxl (and the numpy it pulls in) costs a quarter of a second to import: loaded
    only when a workbook is asked for, so `validate` of a large file starts fast."""
    from importer import report_xlsx

    return report_xlsx.XlsxWriter(report, columns, handle)


_STREAMED = {"json", "csv"}
"""Formats written strictly front to back (the workbook's zip needs a seekable file)."""

_WRITERS: dict[str, Callable[[Report, list[str], BinaryIO], _Writer]] = {
    "json": _JsonWriter,
    "csv": _CsvWriter,
    "xlsx": _xlsx_writer,
}


def write_reports(
    report: Report,
    directory: Path,
    formats: list[str],
    blocks: Iterable[RowBlock] | None = None,
) -> dict[str, Path]:
    """Write the requested formats into `directory` (created if missing); returns
    {format: path} in the order asked, each format once.

    The rows are `report.rows`, or — when given — `blocks` (then `report.rows` is ignored and
    `report.summary` must already count them): the report is rendered block by block, each
    block fed to every writer in turn, so a caller can stream a large report without ever
    holding all of its rows as models.

    Each file is written to a temporary file beside it and renamed over the old one, so the
    report can be rendered again in place after a rerun (issue 4 §4) and a crash mid-write
    leaves the previous report, never half a new one. An unknown format is a configuration
    error, raised before anything is written."""
    wanted = list(dict.fromkeys(formats))
    unknown = [name for name in wanted if name not in _WRITERS]
    if unknown:
        raise ConfigError(
            f"unknown report format {', '.join(map(repr, unknown))}; expected one of "
            f"{', '.join(FORMATS)}"
        )
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(directory)
    columns = table_columns(report)
    if blocks is None:
        blocks = blocks_of(report.rows)
    written: dict[str, Path] = {}
    with gc_paused(), ExitStack() as stack:
        writers = []
        for name in wanted:
            path = directory / f"report.{name}"
            handle = stack.enter_context(_atomic(path))
            if name in _STREAMED:
                handle = stack.enter_context(_written_behind(handle))
            writers.append(_WRITERS[name](report, columns, handle))
            written[name] = path
        for block in blocks:
            for writer in writers:
                writer.add(block)
        for writer in writers:
            writer.finish()
    return written
