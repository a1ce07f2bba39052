"""The contract of one request: the body of `POST /creditor--creditings` (docs/api.md).

`FIELDS` is the one list of request fields: the journal's columns, the configuration's
built-in aliases and mapping's read-only list derive from it, and the JSON body is built here
only, so what report.json records is what the API received."""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any, Literal, Self

import orjson
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

#: What the API accepts, for the model's own check (weekday and month names, 4-digit year).
RFC1123_PATTERN = (
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} "
    r"[0-9]{2}:[0-9]{2}:[0-9]{2} GMT$"
)

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


SERVER_FIELDS: tuple[str, ...] = ("file_import_report",)
"""Fields of a stored crediting that Amili sets itself: never sent, ignored in a file."""
READ_ONLY_FIELDS: frozenset[str] = frozenset({"account", *SERVER_FIELDS})
"""Columns a file may have but that are not sent: Amili's own fields, and `account`, which is
read-only in today's API (sent only when `api.send_account` is true, for older versions)."""
MAX_TEXT_LENGTH = 100


#: 15 significant digits: every such 2-decimal amount survives the trip through a JSON float
#: (a double holds 15 decimal digits exactly), so `to_json_body` can send a number safely.
MAX_AMOUNT_DIGITS = 15


AMOUNT_CEILING = Decimal("9999999999999.99")


ObjectId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{24}$")]


Text = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT_LENGTH)]


Rfc1123 = Annotated[str, StringConstraints(pattern=RFC1123_PATTERN)]


Amount = Annotated[
    Decimal,
    Field(gt=0, max_digits=MAX_AMOUNT_DIGITS, decimal_places=2, allow_inf_nan=False),
]


class CreditingRequest(BaseModel):
    """The body of `POST /creditor--creditings` (docs/api.md). Every constraint the API
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
        """The JSON body's values (`body_of`): absent (None) fields omitted, `amount` a JSON
        *number*."""
        return body_of(self.__dict__)


def amount_to_json(amount: Decimal) -> float:
    """`amount` as the float whose JSON text is exactly its decimal value, or ValueError.

    The amount goes out as a float only because a float is written with its shortest
    round-trip text, which for an amount of at most 15 significant digits is exactly the
    decimal (`Decimal("0.30")` → `0.3`, `Decimal("100.00")` → `100.0`). That is checked, not
    assumed: an amount that would not survive raises."""
    number = float(amount)
    if not math.isfinite(number):
        raise ValueError(f"non-finite amount {amount} cannot be sent as a JSON number")
    if Decimal(repr(number)) != amount:
        raise ValueError(f"amount {amount} cannot be sent as an exact JSON number")
    return number


def body_of(request: Mapping[str, Any]) -> dict[str, Any]:
    """The values of the JSON body of `request` (fields as the model or the journal hold
    them): absent (None) fields left out, a Decimal `amount` as the float `amount_to_json`
    gives. What the client sends and what report.json records are both made from this."""
    body = {name: value for name, value in request.items() if value is not None}
    amount = body.get("amount")
    if amount.__class__ is Decimal:
        body["amount"] = amount_to_json(amount)
    return body


def json_body(request: Mapping[str, Any]) -> bytes:
    """The bytes of the body sent for `request`: compact UTF-8 JSON of `body_of(request)`,
    keys in the request's order (the model's, `FIELDS`). report.json writes the same bytes
    for the row's `request` (a test compares them with what the API received)."""
    return orjson.dumps(body_of(request))
