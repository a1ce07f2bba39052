"""Whose report a correction file is: `rerun A --fix` with import B's report must change
nothing.

Rows are matched by their `row` number, and every import has a row 3: B's corrected rows 3
and 5 would replace A's and be credited under A, while B's own rows were never credited. So a
report says which import it is, and a correction file that says another is refused, naming
both imports:

1. report.csv's `import` column (`report.IMPORT_COLUMN`), the import id on every row;
2. report.xlsx's Summary sheet, whose "Import" line names it (in either language);
3. and, for a report whose import column was deleted or a workbook saved without its
   Summary, the credited rows' `_id`s: a row's `_id` must be the crediting the import
   recorded for that row — another import's crediting names that import.

A file with none of these (the original format, corrected) is matched by key as before.
"""

from __future__ import annotations

from collections.abc import Sequence

from importer.errors import FileRejected
from importer.journal import DedupeStore, ImportRecord, JournalRow
from importer.mapping import ColumnMap, normalise_header
from importer.refusal import Refusal
from importer.report import IMPORT_COLUMN
from importer.sources import SourceFile, cell_text
from importer.words import LANGUAGES, text

IMPORT_HEADERS = frozenset(
    {IMPORT_COLUMN, *(normalise_header(text("label.import", language)) for language in LANGUAGES)}
)
ID_HEADER = "_id"


def check_origin(
    file: str,
    record: ImportRecord,
    originals: Sequence[JournalRow],
    sheets: Sequence[tuple[SourceFile, ColumnMap]],
    others: Sequence[SourceFile],
    row_headers: frozenset[str],
    dedupe: DedupeStore | None,
) -> None:
    """FileRejected, naming both imports, when the correction file is another import's
    report. `sheets` are its sheets with a header (and their columns), `others` the rest (a
    report.xlsx's Summary); `row_headers` the names of the row-number column."""
    said = {_value(cells) for source in others for _, cells in source.records if _names(cells)}
    unknown: set[tuple[int, str]] = set()  # a row whose `_id` is no import's crediting
    own = {normalise_header(h) for h in record.columns}
    crediting = {row.row: row.crediting_id for row in originals}
    for source, columns in sheets:
        headers = [normalise_header(h) for h in columns.headers]
        at = {name: i for i, name in enumerate(headers) if name not in own}
        named = next((at[h] for h in IMPORT_HEADERS if h in at), None)
        row_at = next((at[h] for h in row_headers if h in at), None)
        id_at = at.get(ID_HEADER)
        for _, cells in source.records[1 + _header_index(source, columns) :]:
            if named is not None:
                said.add(_cell(cells, named))
            if row_at is None or id_at is None:
                continue
            row, crediting_id = _cell(cells, row_at), _cell(cells, id_at)
            number = int(float(row)) if row.replace(".", "", 1).isdecimal() else None
            if crediting_id and number is not None and crediting.get(number) != crediting_id:
                owner = _owner(dedupe, crediting_id)
                if owner is None:  # `refusal.fix_unknown_owner`: no import's crediting
                    unknown.add((number, crediting_id))
                else:
                    said.add(owner)
    said.discard("")
    said.discard(record.id)
    if said or unknown:
        known = sorted(said)
        raise FileRejected(
            file,
            Refusal(
                "fix_other_import",
                imports=", ".join(known),
                unknown=sorted(unknown, key=lambda item: (str(item[0]), item[1])),
                id=record.id,
                name=record.file_name,
                first=known[0] if known else "",
                file=file,
            ),
        )


def _owner(dedupe: DedupeStore | None, crediting_id: str) -> str | None:
    """The import that recorded `crediting_id`, None when none did."""
    found = dedupe.crediting_owner(crediting_id) if dedupe is not None else None
    return found[0] if found is not None else None


def _header_index(source: SourceFile, columns: ColumnMap) -> int:
    return next(i for i, (n, _) in enumerate(source.records) if n == columns.header_row)


def _names(cells: Sequence[object]) -> bool:
    first = cells[0] if cells else None
    return isinstance(first, str) and normalise_header(first) in IMPORT_HEADERS


def _value(cells: Sequence[object]) -> str:
    return _cell(cells, 1)


def _cell(cells: Sequence[object], index: int) -> str:
    value = cells[index] if index < len(cells) else None
    return "" if value is None else cell_text(value).strip()  # type: ignore[arg-type]
