"""A workbook's rows mean what a person sees on screen: text-like columns
from number cells read as the cell shows them; hidden rows and sheets are never imported
silently (`input.hidden_rows`, default skip); a cell empty because it is merged says so; a
total row is left out and listed in the warnings without raising the exit code. Real .xlsx
files written with openpyxl, read through the command line."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from cli_support import creditings, importer, report_of

from importer.sandbox import Sandbox
from importer.sources import read_source


def _book(*rows: list[object]) -> openpyxl.Workbook:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Krediter"
    sheet.append(["Fakturanummer", "Belopp", "Kreditfaktura", "Referens"])
    for row in rows:
        sheet.append(row)
    return book


def _rows(workdir: Path) -> dict[int, dict]:
    return {row["row"]: row for row in report_of(workdir)["rows"]}


def test_text_columns_read_numbers_as_the_cell_shows_them(workdir: Path) -> None:
    book = _book(["F-1001", 10, 123, 4567], ["F-1002", 10, 123000, 98765])
    sheet = book.active
    sheet["C2"].number_format = "00000"
    sheet["D2"].number_format = '"R-"000000'
    path = workdir / "credits.xlsx"
    book.save(path)
    done = importer(workdir, "validate", str(path))
    assert done.returncode == 0, done.stdout
    rows = _rows(workdir)
    assert rows[2]["request"]["credit_invoice"] == "00123"
    assert rows[2]["request"]["creditor_reference"] == "R-004567"
    assert rows[2]["source"]["Kreditfaktura"] == "00123"
    assert rows[3]["request"]["credit_invoice"] == "123000"  # never 123000.0 or 1.23E+5
    assert rows[3]["request"]["amount"] == 10


def test_hidden_rows_are_skipped_by_default_and_listed(workdir: Path, api: Sandbox) -> None:
    book = _book(["F-1001", 10, "KF-1"], ["F-1002", 20, "KF-2"], ["F-1004", 30, "KF-3"])
    book.active.row_dimensions[3].hidden = True
    path = workdir / "credits.xlsx"
    book.save(path)
    done = importer(workdir, "run", str(path), api=api)
    assert done.returncode == 0, done.stdout
    assert sorted(c["invoice_number"] for c in creditings(api)) == ["F-1001", "F-1004"]
    (warning,) = report_of(workdir)["warnings"]
    assert warning["code"] == "hidden_rows_skipped"
    assert warning["rows"] == [3]
    assert warning["sheet"] == "Krediter"
    assert "1 hidden row(s) of sheet 'Krediter' were left out: rows 3" in done.stdout


def test_hidden_rows_can_be_imported_on_purpose(workdir: Path) -> None:
    config = workdir / "config.yaml"
    config.write_text(
        config.read_text(encoding="utf-8") + "input:\n  hidden_rows: import\n", encoding="utf-8"
    )
    book = _book(["F-1001", 10, "KF-1"], ["F-1002", 20, "KF-2"])
    book.active.row_dimensions[3].hidden = True
    path = workdir / "credits.xlsx"
    book.save(path)
    done = importer(workdir, "validate", str(path))
    assert done.returncode == 0
    assert sorted(_rows(workdir)) == [2, 3]
    assert report_of(workdir)["warnings"][0]["code"] == "hidden_rows_imported"


def test_hidden_sheets_are_named(workdir: Path) -> None:
    book = _book(["F-1001", 10, "KF-1"])
    hidden = book.create_sheet("Fler krediter")
    hidden.append(["Fakturanummer", "Belopp"])
    hidden.append(["F-1002", 99])
    hidden.sheet_state = "hidden"
    path = workdir / "credits.xlsx"
    book.save(path)
    done = importer(workdir, "validate", str(path))
    assert done.returncode == 0
    (warning,) = report_of(workdir)["warnings"]
    assert warning["code"] == "hidden_sheet"
    assert warning["sheet"] == "Fler krediter"


def test_a_cell_empty_because_merged_says_so(workdir: Path, api: Sandbox) -> None:
    book = _book(["F-1001", 10, "KF-1"], ["F-1002", None, "KF-2"], ["F-1004", None, "KF-3"])
    book.active.merge_cells("B2:B4")
    path = workdir / "credits.xlsx"
    book.save(path)
    done = importer(workdir, "run", str(path), api=api)
    assert done.returncode == 1
    assert creditings(api) == []  # the first row too: see the test below
    error = _rows(workdir)[3]["errors"][0]
    assert error["code"] == "merged_cell"
    assert "B3 is part of the merged cells B2:B4" in error["message"]


def test_an_amount_merged_over_several_rows_credits_none_of_them(
    workdir: Path, api: Sandbox
) -> None:
    """An amount merged over three invoices' rows is one figure the screen shows beside all
    three: it may be each one's, or the three together. Which cannot be told from the file,
    and a credit posted cannot be taken back — so the first row is held for a person with
    the others, not credited the whole amount."""
    book = _book(["F-1001", 30, "KF-1"], ["F-1002", None, "KF-2"], ["F-1004", None, "KF-3"])
    book.active.merge_cells("B2:B4")
    path = workdir / "credits.xlsx"
    book.save(path)
    done = importer(workdir, "run", str(path), api=api)
    assert done.returncode == 1
    assert creditings(api) == []
    first = _rows(workdir)[2]
    assert first["outcome"] == "invalid"
    assert "B2 is merged over the rows of B2:B4" in first["errors"][0]["message"]


def test_cells_merged_across_one_row_leave_its_amount_its_own(workdir: Path, api: Sandbox) -> None:
    """A merge within one row (the amount spread over two columns for looks) is still that
    row's amount alone: credited."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Fakturanummer", "Belopp", "Anteckning", "Kreditfaktura"])
    sheet.append(["F-1001", 30, None, "KF-1"])
    sheet.append(["F-1002", 20, None, "KF-2"])
    sheet.merge_cells("B2:C2")
    path = workdir / "credits.xlsx"
    book.save(path)
    done = importer(workdir, "run", str(path), api=api)
    assert [c["invoice_number"] for c in creditings(api)] == ["F-1001", "F-1002"], done.stdout


@pytest.mark.parametrize("label", ["Summa", "Totalt", "Total:", "SUM"])
def test_a_total_row_is_left_out_and_listed(workdir: Path, api: Sandbox, label: str) -> None:
    book = _book(["F-1001", 10, "KF-1"], ["F-1002", 20.5, "KF-2"], [label, 30.5])
    path = workdir / "credits.xlsx"
    book.save(path)
    done = importer(workdir, "run", str(path), api=api)
    assert done.returncode == 0, done.stdout
    assert sorted(c["invoice_number"] for c in creditings(api)) == ["F-1001", "F-1002"]
    report = report_of(workdir)
    assert sorted(_rows(workdir)) == [2, 3]
    (warning,) = report["warnings"]
    assert warning["code"] == "total_row_left_out"
    assert warning["rows"] == [4]
    assert warning["amount"] == "30.50"


def test_an_unlabelled_row_summing_the_rows_above_is_a_total(workdir: Path) -> None:
    credits = workdir / "credits.csv"
    credits.write_text(
        "Fakturanummer;Belopp\nF-1;10,00\nF-2;20,50\n;30,50\n;7,00\n", encoding="utf-8"
    )
    done = importer(workdir, "validate", str(credits))
    assert done.returncode == 1  # row 5 is no total: a row without an invoice, invalid
    rows = _rows(workdir)
    assert sorted(rows) == [2, 3, 5]
    assert rows[5]["outcome"] == "invalid"
    assert report_of(workdir)["warnings"][0]["rows"] == [4]


def test_the_reader_reports_what_calamine_does_not(tmp_path: Path) -> None:
    book = _book(["F-1001", 10, 7], ["F-1002", 20, 8])
    sheet = book.active
    sheet["C2"].number_format = "0000"
    sheet.row_dimensions[3].hidden = True
    book.create_sheet("Gömd").sheet_state = "veryHidden"
    path = tmp_path / "credits.xlsx"
    book.save(path)
    source = read_source(path)
    assert source.sheet == "Krediter"
    assert source.hidden_rows == (3,)
    assert source.hidden_sheets == ("Gömd",)
    cell = source.records[1][1][2]
    assert cell == 7
    assert getattr(cell, "shown", None) == "0007"


def test_a_row_naming_a_credit_note_is_never_a_total(workdir: Path) -> None:
    """A row that names its own credit note (or reference) is a credit whose invoice is
    missing, not a total, even when its amount equals the sum of the rows above: it is
    `invalid` (exit 1), never left out with only a warning and exit 0."""
    credits = workdir / "credits.csv"
    credits.write_text(
        "Kreditfaktura;Fakturanummer;Belopp;Referens\n"
        "KF-1;F-1;10,00;R-1\nKF-2;F-2;20,50;R-2\nKF-3;;30,50;R-3\n;;61,00;R-4\n",
        encoding="utf-8",
    )
    done = importer(workdir, "validate", str(credits))
    assert done.returncode == 1, done.stdout
    rows = _rows(workdir)
    assert sorted(rows) == [2, 3, 4, 5]
    assert rows[4]["outcome"] == "invalid"
    assert rows[5]["outcome"] == "invalid"
    assert report_of(workdir)["warnings"] == []
