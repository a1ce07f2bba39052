"""The `creditor_reference` the importer generates for a row without one.

**The API is the record, the journal its cache.** Before a row is sent the API is asked
whether it already holds it (`pipeline.api_lookup`), and the question is asked by reference.
So the reference must be the same for the same row whatever the journal: a journal lost,
restored from a backup or on another host must still find what an earlier run credited.
It is therefore derived from the row's own content — the creditor and every request field
that defines the credit (case or invoice number, currency, amount, origin, credit note,
date) — and its occurrence number among identical rows of the file (two identical rows in
one file are two credits), never from the import id. A hash keeps it short (31 characters,
well inside the API's 100) and the `imp1-` prefix makes it recognisably the importer's, so
dedupe can tell it from a reference the file supplied.

A deliberate re-import of rows already credited (`--allow-repeats`, `dedupe.repeats:
allow`) needs references of its own, or the look-up would call every row credited: they are
salted with the file's bytes (sha256), not with the import id — so a lost journal still finds
what that re-import credited. A second run of the same bytes with repeats allowed gets the
same references and finds the first re-import's creditings: it credits nothing again (a
re-import is one deliberate act per file content; crediting the same rows a third time takes
a file that differs). `--force` alone does not salt: the rows of a forced import that repeat
credited ones stay duplicates, as the journal's repeat rule says too.

Imports begun before this derivation keep their `<import id>/<row>` references (they are in
the journal's request columns); `legacy_origin` reads them, and their rows are looked up
under both."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

PREFIX = "imp1-"
_DIGITS = 26
"""Base32 characters of the digest kept: 130 bits, no collision among any creditor's rows."""
_GENERATED = re.compile(rf"^{PREFIX}[a-z2-7]{{{_DIGITS}}}$")
_LEGACY = re.compile(r"^(?P<import_id>\d{8}-\d{6}-[0-9a-z]{8}(?:-\d+)?)/(?P<row>\d+)$")

CONTENT_FIELDS: tuple[str, ...] = (
    "creditor",
    "case",
    "invoice_number",
    "currency",
    "amount",
    "origin",
    "credit_invoice",
    "client_registration_date",
)
"""The request fields that define a credit (not `account`, which the API sets, nor the
reference itself)."""


def _amount(value: Any) -> str:
    try:
        return format(Decimal(str(value)).quantize(Decimal("0.01")), "f")
    except (InvalidOperation, ValueError):
        return str(value)


def content_key(request: Mapping[str, Any]) -> tuple[str, ...]:
    """What makes two rows identical credits: the content fields, the amount to the öre."""
    values = []
    for name in CONTENT_FIELDS:
        value = request.get(name)
        if value is None:
            values.append("")
        elif name == "amount":
            values.append(_amount(value))
        else:
            values.append(str(value))
    return tuple(values)


def row_reference(request: Mapping[str, Any], occurrence: int, salt: str | None = None) -> str:
    """The generated reference of a row: its content, its occurrence (1 for the first of
    identical rows of the file), and the re-import salt (`reimport_salt`) when there is one."""
    text = json.dumps([salt or "", occurrence, *content_key(request)], ensure_ascii=False)
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return PREFIX + base64.b32encode(digest).decode("ascii").lower()[:_DIGITS]


def occurrences(requests: Iterable[Mapping[str, Any]]) -> list[int]:
    """Each row's occurrence number among the identical rows before it (1, 2, …), in order."""
    seen: Counter[tuple[str, ...]] = Counter()
    numbers = []
    for request in requests:
        key = content_key(request)
        seen[key] += 1
        numbers.append(seen[key])
    return numbers


def reimport_salt(sha256: str | None, *, repeats_allowed: bool) -> str | None:
    """The salt of a deliberate re-import's references: the file's bytes, when rows that
    repeat credited ones are to be credited again; else None (see the module docstring)."""
    return sha256 if repeats_allowed and sha256 else None


def is_generated(reference: str | None) -> bool:
    """Whether a reference is one an importer generated (today's, or `<import id>/<row>`)."""
    return bool(reference) and bool(
        _GENERATED.match(reference or "") or _LEGACY.match(reference or "")
    )


def file_reference(reference: str | None) -> str | None:
    """The reference the file supplied for this row, or None when it was generated."""
    return None if is_generated(reference) else reference


def legacy_origin(reference: str | None) -> tuple[str, int] | None:
    """(import id, row) of a reference generated before references were derived from the
    row's content (`<import id>/<row>`)."""
    found = _LEGACY.match(reference or "")
    return (found["import_id"], int(found["row"])) if found else None
