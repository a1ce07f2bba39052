"""Correction files for `importer rerun --fix`: the usual workflow is to open the import's
`report.csv`, fix the failed rows and save it. Rows are matched to the original by the `row`
column when the file has one (report.csv does), otherwise by the file's own row numbers (a
corrected copy of the original file)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

from importer.config import Config
from importer.errors import FileRejected
from importer.journal import ImportRecord, Journal, NewRow
from importer.mapping import Mapper, normalise_header
from importer.outcomes import Outcome
from importer.pipeline.reference import generated_reference
from importer.report.cells import FORMULA_START
from importer.sources import Cell, read_source
from importer.validation import Validator


def _restore(cell: Cell) -> Cell:
    """Undo report.csv's formula neutralisation (`'=…` → `=…`), so a corrected cell reads as
    the person typed it."""
    if isinstance(cell, str) and len(cell) > 1 and cell[0] == "'" and cell[1] in FORMULA_START:
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
    # report.csv adds its `row` after the file's own columns. A file with a "Row" column
    # of its own keeps that column in its report, so only a `row` column beyond as many as
    # the original file had numbers the rows — the last one.
    own = [normalise_header(h) for h in record.columns].count("row")
    numbered = [i for i, h in enumerate(columns.headers) if normalise_header(h) == "row"]
    row_column = numbered[-1] if len(numbered) > own else None
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
    # A header the original file has twice is matched by order of appearance.
    positions: dict[str, list[int]] = {}
    for index, header in enumerate(columns.headers):
        positions.setdefault(header, []).append(index)
    seen: Counter[str] = Counter()
    picks: list[int | None] = []
    for header in record.columns:
        found = positions.get(header, [])
        picks.append(found[seen[header]] if seen[header] < len(found) else None)
        seen[header] += 1
    checked = Validator(config).validate_columns(mapped.columns, len(numbers), numbers)
    corrections: list[NewRow] = []
    for number, texts, result in zip(numbers, mapped.sources, checked, strict=True):
        cells = [texts[i] if i is not None and i < len(texts) else "" for i in picks]
        if result.request is None:
            corrections.append(NewRow(number, cells, None, result.errors, Outcome.INVALID))
        else:
            corrections.append(NewRow(number, cells, result.request.model_dump(exclude_none=True)))
    return corrections


def apply_fixes(config: Config, journal: Journal, record: ImportRecord, fix: Path) -> list[str]:
    """Replace rows by row number with their corrections. A credited (or duplicate) row
    is final and an `unknown` one must be reconciled first: corrections for them are
    not applied, and the operator is told which. Returns those notes. Row numbers that
    are not in the import reject the whole correction file before anything changes."""
    kept: dict[str, list[int]] = {}
    corrections = read_corrections(config, fix, record)
    current = {new.row: journal.get_row(record.id, new.row) for new in corrections}
    strangers = [number for number, row in current.items() if row is None]
    if strangers:
        raise FileRejected(
            fix.name,
            f"row(s) {_row_list(strangers)} are not rows of import "
            f"{record.id} ({record.file_name}); nothing was changed",
        )
    for new in corrections:
        outcome = current[new.row].outcome  # type: ignore[union-attr]
        if outcome in (Outcome.CREDITED, Outcome.DUPLICATE, Outcome.UNKNOWN):
            kept.setdefault(outcome.value, []).append(new.row)
            continue
        if new.request is not None and config.reference.generate:
            new.request.setdefault("creditor_reference", generated_reference(record.id, new.row))
        journal.replace_row(record.id, new)
    return [
        f"{len(rows)} {outcome} row(s) of {fix.name} left as they were (rows {_row_list(rows)})"
        for outcome, rows in kept.items()
    ]


def _row_list(rows: list[int], shown: int = 10) -> str:
    text = ", ".join(map(str, rows[:shown]))
    return text + (f" and {len(rows) - shown} more" if len(rows) > shown else "")
