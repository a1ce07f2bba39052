"""Map a file's columns to API fields (docs/pipeline.md).

Headers are matched case- and whitespace-insensitively against the aliases of the
configuration. The header is the first record that matches the mapping, so title rows and
notes above it are skipped. A file whose columns cannot carry a crediting is rejected as a
whole, before anything is posted, naming what was expected and what was found."""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import chain, islice
from operator import itemgetter
from typing import cast

from importer.api.request import READ_ONLY_FIELDS
from importer.config import Config
from importer.errors import QUOTE_LIMIT, FileRejected
from importer.outcomes import ImportWarning, RowError
from importer.refusal import Refusal, quoted
from importer.row_shape import field_count_errors, unterminated_error
from importer.sheet_view import merged_cell_errors, visible_records
from importer.sources import Cell, Record, SourceFile, cell_text

"""Set by the server; a file that carries them gets one warning and they are not sent."""

HEADER_SEARCH_DEPTH = 50
"""How many records from the top may be titles and notes before the header must appear."""


def normalise_header(text: str) -> str:
    """Case- and whitespace-insensitive, and NFC so that "Ärende" typed on a Mac (A plus a
    combining diaeresis) is the same header as on Windows."""
    return " ".join(unicodedata.normalize("NFC", text).split()).casefold()


@dataclass(frozen=True, slots=True)
class ColumnMap:
    """Where each API field sits in the file, and what the file's own columns are called."""

    header_row: int
    headers: tuple[str, ...]
    """The file's header texts, made unique ("Belopp", "Belopp (2)") so they can key a row."""
    fields: dict[str, int]
    """API field -> column index, for the fields that are sent."""
    read_only: tuple[str, ...] = ()
    """Headers of read-only columns found in the file (they are ignored, with a warning)."""
    warnings: tuple[ImportWarning, ...] = ()
    header_cells: tuple[Cell, ...] = ()
    """The header row's cells as read (a CSV row's field count is measured against them)."""


@dataclass(slots=True)
class MappedRows:
    """The data rows of a file, column-wise: validation works a column at a time, and a
    200,000-row file then costs a few C-level list builds instead of a dict per row."""

    row_numbers: list[int] = field(default_factory=list)
    columns: dict[str, list[Cell]] = field(default_factory=dict)
    """API field -> one raw cell per row, for the fields the file has a column for. Empty
    cells stay as read: validation, and only validation, fills the configured defaults."""
    sources: list[Sequence[str]] = field(default_factory=list)
    """The raw cell texts, one per header, for the report's `source`."""
    warnings: list[ImportWarning] = field(default_factory=list)
    """What the sheet's view says about these rows (hidden rows and sheets: `sheet_view`)."""
    hidden_amounts: list[Cell] = field(default_factory=list)
    """The amount cells of the hidden rows left out (`input.hidden_rows: skip`): the
    report's control totals name what they held."""
    problems: dict[int, list[RowError]] = field(default_factory=dict)
    """Row index -> errors found before validation (a CSV row whose field count is not the
    header's: `row_shape`); such a row is invalid whatever its cells hold."""

    @property
    def values(self) -> list[dict[str, Cell]]:
        """Row by row: API field -> cell, empty cells left out (for callers that think in
        rows; validation takes the columns). No defaults: validation applies them."""
        rows: list[dict[str, Cell]] = []
        for index in range(len(self.row_numbers)):
            values: dict[str, Cell] = {}
            for api_field, column in self.columns.items():
                cell = column[index]
                if cell is None or (isinstance(cell, str) and not cell.strip()):
                    continue
                values[api_field] = cell
            rows.append(values)
        return rows


class Mapper:
    """Turns a read file into field values using one configuration."""

    def __init__(self, config: Config, *, creditor: str | None = None) -> None:
        """`creditor` is `--creditor`: like `defaults.creditor`, it makes a creditor column
        unnecessary."""
        self._config = config
        self._alias_to_field: dict[str, str] = {}
        # The configured names first: where one is also a built-in alias of another field,
        # the creditor's own configuration is the more specific statement and wins.
        for api_field, names in config.columns.items():
            for name in names:
                self._alias_to_field.setdefault(normalise_header(name), api_field)
        for api_field, names in config.aliases().items():
            for name in [api_field, *names]:
                self._alias_to_field.setdefault(normalise_header(name), api_field)
        self._read_only = (
            READ_ONLY_FIELDS - {"account"} if config.api.send_account else READ_ONLY_FIELDS
        )
        # Only whether a creditor is named otherwise matters here (a creditor column is then
        # not required); validation applies the defaults and `--creditor`.
        self._creditor_default = bool(creditor or config.defaults.creditor)

    def required_fields(self) -> list[str]:
        """Columns a file must have: amount, case or invoice_number, and creditor unless the
        configuration supplies it. Currency and origin always have defaults."""
        required = ["amount", "case / invoice_number"]
        if not self._creditor_default:
            required.append("creditor")
        return required

    def fields_of(self, headers: Sequence[str]) -> dict[str, int]:
        """API field -> column index in a header row (the first column naming a field)."""
        return {name: found[0] for name, found in self._match(headers).items()}

    def _match(self, cells: Sequence[Cell]) -> dict[str, list[int]]:
        found: dict[str, list[int]] = {}
        for index, cell in enumerate(cells):
            if isinstance(cell, str):
                api_field = self._alias_to_field.get(normalise_header(cell))
                if api_field:
                    found.setdefault(api_field, []).append(index)
        return found

    def find_columns(self, source: SourceFile) -> ColumnMap:
        """Pick the header: the first record carrying every required column; failing that,
        the record with the most recognised headers, to name what is missing."""
        best: tuple[int, int, dict[str, list[int]]] | None = None
        head = list(islice(chain.from_iterable(source.record_blocks()), HEADER_SEARCH_DEPTH))
        for position, (row_number, cells) in enumerate(head):
            found = self._match(cells)
            if not found:
                continue
            if not self._missing(found):
                return self._column_map(source, head[position], found)
            if best is None or len(found) > len(best[2]):
                best = (position, row_number, found)
        expected = self.required_fields()
        if best is None:
            first = head[0][1] if head else ()
            held = ", ".join(repr(cell_text(c)) for c in first if cell_text(c))
            seen = quoted("seen", held or "nothing", QUOTE_LIMIT)  # `refusal.seen_nothing`
            raise FileRejected(source.name, Refusal("no_header", expected=expected, **seen))
        position, row_number, found = best
        headers = [cell_text(c) for c in head[position][1] if cell_text(c)]
        shown = quoted("found", ", ".join(repr(h) for h in headers), QUOTE_LIMIT)
        if self._missing(found) == ["creditor"]:
            raise FileRejected(source.name, Refusal("no_creditor", row=row_number, **shown))
        raise FileRejected(
            source.name,
            Refusal(
                "column_missing",
                missing=self._missing(found),
                row=row_number,
                expected=expected,
                **shown,
            ),
        )

    def _missing(self, found: dict[str, list[int]]) -> list[str]:
        missing = []
        if "amount" not in found:
            missing.append("amount")
        if "case" not in found and "invoice_number" not in found:
            missing.append("case / invoice_number")
        if "creditor" not in found and not self._creditor_default:
            missing.append("creditor")
        return missing

    def _column_map(
        self, source: SourceFile, header: Record, found: dict[str, list[int]]
    ) -> ColumnMap:
        row_number, cells = header
        headers: list[str] = []
        used: set[str] = set()
        for index, cell in enumerate(cells):
            text = cell_text(cell).strip() or f"column {index + 1}"
            name, count = text, 1
            while name in used:  # never collide with a real header such as "Not (2)"
                count += 1
                name = f"{text} ({count})"
            used.add(name)
            headers.append(name)
        for api_field, indexes in found.items():
            if len(indexes) > 1 and api_field not in self._read_only:
                names = ", ".join(repr(headers[i]) for i in indexes)
                raise FileRejected(
                    source.name,
                    Refusal("same_field", row=row_number, columns=names, field=api_field),
                )
        read_only_fields = self._read_only
        fields = {f: idx[0] for f, idx in found.items() if f not in read_only_fields}
        read_only = tuple(
            headers[i] for f, idx in found.items() if f in read_only_fields for i in idx
        )
        warnings: tuple[ImportWarning, ...] = ()
        if read_only:
            warnings = (
                ImportWarning(
                    code="columns_not_sent",
                    message=f"column(s) {', '.join(read_only)} are set by Amili and were not sent",
                ),
            )
        return ColumnMap(row_number, tuple(headers), fields, read_only, warnings, tuple(cells))

    def map_rows(
        self,
        source: SourceFile,
        columns: ColumnMap,
        block: list[Record] | None = None,
        lengths: Counter[int] | None = None,
    ) -> MappedRows:
        """The records below the header, column by column: the file's (`source.records`),
        or one `block` of them for a file read a block at a time (then `lengths` counts the
        field counts of all the file's rows: `row_shape.field_count_errors`)."""
        records_read = source.records if block is None else block
        header = columns.header_row
        start = next((i for i, (number, _) in enumerate(records_read) if number > header), None)
        below = [] if start is None else records_read[start:]
        records, warnings = visible_records(source, below, self._config.input.hidden_rows)
        rows = list(map(itemgetter(1), records))
        numbers = list(map(itemgetter(0), records))
        width = len(columns.headers)
        problems = (
            field_count_errors(
                rows,
                numbers,
                columns.header_cells,
                file=source.name,
                delimiter=source.delimiter,
                lengths=lengths,
            )
            if source.format == "csv"
            else merged_cell_errors(source, numbers, rows, columns.fields, columns.headers)
        )
        if self._config.input.require_final_newline:
            for index, cut in unterminated_error(numbers, rows, source).items():
                problems[index] = [*problems.get(index, ()), *cut]
        shortest = min(map(len, rows), default=width)
        out = MappedRows(row_numbers=numbers, problems=problems, warnings=warnings)
        amount = columns.fields.get("amount")
        if len(records) < len(below) and amount is not None:
            kept = set(numbers)
            out.hidden_amounts = [
                cells[amount] if amount < len(cells) else None
                for number, cells in below
                if number not in kept
            ]
        for api_field, index in columns.fields.items():
            if index < shortest:
                out.columns[api_field] = list(map(itemgetter(index), rows))
            else:
                out.columns[api_field] = [c[index] if index < len(c) else None for c in rows]
        if source.format == "csv" and shortest == width == max(map(len, rows), default=width):
            out.sources = cast("list[Sequence[str]]", rows)  # CSV cells are text already
        else:
            out.sources = [_texts(cells, width) for cells in rows]
        return out


def _texts(cells: Sequence[Cell], width: int) -> list[str]:
    texts = [cell if cell.__class__ is str else cell_text(cell) for cell in cells[:width]]
    if len(texts) < width:
        texts.extend([""] * (width - len(texts)))
    return texts
