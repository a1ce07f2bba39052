"""The API's answers, validated where they enter.

A crediting the API returns is used for a handful of fields: `_id`, `status`,
`status_reason_locale`, `settled_amount`, `case_invoice_number`, `case_reference_number`.
Each is checked against the model below before it reaches the journal. A value that does not
fit (`settled_amount: 1e999999999`, `"abc"`, a status nobody documented, a body nested
100,000 deep that no JSON parser should recurse into) is **not** stored in its column: the
row keeps the fields that fit, gets an error quoting what the API said (at most ~200
characters, as text), and the whole answer is kept raw in the journal for a person. So the
money a crediting moved is never lost, and the report always renders — it never has to
format an amount with a billion digits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from importer.outcomes import RowError

RAW = "_raw_answer"
"""Key of an answer that was not a JSON object at all: its text, kept for the journal."""

TEXT = "_answer_text"
"""Key of a parsed answer's own text: what the journal keeps, byte for byte, when a value
does not fit (a re-serialised object would already have turned 1e999999999 into a Decimal)."""

SHOWN = 200
"""Characters of an unusable value quoted in a message (the journal keeps all of it)."""


def _storable(text: str) -> str:
    """A text the journal can keep: a NUL character (which a PostgreSQL journal's text cannot
    hold) or a lone surrogate (a JSON escape of half a character, which no journal can
    encode) makes the field one that does not fit, and the answer is kept raw, its escape
    as sent."""
    if "\x00" in text:
        raise ValueError("a NUL character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("half a character (a lone surrogate)") from None
    return text


Storable = Annotated[str, AfterValidator(_storable)]


class StoredCrediting(BaseModel):
    """The fields of a stored crediting this importer uses, each as docs/api.md states it."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    id: Storable | None = Field(default=None, alias="_id", min_length=1, max_length=64)
    status: Literal["completed", "warning", "error"] | None = None
    status_reason_locale: Storable | None = Field(default=None, max_length=200)
    settled_amount: Decimal | None = Field(
        default=None, allow_inf_nan=False, max_digits=15, decimal_places=2
    )
    case_invoice_number: Storable | None = Field(default=None, max_length=200)
    case_reference_number: Storable | None = Field(default=None, max_length=200)


@dataclass(slots=True)
class Checked:
    fields: dict[str, Any]
    """What fits, under the API's own names (`_id`, …)."""
    errors: list[RowError] = field(default_factory=list)
    raw: str | None = None
    """The whole answer as text, when something did not fit."""


def parse(content: bytes) -> dict[str, Any]:
    """An answer's JSON object (floats as Decimal); anything else as {RAW: its text}. A NUL
    character is replaced as an undecodable byte is (U+FFFD): the text is kept in the
    journal, and a PostgreSQL journal's text cannot hold one."""
    text = content.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
    try:  # the C decoder stops at the recursion limit with RecursionError, not a crash
        data = json.loads(text, parse_float=Decimal)
    except (ValueError, RecursionError):
        return {RAW: text}
    return {**data, TEXT: text} if isinstance(data, dict) else {RAW: text}


def _text(value: Any) -> str:
    try:
        text = value if isinstance(value, str) else json.dumps(value, default=str)
    except (ValueError, TypeError, RecursionError):
        text = repr(value)
    return text


def _cut(text: str) -> str:
    return text if len(text) <= SHOWN else text[:SHOWN] + "…"


def _shown(value: Any) -> str:
    """As JSON writes it (a string in quotes, a number bare), cut at SHOWN characters."""
    if isinstance(value, Decimal):
        text = str(value)
    else:
        try:
            text = json.dumps(value, default=str, ensure_ascii=False)
        except (ValueError, TypeError, RecursionError):
            text = repr(value)
    # half a character (a lone surrogate) as its escape: the message must be encodable
    return _cut(text.encode("utf-8", "backslashreplace").decode("utf-8"))


def check(answer: dict[str, Any]) -> Checked:
    """Split an answer into the fields that fit and an error per field that does not."""
    if RAW in answer:
        raw = str(answer[RAW])
        return Checked(
            {},
            [
                RowError(
                    field="",
                    code="api_answer_unusable",
                    message=(
                        "The API's answer is not a JSON object we can read "
                        f"({_cut(raw)}); it is kept in the journal. Check this crediting "
                        "in Amili."
                    ),
                )
            ],
            raw,
        )
    try:
        model = StoredCrediting.model_validate(answer)
    except ValidationError as exc:
        bad = {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
        kept = {k: v for k, v in answer.items() if k not in bad}
        model = StoredCrediting.model_validate(kept)
        errors = [
            RowError(
                field=name,
                code="api_answer_unusable",
                message=(
                    f"The API answered {name} = {_shown(answer.get(name))}, which is not a "
                    "usable value; it is kept in the journal as the API sent it. Check this "
                    "crediting in Amili."
                ),
            )
            for name in sorted(bad)
        ]
        text = answer.get(TEXT)
        shown = {k: v for k, v in answer.items() if k != TEXT}
        raw_text = text if isinstance(text, str) else _text(shown)
        return Checked(_fields(model, answer), errors, raw_text)
    return Checked(_fields(model, answer))


def _fields(model: StoredCrediting, answer: dict[str, Any]) -> dict[str, Any]:
    """The model's values under the API's names, for the fields the answer had."""
    values = model.model_dump(by_alias=True, exclude_none=True)
    return {k: v for k, v in values.items() if k in answer}
