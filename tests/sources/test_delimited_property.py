"""Property: any table csv.writer produces, in any supported delimiter and encoding, reads
back cell for cell with the right row numbers.

Constraints, and why:
- The header row is 2-6 identifier-like names (letters, digits, underscore). A header that
  itself contains delimiter characters makes the delimiter genuinely ambiguous (a human could
  not tell either), and real headers are names like these.
- Data rows have the header's width (csv.writer output of a rectangular table). Cells draw
  from ASCII letters, digits, space, all four delimiters, the quote, CR and LF, and å ä ö Å Ä
  Ö é €, all of which Windows-1252 can encode, so every encoding gets the same tables.
- Windows-1252 bytes that happen to be valid UTF-8 as well are read as UTF-8, by design
  (strict UTF-8 is tried first): pure ASCII, with identical cells, so only the reported
  encoding differs; and rare pairs such as "Ä€" (C4 80, which is UTF-8 for "Ā"), which are
  left out with `assume`. Real Swedish text is never affected: a lowercase å, ä or ö in
  Windows-1252 is never valid UTF-8.
"""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from importer.errors import FileRejected
from importer.sources import read_source

DELIMITERS = [",", ";", "\t", "|"]
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "cp1252"]
ALPHABET = 'abcXYZ019 ,;\t|"\r\nåäöÅÄÖé€'

headers = st.lists(
    st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,8}", fullmatch=True), min_size=2, max_size=6
)
cells = st.text(alphabet=ALPHABET, max_size=8)


@st.composite
def tables(draw: st.DrawFn) -> list[list[str]]:
    header = draw(headers)
    rows = draw(st.lists(st.lists(cells, min_size=len(header), max_size=len(header)), max_size=12))
    return [header, *rows]


def is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def is_blank(row: list[str]) -> bool:
    return all(not cell or cell.isspace() for cell in row)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    table=tables(),
    delimiter=st.sampled_from(DELIMITERS),
    encoding=st.sampled_from(ENCODINGS),
)
@pytest.mark.slow
def test_written_tables_read_back(table: list[list[str]], delimiter: str, encoding: str) -> None:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter).writerows(table)
    text = buffer.getvalue()
    data = text.encode(encoding)
    if encoding == "cp1252" and not text.isascii():
        assume(not is_utf8(data))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "table.csv"
        path.write_bytes(data)
        source = read_source(path)

    assert source.delimiter == delimiter
    expected = [(number, tuple(row)) for number, row in enumerate(table, 1) if not is_blank(row)]
    assert source.records == expected
    if encoding != "cp1252" or not text.isascii():
        assert source.encoding == encoding


@st.composite
def open_quote_files(draw: st.DrawFn) -> tuple[str, int]:
    """A table with one quote opened at the start of a cell and never closed, and the row
    (as a spreadsheet numbers it) where it opens. Cells hold no quotes and no line breaks,
    and never the table's own delimiter, so nothing else is quoted; they may hold the other
    delimiters, decimal commas in a `;` file above all."""
    delimiter = draw(st.sampled_from(DELIMITERS))
    header = draw(headers)
    plain = st.text(alphabet=[c for c in "abcXYZ019 ,;|.\tåäö" if c != delimiter], max_size=8)
    rows = draw(st.lists(st.lists(plain, min_size=len(header), max_size=len(header)), min_size=1))
    row = draw(st.integers(0, len(rows) - 1))
    cell = draw(st.integers(0, len(header) - 1))
    rows[row][cell] = '"' + rows[row][cell]
    text = "\r\n".join(delimiter.join(cells) for cells in [header, *rows]) + "\r\n"
    return text, row + 2


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=open_quote_files(), encoding=st.sampled_from(ENCODINGS))
def test_a_quote_never_closed_is_named_whatever_the_delimiter(
    case: tuple[str, int], encoding: str
) -> None:
    text, row = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "table.csv"
        path.write_bytes(text.encode(encoding))
        try:
            read_source(path)
        except FileRejected as rejected:
            problem = rejected.problem
        else:
            raise AssertionError("a file with a quote that is never closed was read")
    assert problem.startswith(f"row {row}: a quoted field is never closed"), problem
