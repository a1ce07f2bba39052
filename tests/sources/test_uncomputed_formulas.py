"""A workbook formula cell without a computed value (XlsxWriter and openpyxl write formulas
for a spreadsheet program to compute) is named as such (review R1 item 5): the row is
`invalid` with code `formula_uncomputed`, saying to open and save the file in Excel or
LibreOffice — never "Amount 0.0 is zero" or "Amount is empty". Real workbooks, the real
command line."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import xlsxwriter
from cli_support import importer, report_of


def _errors(workdir: Path) -> dict[int, list[dict[str, str]]]:
    return {row["row"]: row["errors"] for row in report_of(workdir)["rows"]}


def test_an_xlsxwriter_formula_is_not_read_as_zero(workdir: Path) -> None:
    credits = workdir / "credits.xlsx"
    book = xlsxwriter.Workbook(str(credits))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["Fakturanummer", "Belopp", "Kreditfaktura"])
    sheet.write_row(1, 0, ["F-1001", 100, "K1"])
    sheet.write_row(2, 0, ["F-1002"])
    sheet.write_formula(2, 1, "=B2*2")
    sheet.write(2, 2, "K2")
    book.close()
    done = importer(workdir, "validate", str(credits))
    assert done.returncode == 1, done.stdout + done.stderr
    errors = _errors(workdir)
    assert errors[2] == []
    (error,) = errors[3]
    assert error["code"] == "formula_uncomputed", error
    assert "formula" in error["message"] and "LibreOffice" in error["message"]
    assert "zero" not in error["message"]


def test_an_openpyxl_formula_is_not_read_as_empty(workdir: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Fakturanummer", "Belopp", "Kreditfaktura"])
    sheet.append(["F-1001", 100, "K1"])
    sheet.append(["F-1002", "=B2*2", "K2"])
    credits = workdir / "credits.xlsx"
    book.save(credits)
    done = importer(workdir, "validate", str(credits))
    assert done.returncode == 1, done.stdout + done.stderr
    (error,) = _errors(workdir)[3]
    assert error["code"] == "formula_uncomputed", error
    assert "empty" not in error["message"]
