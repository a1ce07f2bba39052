"""The report's words in English and Swedish: one catalogue for every outcome, status, error
code, API reason key (`status_reason_locale`), Summary label and next-step sentence.

Why one catalogue: a text defined beside the code that uses it is only ever written in one
language, and a second language added later forgets half the keys. Here every key holds both
texts as one tuple, so a missing translation is a missing tuple element that a test (and the
module itself, at import) catches. Keys are namespaced: `outcome.`, `status.`, `error.`,
`reason.` (the API's locale keys, verbatim after the prefix), `label.`, `next.`, `sheet.`.

Everything a person reads about an import speaks `report.language`: the report files, the
command line's closing summary and `importer show` (`cli.`), the night's drop summary
(`drop.`), the commands that list and keep the record (`record.`: `imports`, `resolve`,
`backup`, `prune`), the file-level warnings (`warning.`, by their stable code) and the
detailed reasons a rule writes on a row (`detail.`). Errors of the command itself (a usage
error, a missing file) stay English: they come before a configuration is read. Numbers
inside a text follow the language too (`number_text`: `12 345.50`, `12 345,50`).

This module is the catalogue's machinery — the sections merged into one `CATALOGUE`, checked
at import, and the functions that word a key; the sections are modules of their own, each
named for what it words: `outcome_words` (a row's outcome, status, reason and error code),
`report_words` (the report's labels, sheet names, next steps, warnings), `cli_words` (the
closing summary and `show`), `history_words` (fix files, the audit trail, the overview page,
an import's figures), `night_words` (a night's summary, the drop's words, the notifications),
`record_words` (`imports`, `resolve`, `backup`, `prune`), `detail_words` (a row error's
detail) and `refusal_words` (why a file is refused as a whole, worded by `importer.refusal`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from string import Formatter
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from importer.outcomes import ImportWarning

from importer.cli_words import CLI
from importer.detail_words import DETAILS
from importer.history_words import HISTORY
from importer.night_words import NIGHT
from importer.outcome_words import OUTCOMES
from importer.record_words import RECORD
from importer.refusal_words import REFUSALS
from importer.report_words import REPORT

Language = Literal["en", "sv"]
LANGUAGES: tuple[Language, ...] = ("en", "sv")

_SECTIONS: tuple[dict[str, tuple[str, str]], ...] = (
    OUTCOMES,
    REPORT,
    CLI,
    HISTORY,
    NIGHT,
    RECORD,
    DETAILS,
    REFUSALS,
)
CATALOGUE: dict[str, tuple[str, str]] = {}
for _section in _SECTIONS:
    if _section.keys() & CATALOGUE.keys():  # pragma: no cover - a key defined twice is a bug
        raise RuntimeError(f"words: {sorted(_section.keys() & CATALOGUE.keys())} defined twice")
    CATALOGUE.update(_section)

for _key, _texts in CATALOGUE.items():  # a key with an empty text is a bug, found at import
    if len(_texts) != len(LANGUAGES) or not all(t.strip() for t in _texts):
        raise RuntimeError(f"words: {_key} lacks a text in one of {LANGUAGES}")  # pragma: no cover

_HTTP_CODE = re.compile(r"api_http_\d{3}\Z")


def text(key: str, language: Language, **values: object) -> str:
    """The text of `key` in `language`, with `{name}` filled from `values`.

    An unknown key is returned as it is: an API may send a reason key this version has never
    seen, and showing the key is better than showing nothing (the report keeps the key anyway).
    """
    texts = CATALOGUE.get(key)
    if texts is None:
        return key.split(".", 1)[-1]
    chosen = texts[LANGUAGES.index(language)]
    return chosen.format(**values) if values else chosen


def error_key(code: str) -> str:
    """The catalogue key of a row error code (`api_http_404` shares `error.api_http`)."""
    if _HTTP_CODE.match(code):
        return "error.api_http"
    return f"error.{code}"


def error_text(code: str, language: Language) -> str:
    return text(error_key(code), language)


def reason_text(reason: str | None, language: Language) -> str | None:
    """The words for an API `status_reason_locale` key (None stays None)."""
    if reason is None:
        return None
    return text(f"reason.{reason}", language)


def outcome_text(outcome: str, status: str | None, language: Language) -> str:
    """ "Credited" or "Credited: Warning" and so on: the outcome a person reads."""
    shown = text(f"outcome.{outcome}", language)
    if status:
        shown += ": " + text(f"status.{status}", language).lower()
    return shown


def number_text(value: Decimal | float, language: Language, places: int = 2) -> str:
    """A number as the language writes it in running text: `12 345.50` (en), `12 345,50`
    (sv); groups of three split by a space either way."""
    shown = f"{value:,.{places}f}".replace(",", " ")
    return shown.replace(".", ",") if language == "sv" else shown


def rows_text(rows: Sequence[int], shown: int = 20) -> str:
    """Row numbers as a person reads them: the first `shown`, then an ellipsis."""
    return ", ".join(map(str, rows[:shown])) + (" …" if len(rows) > shown else "")


def warning_text(warning: ImportWarning, language: Language, **context: object) -> str:
    """A file-level warning in `language`. English is the stored sentence itself (it names
    the settings in full); another language words it from the warning's code and fields
    (`rows`, `amount`, `sheet`) and `context` (`url`, `env`, `creditor`). A code this version
    has no words for shows its stored sentence."""
    if language == "en":
        return warning.message
    key = f"warning.{warning.code}"
    if warning.code == "total_row_left_out" and warning.amount:
        key += "_amount"
    if _stored_facts(f"{key}_no_key", warning.message) is not None:
        key += "_no_key"  # no API key: the variable to set is named in the language's words
    if key not in CATALOGUE:
        return warning.message
    amount = number_text(Decimal(warning.amount), language) if warning.amount else ""
    values = {"rows": rows_text(warning.rows), "count": len(warning.rows), "amount": amount}
    values.update(sheet=warning.sheet or "", url="", env="", creditor="")
    values.update(context)
    if _placeholders(key) - values.keys():  # a cause the stored sentence names (`{why}`)
        facts = _stored_facts(key, warning.message)
        if facts is None:
            return warning.message
        values.update({name: facts[name] for name in _placeholders(key) - values.keys()})
    return text(key, language, **values)


def _placeholders(key: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(CATALOGUE[key][0]) if name}


def _stored_facts(key: str, message: str) -> dict[str, str] | None:
    """What a stored English sentence of `key` names, by its placeholders (`{why}`: the
    cause, in the API's or the client's own words), or None when the sentence is not one of
    `key`'s (or there is no such key)."""
    texts = CATALOGUE.get(key)
    if texts is None:
        return None
    parts = []
    for literal, name, _, _ in Formatter().parse(texts[0]):
        parts.append(re.escape(literal))
        if name:
            parts.append(f"(?P<{name}>.*?)")
    found = re.fullmatch("".join(parts), message, re.DOTALL)
    return None if found is None else found.groupdict()
