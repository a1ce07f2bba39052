"""The table of report.csv and report.xlsx: the file's own cells, then the outcome columns."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import repeat
from typing import Any

from importer.report.blocks import RowBlock
from importer.report.cells import (
    duplicate_text,
    errors_text,
    money_text,
    neutralised,
    optional_texts,
    safe_text,
)
from importer.report.model import OUTCOME_COLUMNS


def table_columns_of(
    block: RowBlock, columns: list[str], decimal: str = ".", zone: str | None = None
) -> list[Any]:
    """The cells shared by report.csv and report.xlsx for one block, column by column: the
    file's raw cells, then the outcome columns (`OUTCOME_COLUMNS`). Text that came from
    outside — the file's cells, and the id, status, reason and error texts the API or
    validation (quoting input) produced — is neutralised; ints, the outcome, formatted money
    and our own "import X row N" phrasing cannot start a formula. Absent values are "".
    A column the same on every row is a plain value (not a list): see `_join_parts`. A
    resolution's time is shown in `zone` (`report.timezone`)."""
    count = len(block.row)
    width = len(columns)
    cells: list[Any]
    if block.keyed:
        cells = [
            list(map(dict.get, block.source, repeat(column, count), repeat("", count)))
            for column in columns
        ]
    elif not width:
        cells = []
    else:
        sources = block.source
        if set(map(len, sources)) != {width} or len(set(columns)) != width:
            sources = [[s.get(c, "") for c in columns] for s in block.sources(columns)]
        cells = [list(column) for column in zip(*sources, strict=True)] if sources else [[]] * width
    cells = [neutralised(column) for column in cells]
    errors = block.errors
    duplicates = block.duplicate_of
    settled = block.settled_amount
    http = block.http_status
    cells += (
        block.row,
        block.outcome,  # a StrEnum is its value to csv and openpyxl alike
        optional_texts(block.id),
        optional_texts(block.status),
        optional_texts(block.status_reason_locale),
        "" if settled is None else ["" if v is None else money_text(v, decimal) for v in settled],
        "" if http is None else ["" if v is None else v for v in http],
        neutralised([errors_text(e) if e else "" for e in errors]) if any(errors) else "",
        "" if duplicates is None else [duplicate_text(d) if d else "" for d in duplicates],
        0 if block.attempts is None else list(map(len, block.attempts)),
        ""
        if block.resolution is None
        else neutralised([r.text(zone) if r else "" for r in block.resolution]),
    )
    return cells


def table_rows_of(block: RowBlock, columns: list[str]) -> Iterator[tuple[Any, ...]]:
    """`table_columns_of`, row by row."""
    count = len(block.row)
    cells = table_columns_of(block, columns)
    return zip(*[c if isinstance(c, list) else repeat(c, count) for c in cells], strict=False)


def table_header(columns: list[str]) -> list[str]:
    return [safe_text(c) for c in columns] + list(OUTCOME_COLUMNS)
