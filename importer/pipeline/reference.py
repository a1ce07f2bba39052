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

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

PREFIX = "imp1-"
_BYTES = 16
"""Bytes of the digest kept, written as 32 hex digits: 128 bits, no collision among any
creditor's rows. (Hex, not base32: the standard library's base32 is Python and cost 1.1 s of
a 200,000-row file's references; `bytes.hex` is C.)"""
_GENERATED = re.compile(rf"^{PREFIX}[0-9a-f]{{{2 * _BYTES}}}$")
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
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
        return format(amount.quantize(_CENT), "f")
    except (InvalidOperation, ValueError):
        return str(value)


_CENT = Decimal("0.01")


def key_of(values: Sequence[Any]) -> tuple[str, ...]:
    """What makes two rows identical credits, from the values of `CONTENT_FIELDS` in that
    order: each as text, the amount to the öre, nothing as ""."""
    return tuple(
        "" if value is None else _amount(value) if index == _AMOUNT else str(value)
        for index, value in enumerate(values)
    )


_AMOUNT = CONTENT_FIELDS.index("amount")


def keys_of_columns(columns: Sequence[Sequence[Any]]) -> list[tuple[str, ...]]:
    """`key_of` of every row, from the columns of `CONTENT_FIELDS` in that order: the same
    keys, built a column at a time. A column of plain texts is its own key column, so the
    only step per value is the amount's (`key_of` took 1.7 s of a 200,000-row file)."""
    texts = [
        [_NOTHING if v is None else _amount(v) for v in column]
        if index == _AMOUNT
        else column
        if set(map(type, column)) == {str}
        else [_NOTHING if v is None else str(v) for v in column]
        for index, column in enumerate(columns)
    ]
    return list(zip(*texts, strict=True))


_NOTHING = ""


def content_key(request: Mapping[str, Any]) -> tuple[str, ...]:
    """What makes two rows identical credits: the content fields, the amount to the öre."""
    return key_of([request.get(name) for name in CONTENT_FIELDS])


def reference_of(key: tuple[str, ...], occurrence: int, salt: str | None = None) -> str:
    """The generated reference of a row whose content is `key` (`key_of`): its content, its
    occurrence (1 for the first of identical rows of the file), and the re-import salt
    (`reimport_salt`) when there is one."""
    text = orjson.dumps((salt or "", occurrence, *key))  # unambiguous, and C: per row
    return PREFIX + hashlib.sha256(text).digest()[:_BYTES].hex()


def row_reference(request: Mapping[str, Any], occurrence: int, salt: str | None = None) -> str:
    """The generated reference of a row (`reference_of` its `content_key`)."""
    return reference_of(content_key(request), occurrence, salt)


def occurrences(requests: Iterable[Mapping[str, Any]]) -> list[int]:
    """Each row's occurrence number among the identical rows before it (1, 2, …), in order."""
    return occurrences_of_keys(map(content_key, requests))


def occurrences_of_keys(
    keys: Iterable[tuple[str, ...]],
    seen: dict[bytes, int] | None = None,
    may_repeat: Sequence[bool] | None = None,
) -> list[int]:
    """`occurrences`, from the rows' `key_of` keys (a file without identical rows, the
    usual one, is told by one set: every row is its content's first).

    For one block of a file read a block at a time, `seen` counts the keys of the blocks
    before — each by a 16-byte digest of it, not the key (at 2,000,000 rows the keys would
    be most of the memory) — and is counted on; with `may_repeat`, only the keys of the
    rows it marks (the others are known to be their content's first: 1, and not kept)."""
    if seen is not None:
        numbers = []
        for index, key in enumerate(keys):
            if may_repeat is not None and not may_repeat[index]:
                numbers.append(1)
                continue
            digest = hashlib.blake2b(orjson.dumps(key), digest_size=16).digest()
            number = seen[digest] = seen.get(digest, 0) + 1
            numbers.append(number)
        return numbers
    keys = list(keys)
    if len(set(keys)) == len(keys):
        return [1] * len(keys)
    counted: Counter[tuple[str, ...]] = Counter()
    numbers = []
    for key in keys:
        counted[key] += 1
        numbers.append(counted[key])
    return numbers


IMPORTED_BEFORE = "imported_before"
"""The warning of an import run with repeats allowed whose every row the API already held
under its plain reference: its references are left plain (`pipeline.generated_references`)."""


def reimport_salt(
    sha256: str | None, *, repeats_allowed: bool, imported_before: bool = False
) -> str | None:
    """The salt of a deliberate re-import's references: the file's bytes, when rows that
    repeat credited ones are to be credited again — unless the API showed the file was
    imported before (`imported_before`: the import's `IMPORTED_BEFORE` warning); else None
    (see the module docstring)."""
    return sha256 if repeats_allowed and sha256 and not imported_before else None


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
