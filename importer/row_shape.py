"""A CSV record's shape against its header: a row with more or fewer fields than the header
does not mean what its cells seem to say.

Why it matters: `F-1004,1 250,50,KQ-4` under `Fakturanummer,Belopp,
Kreditfaktura` is a decimal comma left unquoted in a comma file. Read by position it credits
1 250.00 with credit note `50` and drops `KQ-4` — money wrong, exit 0. So such a row is
`invalid` with code `field_count` and never sent; when most rows are ragged the delimiter
itself is wrong, and the file is rejected as a whole with a hint.

What is not ragged: trailing empty fields that are the file's own shape — up to the header's
own width, or the padded field count most records share (Excel writes every row's empty cells
to the table's full width, and a sheet's stray formatting can widen it); a header whose own
trailing cells are empty (those columns have no name, so a row need not reach them). A single
record padded beyond that shape is ragged even when its extra fields are empty:
`F-1004,1 250,50,KQ-4,` under a four-column header is the same shifted decimal comma, its
trailing comma only hiding the shift.

A last row without a line break (`unterminated_row`) may have been cut off mid-row: an upload
broken off at `F-1002;8 234` where the ERP wrote `8 234,50` reads as a whole row crediting
8 234.00 (one character earlier, 8.00). Every system that writes CSV ends its rows with a line
break, so that row is `invalid` and never sent, unless `input.require_final_newline: false`
says the sender's files end without one.

Workbooks are not checked: a sheet's rows have no field count of their own (empty trailing
cells are simply absent), and a cell beside the table is a note, not a shifted value.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from importer.errors import FileRejected, excerpt
from importer.outcomes import RowError
from importer.refusal import Refusal
from importer.sources import Cell, SourceFile

CODE = "field_count"
CUT_CODE = "unterminated_row"


def header_width(headers: Sequence[Cell]) -> int:
    """How many fields a row must reach: up to the header's last non-empty cell."""
    named = len(headers)
    while named and (headers[named - 1] is None or not str(headers[named - 1]).strip()):
        named -= 1
    return named


def field_count_errors(
    rows: Sequence[Sequence[Cell]],
    row_numbers: Sequence[int],
    header: Sequence[Cell],
    *,
    file: str,
    delimiter: str | None,
    lengths: Counter[int] | None = None,
) -> dict[int, list[RowError]]:
    """Row index -> the `field_count` error, for each ragged row.

    Raises FileRejected when most rows (and at least two) are ragged: then it is the
    delimiter, not the rows, that is wrong. For a block of a file read a block at a time,
    `lengths` counts the field counts of all the file's rows (`field_counts`), and the
    caller refuses the file once all its blocks are seen (`refuse_mostly_ragged`)."""
    width, named = len(header), header_width(header)
    counts = list(map(len, rows))
    if not counts or (min(counts) >= named and max(counts) <= width):
        return {}  # the usual file: two C-level passes and done
    padded = _padded_width(Counter(counts) if lengths is None else lengths, width)
    errors = _ragged(rows, counts, named, width, padded, delimiter)
    if lengths is None and errors:
        refuse_mostly_ragged(
            len(errors),
            len(rows),
            row_numbers[next(iter(errors))],
            named,
            file=file,
            delimiter=delimiter,
        )
    return errors


def field_counts(rows: Sequence[Sequence[Cell]]) -> Counter[int]:
    """How many rows have each field count: a file's counts add up from its blocks'."""
    return Counter(map(len, rows))


def _ragged(
    rows: Sequence[Sequence[Cell]],
    lengths: Sequence[int],
    named: int,
    width: int,
    padded: int,
    delimiter: str | None,
) -> dict[int, list[RowError]]:
    errors: dict[int, list[RowError]] = {}
    for index, (cells, count) in enumerate(zip(rows, lengths, strict=True)):
        if count < named:
            hint = "a cell missing, or a line broken in two?"
        elif count > width and (count != padded or any(_filled(cell) for cell in cells[width:])):
            hint = _more_hint(delimiter)
        else:
            continue
        errors[index] = [
            RowError(
                field="",
                code=CODE,
                message=(
                    f"row has {count} fields, the header {named} — {hint} "
                    f"The row reads: {excerpt(_joined(cells, delimiter))}. Not sent."
                ),
            )
        ]
    return errors


def refuse_mostly_ragged(
    ragged: int, rows: int, first: int, named: int, *, file: str, delimiter: str | None
) -> None:
    """Raise FileRejected when most rows (and at least two) are ragged (`ragged` of `rows`,
    the first of them row `first`): then it is the delimiter, not the rows, that is wrong."""
    if ragged >= 2 and 2 * ragged > rows:
        shown = "tab" if delimiter == "\t" else repr(delimiter)  # `refusal.delimiter_tab`
        raise FileRejected(
            file,
            Refusal(
                "ragged_rows",
                count=ragged,
                rows=rows,
                fields=named,
                first=first,
                delimiter=shown,
            ),
        )


def unterminated_error(
    row_numbers: Sequence[int], rows: Sequence[Sequence[Cell]], source: SourceFile
) -> dict[int, list[RowError]]:
    """Row index -> the `unterminated_row` error, for the data row a missing final line break
    may have cut (none when the text ends with a line break or the cut record is no data
    row)."""
    cut = source.unterminated_row
    if cut is None or not row_numbers or row_numbers[-1] != cut:
        return {}
    index = len(row_numbers) - 1
    return {
        index: [
            RowError(
                field="",
                code=CUT_CODE,
                message=(
                    "the file's last line has no line break: the file may have been cut off "
                    f"in this row. The row reads: {excerpt(_joined(rows[index], source.delimiter))}"
                    ". Send the whole file again (or set input.require_final_newline: false "
                    "if this sender's files always end so). Not sent."
                ),
            )
        ]
    }


def _padded_width(lengths: Counter[int], width: int) -> int:
    """The field count beyond the header's that is the file's own padding, or `width`.

    Padding is the file's shape only when most records (and at least two) carry exactly it:
    one padded record among unpadded ones is a shift its empty last field hides."""
    wider = Counter({count: rows for count, rows in lengths.items() if count > width})
    if not wider:
        return width
    count, records = wider.most_common(1)[0]
    return count if records >= 2 and 2 * records > lengths.total() else width


def _filled(cell: Cell) -> bool:
    return cell is not None and bool(str(cell).strip())


def _more_hint(delimiter: str | None) -> str:
    if delimiter == ",":
        return "an unquoted decimal comma, or a comma inside an unquoted cell?"
    return "the delimiter inside an unquoted cell?"


def _joined(cells: Sequence[Cell], delimiter: str | None) -> str:
    return (delimiter or ",").join("" if cell is None else str(cell) for cell in cells)
