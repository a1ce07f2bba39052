"""The report's catalogue of words: every outcome, status, error code, API reason
key, Summary label and next-step sentence has a text in English and in Swedish, and the keys
are collected from the code itself — a new error code, reason key or label without both texts
fails here, not in front of a finance person."""

from __future__ import annotations

import ast
import re
import string

import pytest
from package_source import modules, nodes

from importer.config import BUILTIN_ALIASES
from importer.outcomes import ImportWarning, Outcome
from importer.report import KNOWN_STATUSES
from importer.validation import ERROR_CODES
from importer.words import CATALOGUE, LANGUAGES, error_key, text, warning_text

_ERROR_MAKERS = {"CellProblem", "RowError", "PostResult"}
_KEY = re.compile(r"(label|next|sheet|outcome|status|reason|error)\.[a-z_.]+\Z")


def _pattern(node: ast.JoinedStr) -> str:
    """An f-string as a regex: `f"{field}_invalid"` → `(.+)_invalid`."""
    parts = []
    for value in node.values:
        if isinstance(value, ast.Constant):
            parts.append(re.escape(str(value.value)))
        else:
            parts.append("(.+)")
    return "".join(parts)


def error_codes_in_code() -> tuple[set[str], set[str]]:
    """(literal codes, f-string code patterns) passed to the error constructors."""
    literal: set[str] = set()
    patterns: set[str] = set()
    for _path, tree in modules():
        for node in nodes(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in _ERROR_MAKERS:
                continue
            candidates = [kw.value for kw in node.keywords if kw.arg == "code"]
            if name == "CellProblem" and node.args:
                candidates.append(node.args[0])
            for value in candidates:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    literal.add(value.value)
                elif isinstance(value, ast.JoinedStr):
                    patterns.add(_pattern(value))
    return literal, patterns


def test_the_collector_finds_the_codes_it_must() -> None:
    literal, patterns = error_codes_in_code()
    assert {"amount_zero", "currency_missing", "api_rejected", "outcome_unknown"} <= literal
    assert {"(.+)_invalid", "api_http_(.+)"} <= patterns


def test_every_key_has_both_texts_with_the_same_placeholders() -> None:
    assert LANGUAGES == ("en", "sv")
    for key, texts in CATALOGUE.items():
        assert len(texts) == 2, key
        assert all(t.strip() for t in texts), key
        fields = [{f for _, f, _, _ in string.Formatter().parse(t) if f} for t in texts]
        assert fields[0] == fields[1], key


def test_every_outcome_and_status_has_words() -> None:
    for outcome in Outcome:
        assert f"outcome.{outcome.value}" in CATALOGUE
    for status in KNOWN_STATUSES:
        assert f"status.{status}" in CATALOGUE


def test_every_error_code_in_the_code_has_words() -> None:
    literal, patterns = error_codes_in_code()
    codes = literal | set(ERROR_CODES)
    codes.discard("")
    missing = sorted(code for code in codes if error_key(code) not in CATALOGUE)
    assert not missing, f"error codes without words: {missing}"
    fields = set(BUILTIN_ALIASES)
    for pattern in patterns:
        if pattern.startswith("api_http_"):
            assert error_key("api_http_404") in CATALOGUE
            continue
        for field in fields:
            code = re.sub(r"\(\.\+\)", field, pattern)
            if code in ERROR_CODES or field in {"creditor", "case", "invoice_number"}:
                assert error_key(code) in CATALOGUE, code


def test_every_reason_key_the_sandbox_produces_has_words() -> None:
    reasons = {
        node.value
        for _path, tree in modules()
        for node in nodes(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and re.fullmatch(r"crediting\.[a-z_]+", node.value)
    }
    assert reasons, "the sandbox's reason keys were not found"
    for reason in reasons:
        assert f"reason.{reason}" in CATALOGUE, reason


def test_every_key_the_code_asks_for_exists() -> None:
    asked = {
        node.value
        for path, tree in modules()
        if path.name != "words.py"
        for node in nodes(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and _KEY.fullmatch(node.value)
        and node.value.split(".", 1)[0] in {"label", "next", "sheet"}
    }
    assert asked
    assert not sorted(asked - set(CATALOGUE))


NIGHT_VALUES = {
    name: "x"
    for name in [
        "night",
        "inbox",
        "files",
        "code",
        "meaning",
        "started",
        "finished",
        "time",
        "text",
        "file",
        "creditor",
        "state",
        "where",
        "rows",
        "shown",
        "requested",
        "settled",
        "currency",
        "folder",
        "name",
        "row",
        "outcome",
        "note",
        "invoice",
        "reason",
        "step",
        "channel",
        "problem",
        "size",
        "credited",
        "attention",
        "unit",
        "host",
        "marker",
        "age",
        "fate",
        "days",
    ]
}
"""The placeholders of a night's summary and its notifications (`night.` keys)."""


_NAMED = dict.fromkeys(
    [
        "env",
        "creditor",
        "url",
        "rows",
        "amount",
        "note",
        "earlier",
        "where",
        "row",
        "file",
        "kind",
        "text",
        "message",
        "lanes",
        "lane_word",
        "rate",
        "seconds",
        "step",
        "inbox",
        "code",
        "meaning",
        "started",
        "path",
        "name",
        "state",
        "creditors",
        "files",
        "folder",
        "imports",
        "journal",
        "bytes",
        "kept",
        "megabytes",
        "open",
        "why",
        "outcomes",
        "statuses",
        "requested",
        "settled",
        "currency",
        "when",
        "page",
        "pages",
        "marker",
        "age",
        "days",
        "fate",
        "action",
        "who",
        "sha256",
        "column",
        "old",
        "new",
        "separator_name",
        "separator",
        "thousands",
        "decimals",
        "maximum",
        "date",
        "number",
        "pattern",
        "first",
        "last",
        "case",
        "invoice",
        "reference",
        "named",
        "hint",
        "cells",
        "header",
        "cell",
        "label",
        "shown",
        "reply",
        "status",
        "value",
        "length",
        "counts",
        "was",
        # the facts a refusal names (`refusal.` keys)
        "byte",
        "columns",
        "delimiter",
        "encoding",
        "expanded",
        "expected",
        "field",
        "fields",
        "found",
        "given",
        "line",
        "missing",
        "most",
        "packed",
        "part",
        "parts",
        "ratio",
        "seen",
        "sheets",
        "total",
        "what",
        "by",
        "item",
        "items",
        "problems",
        "second",
        "crediting",
        "why",
        "read",
    ],
    "x",
)
"""The other values the code fills in (the command line's and the drop summary's texts)."""


@pytest.mark.parametrize("language", LANGUAGES)
def test_texts_fill_their_placeholders(language: str) -> None:
    for key in CATALOGUE:
        filled = text(
            key,
            language,  # type: ignore[arg-type]
            id="imp-1",
            count="3",
            limit="5",
            sheet="All rows",
            csv="reports/imp-1/report.csv",
            **{**NIGHT_VALUES, **_NAMED},
        )
        # a placeholder left unfilled; a literal brace (config.yaml's `{amount: [...]}`) is text
        assert not re.search(r"\{[a-z_]*\}", filled), key


def test_an_unknown_reason_key_shows_as_itself() -> None:
    assert text("reason.crediting.brand_new", "sv") == "crediting.brand_new"


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("journal_alone", "the API answered 503, when asked whether this file was imported before"),
        ("api_lookup_refused", "the API refused the filter: where is not allowed"),
    ],
)
def test_a_warning_naming_its_cause_is_worded_in_swedish_with_the_cause_as_it_was_said(
    code: str, why: str
) -> None:
    """A warning whose stored sentence names a cause (the API's or the client's own words)
    is Swedish under `sv`, the cause kept as it was said behind the Swedish words — not the
    stored English sentence whole."""
    stored = ImportWarning(code=code, message=text(f"warning.{code}", "en", why=why))
    shown = warning_text(stored, "sv", env="AMILI_API_KEY")
    assert why in shown
    assert shown == text(f"warning.{code}", "sv", why=why)
    assert warning_text(stored, "en") == stored.message
    odd = ImportWarning(code=code, message="a sentence an older version wrote")
    assert warning_text(odd, "sv") == odd.message  # no facts to word it with: as stored
