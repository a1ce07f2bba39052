"""What reading a workbook's layout (hidden rows, padded number formats: issue 10 item 3)
costs on a large .xlsx, against baselines measured in the same run.

Times, for an N-row workbook (default 200,000) written with openpyxl:

- the reader before item 3 — bytes, hash, format sniffing (zip guard) and calamine, as
  `read_source` did — the baseline;
- `read_source` (calamine + `xlsx_layout`), for a workbook without padded formats (the
  common case: only the row tags are scanned) and for one whose credit-note column is
  formatted `00000` (every cell's style is scanned);
- openpyxl's read-only mode iterating the same sheet with `number_format` looked up per
  cell — the obvious way to read formats — for comparison.

Run:  python bench/workbook_layout.py [--rows 200000]. Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import openpyxl
from openpyxl.cell import WriteOnlyCell

from importer.sources import read_source
from importer.sources.sniff import detect_format
from importer.sources.workbook import read_sheet
from importer.sources.xlsx_layout import sheet_layout


def _write(path: Path, rows: int, padded: bool) -> None:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Krediter")
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
        _write(plain, args.rows, padded=False)
        _write(padded, args.rows, padded=True)
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


if __name__ == "__main__":
    main()
