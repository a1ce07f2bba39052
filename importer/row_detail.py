"""A row error's detail in the report's language: what `importer show`, the drop summary,
report.html and report.xlsx put after (or beside) the error's own text.

report.json keeps each row error's `message` as the rule wrote it — English, a stable
sentence machines and golden files hold — so the facts a Swedish report names are read back
out of that sentence with its English template (`importer.detail_words`) and worded again
from the catalogue: the cell as the file holds it, a limit or computed number in the
language's own form (`12 345,50`). A sentence no template reads, or one naming a phrase this
version cannot word, has no detail in that language (None): the reader gets the error's text
alone rather than a sentence half in English. English is the stored sentence itself.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from functools import cache
from string import Formatter

from importer.detail_words import HINTS, LABELS_SV
from importer.outcomes import RowError
from importer.refusal_words import FIELDS_SV
from importer.words import Language, error_key, error_text, number_text, text

_IDS = ("creditor", "case", "account")
_TEXTS = ("invoice_number", "credit_invoice", "creditor_reference")
_READ: dict[str, tuple[str, ...]] = {
    "error.amount_missing": ("detail.amount_empty",),
    "error.amount_not_a_number": (
        "detail.amount_not_a_number_hint",
        "detail.amount_not_a_number",
        "detail.amount_cell_kind",
    ),
    "error.amount_ambiguous": ("detail.amount_ambiguous",),
    "error.amount_too_many_decimals": ("detail.amount_decimals",),
    "error.amount_negative": ("detail.amount_negative",),
    "error.amount_zero": ("detail.amount_zero",),
    "error.amount_too_large": ("detail.amount_too_large",),
    "error.date_invalid": (
        "detail.date_not_a_date",
        "detail.date_number",
        "detail.date_ambiguous",
        "detail.date_offset",
        "detail.date_month_name",
        "detail.date_two_digit_year",
        "detail.date_unreadable",
        "detail.date_format_mismatch",
        "detail.date_years",
        "detail.date_impossible",
    ),
    "error.case_and_invoice_number": ("detail.case_and_invoice_given", "detail.case_and_invoice"),
    "error.case_or_invoice_number_missing": ("detail.case_or_invoice_missing",),
    "error.currency_missing": ("detail.currency_empty",),
    "error.currency_not_supported": ("detail.currency_other",),
    "error.creditor_reference_duplicate": ("detail.reference_used",),
    "error.field_count": ("detail.field_count",),
    "error.unterminated_row": ("detail.unterminated",),
    "error.merged_cell": ("detail.merged",),
    "error.excel_number_format": ("detail.exponent",),
    "error.api_rejected": ("detail.api_refused",),
    "error.api_http": ("detail.api_refused_http",),
}
"""Error key -> the templates its rule's English sentence takes, the most specific first."""
_READ.update(
    {f"error.{name}_invalid": ("detail.id_length", "detail.id_characters") for name in _IDS}
)
_READ.update({f"error.{name}_too_long": ("detail.text_too_long",) for name in _TEXTS})

_WORDED: dict[str, tuple[str, ...]] = {
    "error.credit_invoice_conflict": ("detail.conflict_amount", "detail.conflict_case"),
    "error.credit_invoice_already_credited": ("detail.already_credited",),
    "error.row_already_credited": ("detail.repeat",),
}
"""Error key -> the templates of a sentence the rule already writes in the report's language
(the credit-note and repeat rules): shown as it is when it is in the language asked for."""

_NUMBERS = frozenset({"amount", "maximum", "number", "thousands", "decimals"})
"""Placeholders that name a number: worded in the language's form when they are a plain
decimal (`12345.5`); a cell written otherwise (`12,345`, `'abc'`) is quoted as the file has
it."""
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:\.([0-9]+))?")
_PHRASES = {"hint": HINTS, "separator_name": HINTS, "kind": HINTS, "label": LABELS_SV}
"""Placeholders holding one of a rule's fixed phrases: worded from a table, or no detail."""


def row_detail(error: RowError, language: Language) -> str | None:
    """`error`'s detail in `language`, or None when this version cannot word it so."""
    if language == "en":
        return error.message
    key = error_key(error.code)
    for template in _READ.get(key, ()):
        values = _facts(template, error.message)
        if values is not None:
            worded = _worded(values, language)
            return None if worded is None else text(template, language, **worded)
    for template in _WORDED.get(key, ()):
        if _pattern(template, language).fullmatch(error.message):
            return error.message
    return None


def reason_with_detail(error: RowError, language: Language) -> str:
    """The error's text with its detail in parentheses (as `importer show` and the drop
    summary give a reason): "Beloppet är noll; … (Beloppet 0 är noll; …)"."""
    detail = row_detail(error, language)
    reason = error_text(error.code, language)
    return reason if detail is None else f"{reason} ({detail})"


def details_text(errors: Sequence[RowError], language: Language) -> str:
    """Row errors' details in one cell (report.html, report.xlsx): "field: detail; …", the
    errors without words in `language` left out (the reason column says them). The field is
    named in the language ("belopp: Beloppet …"); English names it as the request does."""
    parts = []
    for error in errors:
        detail = row_detail(error, language)
        if detail is not None:
            field = FIELDS_SV.get(error.field, error.field) if language == "sv" else error.field
            parts.append(f"{field}: {detail}" if field else detail)
    return "; ".join(parts)


def _facts(template: str, message: str) -> dict[str, str] | None:
    match = _pattern(template, "en").fullmatch(message)
    return None if match is None else match.groupdict()


def _worded(values: dict[str, str], language: Language) -> dict[str, str] | None:
    worded = dict(values)
    for name, value in values.items():
        if name in _NUMBERS:
            plain = _PLAIN_NUMBER.fullmatch(value)
            if plain is not None:
                places = len(plain.group(1) or "")
                worded[name] = number_text(Decimal(value), language, places)
        elif name in _PHRASES:
            phrase = _PHRASES[name].get(value)
            if phrase is None:
                return None
            worded[name] = phrase
    return worded


@cache
def _pattern(template: str, language: Language) -> re.Pattern[str]:
    """The regular expression a template's sentence fullmatches, a named group per
    placeholder: one of its table's phrases, or any text as short as the rest of the sentence
    allows."""
    parts = []
    for literal, name, _spec, _conversion in Formatter().parse(text(template, language)):
        parts.append(re.escape(literal))
        if name in _PHRASES:  # one of the table's phrases: "Invoice number X" is not "Invoice"
            phrases = "|".join(map(re.escape, sorted(_PHRASES[name], key=len, reverse=True)))
            parts.append(f"(?P<{name}>{phrases})")
        elif name is not None:
            parts.append(f"(?P<{name}>.*?)")
    return re.compile("".join(parts), re.DOTALL)
