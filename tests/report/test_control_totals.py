"""Control totals reconcile to the file: "amount read" is the sum of every readable amount,
each outcome's amount holds its rows' readable amounts (an invalid row's too), rows whose
amount cannot be read are counted apart, and rows with no outcome (a total row left out,
hidden rows skipped) are lines of their own — in report.json, the workbook's Summary, the
page and the command line's summary, for a dry run and for an import alike. Real files run
through the command line in this process against the sandbox over a real socket."""

from __future__ import annotations

import csv
import json
import re
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import openpyxl
from cli_support import Main, corrected_report_csv

from importer.sandbox import Sandbox

EXPORT = (
    "Fakturanummer;Belopp;Kreditfaktura;Referens\r\n"
    "F-1001;1 000,00;KF-1;R-1\r\n"
    "F-1002;2 500,50;KF-2;R-2\r\n"
    ";3 400,32;KF-3;R-3\r\n"  # invalid (no invoice), its amount readable
    "F-1004;tusen;KF-4;R-4\r\n"  # invalid, no readable amount
    "F-1005;;KF-5;R-5\r\n"  # invalid, no amount at all
    "F-1006;2 821,07;KF-6;R-6\r\n"
    "Summa;9 721,89;;\r\n"  # the ERP's total: a total row, left out
)
READ = Decimal("9721.89")


def _export(workdir: Path) -> Path:
    path = workdir / "export.csv"
    path.write_bytes(EXPORT.encode("cp1252"))
    return path


def _report(workdir: Path) -> tuple[Path, dict[str, Any]]:
    folder = max((workdir / "reports").glob("*/report.json"), key=lambda p: p.stat().st_mtime)
    return folder.parent, json.loads(folder.read_text(encoding="utf-8"))


def _money(values: dict[str, str]) -> dict[str, Decimal]:
    return {key: Decimal(value) for key, value in values.items()}


class _Cells(HTMLParser):
    """The text of every table cell of a page, row by row."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _page_rows(path: Path) -> dict[str, list[str]]:
    parser = _Cells()
    parser.feed(path.read_text(encoding="utf-8"))
    return {row[0]: row[1:] for row in parser.rows if row}


def _summary_rows(path: Path) -> dict[str, tuple[Any, ...]]:
    sheet = openpyxl.load_workbook(path)["Summary"]
    return {
        row[0]: row[1:] for row in sheet.iter_rows(values_only=True) if row and row[0] is not None
    }


def test_a_dry_runs_totals_add_up_to_the_files_total(main: Main, workdir: Path) -> None:
    code, out, _ = main("validate", str(_export(workdir)))
    assert code == 1
    folder, report = _report(workdir)
    summary = report["summary"]
    assert summary["outcomes"]["invalid"] == 3
    assert summary["outcomes"]["not_sent"] == 3
    amounts = _money(summary["amounts"])
    assert amounts["invalid"] == Decimal("3400.32")  # the readable one; two have none
    assert amounts["not_sent"] == Decimal("6321.57")
    assert Decimal(summary["amount_read"]) == READ == sum(amounts.values())
    assert summary["rows_without_amount"] == 2
    assert summary["left_out"]["total_rows"] == {"rows": 1, "amount": "9721.89"}
    assert summary["left_out"]["hidden_rows"] == {"rows": 0, "amount": "0.00"}

    rows = _summary_rows(folder / "report.xlsx")
    assert rows["Rows read"][:2] == (6, float(READ))
    assert rows["Invalid, not sent"][:2] == (3, 3400.32)
    assert rows["Rows without a readable amount"][0] == 2
    assert rows["Total rows left out (not credits)"][:2] == (1, 9721.89)

    page = _page_rows(folder / "report.html")
    assert page["Rows read"] == ["6", "9\u00a0721.89"]
    assert page["Invalid, not sent"] == ["3", "3\u00a0400.32"]
    assert page["Rows without a readable amount"] == ["2", ""]
    assert page["Total rows left out (not credits)"] == ["1", "9\u00a0721.89"]

    assert re.search(r"\n  invalid +3 +3 400\.32\n", out), out
    assert re.search(r"\n  total +6 +9 721\.89   \(amount read\)\n", out), out
    assert re.search(r"\n  no amount +2 +\(rows above without a readable amount\)\n", out)
    assert re.search(r"\n  total rows +1 +9 721\.89   \(left out: totals, not credits\)", out)


def test_an_imports_totals_count_invalid_rows_with_their_amounts(
    main: Main, api: Sandbox, workdir: Path
) -> None:
    code, out, _ = main("run", "--api-url", api.url, str(_export(workdir)))
    assert code == 1
    _, report = _report(workdir)
    summary = report["summary"]
    amounts = _money(summary["amounts"])
    assert amounts["invalid"] == Decimal("3400.32")
    assert amounts["credited"] + amounts["rejected"] == Decimal("6321.57")
    assert Decimal(summary["amount_read"]) == READ == sum(amounts.values())
    assert summary["rows_without_amount"] == 2
    assert re.search(r"\n  total +6 +9 721\.89   \(amount read\)\n", out), out
    # Rendered again from the journal: the same totals.
    assert main("report", report["file_import_report"])[0] in (0, 1)
    _, again = _report(workdir)
    assert again["summary"] == summary


def test_hidden_rows_left_out_are_a_line_of_their_own(main: Main, workdir: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Fakturanummer", "Belopp", "Kreditfaktura", "Referens"])
    sheet.append(["F-1001", 100.25, "KF-1", "R-1"])
    sheet.append(["F-1002", 200, "KF-2", "R-2"])
    sheet.append(["F-1003", 300.5, "KF-3", "R-3"])
    sheet.row_dimensions[3].hidden = True
    sheet.row_dimensions[4].hidden = True
    path = workdir / "export.xlsx"
    book.save(path)
    code, out, _ = main("validate", str(path))
    assert code == 0
    folder, report = _report(workdir)
    summary = report["summary"]
    assert summary["rows"] == 1
    assert summary["amount_read"] == "100.25"
    assert summary["left_out"]["hidden_rows"] == {"rows": 2, "amount": "500.50"}
    rows = _summary_rows(folder / "report.xlsx")
    assert rows["Hidden rows left out"][:2] == (2, 500.5)
    assert re.search(r"\n  hidden rows +2 +500\.50   \(left out: hidden in the workbook\)", out)


def test_the_list_of_imports_and_show_say_the_reports_amount_read(
    main: Main, api: Sandbox, workdir: Path
) -> None:
    code, _, _ = main("run", "--api-url", api.url, str(_export(workdir)))
    assert code == 1
    _, report = _report(workdir)
    import_id = report["file_import_report"]
    assert Decimal(report["summary"]["amount_read"]) == READ
    code, out, _ = main("imports", "--json")
    assert code == 0
    (listed,) = json.loads(out)
    assert Decimal(listed["amount_read"]) == READ  # the invalid row's 3 400,32 included
    code, out, _ = main("show", import_id)
    assert "read 9 721.89 SEK" in out, out


def _imported(main: Main, api: Sandbox, workdir: Path) -> tuple[Path, str]:
    """The export run against the sandbox (exit 1: its invalid rows): the report's folder and
    the import's id."""
    code, _, _ = main("run", "--api-url", api.url, str(_export(workdir)))
    assert code == 1
    folder, report = _report(workdir)
    return folder, report["file_import_report"]


def _rerun(main: Main, api: Sandbox, import_id: str, fix: Path) -> tuple[int, str]:
    """`rerun --fix` of the import with `fix`: its exit code and output."""
    code, out, _ = main("rerun", import_id, "--api-url", api.url, "--fix", str(fix))
    return code, out


def test_amounts_a_fix_changed_are_a_line_of_their_own_so_the_files_total_is_still_found(
    main: Main, api: Sandbox, workdir: Path
) -> None:
    folder, import_id = _imported(main, api, workdir)
    # Row 4 gets its invoice and a corrected amount (3 400,32 -> 3 400,23); row 5's amount,
    # unreadable as sent ("tusen"), becomes 1 000,00; row 6 gets an invoice, no amount.
    fix = corrected_report_csv(
        folder / "report.csv",
        4,
        {"Fakturanummer": "F-1003", "Belopp": "3 400,23"},
        workdir / "fix-1.csv",
    )
    fix = corrected_report_csv(fix, 5, {"Belopp": "1 000,00"}, workdir / "fix-2.csv")
    fix = corrected_report_csv(fix, 6, {"Referens": "R-5b"}, workdir / "fixed.csv")
    code, out = _rerun(main, api, import_id, fix)
    assert code in (0, 1), out
    folder, report = _report(workdir)
    summary = report["summary"]
    now = READ - Decimal("3400.32") + Decimal("3400.23") + Decimal("1000.00")
    assert Decimal(summary["amount_read"]) == now == sum(_money(summary["amounts"]).values())
    assert summary["corrected"] == {"rows": 2, "amount": "999.91"}  # row 6's amount is as sent
    assert Decimal(summary["amount_read"]) - Decimal(summary["corrected"]["amount"]) == READ

    rows = _summary_rows(folder / "report.xlsx")
    assert rows["Amounts changed by rerun --fix"][:2] == (2, 999.91)
    page = _page_rows(folder / "report.html")
    assert page["Amounts changed by rerun --fix"] == ["2", "999.91"]
    assert re.search(
        r"\n  corrected +2 +999\.91   \(rows above whose amount rerun --fix changed; "
        r"amount read less this is the file's total as sent\)",
        out,
    ), out
    # Rendered again from the journal: the same line.
    assert main("report", import_id)[0] in (0, 1)
    _, again = _report(workdir)
    assert again["summary"]["corrected"] == summary["corrected"]


def test_a_report_without_corrections_has_a_zero_line_and_shows_none(
    main: Main, workdir: Path
) -> None:
    code, out, _ = main("validate", str(_export(workdir)))
    assert code == 1
    folder, report = _report(workdir)
    assert report["summary"]["corrected"] == {"rows": 0, "amount": "0.00"}
    assert "Amounts changed by rerun --fix" not in _summary_rows(folder / "report.xlsx")
    assert "  corrected " not in out


def test_a_row_corrected_twice_counts_once_against_the_amount_the_file_first_had(
    main: Main, api: Sandbox, workdir: Path
) -> None:
    folder, import_id = _imported(main, api, workdir)
    # Row 4 (no invoice, 3 400,32): a first fix changes its amount only, so it stays
    # invalid; a second gives it an invoice and another amount, and it is credited.
    fix = corrected_report_csv(folder / "report.csv", 4, {"Belopp": "3 000,00"}, workdir / "a.csv")
    code, out = _rerun(main, api, import_id, fix)
    assert code == 1, out
    folder, report = _report(workdir)
    assert report["summary"]["corrected"] == {"rows": 1, "amount": "-400.32"}
    fix = corrected_report_csv(
        folder / "report.csv",
        4,
        {"Fakturanummer": "F-1003", "Belopp": "2 000,00"},
        workdir / "b.csv",
    )
    code, out = _rerun(main, api, import_id, fix)
    assert code in (0, 1), out
    folder, report = _report(workdir)
    summary = report["summary"]
    assert summary["corrected"] == {"rows": 1, "amount": "-1400.32"}
    assert Decimal(summary["amount_read"]) - Decimal(summary["corrected"]["amount"]) == READ
    code, out, _ = main("imports", "--json")
    (listed,) = json.loads(out)
    assert Decimal(listed["amount_read"]) == Decimal(summary["amount_read"])


def test_a_fix_saved_with_commas_between_cells_changes_the_amounts_as_one_saved_with_semicolons(
    main: Main, api: Sandbox, workdir: Path
) -> None:
    # A spreadsheet set to English saves report.csv with ',' between cells, so the
    # Swedish amount "3 000,00" is quoted: the corrected line is the same as with ';'.
    folder, import_id = _imported(main, api, workdir)
    fix = corrected_report_csv(
        folder / "report.csv",
        4,
        {"Fakturanummer": "F-1003", "Belopp": "3 000,00"},
        workdir / "semicolons.csv",
    )
    with fix.open(encoding="utf-8-sig", newline="") as handle:
        table = list(csv.reader(handle, delimiter=";"))
    commas = workdir / "commas.csv"
    with commas.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=",").writerows(table)
    code, out = _rerun(main, api, import_id, commas)
    assert code in (0, 1), out
    _, report = _report(workdir)
    summary = report["summary"]
    assert summary["corrected"] == {"rows": 1, "amount": "-400.32"}
    assert Decimal(summary["amount_read"]) - Decimal(summary["corrected"]["amount"]) == READ
    assert summary["outcomes"]["credited"] == 4


def test_a_fix_that_makes_an_amount_unreadable_takes_it_out_of_the_amount_read(
    main: Main, api: Sandbox, workdir: Path
) -> None:
    folder, import_id = _imported(main, api, workdir)
    fix = corrected_report_csv(folder / "report.csv", 4, {"Belopp": "3 4OO,32"}, workdir / "f.csv")
    code, out = _rerun(main, api, import_id, fix)
    assert code == 1, out
    _, report = _report(workdir)
    summary = report["summary"]
    assert summary["corrected"] == {"rows": 1, "amount": "-3400.32"}
    assert Decimal(summary["amount_read"]) == READ - Decimal("3400.32")
    code, out, _ = main("imports", "--json")
    (listed,) = json.loads(out)
    assert Decimal(listed["amount_read"]) == READ - Decimal("3400.32")


def test_a_workbooks_number_cells_read_as_numbers_beside_texts_with_decimal_commas(
    main: Main, api: Sandbox, workdir: Path
) -> None:
    """A Swedish workbook whose amount column holds number cells and texts pasted from an
    export (`1 234,50`): the texts tell the decimal comma, but a number cell carries no
    separator — an invalid row's -75,50 or 10,005 is the number the cell holds, never read
    as text in the comma convention (unreadable, or 10 005: a thousand times the cell) by
    the control totals, the workbook's own amount column or the list of imports."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Fakturanummer", "Belopp", "Kreditfaktura", "Referens"])
    sheet.append(["F-1001", "1 234,50", "KF-1", "R-1"])  # a text: the decimal comma
    sheet.append(["F-1004", 300.25, "KF-2", "R-2"])  # a number, credited
    sheet.append(["F-1004", -75.5, "KF-3", "R-3"])  # invalid: negative, readable
    sheet.append([None, 1234.5, "KF-4", "R-4"])  # invalid: no invoice, readable
    sheet.append(["F-1004", 10.005, "KF-5", "R-5"])  # invalid: more than two decimals
    path = workdir / "export.xlsx"
    book.save(path)
    code, out, _ = main("run", "--api-url", api.url, str(path))
    assert code == 1, out
    folder, report = _report(workdir)
    summary = report["summary"]
    assert _money(summary["amounts"])["invalid"] == Decimal("1159.00")  # -75.50 + 1 234.50
    assert Decimal(summary["amount_read"]) == Decimal("2693.75")
    assert summary["rows_without_amount"] == 1  # 10.005: no amount in öre
    sheet = openpyxl.load_workbook(folder / "report.xlsx")["All rows"]
    shown = {line[0].row: line[1].value for line in sheet.iter_rows(min_row=2)}
    assert shown[4] == -75.5
    assert shown[5] == 1234.5
    assert shown[6] != 10005
    code, listed, _ = main("imports", "--json")
    assert Decimal(json.loads(listed)[0]["amount_read"]) == Decimal("2693.75")


def test_with_negative_amounts_taken_absolute_an_invalid_rows_amount_counts_as_it_would_be_sent(
    main: Main, api: Sandbox, workdir: Path
) -> None:
    """An export that signs its credits (`input.negative_amounts: absolute`): a credited row's
    -100,00 counts as the 100,00 sent, so an invalid row's -50,00 counts as 50,00 — not
    -50,00 beside it, which made the amount read 50,00 against the file's total of 150,00."""
    config = workdir / "config.yaml"
    config.write_text(
        config.read_text(encoding="utf-8") + "input:\n  negative_amounts: absolute\n",
        encoding="utf-8",
    )
    export = workdir / "signed.csv"
    export.write_bytes(
        "Fakturanummer;Belopp;Kreditfaktura\r\n"
        "F-1004;-100,00;KF-1\r\n"
        ";-50,00;KF-2\r\n"  # invalid: no invoice
        "Summa;-150,00;\r\n".encode("cp1252")
    )
    code, out, _ = main("run", "--api-url", api.url, str(export))
    assert code == 1, out
    _, report = _report(workdir)
    summary = report["summary"]
    assert _money(summary["amounts"])["invalid"] == Decimal("50.00")
    assert summary["amount_read"] == "150.00" == summary["left_out"]["total_rows"]["amount"]
    assert main("report", report["file_import_report"])[0] == 0  # rendered again: the same
    assert _report(workdir)[1]["summary"] == summary


def test_with_negative_amounts_taken_absolute_hidden_rows_count_as_they_would_be_sent(
    main: Main, workdir: Path
) -> None:
    """A signed export's hidden rows are left out with the amount they would have been sent
    with, as the rows beside them and the file's total row are read: 99,99, not -99,99."""
    config = workdir / "config.yaml"
    config.write_text(
        config.read_text(encoding="utf-8") + "input:\n  negative_amounts: absolute\n",
        encoding="utf-8",
    )
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Fakturanummer", "Belopp", "Kreditfaktura"])
    sheet.append(["F-1001", -100.25, "KF-1"])
    sheet.append(["F-1002", -99.99, "KF-2"])
    sheet.row_dimensions[3].hidden = True
    path = workdir / "signed.xlsx"
    book.save(path)
    code, out, _ = main("validate", str(path))
    assert code == 0, out
    _, report = _report(workdir)
    summary = report["summary"]
    assert summary["amount_read"] == "100.25"
    assert summary["left_out"]["hidden_rows"] == {"rows": 1, "amount": "99.99"}


def test_a_total_row_labelled_in_words_is_left_out_even_when_the_sum_cannot_be_checked(
    main: Main, workdir: Path
) -> None:
    """ "Totalt belopp" or "Summa kreditnotor" in the invoice column under a row whose amount
    cannot be read: the sum above does not tell it is a total, its label does. It is left
    out — not predicted as a credit of the file's whole sum to an invoice named "Totalt
    belopp", doubling the amount read."""
    for label in ("Totalt belopp", "Summa kreditnotor:"):
        export = workdir / "export.csv"
        export.write_bytes(
            "Fakturanummer;Belopp;Kreditfaktura\r\n"
            "F-1001;100,00;KF-1\r\n"
            "F-1006;tvåhundra;KF-2\r\n"  # its 200,00 is in the ERP's total, unread here
            f"{label};300,00;\r\n".encode("cp1252")
        )
        code, out, _ = main("validate", str(export))
        assert code == 1, out
        _, report = _report(workdir)
        summary = report["summary"]
        assert summary["rows"] == 2, label
        assert summary["amount_read"] == "100.00", label
        assert summary["left_out"]["total_rows"] == {"rows": 1, "amount": "300.00"}, label
        assert not [row for row in report["rows"] if row["row"] == 4], label
