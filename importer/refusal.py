"""Why a file is refused as a whole, as a value: a stable code and the facts it names.

A refusal is raised deep in a reader (`FileRejected(file, Refusal("same_field", …))`) and
read by a person far away — on the command line, in the night's summary, in the report of the
rejected import — each in its own `report.language`. So it travels as its code and facts, and
is worded (`worded`) only where a person reads it, from the `refusal.` words of
`importer.refusal_words`; English is the sentence the command line has always printed.

The facts are plain JSON values (text, whole numbers, lists of text or of items), so a refusal
can be kept beside the import that it rejected (`as_json`, `from_json`) and worded again
later. A few facts are worded per language rather than shown as they are (the names below):
a fixed phrase (`what` a binary file looks like, the tab `delimiter`, what corrections are
matched `by`), a request `field` or a list of them, counts with their thousands grouped,
amounts and sizes in the language's own form, a quote cut short, and the lists of items of a
correction file's refusals (`fix_match`, `fix_sheets`, and `fix_other_import`'s rows whose
`_id` is no import's crediting), each item worded on its own.

Any other text is shown as it is — but a file can name a part of itself, a sheet or a marker's
value anything, so it is shown on one line (`shown`): a refusal is one line of a summary, of a
reason.txt and of the command's output.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from importer.refusal_words import FIELDS_SV
from importer.words import CATALOGUE, LANGUAGES, Language, number_text, text

Fact = str | int | Sequence[str] | Sequence[Sequence[str | int]]
"""A refusal's fact: text, a whole number, a list of text, or a list of rows of facts (each
row one item of a list the refusal names, e.g. a correction row that matches nothing)."""

_PHRASES = frozenset({"what", "delimiter", "seen", "by"})
"""Facts that are one of a refusal's fixed phrases (`refusal.<name>_<value>`); any other
value of them (a header row's cells) is shown as it is."""
_FIELD_LISTS = frozenset({"missing", "expected"})
"""Facts that list request fields, each worded as a `field` fact is."""
_GROUPED = frozenset({"parts", "most"})
"""Counts written with their thousands grouped (`10,000`; `10 000` in Swedish)."""
_AMOUNTS = frozenset({"amount", "total"})
"""Amounts as a decimal text (`1234.50`), written as the language writes an amount."""
_SIZES = frozenset({"packed", "expanded"})
"""Sizes in bytes, written in KB or MB."""
_QUOTES = frozenset({"found", "seen"})
"""Texts quoted from the file, cut short (`quoted`): followed by how much was left out."""


class Redaction(Protocol):
    """What removes a text from the texts a refusal quotes (`api.redaction.KeyRemover`)."""

    def __call__(self, text: str) -> str: ...

    def cut(self, text: str) -> str:
        """`text`, a quote cut short, with its end removed too where a removed text begins."""
        ...


class Refusal:
    """Why a file is refused: `code` (a `refusal.<code>` key) and the facts its words name."""

    __slots__ = ("code", "facts")

    def __init__(self, code: str, /, **facts: Fact) -> None:
        self.code = code
        self.facts: dict[str, Fact] = facts

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Refusal) and (self.code, self.facts) == (other.code, other.facts)

    def __hash__(self) -> int:
        return hash(self.code)

    def __repr__(self) -> str:
        return f"Refusal({self.code!r}, {self.facts!r})"

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "facts": {k: _plain(v) for k, v in self.facts.items()}}

    def redacted(self, redact: Redaction) -> Refusal:
        """The same refusal with `redact` applied to every text among its facts (a header
        cell, a sheet's name, a list's items): a file can hold anything, the API key too. A
        quote cut short (`quoted`) may have been cut inside the key: its end is `redact.cut`."""
        facts = {k: _redacted(v, redact) for k, v in self.facts.items()}
        for name in _QUOTES:
            said, more = self.facts.get(name), self.facts.get(f"{name}_more")
            if isinstance(said, str) and isinstance(more, int) and more > 0:
                facts[name] = redact.cut(said)
        return type(self)(self.code, **facts)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Refusal | None:
        """The refusal `as_json` kept, or None for anything else: a record written before
        refusals were kept, or a refusal this version cannot word (a code it has no words
        for, facts another version's words name) — its report then says the English kept
        with it, never a half-worded sentence or an error."""
        code, facts = data.get("code"), data.get("facts")
        if not isinstance(code, str) or not isinstance(facts, dict):
            return None
        if f"refusal.{code}" not in CATALOGUE:
            return None
        refusal = cls(code, **facts)
        try:
            for language in LANGUAGES:
                worded(refusal, language)
        except (KeyError, IndexError, TypeError, ValueError):
            return None
        return refusal


def worded(refusal: Refusal, language: Language) -> str:
    """The refusal as a sentence in `language` (without the file's name)."""
    facts = refusal.facts
    values = {name: _fact(name, value, language) for name, value in facts.items()}
    for name in values.keys() & _QUOTES:
        more = facts.get(f"{name}_more")
        if isinstance(more, int) and more > 0:
            values[name] += more_characters(more, language)
    if refusal.code == "fix_match":
        values["problems"] = _match_problems(facts, values["by"], language)
    if refusal.code == "fix_other_import":
        unknown = [_unknown_owner(facts, item, language) for item in _items(facts, "unknown")]
        values["imports"] = ", ".join(filter(None, [values.get("imports", ""), *unknown]))
        values["first"] = values.get("first") or (unknown[0] if unknown else "")
    if refusal.code == "fix_sheets":
        clashes = _items(facts, "clashes")
        values["items"] = _listed(
            [_clash(**_named(clash, _CLASH), language=language) for clash in clashes],
            language,
        )
    return text(f"refusal.{refusal.code}", language, **values)


def quoted(name: str, said: str, limit: int) -> dict[str, Fact]:
    """A text a refusal quotes (a header row's cells) as two facts: `name`, its first `limit`
    characters, and `<name>_more`, how many were left out — worded as `errors.excerpt`
    words a quote, in the refusal's language."""
    return {name: said[:limit], f"{name}_more": max(0, len(said) - limit)}


def more_characters(count: int, language: Language) -> str:
    """What follows a quote cut short: "… (1,234 more characters)"."""
    return text("refusal.more_characters", language, count=_grouped(count, language))


def _fact(name: str, value: Fact, language: Language) -> str:
    if name in _PHRASES and isinstance(value, str):
        return _phrase(name, value, language)
    if name == "field" and isinstance(value, str):
        return _field(value, language)
    if name in _FIELD_LISTS and not isinstance(value, str | int):
        return ", ".join(_field(str(field), language) for field in value)
    if name in _GROUPED and isinstance(value, int):
        return _grouped(value, language)
    if name in _AMOUNTS and isinstance(value, str):
        return _amount(value, language)
    if name in _SIZES and isinstance(value, int):
        return _size(value, language)
    return shown(value, language) if isinstance(value, str) else str(value)


LONGEST = 1_000
"""How many characters of a text a refusal shows as it is (a zip part's name, a marker's
value, a workbook's sheet names, a correction's cell): more than a real file's ever are, so a
real refusal reads as it always has, while a hostile file's 64 KB part name never makes one
line kilobytes long; what is left out is counted ("… (1,234 more characters)")."""
_HIDDEN = frozenset({"Cc", "Cf", "Zl", "Zp"})
"""Unicode's control, format and line/paragraph separator characters: a line break, a bell,
a terminal's escape, a right-to-left override — what would break a line or hide a text."""


def shown(said: str, language: Language) -> str:
    """A text of the file as a refusal shows it: each character that would break or hide the
    line written out as Python writes it (`\\n`, `\\x1b`, `\\u202e`), cut after `LONGEST`."""
    if any(unicodedata.category(char) in _HIDDEN for char in said):
        said = "".join(
            char.encode("unicode_escape").decode("ascii")
            if unicodedata.category(char) in _HIDDEN
            else char
            for char in said
        )
    if len(said) <= LONGEST:
        return said
    return said[:LONGEST] + more_characters(len(said) - LONGEST, language)


LISTED = 10
"""How many items of a list a refusal names before "and 3 more"."""
_UNMATCHED = ("row", "value")
_SEVERAL = ("row", "value", "rows")
_TWICE = ("first", "second", "row")
_CLASH = ("row", "first", "second")
"""The facts of an item of each list a refusal names, in the order each item holds them."""


def _match_problems(facts: Mapping[str, Fact], by: str, language: Language) -> str:
    """Why correction rows match no row, several rows or a row another took (`fix_match`)."""

    def item(row: object, value: object) -> str:
        said = shown(str(value), language) if value else text("refusal.fix_empty", language)
        return text("refusal.fix_item", language, row=row, by=by, value=said)

    problems = []
    unmatched = [item(**_named(i, _UNMATCHED)) for i in _items(facts, "unmatched")]
    if unmatched:
        one = "one" if len(unmatched) == 1 else "many"
        said = _listed(unmatched, language)
        problems.append(text(f"refusal.fix_unmatched_{one}", language, items=said))
    several = []
    for found in _items(facts, "several"):
        row, value, rows = (found[_SEVERAL.index(n)] for n in _SEVERAL)
        several.append(text("refusal.fix_several_item", language, item=item(row, value), rows=rows))
    if several:
        problems.append(text("refusal.fix_several", language, items=_listed(several, language)))
    twice = [
        text("refusal.fix_twice_item", language, **_named(t, _TWICE))
        for t in _items(facts, "twice")
    ]
    if twice:
        problems.append(_listed(twice, language))
    return "; ".join(problems)


def _clash(row: object, first: object, second: object, language: Language) -> str:
    """A row two sheets correct two ways; the sheets are named as the file names them."""
    named = {"first": shown(str(first), language), "second": shown(str(second), language)}
    return text("refusal.fix_sheets_item", language, row=row, **named)


def _unknown_owner(facts: Mapping[str, Fact], item: Sequence[str | int], language: Language) -> str:
    """A correction row whose `_id` no import credited: it names no import to rerun."""
    row, crediting = item
    said = shown(str(crediting), language)
    return text("refusal.fix_unknown_owner", language, row=row, crediting=said, id=facts["id"])


def _items(facts: Mapping[str, Fact], name: str) -> list[Sequence[str | int]]:
    """The items of a list fact (each a row of facts; none when the fact is not a list)."""
    found = facts.get(name)
    if found is None or isinstance(found, str | int):
        return []
    return [item for item in found if not isinstance(item, str)]


def _named(item: Sequence[str | int], names: tuple[str, ...]) -> dict[str, str | int]:
    return dict(zip(names, item, strict=True))


def _listed(items: list[str], language: Language) -> str:
    """Items as a refusal lists them: the first `LISTED`, then how many more."""
    shown = ", ".join(items[:LISTED])
    if len(items) <= LISTED:
        return shown
    return text("refusal.and_more", language, items=shown, count=len(items) - LISTED)


def _grouped(count: int, language: Language) -> str:
    return f"{count:,}" if language == "en" else number_text(count, language, 0)


def _phrase(name: str, value: str, language: Language) -> str:
    key = f"refusal.{name}_{value}"
    return text(key, language) if key in CATALOGUE else shown(value, language)


def _field(name: str, language: Language) -> str:
    return FIELDS_SV.get(name, name) if language == "sv" else name


def _amount(value: str, language: Language) -> str:
    if language == "en":
        return value
    try:
        amount = Decimal(value)
    except InvalidOperation:
        return value
    exponent = amount.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return number_text(amount, language, places)


def _size(size: int, language: Language) -> str:
    if size < 1 << 20:
        shown, unit = size / 1024, "KB"
    else:
        shown, unit = size / (1 << 20), "MB"
    if language == "en":
        return f"{shown:,.0f} {unit}"
    return f"{number_text(shown, language, 0)} {unit}"


def _plain(value: Fact) -> Any:
    """A fact as JSON holds it: lists for sequences (a tuple of a list's item, too)."""
    if isinstance(value, str | int):
        return value
    return [item if isinstance(item, str) else list(item) for item in value]


def _redacted(value: Fact, redact: Callable[[str], str]) -> Fact:
    """`value` with `redact` applied to each of its texts; numbers as they are."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, int):
        return value
    return [
        redact(item)
        if isinstance(item, str)
        else [redact(part) if isinstance(part, str) else part for part in item]
        for item in value
    ]
