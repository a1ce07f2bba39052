"""Cell rules shared by the report formats: formula neutralisation, money as text, times in
UTC, the texts of errors and duplicates, and the C-level joining of column-wise parts."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from itertools import repeat
from operator import itemgetter
from typing import Any

from importer.outcomes import RowError

FORMULA_START = frozenset("=+-@\t\r")
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

    Only called for texts whose first character is in `FORMULA_START` (the callers test that
    inline, because it is the hot path of 200,000-row reports)."""
    if _PLAIN_NUMBER.match(text):
        return text
    return "'" + text


def safe_text(text: str) -> str:
    """The formula-neutralisation rule of report.csv and report.xlsx for one text cell."""
    if text[:1] in FORMULA_START:
        return _neutralise(text)
    return text


def money_text(value: Decimal, decimal: str = ".") -> str:
    """Money as a decimal string with exactly two decimals ("100.00"), never a float, never
    "-0.00" (docs/reports.md); with a decimal comma ("100,00") for report.csv in a Swedish
    dialect."""
    shown = f"{value:.2f}" if value else "0.00"
    return shown if decimal == "." else shown.replace(".", decimal)


def iso_utc(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a `Z`, as text: for the Summary sheet, because Excel cannot store a
    time zone. Same rule as report.json (see `as_utc`)."""
    if moment is None:
        return None
    return as_utc(moment).replace(tzinfo=None).isoformat() + "Z"


def errors_text(errors: Sequence[RowError]) -> str:
    """Row errors in one cell: "field: message; field: message" (a row-level error, with no
    field, is just its message)."""
    return "; ".join(f"{e.field}: {e.message}" if e.field else e.message for e in errors)


def duplicate_text(original: dict[str, Any] | None) -> str:
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


def join_parts(parts: list[Any], count: int) -> list[str]:
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


_first_character = itemgetter(slice(0, 1))


def constant(values: Sequence[Any]) -> bool:
    """Whether every value of a (non-empty) column is the first: the last is looked at first,
    so a column that varies — most of a report's — costs no pass over its values."""
    first = values[0]
    return values[-1] == first and values.count(first) == len(values)


def neutralised(cells: Sequence[str]) -> Sequence[str]:
    """A column of texts with formula neutralisation applied (`_neutralise`): one C-level
    scan of first characters, Python only for a column that has a suspect cell."""
    if FORMULA_START.isdisjoint(map(_first_character, cells)):
        return cells
    start = FORMULA_START
    return [_neutralise(c) if c[:1] in start else c for c in cells]


def optional_texts(values: list[Any] | None) -> Any:
    """A column of optional texts as cells: None as ""; neutralised."""
    if values is None or values.count(None) == len(values):
        return ""
    return neutralised([v or "" for v in values])


def as_utc(moment: datetime) -> datetime:
    """A datetime in UTC, which pydantic then writes as ISO 8601 with `Z`. A naive datetime is
    taken to be UTC already: the journal stores UTC, and guessing the local zone would shift
    times by the server's offset. The identity test is the fast path for the usual case."""
    if moment.tzinfo is UTC:
        return moment
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
