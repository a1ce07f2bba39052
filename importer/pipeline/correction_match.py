"""How a correction row finds the row it corrects: by key, never by position.

A correction row is matched to the row it corrects by, in this order of preference:

1. the `row` column (report.csv and report.xlsx carry the original row number);
2. else the credit note (`credit_invoice`), as the original file has it;
3. else the file's own reference (`creditor_reference`; generated references are not the
   file's and never match).

Position is never used: a file holding just the two corrected rows would otherwise replace
rows 2 and 3 with them, crediting one row's amount against another's invoice. A correction row
that matches no row, or several, or a row another correction row already matched, rejects the
whole correction file before anything changes, naming the rows.

Apart from `pipeline.corrections`, which reads a correction file and applies it: this is the
rule that keeps one row's correction off another row's money, and it reads best on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from importer.errors import FileRejected
from importer.journal import ImportRecord, JournalRow
from importer.mapping import ColumnMap, MappedRows, Mapper, normalise_header
from importer.refusal import Refusal
from importer.words import LANGUAGES, text

KEYS = ("credit_invoice", "creditor_reference")
"""The file-supplied keys a correction can be matched by when it has no `row` column."""
ROW_HEADERS = frozenset(
    {"row", *(normalise_header(text("label.row", language)) for language in LANGUAGES)}
)
"""The row column's header: report.csv's `row`, report.xlsx's "Row" or, in Swedish, "Rad"."""


@dataclass(frozen=True, slots=True)
class Match:
    """How a correction file was matched: the key, and each correction's original row."""

    key: str
    rows: list[int]


def match_corrections(
    file: str,
    record: ImportRecord,
    originals: Sequence[JournalRow],
    mapper: Mapper,
    columns: ColumnMap,
    mapped: MappedRows,
) -> Match:
    """Each correction row's row of the import, by the first key the file has (see the module
    docstring); FileRejected, naming the rows, when one matches none, several, or a row
    another correction row already took."""
    key, wanted = _keys(file, record, columns, mapped)
    index = _index(key, record, originals, mapper)
    rows: list[int] = []
    unmatched: list[tuple[int, str]] = []  # the items of `refusal.fix_match`'s lists
    several: list[tuple[int, str, str]] = []
    taken: dict[int, int] = {}
    twice: list[tuple[int, int, int]] = []
    for file_row, value in zip(mapped.row_numbers, wanted, strict=True):
        found = index.get(value, []) if value else []
        if not found:
            unmatched.append((file_row, value))
        elif len(found) > 1:
            several.append((file_row, value, ", ".join(map(str, found))))
        elif found[0] in taken:
            twice.append((taken[found[0]], file_row, found[0]))
        else:
            taken[found[0]] = file_row
        rows.append(found[0] if found else 0)
    if unmatched or several or twice:
        refusal = Refusal(
            "fix_match",
            id=record.id,
            name=record.file_name,
            by=key,
            unmatched=unmatched,
            several=several,
            twice=twice,
        )
        raise FileRejected(file, refusal)
    return Match(key, rows)


def _keys(
    file: str, record: ImportRecord, columns: ColumnMap, mapped: MappedRows
) -> tuple[str, list[str]]:
    """Which key the file is matched by, and each correction row's value of it."""
    # report.csv adds its `row` after the file's own columns. A file with a "Row" column
    # of its own keeps that column in its report, so only a `row` column beyond as many as
    # the original file had numbers the rows — the last one.
    own = sum(normalise_header(h) in ROW_HEADERS for h in record.columns)
    numbered = [i for i, h in enumerate(columns.headers) if normalise_header(h) in ROW_HEADERS]
    if len(numbered) > own:
        column = numbered[-1]
        values = [cell_text(texts, column) for texts in mapped.sources]
        for file_row, value in zip(mapped.row_numbers, values, strict=True):
            if not value.isdecimal():
                raise FileRejected(file, Refusal("fix_row_number", row=file_row, value=repr(value)))
        return "row", [str(int(v)) for v in values]
    for key in KEYS:
        if key in columns.fields:
            column = columns.fields[key]
            return key, [cell_text(texts, column) for texts in mapped.sources]
    raise FileRejected(
        file,
        Refusal("fix_no_key"),
    )


def _index(
    key: str, record: ImportRecord, originals: Sequence[JournalRow], mapper: Mapper
) -> dict[str, list[int]]:
    """The import's rows by the key's value, as the original file's cells show it."""
    index: dict[str, list[int]] = {}
    if key == "row":
        for original in originals:
            index[str(original.row)] = [original.row]
        return index
    column = mapper.fields_of(record.columns).get(key)
    if column is None:
        return index  # the original file has no such column: nothing can match
    for original in originals:
        value = cell_text(original.source, column)
        if value:
            index.setdefault(value, []).append(original.row)
    return index


def cell_text(texts: Sequence[str], column: int) -> str:
    return texts[column].strip() if column < len(texts) else ""
