"""The 422 rules for `POST /creditor--creditings`, worded as Amili's Eve/Cerberus stack words them.

Two stages, both reporting into one `_issues` mapping (one entry per offending field):

- `check_document` — the schema: required/unknown/read-only fields, types, allowed values,
  amount precision. Pure, no storage.
- `resolve_case` — the references: creditor exists, case exists and is the creditor's, an
  invoice number matches exactly one case, a sent account equals the case's. Runs inside the
  store's write transaction against a `CaseDirectory`, so what was checked is what is credited.

The importer's reports show these messages to people, so the wording is part of the contract.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from importer.sandbox.cases import Case
from importer.sandbox.eve import OBJECT_ID, parse_http_date
from importer.sandbox.money import MAX_AMOUNT, has_at_most_two_decimals, to_ore

ALLOWED_CURRENCIES = ("SEK",)
ALLOWED_ORIGINS = ("creditor_system",)
MIN_AMOUNT = Decimal("0.01")

READ_ONLY_FIELDS = (
    "file_import_report",
    "settled_amount",
    "status",
    "status_reason_locale",
    "case_invoice_number",
    "case_reference_number",
)
"""Set by Amili, never by a client. `account` is not here: it may be sent if it matches."""

KNOWN_FIELDS = frozenset(
    {
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
        *READ_ONLY_FIELDS,
    }
)

# Cerberus' messages (cerberus.errors.BasicErrorHandler) and Eve's data_relation message.
REQUIRED = "required field"
UNKNOWN = "unknown field"
READ_ONLY = "field is read-only"
NULL = "null value not allowed"
DECIMALS = "must not have more than 2 decimals"


def _type(name: str) -> str:
    return f"must be of {name} type"


def _unallowed(value: Any) -> str:
    return f"unallowed value {value}"


def _excludes(other: str, field: str) -> str:
    return f"'{other}' must not be present with '{field}'"


def _must_exist(value: str, resource: str) -> str:
    return f"value '{value}' must exist in resource '{resource}', field '_id'."


@dataclass(frozen=True, slots=True)
class CreditingRequest:
    """A POST body that passed the schema: exact money, a parsed date, the sent fields kept."""

    creditor: str
    case: str | None
    invoice_number: str | None
    amount_ore: int
    registration_epoch: int | None
    account: str | None
    sent: dict[str, Any]
    """The fields as the client sent them (amount as Decimal), stored on the crediting."""


class CaseDirectory(Protocol):
    """Read access to cases and creditors, bound to the transaction that will credit."""

    def creditor_exists(self, creditor: str) -> bool: ...

    def case_by_id(self, case_id: str) -> Case | None: ...

    def cases_by_invoice_number(self, creditor: str, invoice_number: str) -> list[Case]:
        """At most two matches: enough to tell "exactly one" from "several"."""
        ...


class Issues:
    """`_issues` being collected: several messages for one field become a list, as in Eve."""

    def __init__(self) -> None:
        self._by_field: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self._by_field.setdefault(field, []).append(message)

    def __contains__(self, field: str) -> bool:
        return field in self._by_field

    def __bool__(self) -> bool:
        return bool(self._by_field)

    def as_wire(self) -> dict[str, str | list[str]]:
        return {f: m[0] if len(m) == 1 else list(m) for f, m in self._by_field.items()}


def _check_object_id(doc: dict[str, Any], field: str, issues: Issues) -> None:
    value = doc[field]
    if not isinstance(value, str) or not OBJECT_ID.match(value):
        issues.add(field, _type("objectid"))


def _check_string(doc: dict[str, Any], field: str, issues: Issues) -> None:
    if not isinstance(doc[field], str):
        issues.add(field, _type("string"))


def _check_allowed(
    doc: dict[str, Any], field: str, allowed: tuple[str, ...], issues: Issues
) -> None:
    value = doc[field]
    if not isinstance(value, str):
        issues.add(field, _type("string"))
    elif value not in allowed:
        issues.add(field, _unallowed(value))


def _check_amount(value: Any, issues: Issues) -> None:
    # bool is an int in Python but not a number to Cerberus; str is refused even if numeric.
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        issues.add("amount", _type("number"))
        return
    amount = Decimal(value)
    if not has_at_most_two_decimals(amount):
        issues.add("amount", DECIMALS)
    if amount < MIN_AMOUNT:
        issues.add("amount", f"min value is {MIN_AMOUNT}")
    elif amount > MAX_AMOUNT:
        issues.add("amount", f"max value is {MAX_AMOUNT}")


def check_document(doc: dict[str, Any]) -> tuple[Issues, CreditingRequest | None]:
    """Schema rules of a crediting POST body; a request only when there are no issues.

    `doc` must come from `json.loads(..., parse_float=Decimal)` so the amount's exact text is
    seen: `0.30000000000000004` is refused, not rounded."""
    issues = Issues()
    for field in doc:
        if field in READ_ONLY_FIELDS:
            issues.add(field, READ_ONLY)
        elif field not in KNOWN_FIELDS:
            issues.add(field, UNKNOWN)

    for field in ("creditor", "currency", "amount", "origin"):
        if field not in doc:
            issues.add(field, REQUIRED)
    has_case, has_invoice = "case" in doc, "invoice_number" in doc
    if has_case and has_invoice:
        issues.add("case", _excludes("invoice_number", "case"))
        issues.add("invoice_number", _excludes("case", "invoice_number"))
    elif not has_case and not has_invoice:
        issues.add("case", REQUIRED)
        issues.add("invoice_number", REQUIRED)

    for field, value in doc.items():
        if value is None and field in KNOWN_FIELDS and field not in issues:
            issues.add(field, NULL)

    def present(field: str) -> bool:
        return field in doc and field not in issues

    for field in ("creditor", "case", "account"):
        if present(field):
            _check_object_id(doc, field, issues)
    for field in ("invoice_number", "credit_invoice", "creditor_reference"):
        if present(field):
            _check_string(doc, field, issues)
    if present("currency"):
        _check_allowed(doc, "currency", ALLOWED_CURRENCIES, issues)
    if present("origin"):
        _check_allowed(doc, "origin", ALLOWED_ORIGINS, issues)
    if present("amount"):
        _check_amount(doc["amount"], issues)
    registration: int | None = None
    if present("client_registration_date"):
        value = doc["client_registration_date"]
        registration = parse_http_date(value) if isinstance(value, str) else None
        if registration is None:
            issues.add("client_registration_date", _type("datetime"))

    if issues:
        return issues, None
    return issues, CreditingRequest(
        creditor=doc["creditor"],
        case=doc.get("case"),
        invoice_number=doc.get("invoice_number"),
        amount_ore=to_ore(doc["amount"]),
        registration_epoch=registration,
        account=doc.get("account"),
        sent=dict(doc),
    )


def resolve_case(request: CreditingRequest, cases: CaseDirectory) -> tuple[Issues, Case | None]:
    """The case a valid request credits, or the reference issues that stop it."""
    issues = Issues()
    by_id = cases.case_by_id(request.case) if request.case is not None else None
    # A case of this creditor proves the creditor exists: one query less on the hot path.
    owned = by_id is not None and by_id.creditor == request.creditor
    if not owned and not cases.creditor_exists(request.creditor):
        issues.add("creditor", _must_exist(request.creditor, "creditors"))
        return issues, None

    case: Case | None = None
    if request.case is not None:
        if by_id is None:
            issues.add("case", _must_exist(request.case, "cases"))
        elif not owned:
            issues.add("case", f"case {by_id.id} does not belong to creditor {request.creditor}")
        else:
            case = by_id
    elif request.invoice_number is not None:
        matches = cases.cases_by_invoice_number(request.creditor, request.invoice_number)
        if not matches:
            issues.add(
                "invoice_number",
                f"no case of creditor {request.creditor} has invoice number "
                f"'{request.invoice_number}'",
            )
        elif len(matches) > 1:
            issues.add(
                "invoice_number",
                f"invoice number '{request.invoice_number}' matches several cases of creditor "
                f"{request.creditor}; send 'case' instead",
            )
        else:
            case = matches[0]

    if case is not None and request.account is not None and request.account != case.account:
        issues.add("account", f"must be the case's account {case.account}")
    return issues, (None if issues else case)
