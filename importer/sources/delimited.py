"""Read delimited text (CSV) the way creditors' systems and Excel really write it.

Named `delimited` rather than `csv` so it never shadows the standard library module.

Encoding, when not pinned by the caller, is decided from the bytes (`sources.text_encoding`).

The delimiter, when not pinned, is the one among `,` `;` tab `|` under which the start of
the file reads most like one table (see `detect_delimiter`). Parsing uses the
standard `csv` module with `strict=True`, so an unterminated quote — which would otherwise
silently swallow every following row into one cell — rejects the file.

Row numbers count records, not physical lines: a quoted field spanning several lines is one
row, as Excel shows it after opening the file.

A text whose last line has no line break may have been cut off mid-row (an upload broken off
at `8 234` where the ERP wrote `8 234,50`): every system that writes CSV ends each row with
one. The reader does not decide what that means; it names the row (`unterminated_row`) and
the mapping stage holds it back unless the operator says the sender's files end so.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain, islice
from operator import itemgetter

from importer.errors import FileRejected
from importer.refusal import Refusal
from importer.sources.model import Record
from importer.sources.text_encoding import decode, line_of

CANDIDATES = (",", ";", "\t", "|")
SAMPLE_CHARS = 64 * 1024
SAMPLE_LINES = 5
"""The sample always reaches the end of this many lines, however long they are."""

_LINE_END = re.compile(r"\r\n?|\n")
_SEP_HINT = re.compile(r"sep=(.)(\r\n|\n|\r)")
_NOISE = str.maketrans("", "", "".join(CANDIDATES) + '"')
_OTHER_LINE_BREAKS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"  # str.splitlines breaks at these
_SLICE_CHARS = 1 << 20
_MARKUP_STARTS = ("<!doctype html", "<html", "<table", "<?xml", "<workbook")


def decode_delimited(
    data: bytes, file: str, *, encoding: str | None = None, delimiter: str | None = None
) -> tuple[str, str, str]:
    """Decode `data` and tell its delimiter; return (encoding used, delimiter used, the text
    to parse: without a leading `sep=` line). Raises FileRejected for a text that is no CSV
    (NUL bytes, markup)."""
    text, used_encoding = decode(data, file, encoding)
    nul = text.find("\x00")
    if nul >= 0:
        raise FileRejected(file, Refusal("nul_byte", line=line_of(text, nul)))
    _reject_markup(text, file)
    # Excel honours a first line "sep=;" as the delimiter and does not show it as a row.
    hint = _SEP_HINT.match(text)
    if hint:
        text = text[hint.end() :]
        if delimiter is None:
            delimiter = hint.group(1)
    if delimiter is None:
        delimiter = detect_delimiter(text)
    elif len(delimiter) != 1 or delimiter in '"\r\n':
        raise FileRejected(file, Refusal("bad_delimiter", given=repr(delimiter)))
    return used_encoding, delimiter, text


def unterminated_row(text: str, delimiter: str, records: Sequence[Record]) -> int | None:
    """The row number of the last record when the text's last line has no line break and
    holds more than delimiters, quotes and spaces (a blank last line cut nothing), unless
    that record is the header alone (there is no row to hold back)."""
    if not records or not maybe_unterminated(text, delimiter) or len(records) < 2:
        return None
    return records[-1][0]


def maybe_unterminated(text: str, delimiter: str) -> bool:
    """Whether the text's last line has no line break and holds more than delimiters,
    quotes and spaces: then its last record may have been cut (`unterminated_row`)."""
    if text.endswith(("\n", "\r")):
        return False
    tail = text[max(text.rfind("\n"), text.rfind("\r")) + 1 :]
    return bool(tail.replace(delimiter, "").replace('"', "").strip())


def _reject_markup(text: str, file: str) -> None:
    """Some systems save an HTML table or Excel 2003 XML under an .xls name. Read as CSV
    it would only fail later with a puzzling "no header row"; say what it is instead."""
    head = text[:1024].lstrip().lower()
    if head.startswith(_MARKUP_STARTS):
        raise FileRejected(file, Refusal("markup"))


def detect_delimiter(text: str) -> str:
    """Pick the delimiter under which the start of the file reads most like one table.

    Each candidate is tried with the csv parser itself, so quoted fields are honoured exactly
    as in the real parse, on the same sample (see `_sample`). Counting
    physical lines, not records (under a wrong delimiter a quoted multi-line cell falls apart
    into several short records that could outnumber the real ones), candidates are ranked by:

    1. lines whose record splits into two or more fields, plus blank lines (a blank row fits
       any table). Rows need not all have the same width: Excel drops trailing empty cells
       in some rows. The header row splits under the right delimiter only, which is what
       makes this robust against decimal commas in `;` files or commas in a text column;
    2. lines whose record has the table's most common width: consistency;
    3. a sample free of quoting errors, which are typical of a wrong delimiter;
    4. how many records at the end of the sample split: a table runs on downwards, while
       title rows (which may contain a comma) sit above it;
    5. the wider table, then the order `,` `;` tab `|`.

    When no candidate splits anything the file has one column, and `,` is returned.
    """
    sample = _sample(text)
    truncated = len(text) > len(sample)
    best: tuple[int, int, bool, int, int, int] | None = None
    chosen = CANDIDATES[0]
    for order, candidate in enumerate(CANDIDATES):
        if candidate not in sample:
            continue
        records, clean = _sample_records(sample, candidate, truncated)
        lines_by_width: Counter[int] = Counter()
        blank_lines = 0
        for width, lines, has_content in records:
            if not has_content:
                blank_lines += lines
            elif width > 1:
                lines_by_width[width] += lines
        if not lines_by_width:
            continue
        table_width, consistent = max(lines_by_width.items(), key=lambda item: (item[1], item[0]))
        split = blank_lines + sum(lines_by_width.values())
        trailing = 0
        for width, _, has_content in reversed(records):
            if has_content and width < 2:
                break
            trailing += has_content
        score = (split, consistent, clean, trailing, table_width, -order)
        if best is None or score > best:
            best, chosen = score, candidate
    return chosen


def _sample(text: str) -> str:
    """The first `SAMPLE_CHARS` characters, stretched to the end of the first `SAMPLE_LINES`
    lines: a header longer than the sample (a 20,000-column export) would otherwise be cut,
    and with it the one row that tells the delimiter."""
    end = 0
    for count, match in enumerate(_LINE_END.finditer(text), 1):
        end = match.end()
        if count == SAMPLE_LINES or end >= SAMPLE_CHARS:
            break
    else:
        end = len(text)
    return text[: max(SAMPLE_CHARS, end)]


def _sample_records(
    sample: str, delimiter: str, truncated: bool
) -> tuple[list[tuple[int, int, bool]], bool]:
    """(field count, physical lines, has content) of each record of the sample under
    `delimiter`, and whether the sample parses without a quoting error.

    A record with nothing but whitespace, quotes and candidate delimiters has no content: it
    says nothing about which delimiter is right. The records come from a lenient parse, so
    that one sloppy quote under the right delimiter does not hide its row (the real parse
    will report it); a strict parse of the same sample tells whether the candidate reads it
    cleanly, since quoting errors are typical of a wrong delimiter.
    """
    records: list[tuple[int, int, bool]] = []
    lenient = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
    line = 0
    try:
        for row in lenient:
            lines, line = lenient.line_num - line, lenient.line_num
            content = "".join(row).translate(_NOISE)
            records.append((len(row), lines, bool(content) and not content.isspace()))
    except csv.Error:
        # A cell beyond the csv module's field limit: under a wrong delimiter, a long header
        # is one such cell. The records before it still count; the candidate is not clean.
        return records, False
    cut_mid_line = truncated and not sample.endswith(("\n", "\r"))
    if cut_mid_line and records and records[-1][1] == 1:
        # The cut may have shortened the last line. A last record spanning lines is kept:
        # a quoted cell with line breaks, or a quote left open that swallows the rest of
        # the sample — either way its lines say which delimiter they split under.
        records.pop()
    strict = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter, strict=True)
    try:
        for _ in strict:
            pass
    except csv.Error as error:
        if truncated and "unexpected end of data" in str(error):
            return records, True  # an open quote at the end of a cut sample is the cut's doing
        # A quote left open to the end swallowed every line after it into the last record.
        # Those lines still count as split under this delimiter when the record does: in a
        # `;` file whose amounts have decimal commas, they would otherwise all "split" under
        # `,` instead, `,` would win, and the file would be refused for having no header
        # rather than for its open quote. Ranked not clean, a wrong delimiter that opened
        # a quote still loses to the right one, under which every line splits.
        return records, False
    return records, True


def parse(text: str, delimiter: str, file: str) -> list[Record]:
    """Parse decoded text into (row number, cells) for every non-blank record, all at once
    (`parse_blocks` hands them on a block at a time; both read `_record_slices`)."""
    return list(chain.from_iterable(_record_slices(text, delimiter, file)))


def _reader_records(
    lines: Iterable[str], delimiter: str, file: str, *, quoted: bool, before: int = 0
) -> Iterator[Record]:
    """The non-blank records the csv module reads from `lines`, numbered after `before`."""
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    row_number = before
    try:
        for row in reader:
            row_number += 1
            if row:
                first = row[0]
                if (first and not first.isspace()) or _has_text(row):
                    yield (row_number, tuple(row))
    except csv.Error as error:
        raise FileRejected(
            file, _parse_problem(str(error), row_number + 1, quoted=quoted)
        ) from error


def parse_blocks(
    text: str, delimiter: str, file: str, size: int, first: int | None = None
) -> Iterator[list[Record]]:
    """`parse` a block of `size` records at a time (the first block `first` records, when
    given), parsing as it goes: a large file's cells are never all held at once
    (docs/pipeline.md, "Blocks"). A text the csv reader refuses raises FileRejected when the
    block holding the bad row is reached."""
    want = size if first is None else first
    block: list[Record] = []
    for records in _record_slices(text, delimiter, file):
        block += records
        while len(block) >= want:
            yield block[:want]
            block, want = block[want:], size
    if block:
        yield block


_READER_SLICE = 10_000
"""Records the csv reader's path hands on at a time (`_record_slices`)."""


def _record_slices(text: str, delimiter: str, file: str) -> Iterator[list[Record]]:
    """`parse`'s records a slice of about a megabyte of text at a time.

    The hot path for large files. Without a quote, csv's reading of a line is splitting it
    at the delimiter: every line is one record (csv reads an empty line as no cells, this as
    one empty cell: blank either way), so such a text is split, which gives the same records
    in half the time. Texts csv would read differently are left to the one C-level csv
    reader: one with a quote, or with a line break `str.splitlines` knows and csv does not —
    and a slice holding a line longer than csv's field limit (its error names the row). The
    blank-row test only goes past the first cell when that cell is empty."""
    if '"' in text or any(separator in text for separator in _OTHER_LINE_BREAKS):
        records = _reader_records(_physical_lines(text), delimiter, file, quoted='"' in text)
        while chunk := list(islice(records, _READER_SLICE)):
            yield chunk
        return
    limit = csv.field_size_limit()
    number = 0
    for piece in _slices(text):
        lines = piece.splitlines()
        if max(map(len, lines), default=0) > limit:
            keep = piece.splitlines(keepends=True)
            yield list(_reader_records(keep, delimiter, file, quoted=False, before=number))
        else:
            yield _numbered([tuple(line.split(delimiter)) for line in lines], number)
        number += len(lines)


def _numbered(rows: list[tuple[str, ...]], before: int) -> list[Record]:
    """The non-blank rows of a slice of lines split at the delimiter, numbered after
    `before` (without a Python step a row for the usual slice, which has no blank row)."""
    numbers = range(before + 1, before + len(rows) + 1)
    firsts = list(map(str.strip, map(itemgetter(0), rows)))
    if "" not in firsts:
        return list(zip(numbers, rows, strict=True))
    return [
        (number, row)
        for number, row, first in zip(numbers, rows, firsts, strict=True)
        if first or _has_text(row)
    ]


def _physical_lines(text: str) -> Iterator[str]:
    """The lines of `text` with their endings (LF, CRLF or CR), as the csv reader wants them.

    `io.StringIO(text, newline="")` gives the same lines but first copies the text into a
    4-bytes-per-character buffer (about 50 MB for a 12 MB file), so the text is split here in
    slices of about a megabyte instead. `str.splitlines` also breaks at form feeds and a few
    Unicode separators that are ordinary characters to csv and Excel, so a text holding any
    of those goes through StringIO after all.
    """
    if any(separator in text for separator in _OTHER_LINE_BREAKS):
        yield from io.StringIO(text, newline="")
        return
    for piece in _slices(text):
        yield from piece.splitlines(keepends=True)


def _slices(text: str) -> Iterator[str]:
    """`text` in slices of about `_SLICE_CHARS`, each ending after a LF (or at the end), so
    no line — and no CRLF — is cut in two."""
    start, size = 0, len(text)
    while start < size:
        end = text.find("\n", start + _SLICE_CHARS)
        end = size if end < 0 else end + 1
        yield text[start:end]
        start = end


def _has_text(row: Sequence[str]) -> bool:
    joined = "".join(row)
    return bool(joined) and not joined.isspace()


def _parse_problem(message: str, row: int, *, quoted: bool = True) -> Refusal:
    """Turn the csv module's message into words a finance person can act on. `quoted` says
    whether the text holds a quote character at all: without one, an overlong cell is just
    that, and no quote may be blamed."""
    if "unexpected end of data" in message:
        return Refusal("unclosed_quote", row=row)
    if "field larger than field limit" in message:
        code = "cell_too_long_quote" if quoted else "cell_too_long"
        return Refusal(code, row=row, most=csv.field_size_limit())
    if "expected after" in message:
        return Refusal("text_after_quote", row=row)
    return Refusal("csv_unreadable", row=row, reason=message)
