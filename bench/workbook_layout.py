"""What reading a workbook's layout (hidden rows, padded number formats)
costs on a large .xlsx, against baselines measured in the same run.

Times, for an N-row workbook (default 200,000) written with openpyxl:

- the reader before item 3 — bytes, hash, format sniffing (zip guard) and calamine, as
  `read_source` did — the baseline;
- `read_source` (calamine + `xlsx_layout`), for a workbook without padded formats (the
  common case: only the row tags are scanned) and for one whose credit-note column is
  formatted `00000` (every cell's style is scanned);
- openpyxl's read-only mode iterating the same sheet with `number_format` looked up per
  cell — the obvious way to read formats — for comparison;
- the layout read as XML (`xlsx_layout.sheet_layout`, a streaming expat parse) against the
  regular expressions it replaced (`_regex_layout` below, kept here as the baseline), on a
  sheet with hidden rows (every tenth) and on the padded one: their ratio is printed.

Run:  python bench/workbook_layout.py [--rows 200000]. Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import re
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
from openpyxl.cell import WriteOnlyCell

from importer.sources import read_source
from importer.sources.sniff import detect_format
from importer.sources.workbook import read_sheet
from importer.sources.xlsx_layout import SheetLayout, sheet_layout

_HIDDEN = re.compile(rb' hidden="(?:1|true)"')
_TAG = re.compile(rb"<(?:\w+:)?(\w+)")
_ROW_NUMBER = re.compile(rb'\br="([0-9]+)"')
_FORMULA_CELL = re.compile(
    rb'<c\b[^>]*?\br="([A-Z]+)([0-9]+)"[^>]*?(?<!/)>\s*<f\b[^>]*?(?:/>|>[^<]*</f>)'
    rb"\s*(<v>([^<]*)</v>|<v\s*/>)?"
)


def _regex_layout(data: bytes) -> SheetLayout:
    """The first sheet's layout as the regular expressions read it before the XML parse
    (hidden rows, padded cells, uncomputed formulas): the baseline of the ratio."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml")
        styles = archive.read("xl/styles.xml")
        workbook = archive.read("xl/workbook.xml")
    layout = SheetLayout()
    for match in _HIDDEN.finditer(xml):
        start = xml.rfind(b"<", 0, match.start())
        tag = xml[start : xml.find(b">", match.end()) + 1]
        name, number = _TAG.match(tag), _ROW_NUMBER.search(tag)
        if name is not None and name.group(1) == b"row" and number is not None:
            layout.hidden_rows.append(int(number.group(1)))
    if b"00000" in styles:  # the bench's one padded style is index 1
        cells = re.compile(rb'<c r="([A-Z]+)([0-9]+)" s="(1)"')
        for letters, row, _ in cells.findall(xml):
            layout.formats[(int(row), letters[0] - 65)] = "00000"
    if b"<f" in xml:
        never = b'fullCalcOnLoad="1"' in workbook
        for letters, row, tag, value in _FORMULA_CELL.findall(xml):
            if not tag or (never and value.strip() in (b"", b"0", b"0.0")):
                layout.uncomputed.add((int(row), letters[0] - 65))
    return layout


def _write(path: Path, rows: int, padded: bool, hidden: bool = False) -> None:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Krediter")
    if hidden:  # every tenth row hidden, as a filter leaves a sheet
        for number in range(3, rows + 2, 10):
            sheet.row_dimensions[number].hidden = True
    sheet.append(["Fakturanummer", "Belopp", "Kreditfaktura", "Datum"])
    for number in range(rows):
        note: object = number
        if padded:
            cell = WriteOnlyCell(sheet, value=number)
            cell.number_format = "00000"
            note = cell
        sheet.append([f"F-{number}", 100.5, note, "2026-11-20"])
    book.save(path)


def _best(run: Callable[[], object], times: int = 3) -> float:
    best = float("inf")
    for _ in range(times):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


def _before(path: Path) -> None:
    """`read_source` for a workbook as it was before item 3: no layout."""
    data = path.read_bytes()
    hashlib.sha256(data).hexdigest()
    detect_format(data, path.name)
    read_sheet(data, path.name)


def _openpyxl_formats(path: Path) -> None:
    book = openpyxl.load_workbook(path, read_only=True)
    for row in book.active.iter_rows(min_col=3, max_col=3):
        for cell in row:
            _ = cell.number_format
    book.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        plain, padded = Path(folder) / "plain.xlsx", Path(folder) / "padded.xlsx"
        hidden = Path(folder) / "hidden.xlsx"
        _write(plain, args.rows, padded=False)
        _write(padded, args.rows, padded=True)
        _write(hidden, args.rows, padded=False, hidden=True)
        data_hidden = hidden.read_bytes()
        xml_hidden = _best(lambda: sheet_layout(data_hidden, 0))
        regex_hidden = _best(lambda: _regex_layout(data_hidden))
        found = sheet_layout(data_hidden, 0).hidden_rows
        assert found, "no hidden row found"
        assert found == _regex_layout(data_hidden).hidden_rows, "the two reads disagree"
        data_plain, data_padded = plain.read_bytes(), padded.read_bytes()
        base_plain = _best(lambda: _before(plain))
        base_padded = _best(lambda: _before(padded))
        with_plain = _best(lambda: read_source(plain))
        with_padded = _best(lambda: read_source(padded))
        layout_plain = _best(lambda: sheet_layout(data_plain, 0))
        layout_padded = _best(lambda: sheet_layout(data_padded, 0))
        shown = read_source(padded).records[2][1][2]
        assert getattr(shown, "shown", None) == "00001", shown
        oxl = _best(lambda: _openpyxl_formats(padded), times=1)
        regex_padded = _best(lambda: _regex_layout(data_padded))
        assert _regex_layout(data_padded).formats == sheet_layout(data_padded, 0).formats
    print(f"{args.rows:,} rows")
    print(
        f"no padded format:  before {base_plain:.2f} s, read_source {with_plain:.2f} s "
        f"({with_plain / base_plain:.2f}x; sheet_layout alone {layout_plain:.2f} s)"
    )
    print(
        f"padded '00000':    before {base_padded:.2f} s, read_source {with_padded:.2f} s "
        f"({with_padded / base_padded:.2f}x; sheet_layout alone {layout_padded:.2f} s)"
    )
    print(
        f"openpyxl read-only, number_format of one column: {oxl:.2f} s "
        f"({oxl / base_padded:.2f}x the reader before)"
    )
    print(
        f"layout as XML vs regular expressions: hidden rows {xml_hidden:.3f} s vs "
        f"{regex_hidden:.3f} s (ratio {xml_hidden / regex_hidden:.2f}); padded '00000' "
        f"{layout_padded:.3f} s vs {regex_padded:.3f} s "
        f"(ratio {layout_padded / regex_padded:.2f}); "
        f"no hidden row, format or formula {layout_plain:.3f} s (not parsed)"
    )


if __name__ == "__main__":
    main()
