"""A workbook formula cell without a computed value (XlsxWriter and openpyxl write formulas
for a spreadsheet program to compute) is named as such: the row is
`invalid` with code `formula_uncomputed`, saying to open and save the file in Excel or
LibreOffice — never "Amount 0.0 is zero" or "Amount is empty". Real workbooks, the real
command line."""

from __future__ import annotations

import zipfile
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
    assert "formula" in error["message"]
    assert "LibreOffice" in error["message"]
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


def test_a_formula_excel_computed_to_empty_text_stays_empty(workdir: Path) -> None:
    """Excel saves a formula that computed "" as an empty `<v>` without `fullCalcOnLoad`:
    that is a computed value, so an optional column's formula does not stop the row."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Fakturanummer", "Belopp", "Kreditfaktura", "Referens"])
    sheet.append(["F-1001", 100, "K1", '=IF(1=1,"","x")'])
    made = workdir / "made.xlsx"
    book.save(made)
    credits = workdir / "credits.xlsx"
    with zipfile.ZipFile(made) as source, zipfile.ZipFile(credits, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/workbook.xml":
                data = data.replace(b' fullCalcOnLoad="1"', b"")
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<v />", b"<v></v>").replace(
                    b'<c r="D2"', b'<c r="D2" t="str"'
                )
            target.writestr(item, data)
    done = importer(workdir, "validate", str(credits))
    assert done.returncode == 0, done.stdout + done.stderr
    assert _errors(workdir)[2] == []
