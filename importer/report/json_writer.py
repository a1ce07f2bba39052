"""report.json: the head on the first line, then one row per line, built column-wise (a test
holds each row byte-equal to `ReportRow.model_dump_json(by_alias=True)`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from contextlib import suppress
from decimal import Decimal
from itertools import compress
from operator import itemgetter
from pathlib import Path
from typing import Any, BinaryIO

import orjson
from pydantic import BaseModel

from importer.api.request import amount_to_json, body_of
from importer.outcomes import Outcome
from importer.report.blocks import RequestColumns, RowBlock
from importer.report.cells import constant, join_parts, money_text
from importer.report.model import Report, ReportRow
from importer.report.settings import ReportSettings

_ORJSON_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC


_OUTCOME_JSON = {outcome: orjson.dumps(outcome.value).decode() for outcome in Outcome}


_NULL = "null"

_COLUMN_OPTIONS = _ORJSON_OPTIONS | orjson.OPT_INDENT_2
_SEPARATOR = ",\n  "


def _json_any(value: Any) -> str:
    return _NULL if value is None else orjson.dumps(value, option=_ORJSON_OPTIONS).decode()


def _json_text(text: str) -> str:
    """JSON of one text (a key, a constant), as orjson and pydantic write it."""
    return orjson.dumps(text).decode()


def _json_texts(values: Sequence[Any]) -> list[str]:
    """JSON of a column of texts (None as null; anything else as orjson writes it), in one
    orjson call for the whole column: indented by two spaces, orjson writes each element of a
    list of scalars on a line of its own, and no JSON text holds a raw line break, so the
    lines are the elements. A Python call per text (`JSONEncoder.encode`, or orjson value by
    value) cost more: `bench/import_bench.py` (a) prints the time this column-wise writing
    keeps. A column holding something that is not a scalar (its JSON spans lines: the count
    of line breaks tells) is written value by value."""
    if not values:
        return []
    try:
        text = orjson.dumps(values, option=_COLUMN_OPTIONS).decode()
    except TypeError:  # a value orjson does not write (a Decimal): the same error, by value
        return list(map(_json_any, values))
    if text.count("\n") != len(values) + 1:
        return list(map(_json_any, values))
    return text[4:-2].split(_SEPARATOR)


_ESCAPED = re.compile(r'[\x00-\x1f"\\]')
"""What JSON writes escaped in a text (orjson and pydantic alike): a quote, a backslash, a
control character."""


def _text_parts(values: Sequence[Any]) -> list[Any]:
    """JSON of a column of texts (no None) as parts for `join_parts`: when every value is
    plain ASCII text with nothing to escape — the usual invoice numbers, references and
    dates — its JSON is the text between quotes, so the column itself is the part and no
    text per value is made (`_json_texts` makes and splits them); else `_json_texts`."""
    try:
        joined = "".join(values)  # a TypeError: something that is not a text
    except TypeError:
        return [_json_texts(values)]
    if joined.isascii() and _ESCAPED.search(joined) is None:
        return ['"', values, '"']
    return [_json_texts(values)]


def _json_amounts(values: Sequence[Any]) -> list[str]:
    """JSON numbers of request amounts (no None among them), each exactly as `json_body`
    writes it (`amount_to_json`: the float whose text is the decimal; anything that is not a
    Decimal as orjson writes it).

    A column of Decimals takes `amount_to_json`'s check a column at a time: one orjson call
    writes every float, and the texts must read back as the amounts (the check, made on the
    very text written; orjson writes a non-finite float as `null`, which does not read back).
    A column that fails goes value by value, so the amount that cannot be sent raises
    `amount_to_json`'s error. A third of the time of the value-by-value check."""
    if set(map(type, values)) == {Decimal}:
        with suppress(ValueError, ArithmeticError):  # InvalidOperation: `null` read back
            texts = orjson.dumps(list(map(float, values))).decode()[1:-1].split(",")
            if list(map(Decimal, texts)) == list(values):
                return texts
        numbers = list(map(amount_to_json, values))
        return orjson.dumps(numbers).decode().removeprefix("[").removesuffix("]").split(",")
    return [_json_any(amount_to_json(v) if v.__class__ is Decimal else v) for v in values]


def _json_objects(dicts: list[dict[str, Any]], amount: str | None = None) -> list[str]:
    """JSON objects of dicts, leaving out None values (the way `body_of` does; source
    dicts hold no None). `amount` names the key whose Decimal values are written as JSON
    numbers."""
    parts = _object_parts(dicts, amount)
    if parts is None:
        return [
            orjson.dumps(body_of(d) if amount else d, option=_ORJSON_OPTIONS).decode()
            for d in dicts
        ]
    return join_parts(parts, len(dicts))


def _object_parts(dicts: list[dict[str, Any]], amount: str | None = None) -> list[Any] | None:
    """`_json_objects` as parts for `join_parts`, column-wise: when every dict has the same
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
        if isinstance(encoded, str):
            parts += (prefix, encoded)
        else:
            parts += (prefix, *encoded)
    if first_always is None:
        return ["{}"]
    parts.append("}")
    if first_always:
        return parts
    joined = join_parts(parts, count)
    return [["{" + text[1:] if text != "}" else "{}" for text in joined]]


def _json_value_column(column: Sequence[Any], amount: bool) -> Any:
    """JSON of one key's values: None when all are None; one text when all are equal (a
    constant column: `join_parts` folds it into the template); a list of parts for
    `join_parts` when none is None; else a 1-tuple holding the texts of the values that
    are not None."""
    first = column[0]
    if constant(column):
        if first is None:
            return None
        return (_json_amounts if amount else _json_texts)([first])[0]
    if amount:
        if set(map(type, column)) == {Decimal}:
            return [_json_amounts(column)]
    elif None not in column:
        return _text_parts(column)
    present = [v for v in column if v is not None]
    encoded = _json_amounts(present) if amount else _json_texts(present)
    if len(present) == len(column):
        return [encoded]
    return (encoded,)


def _source_parts(block: RowBlock, columns: Sequence[str]) -> list[Any]:
    """The `source` objects of a block as parts for `join_parts`."""
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
            encoded = [_json_text(first)] if constant(cells) else _text_parts(cells)
            parts += (("{" if index == 0 else ",") + _json_text(key) + ":", *encoded)
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
    if not any(present):  # every row invalid: no request object to assemble
        return [[_NULL] * count]
    values = [list(compress(column, present)) for column in requests.fields.values()]
    made = iter(join_parts(_columns_parts(keys, values, sum(present), amount="amount"), count))
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
    return '"' + money_text(value) + '"'


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
        ',"original_source":',
        _json_column(block.original_source, _json_any),
        ',"duplicate_of":',
        _json_column(block.duplicate_of, _json_any),
        ',"case_invoice_number":',
        _json_column(block.case_invoice_number),
        ',"case_reference_number":',
        _json_column(block.case_reference_number),
        ',"attempts":',
        _json_lists(block.attempts, _dict_of),
        ',"resolution":',
        _json_column(block.resolution, _model_json),
        "}",
    ]
    return join_parts(parts, count)


_JSON_KEYS = (
    "row", "outcome", "_id", "status", "status_reason_locale", "settled_amount", "http_status",
    "errors", "request", "source", "original_source", "duplicate_of", "case_invoice_number",
    "case_reference_number", "attempts", "resolution",
)  # fmt: skip
if tuple(f.alias or n for n, f in ReportRow.model_fields.items()) != _JSON_KEYS:
    raise RuntimeError("json_rows must follow ReportRow's fields")  # pragma: no cover


def _dict_of(model: BaseModel) -> dict[str, Any]:
    return model.__dict__


def _model_json(model: BaseModel) -> str:
    return model.model_dump_json()


_ROWS_OPEN = ',"rows":['


def read_head(path: Path) -> dict[str, Any] | None:
    """The head of a report.json `JsonWriter` wrote (everything but its rows) from the
    file's first line alone, whatever the report's size; None when there is no such file or
    its first line is not a head."""
    try:
        with path.open("rb") as handle:
            line = handle.readline().decode("utf-8").rstrip("\n")
    except (OSError, UnicodeDecodeError):
        return None
    text = line[: -len(_ROWS_OPEN)] + "}" if line.endswith(_ROWS_OPEN) else line
    try:
        head = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(head, dict):
        return None
    head.pop("rows", None)
    return head


class JsonWriter:
    """report.json: the head on the first line, then one row per line — valid JSON either way,
    and `grep`/`diff` work on a 200,000-row report. `rows` is the last field of `Report`, so
    writing it after the head keeps the model's key order."""

    def __init__(
        self,
        report: Report,
        columns: list[str],
        handle: BinaryIO,
        settings: ReportSettings | None = None,
    ) -> None:
        if list(Report.model_fields)[-1] != "rows":  # pragma: no cover - guards a model change
            raise RuntimeError("Report.rows must stay the last field of report.json")
        head = report.model_dump_json(by_alias=True, exclude={"rows"}).encode()
        handle.write(head[:-1])
        handle.write(_ROWS_OPEN.encode())
        self._handle = handle
        self._columns = columns
        self._any = False

    def add(self, block: RowBlock) -> None:
        rows = json_rows(block, self._columns)
        if not rows:
            return
        self._handle.write(b",\n" if self._any else b"\n")
        self._handle.write(",\n".join(rows).encode("utf-8"))  # one copy of the block less
        self._any = True

    def finish(self) -> None:
        self._handle.write(b"\n]}\n" if self._any else b"]}\n")
