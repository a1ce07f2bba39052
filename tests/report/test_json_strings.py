"""report.json writes its texts with the json module's C string writer, which is not public
(`importer.report.json_writer` says why: the public encoder costs 6-8% of a large validate).
These tests fail the day a Python release drops it or makes it write a text differently from
orjson and pydantic — the writers the rest of the report, and the test holding each row equal
to `ReportRow.model_dump_json`, rely on."""

from __future__ import annotations

import json.encoder

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from importer.report import json_writer


def test_the_c_string_writer_is_there_and_is_the_one_used() -> None:
    native = json.encoder.c_encode_basestring  # type: ignore[attr-defined]
    assert native is not None
    assert json_writer._json_text is native


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",))))
def test_a_text_is_written_as_orjson_and_the_public_encoder_write_it(text: str) -> None:
    written = json_writer._json_text(text)
    assert written == orjson.dumps(text).decode()
    assert written == json.JSONEncoder(ensure_ascii=False).encode(text)


@pytest.mark.parametrize("value", [None, 1, 1.5, b"x"])
def test_anything_but_a_text_is_refused_so_the_column_is_written_value_by_value(
    value: object,
) -> None:
    with pytest.raises(TypeError):
        json_writer._json_text(value)  # type: ignore[arg-type]
