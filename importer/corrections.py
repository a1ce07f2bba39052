"""Correction files for `importer rerun --fix`: the usual workflow is to open the import's
`report.csv`, fix the failed rows and save it. Rows are matched to the original by the `row`
column when the file has one (report.csv does), otherwise by the file's own row numbers (a
corrected copy of the original file)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from importer.config import Config
from importer.errors import FileRejected
from importer.journal import ImportRecord, NewRow
from importer.mapping import Mapper, normalise_header
from importer.outcomes import Outcome
from importer.sources import Cell, read_source
from importer.validation import Validator


def _restore(cell: Cell) -> Cell:
    """Undo report.csv's formula neutralisation (`'=…` → `=…`), so a corrected cell reads as
    the person typed it."""
    if isinstance(cell, str) and len(cell) > 1 and cell[0] == "'" and cell[1] in "=+-@\t\r":
        return cell[1:]
    return cell


def read_corrections(config: Config, path: Path, record: ImportRecord) -> list[NewRow]:
    source = read_source(
        path,
        encoding=config.input.encoding,
        delimiter=config.input.delimiter,
        sheet=config.input.sheet,
    )
    source = replace(
        source,
        records=[
            (number, tuple(_restore(cell) for cell in cells)) for number, cells in source.records
        ],
    )
    mapper = Mapper(config)
    columns = mapper.find_columns(source)
    mapped = mapper.map_rows(source, columns)
    normalised = [normalise_header(h) for h in columns.headers]
    row_column = normalised.index("row") if "row" in normalised else None
    numbers: list[int] = []
    for file_row, texts in zip(mapped.row_numbers, mapped.sources, strict=True):
        if row_column is None:
            numbers.append(file_row)
            continue
        text = texts[row_column].strip() if row_column < len(texts) else ""
        if not text.isdigit():
            raise FileRejected(
                source.name,
                f"row {file_row}: the 'row' column must hold the original row number, not {text!r}",
            )
        numbers.append(int(text))
    # Keep only the original file's columns: outcome columns of a report are not source cells.
    by_header = {h: i for i, h in enumerate(columns.headers)}
    picks = [by_header.get(h) for h in record.columns]
    checked = Validator(config).validate_columns(mapped.columns, len(numbers), numbers)
    corrections: list[NewRow] = []
    for number, texts, result in zip(numbers, mapped.sources, checked, strict=True):
        cells = [texts[i] if i is not None and i < len(texts) else "" for i in picks]
        if result.request is None:
            corrections.append(NewRow(number, cells, None, result.errors, Outcome.INVALID))
        else:
            corrections.append(NewRow(number, cells, result.request.model_dump(exclude_none=True)))
    return corrections
