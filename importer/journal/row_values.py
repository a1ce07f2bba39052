"""A journal row as values: what was read, what is (to be) sent, and what became of it
(`JournalRow`), a row about to be stored (`NewRow`), and how cells, errors and the request
are packed into the journal's columns and read back from them (`row_of`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from importer.journal.schema import AMOUNT_INDEX, REQUEST_COLUMN_LIST, REQUEST_FIELDS
from importer.outcomes import Outcome, RowError


def pack_cells(cells: Sequence[str]) -> str:
    """Raw cells are stored joined by the ASCII unit separator (cheap for large files); the
    rare row whose cells contain that character is stored as JSON instead."""
    joined = "\x1f".join(cells)
    if cells and joined.count("\x1f") == len(cells) - 1:
        return "U" + joined
    return "J" + json.dumps(list(cells), ensure_ascii=False)


def unpack_cells(text: str) -> list[str]:
    if text[0] == "J":
        cells: list[str] = json.loads(text[1:])
        return cells
    return text[1:].split("\x1f") if len(text) > 1 else [""]


@dataclass(slots=True)
class JournalRow:
    """A row as stored: what was read, what is (to be) sent, and what became of it."""

    row: int
    outcome: Outcome
    source: Sequence[str]
    request: dict[str, Any] | None
    errors: list[RowError]
    crediting_id: str | None = None
    status: str | None = None
    status_reason_locale: str | None = None
    settled_amount: Decimal | None = None
    case_invoice_number: str | None = None
    case_reference_number: str | None = None
    http_status: int | None = None
    duplicate_of: dict[str, Any] | None = None
    intent_at: datetime | None = None
    """When the row's last request was about to leave (set by `RowStore.mark_intent`)."""


@dataclass(slots=True)
class NewRow:
    row: int
    source: Sequence[str]
    request: dict[str, Any] | None
    """Request fields (amount a Decimal), or None when the row is invalid."""
    errors: Sequence[RowError] = ()
    outcome: Outcome = Outcome.NOT_SENT


ROW_COLUMNS = (
    f"row, outcome, errors, source, {REQUEST_COLUMN_LIST}, crediting_id, status,"
    " status_reason_locale, settled_amount, case_invoice_number, case_reference_number,"
    " http_status, duplicate_of, intent_at"
)
"""The columns of `rows` a `JournalRow` is read from (`row_of`), in that order."""


def row_of(values: Sequence[Any]) -> JournalRow:
    """The `JournalRow` of a row's `ROW_COLUMNS`."""
    split = 4 + len(REQUEST_FIELDS)
    (row, outcome, errors, source, *request_values) = values[:split]
    rest = values[split:]
    request: dict[str, Any] | None = None
    if any(v is not None for v in request_values):
        request = {
            f: v for f, v in zip(REQUEST_FIELDS, request_values, strict=True) if v is not None
        }
        if "amount" in request:
            request["amount"] = Decimal(request["amount"])
    return JournalRow(
        row=row,
        outcome=Outcome(outcome),
        source=unpack_cells(source),
        request=request,
        errors=[RowError(**e) for e in json.loads(errors)] if errors else [],
        crediting_id=rest[0],
        status=rest[1],
        status_reason_locale=rest[2],
        settled_amount=Decimal(rest[3]) if rest[3] is not None else None,
        case_invoice_number=rest[4],
        case_reference_number=rest[5],
        http_status=rest[6],
        duplicate_of=json.loads(rest[7]) if rest[7] else None,
        intent_at=datetime.fromisoformat(rest[8]) if rest[8] else None,
    )


def decimal_text(value: Any) -> str | None:
    return None if value is None else str(Decimal(str(value)))


def errors_json(errors: Sequence[RowError]) -> str | None:
    """A row's errors as the journal stores them: JSON, or NULL for none (most rows)."""
    if not errors:
        return None
    return json.dumps([e.model_dump() for e in errors], ensure_ascii=False)


def request_row_values(request: dict[str, Any] | None) -> tuple[Any, ...]:
    """A request dict as the journal's request columns, in `REQUEST_FIELDS` order."""
    if request is None:
        return (None,) * len(REQUEST_FIELDS)
    values = [request.get(f) for f in REQUEST_FIELDS]
    amount = values[AMOUNT_INDEX]
    if amount is not None:
        values[AMOUNT_INDEX] = str(amount)  # Decimal as text: exact, never a float
    return tuple(values)
