"""report.csv, written column-wise, byte for byte what `csv.writer` would write."""

from __future__ import annotations

import codecs
from typing import Any, BinaryIO

from importer.outcomes import Outcome
from importer.report.blocks import RowBlock
from importer.report.cells import join_parts
from importer.report.model import IMPORT_COLUMN, Report
from importer.report.settings import ReportSettings
from importer.report.table import table_columns_of, table_header
from importer.sources.model import NUMBER_TEXT

# CSV of one block, column by column, byte for byte what `csv.writer` (the excel dialect:
# `,`, CRLF, minimal quoting) writes — a test holds them equal. csv.writer costs ~80 ns a
# field in C; most columns of a report need no quoting at all (row numbers, outcomes, ids,
# amounts written with a decimal point), and that is settled with one scan per column, so
# what is left is joining texts, half the time.
_CSV_SPECIAL = ('"', "\r", "\n")
"""What makes csv.writer quote a field besides the delimiter: the quote, a line ending."""


def _csv_field(text: str, delimiter: str = ",") -> str:
    if '"' in text or delimiter in text or "\r" in text or "\n" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv_column(column: Any, delimiter: str = ",") -> Any:
    """One column as CSV fields: a text for a constant (see `table_columns_of`), else a list.
    None is "" and anything not a text is `str()`ed, as csv.writer does."""
    if not isinstance(column, list):
        return _csv_field("" if column is None else str(column), delimiter)
    types = set(map(type, column))
    if not types <= _TEXT_TYPES:
        if _NONE in types:
            column = ["" if v is None else str(v) for v in column]
        else:  # row numbers, attempt counts: one C-level pass
            column = list(map(str, column))
    joined = "\x00".join(column)
    if delimiter not in joined and not any(special in joined for special in _CSV_SPECIAL):
        return column
    return [_csv_field(v, delimiter) for v in column]


_TEXT_TYPES = {str, Outcome}  # joined as they are (a StrEnum is its value)
_NONE = type(None)


def csv_lines(cells: list[Any], count: int, delimiter: str = ",") -> str:
    """The CRLF-terminated CSV lines of `count` rows given column-wise (`table_columns_of`),
    fields separated by `delimiter` (byte for byte what `csv.writer(delimiter=...)` writes)."""
    if not count:
        return ""
    columns = [_csv_column(column, delimiter) for column in cells]
    parts = join_parts(_interleave(columns, delimiter), count)
    return "\r\n".join(parts) + "\r\n"


def _interleave(columns: list[Any], separator: str) -> list[Any]:
    """The parts of `join_parts` for `columns` with `separator` between them."""
    parts: list[Any] = []
    for index, column in enumerate(columns):
        if index:
            parts.append(separator)
        parts.append(column)
    return parts


class CsvWriter:
    """report.csv: UTF-8 with BOM, so Excel detects the encoding (without it, Excel assumes the
    ANSI code page and mangles å, ä, ö); the file's own columns first, so the operator can fix
    failed rows and feed the file back with `--fix`, and the import id last (`IMPORT_COLUMN`),
    so `--fix` knows whose report it is. Lines end in CRLF (RFC 4180). Delimiter
    and decimal mark follow `ReportSettings.csv_format` (the source's dialect by default)."""

    def __init__(
        self,
        report: Report,
        columns: list[str],
        handle: BinaryIO,
        settings: ReportSettings | None = None,
    ) -> None:
        self._handle = handle
        self._columns = columns
        settings = settings or ReportSettings()
        self._delimiter, self._decimal = settings.csv_format()
        source = settings.source
        # A workbook's amounts were numbers, shown as General shows them ("1250.5"): in a
        # decimal-comma report they are written with the comma, as the spreadsheet that
        # opens it shows numbers, so an edited report reads back with one decimal mark.
        self._amount_column = (
            source.amount_column
            if source.workbook and self._decimal == "," and source.amount_column is not None
            else None
        )
        self._import_id = report.file_import_report
        self._zone = settings.timezone
        header = [*table_header(columns), IMPORT_COLUMN]
        handle.write(codecs.BOM_UTF8 + csv_lines(header, 1, self._delimiter).encode("utf-8"))

    def add(self, block: RowBlock) -> None:
        cells = [
            *table_columns_of(block, self._columns, self._decimal, self._zone),
            self._import_id,
        ]
        at = self._amount_column
        if at is not None and at < len(self._columns):
            cells[at] = _decimal_comma(cells[at])
        self._handle.write(csv_lines(cells, len(block.row), self._delimiter).encode("utf-8"))

    def finish(self) -> None:
        pass


def _decimal_comma(column: Any) -> Any:
    """A column of a workbook's number texts ("1250.5") with a decimal comma ("1250,5");
    any other text (an amount the workbook held as text) as it was."""
    if not isinstance(column, list):
        return _decimal_comma([column])[0]
    return [decimal_comma(text) if isinstance(text, str) else text for text in column]


def decimal_comma(text: str) -> str:
    """A workbook's number text as a decimal-comma report.csv writes it ("1250.5" →
    "1250,5"); any other text as it is. `rerun --fix` reads it back as the row's own."""
    return text.replace(".", ",") if NUMBER_TEXT.fullmatch(text) else text
