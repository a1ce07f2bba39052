"""report.json writes a column of texts in one orjson call, indented, and takes its lines as
the elements (`importer.report.json_writer` says why). These tests hold each element equal to
what orjson, pydantic and the public `json` encoder write for the value alone — for any text,
line breaks, quotes and control characters included — and fail the day an orjson release
lays out an indented list differently. A column of plain ASCII texts is not encoded at all:
its JSON is each text between quotes (`_text_parts`), held to the same encoders here."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from importer.report import json_writer
from importer.report.cells import join_parts

TEXTS = st.text(alphabet=st.characters(blacklist_categories=("Cs",)))


@given(st.lists(TEXTS, max_size=20))
def test_a_column_of_texts_is_each_text_as_orjson_and_the_public_encoder_write_it(
    texts: list[str],
) -> None:
    written = json_writer._json_texts(texts)
    assert written == [orjson.dumps(text).decode() for text in texts]
    assert written == [json.JSONEncoder(ensure_ascii=False).encode(text) for text in texts]


@given(st.lists(st.one_of(st.none(), TEXTS, st.integers(-(2**63), 2**63 - 1)), max_size=20))
def test_a_column_with_nulls_and_numbers_is_each_value_as_orjson_writes_it(
    values: list[object],
) -> None:
    assert json_writer._json_texts(values) == [orjson.dumps(v).decode() for v in values]


def test_a_tuple_of_cells_is_written_as_a_list_would_be() -> None:
    assert json_writer._json_texts(("a", "b\nc")) == ['"a"', '"b\\nc"']


def test_orjson_lays_out_an_indented_list_one_element_a_line() -> None:
    assert orjson.dumps(["a", None, 1], option=orjson.OPT_INDENT_2) == b'[\n  "a",\n  null,\n  1\n]'
    assert orjson.dumps([], option=orjson.OPT_INDENT_2) == b"[]"


def test_a_value_spanning_lines_is_written_value_by_value() -> None:
    values: list[object] = [["one"], {"k": "v"}, "text", [1, 2]]
    assert json_writer._json_texts(values) == ['["one"]', '{"k":"v"}', '"text"', "[1,2]"]


def test_a_time_is_written_as_the_other_report_values_are() -> None:
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert json_writer._json_texts([at, "x"]) == ['"2026-01-02T03:04:05Z"', '"x"']


def test_a_value_orjson_cannot_write_raises_its_error() -> None:
    with pytest.raises(TypeError):
        json_writer._json_texts(["x", Decimal("1.5")])


PLAIN_OR_NOT = st.text(alphabet=st.sampled_from('aZ09 -./:,;"\\\x00\x1f\x7f\n\tå€'), max_size=6)


@given(st.lists(st.one_of(PLAIN_OR_NOT, TEXTS), min_size=1, max_size=20))
def test_a_column_of_texts_as_parts_is_each_text_as_the_encoders_write_it(
    texts: list[str],
) -> None:
    written = join_parts(json_writer._text_parts(texts), len(texts))
    assert written == [orjson.dumps(text).decode() for text in texts]
    assert written == [json.JSONEncoder(ensure_ascii=False).encode(text) for text in texts]


def test_only_plain_ascii_texts_are_written_unencoded() -> None:
    plain = ["INV-0001", "2026-01-02", "a b/c.d:e,f;g"]
    assert json_writer._text_parts(plain) == ['"', plain, '"']
    for odd in ('say "hi"', "back\\slash", "tab\there", "nul\x00", "å"):
        parts = json_writer._text_parts([*plain, odd])
        assert len(parts) == 1, odd
    assert json_writer._text_parts(["x", 1]) == [['"x"', "1"]]  # not a text: encoded
    assert json_writer._text_parts(["\x7f"]) == ['"', ["\x7f"], '"']  # DEL: no encoder escapes it
