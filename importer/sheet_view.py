"""What a person sees of a workbook beyond its cells, and what it means for the rows below
the header: hidden rows, hidden sheets and merged cells.

- **Hidden rows** (.xlsx) were not seen by whoever checked the sheet before exporting it —
  often rows filtered away as handled or cancelled. `input.hidden_rows` decides: `skip`
  (the default) leaves them out, `import` imports them; either way report.json's warnings
  list them. Why `skip` protects money: a credit nobody looked at cannot be taken back by
  this tool once posted, while a skipped row is named in the report and the console and can
  be imported deliberately (unhide it, or set `import`, and run the file again).
- **Hidden sheets** are never read (the first visible sheet is, unless `input.sheet` says
  otherwise); the warnings name them, so a credit list on a hidden sheet is not missed.
- **Formulas without a computed value** (XlsxWriter, openpyxl): calamine reads them as 0 or
  empty, so a mapped one is `invalid` with code `formula_uncomputed`, saying to open and save
  the file in Excel or LibreOffice — not "Amount 0.0 is zero".
- **Merged cells**: only the first cell of a merged range holds the value. A row whose mapped
  cell is empty because it lies inside a range is `invalid` with code `merged_cell` ("B7 is
  part of the merged cells B6:B8") instead of being sent without it or called "missing".
"""

from __future__ import annotations

from collections.abc import Sequence

from importer.outcomes import ImportWarning, RowError
from importer.sources import Cell, Record, SourceFile

_SHOWN = 20


def visible_records(
    source: SourceFile, records: list[Record], policy: str
) -> tuple[list[Record], list[ImportWarning]]:
    """The records below the header to import, and the warnings about hidden rows/sheets."""
    warnings = [
        ImportWarning(
            code="hidden_sheet",
            message=f"the workbook's sheet '{name}' is hidden and was not read; if it holds "
            "credits, unhide it or name it in input.sheet",
            sheet=name,
        )
        for name in source.hidden_sheets
    ]
    if not source.hidden_rows:
        return records, warnings
    hidden = set(source.hidden_rows)
    found = [number for number, _ in records if number in hidden]
    if not found:
        return records, warnings
    listed = ", ".join(map(str, found[:_SHOWN])) + (" …" if len(found) > _SHOWN else "")
    if policy == "import":
        warnings.append(
            ImportWarning(
                code="hidden_rows_imported",
                message=f"{len(found)} hidden row(s) of sheet '{source.sheet}' were imported "
                f"(input.hidden_rows: import): rows {listed}",
                rows=found,
                sheet=source.sheet,
            )
        )
        return records, warnings
    warnings.append(
        ImportWarning(
            code="hidden_rows_skipped",
            message=f"{len(found)} hidden row(s) of sheet '{source.sheet}' were left out: "
            f"rows {listed}; unhide them, or set input.hidden_rows: import, to credit them",
            rows=found,
            sheet=source.sheet,
        )
    )
    return [record for record in records if record[0] not in hidden], warnings


def _uncomputed(field: str, header: str) -> RowError:
    return RowError(
        field=field,
        code="formula_uncomputed",
        message=f"{header} is a formula without a computed value (the program that wrote "
        "the file left it for a spreadsheet to compute); open the file in Excel or "
        "LibreOffice, save it, and import it again. Not sent.",
    )


def merged_cell_errors(
    source: SourceFile,
    row_numbers: Sequence[int],
    rows: Sequence[Sequence[Cell]],
    fields: dict[str, int],
    headers: Sequence[str],
) -> dict[int, list[RowError]]:
    """Row index -> `merged_cell` errors, for mapped cells that are empty because they lie
    inside a merged range, and for an amount merged over several rows: the figure shown
    beside each of them may be each row's or the rows' together, which the file cannot
    tell, so its first row is not credited the whole of it either."""
    merged, uncomputed, heads = source.merged, source.uncomputed, source.merged_heads
    if not merged and not uncomputed:
        return {}
    errors: dict[int, list[RowError]] = {}
    amount_column = fields.get("amount")
    for index, (number, cells) in enumerate(zip(row_numbers, rows, strict=True)):
        for field, column in fields.items():
            if (number, column) in uncomputed:
                errors.setdefault(index, []).append(_uncomputed(field, headers[column]))
                continue
            if column == amount_column and (number, column) in heads:
                errors.setdefault(index, []).append(
                    _merged_amount(headers[column], *heads[number, column])
                )
                continue
            found = merged.get((number, column))
            if found is None:
                continue
            cell = cells[column] if column < len(cells) else None
            if cell is not None and not (isinstance(cell, str) and not cell.strip()):
                continue
            name, where = found
            errors.setdefault(index, []).append(
                RowError(
                    field=field,
                    code="merged_cell",
                    message=f"{headers[column]} is empty: {name} is part of the merged cells "
                    f"{where}, whose value only the first cell holds; unmerge the cells and "
                    "fill in every row. Not sent.",
                )
            )
    return errors


def _merged_amount(header: str, name: str, where: str) -> RowError:
    return RowError(
        field="amount",
        code="merged_cell",
        message=f"{header} {name} is merged over the rows of {where}: whether the amount is "
        "this row's or theirs together cannot be told; unmerge the cells and give every row "
        "its own amount. Not sent.",
    )
