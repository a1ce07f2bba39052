"""The file readers: turn a creditor's CSV or workbook into raw records with spreadsheet row
numbers (docs/pipeline.md).

`read_source` is the only entry point the pipeline needs. It reads the file's bytes once
(they are hashed for the report and parsed from memory), tells the format from the content
(`sniff`), and hands over to the CSV reader (`delimited`) or the workbook reader
(`workbook`, behind `zipguard` for zip-based formats). Every problem that makes the whole file
unusable is raised as `FileRejected` with a sentence a finance person can act on.
"""

from __future__ import annotations

import hashlib
from functools import partial
from pathlib import Path

from importer.errors import FileRejected
from importer.refusal import Refusal
from importer.sources.delimited import (
    decode_delimited,
    parse,
    parse_blocks,
    unterminated_row,
)
from importer.sources.model import Cell, Record, SourceFile, cell_text
from importer.sources.sniff import detect_format
from importer.sources.workbook import read_sheet, workbook_sheet_names

__all__ = [
    "Cell",
    "Record",
    "SourceFile",
    "cell_text",
    "not_a_file",
    "read_source",
    "sheet_count",
]


def sheet_count(path: Path) -> int | None:
    """How many sheets the workbook at `path` has; None for a CSV file. Raises FileRejected
    as `read_source` would for a file that cannot be read."""
    data = _read_bytes(Path(path), str(path))
    if not data or detect_format(data, str(path)) == "csv":
        return None
    return len(workbook_sheet_names(data, str(path)))


def not_a_file(path: Path) -> Refusal | None:
    """Why `path` cannot be a credit file at all (missing, a folder), or None.

    Asked before an import is created: a typo in a path is a usage error, not an import to
    list, journal and report."""
    if path.is_dir():
        return Refusal("folder")
    if not path.exists():
        return Refusal("missing")
    return None


def read_source(
    path: Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | int | None = None,
    block_rows: int | None = None,
    whole_rows: int | None = None,
) -> SourceFile:
    """Read `path` into a SourceFile.

    `encoding` and `delimiter` pin the CSV dialect instead of detecting it; `sheet` (a name
    or 0-based index) picks a workbook sheet instead of the first one. Options that do not
    apply to the file's format are ignored, so one configuration serves both kinds of file.
    Raises FileRejected (naming the file as given) when the file cannot be imported at all.

    With `block_rows`, a CSV file of more records than `whole_rows` (default: `block_rows`)
    is parsed a block of `block_rows` records at a time whenever its records are asked for
    (`SourceFile.more`): its cells are never all held at once. A workbook is read whole
    either way.
    """
    path = Path(path)
    file = str(path)
    data = _read_bytes(path, file)
    if not data:
        raise FileRejected(file, Refusal("empty"))
    file_format = detect_format(data, file)
    sha256 = hashlib.sha256(data).hexdigest()
    if file_format == "csv":
        rows = None
        if block_rows is not None:
            rows = block_rows, max(block_rows, whole_rows or block_rows)
        return _csv(path, data, sha256, rows, encoding, delimiter)
    chosen = read_sheet(data, file, sheet=sheet, xlsx=file_format == "xlsx")
    return SourceFile(
        path=path,
        name=path.name,
        sha256=sha256,
        format=file_format,
        encoding=None,
        delimiter=None,
        records=chosen.records,
        sheet=chosen.name,
        hidden_rows=chosen.hidden_rows,
        hidden_sheets=chosen.hidden_sheets,
        merged=chosen.merged,
        merged_heads=chosen.merged_heads,
        uncomputed=chosen.uncomputed,
    )


HEAD_RECORDS = 100
"""The records a file read a block at a time keeps at hand (`SourceFile.records`): its first,
where its header is; the rest are parsed again when asked for (`SourceFile.more`)."""


def _csv(
    path: Path,
    data: bytes,
    sha256: str,
    rows: tuple[int, int] | None,
    encoding: str | None,
    delimiter: str | None,
) -> SourceFile:
    """`read_source` of a CSV file: whole (`rows` None, or up to `rows[1]` records), else a
    block of `rows[0]` records at a time."""
    file = str(path)
    used_encoding, used_delimiter, text = decode_delimited(
        data, file, encoding=encoding, delimiter=delimiter
    )
    more = None
    if rows is None:
        first = parse(text, used_delimiter, file)
    else:
        block_rows, whole_rows = rows
        first = next(parse_blocks(text, used_delimiter, file, whole_rows + 1), [])
        if len(first) > whole_rows:
            more = partial(parse_blocks, text, used_delimiter, file, block_rows)
    cut = unterminated_row(text, used_delimiter, first)
    if cut is not None and more is not None:  # the last record of the last block
        last: list[Record] = first
        count = 0
        for block in more():
            last, count = block, count + len(block)
        cut = last[-1][0] if count > 1 else None
    return SourceFile(
        path=path,
        name=path.name,
        sha256=sha256,
        format="csv",
        encoding=used_encoding,
        delimiter=used_delimiter,
        records=first if more is None else first[:HEAD_RECORDS],
        unterminated_row=cut,
        more=more,
    )


def _read_bytes(path: Path, file: str) -> bytes:
    problem = not_a_file(path)
    if problem is not None:
        raise FileRejected(file, problem)
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise FileRejected(file, Refusal("missing")) from exc
    except PermissionError as exc:
        raise FileRejected(file, Refusal("permission")) from exc
    except OSError as error:
        reason = error.strerror or "unknown error"
        raise FileRejected(file, Refusal("unreadable", reason=reason.lower())) from error
