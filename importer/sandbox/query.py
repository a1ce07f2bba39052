"""Collection queries: Eve's `where`, `sort`, `page`, `max_results` and `projection`, compiled
to SQL over the store's tables.

`where` is Mongo-style JSON. Supported: equality, `$eq $ne $gt $gte $lt $lte $in $nin`,
`$and $or $nor`, and dot notation (`debt.invoice_number`, `items.0`). Fields the store keeps in
columns (ids, creditor references, money in öre, dates) are queried through those columns and
their indexes — the importer's reconciliation lookup `{"creditor": …, "creditor_reference": …}`
is one index probe. Any other field is read from the stored JSON document.

Anything the sandbox cannot answer faithfully (sub-document equality, unknown operators) is a
400 rather than a silently different result.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

from importer.sandbox.eve import META_FIELDS, parse_http_date
from importer.sandbox.money import ORE_PER_KRONA

DEFAULT_MAX_RESULTS = 25
MAX_RESULTS_CAP = 100

_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*$")
_COMPARISONS = {"$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}


class QueryError(Exception):
    """A query parameter the sandbox refuses: answered as 400 with this message."""


class FieldKind(Enum):
    TEXT = "text"
    """A string column (ids, references, statuses): only strings can match."""
    MONEY = "money"
    """An integer-öre column, queried with the JSON number the client sees."""
    DATE = "date"
    """An epoch-seconds column, queried with RFC 1123 dates like `_created` is shown."""
    JSON = "json"
    """A value inside the stored document, compared as SQLite's json_extract returns it."""


@dataclass(frozen=True, slots=True)
class Column:
    sql: str
    kind: FieldKind


ColumnMap = dict[str, Column]

_NEVER = object()
"""A where value that can never equal this field (e.g. a string for an amount)."""


@dataclass(frozen=True, slots=True)
class ListQuery:
    where_sql: str
    params: list[Any]
    order_sql: str
    page: int
    max_results: int
    project: Callable[[dict[str, Any]], dict[str, Any]]

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.max_results


def _field_sql(field: str, columns: ColumnMap) -> tuple[str, FieldKind]:
    if field in columns:
        column = columns[field]
        return column.sql, column.kind
    if not _FIELD.match(field):
        raise QueryError(f"'{field}' is not a field name")
    path = "$" + "".join(
        f"[{part}]" if part.isdigit() else f'."{part}"' for part in field.split(".")
    )
    return f"json_extract(doc, '{path}')", FieldKind.JSON


def _sql_value(kind: FieldKind, value: Any) -> Any:
    """The value to bind for `value` against a field of `kind`, or _NEVER if none can match."""
    if isinstance(value, dict | list):
        raise QueryError("only scalar values can be compared; use dot notation for nested fields")
    if kind is FieldKind.TEXT:
        return value if isinstance(value, str) else _NEVER
    if kind is FieldKind.DATE:
        if not isinstance(value, str):
            return _NEVER
        epoch = parse_http_date(value)
        if epoch is None:
            raise QueryError(f"'{value}' is not an RFC 1123 date")
        return epoch
    if isinstance(value, bool):
        return _NEVER if kind is FieldKind.MONEY else int(value)
    if isinstance(value, int | Decimal):
        number = Decimal(value) * ORE_PER_KRONA if kind is FieldKind.MONEY else Decimal(value)
        return int(number) if number == number.to_integral_value() else float(number)
    if kind is FieldKind.MONEY:
        return _NEVER
    return value


def _membership(expr: str, kind: FieldKind, values: Any, params: list[Any]) -> str:
    if not isinstance(values, list):
        raise QueryError("$in and $nin take a list")
    bound = [_sql_value(kind, v) for v in values if v is not None]
    bound = [v for v in bound if v is not _NEVER]
    parts = []
    if bound:
        parts.append(f"{expr} IN ({', '.join('?' * len(bound))})")
        params.extend(bound)
    if any(v is None for v in values):
        parts.append(f"{expr} IS NULL")
    return "(" + " OR ".join(parts) + ")" if parts else "0"


def _operator(expr: str, kind: FieldKind, op: str, value: Any, params: list[Any]) -> str:
    if op == "$in":
        return _membership(expr, kind, value, params)
    if op == "$nin":
        return f"NOT COALESCE({_membership(expr, kind, value, params)}, 0)"
    if op not in ("$eq", "$ne", *_COMPARISONS):
        raise QueryError(f"operator {op} is not supported")
    bound = None if value is None else _sql_value(kind, value)
    if op == "$eq":
        if bound is None:
            return f"{expr} IS NULL"
        if bound is _NEVER:
            return "0"
        params.append(bound)
        return f"{expr} = ?"
    if op == "$ne":
        if bound is None:
            return f"{expr} IS NOT NULL"
        if bound is _NEVER:
            return "1"
        params.append(bound)
        return f"({expr} IS NULL OR {expr} != ?)"
    if bound is None or bound is _NEVER:
        return "0"
    params.append(bound)
    return f"{expr} {_COMPARISONS[op]} ?"


def _condition(field: str, spec: Any, columns: ColumnMap, params: list[Any]) -> str:
    expr, kind = _field_sql(field, columns)
    if isinstance(spec, dict) and spec and all(str(k).startswith("$") for k in spec):
        return " AND ".join(_operator(expr, kind, op, v, params) for op, v in spec.items())
    if isinstance(spec, dict) and any(str(k).startswith("$") for k in spec):
        raise QueryError(f"'{field}' mixes operators and fields")
    return _operator(expr, kind, "$eq", spec, params)


def _compile(where: dict[str, Any], columns: ColumnMap, params: list[Any]) -> str:
    clauses = []
    for key, spec in where.items():
        if key in ("$and", "$or", "$nor"):
            if not isinstance(spec, list) or not spec or not all(isinstance(s, dict) for s in spec):
                raise QueryError(f"{key} takes a non-empty list of objects")
            joined = (" OR " if key != "$and" else " AND ").join(
                _compile(s, columns, params) for s in spec
            )
            clauses.append(f"NOT ({joined})" if key == "$nor" else f"({joined})")
        elif key.startswith("$"):
            raise QueryError(f"operator {key} is not supported")
        else:
            clauses.append(_condition(key, spec, columns, params))
    return "(" + " AND ".join(clauses) + ")" if clauses else "1"


def compile_where(text: str | None, columns: ColumnMap) -> tuple[str, list[Any]]:
    """SQL condition and parameters for a `where` parameter (None: everything)."""
    if text is None or not text.strip():
        return "1", []
    try:
        where = json.loads(text, parse_float=Decimal)
    except (ValueError, RecursionError) as exc:
        raise QueryError("Unable to parse `where` clause: not valid JSON") from exc
    if not isinstance(where, dict):
        raise QueryError("Unable to parse `where` clause: expected a JSON object")
    params: list[Any] = []
    return _compile(where, columns, params), params


def _parse_sort_spec(text: str) -> list[tuple[str, int]]:
    if text.lstrip().startswith("["):
        # Eve's native form: [("field", -1), ("other", 1)]
        try:
            spec = ast.literal_eval(text)
        except (ValueError, SyntaxError) as exc:
            raise QueryError("Unable to parse `sort` clause") from exc
        if not isinstance(spec, list) or not all(
            isinstance(s, tuple) and len(s) == 2 and isinstance(s[0], str) and s[1] in (1, -1)
            for s in spec
        ):
            raise QueryError("Unable to parse `sort` clause")
        return [(name, direction) for name, direction in spec]
    result = []
    for part in text.split(","):
        name = part.strip()
        if not name:
            continue
        direction = -1 if name.startswith("-") else 1
        result.append((name.lstrip("-"), direction))
    return result


def compile_sort(text: str | None, columns: ColumnMap) -> str:
    """ORDER BY for `sort` (`field`, `-field`, comma-separated); insertion order breaks ties."""
    terms = []
    for name, direction in _parse_sort_spec(text or ""):
        if not _FIELD.match(name):
            raise QueryError(f"Unable to parse `sort` clause: '{name}' is not a field name")
        expr, _ = _field_sql(name, columns)
        terms.append(f"{expr} {'DESC' if direction < 0 else 'ASC'}")
    terms.append("rowid ASC")
    return ", ".join(terms)


def _positive_int(params: dict[str, list[str]], name: str, default: int) -> int:
    values = params.get(name)
    if not values:
        return default
    try:
        value = int(values[0])
    except ValueError as exc:
        raise QueryError(f"{name} must be a positive integer") from exc
    if value < 1:
        raise QueryError(f"{name} must be a positive integer")
    return value


def compile_projection(text: str | None) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A function applying Eve's `projection` (`{"field": 1}` or `{"field": 0}`) to a rendered
    document. Top-level fields only; the meta fields are always kept, as in Eve."""
    if text is None or not text.strip():
        return lambda doc: doc
    try:
        spec = json.loads(text)
    except ValueError as exc:
        raise QueryError("Unable to parse `projection` clause: not valid JSON") from exc
    if (
        not isinstance(spec, dict)
        or not spec
        or not all(isinstance(v, int) and v in (0, 1) for v in spec.values())
    ):
        raise QueryError("projection must be an object of field names to 1 or 0")
    if any("." in k for k in spec):
        raise QueryError("projection supports top-level fields only")
    modes = set(spec.values())
    if len(modes) > 1:
        raise QueryError("projection cannot mix inclusion and exclusion")
    fields = set(spec)
    if modes == {1}:
        keep = fields | set(META_FIELDS)
        return lambda doc: {k: v for k, v in doc.items() if k in keep}
    drop = fields - set(META_FIELDS)
    return lambda doc: {k: v for k, v in doc.items() if k not in drop}


def parse_list_query(params: dict[str, list[str]], columns: ColumnMap) -> ListQuery:
    """Everything a collection GET asks for, validated. `max_results` is silently capped."""
    where_sql, where_params = compile_where(params.get("where", [None])[0], columns)
    return ListQuery(
        where_sql=where_sql,
        params=where_params,
        order_sql=compile_sort(params.get("sort", [None])[0], columns),
        page=_positive_int(params, "page", 1),
        max_results=min(_positive_int(params, "max_results", DEFAULT_MAX_RESULTS), MAX_RESULTS_CAP),
        project=compile_projection(params.get("projection", [None])[0]),
    )
