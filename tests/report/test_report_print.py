"""report.xlsx prints: every sheet carries its print setup (landscape, one page wide, the header
row repeated on every page, a print area over what was written) and the Summary fits one page.
The settings are read back from the workbook with openpyxl; where LibreOffice is installed the
workbook is converted to PDF and its pages counted, as finance staff would print it."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from cli_support import Main
from openpyxl.utils import column_index_from_string
from test_report import make_report, sample_rows

from importer.report import ReportRow, build_summary, write_reports
from importer.report.xlsx_book import wrapped_height
from importer.sandbox import Sandbox


def fit(value: int | None) -> int:
    """A fitToWidth/fitToHeight as a spreadsheet reads it: absent is 1, the format's default."""
    return 1 if value is None else value


def ten_rows() -> list[ReportRow]:
    """Ten rows of every outcome, with long texts, as a small real import has."""
    rows = sample_rows()
    more = [row.model_copy(update={"row": row.row + 8}) for row in rows[:2]]
    return rows + more


def test_every_row_sheet_prints_landscape_one_page_wide_with_its_header_repeated(
    tmp_path: Path,
) -> None:
    rows = ten_rows()
    write_reports(make_report(rows, summary=build_summary(rows)), tmp_path, ["xlsx"])
    book = openpyxl.load_workbook(tmp_path / "report.xlsx")
    for name in ("Needs attention", "All rows"):
        sheet = book[name]
        assert sheet.page_setup.orientation == "landscape", name
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, name
        assert fit(sheet.page_setup.fitToWidth) == 1, name
        assert fit(sheet.page_setup.fitToHeight) == 0, name  # as many pages down as the rows take
        assert sheet.print_title_rows == "$1:$1", name
        written = sheet.max_row
        # every column but the last two (_id and the API's message: on screen only)
        assert [sheet.cell(1, 12).value, sheet.cell(1, 13).value] == ["_id", "Message"], name
        assert sheet.print_area == f"'{name}'!$A$1:$K${written}", name
    assert book["All rows"].max_row == 11  # header and ten rows


def test_the_summary_prints_on_one_page(tmp_path: Path) -> None:
    write_reports(make_report(), tmp_path, ["xlsx"])
    sheet = openpyxl.load_workbook(tmp_path / "report.xlsx")["Summary"]
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert (fit(sheet.page_setup.fitToWidth), fit(sheet.page_setup.fitToHeight)) == (1, 1)
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.print_area == f"'Summary'!$A$1:$C${sheet.max_row}"


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_a_ten_row_report_prints_on_three_pages_in_libreoffice(tmp_path: Path) -> None:
    """One page per sheet: the Summary's labels, counts and amounts on one page, and each
    row sheet one page wide (ten rows fit one page down)."""
    rows = ten_rows()
    write_reports(make_report(rows, summary=build_summary(rows)), tmp_path, ["xlsx"])
    profile = tmp_path / "lo-profile"
    done = subprocess.run(
        [
            str(SOFFICE),
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(tmp_path / "report.xlsx"),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    pdf = tmp_path / "report.pdf"
    assert pdf.exists(), done.stdout + done.stderr
    pages = len(re.findall(rb"/Type\s*/Page(?![a-z])", pdf.read_bytes()))
    assert pages == 3


LINE = 15.0
"""A row's height per line of text, in points (the workbook's default row height)."""


def lines_needed(text: str, width: float) -> int:
    """The fewest lines a wrapped text takes in a column `width` characters wide."""
    return sum(max(1, math.ceil(len(part) / width)) for part in text.split("\n"))


def _tall_enough(sheet: Any) -> list[str]:
    """Each wrapped cell whose row is too low to show its text: LibreOffice keeps the height
    a row is written with, so a row left at the default shows one line and prints the rest
    over the rows below it (or not at all)."""
    widths = {}
    for dimension in sheet.column_dimensions.values():
        for index in range(dimension.min, dimension.max + 1):
            widths[index] = dimension.width
    low = []
    for row in sheet.iter_rows(min_row=1):
        for cell in row:
            if not isinstance(cell.value, str) or not cell.alignment.wrap_text:
                continue
            height = sheet.row_dimensions[cell.row].height or LINE
            needed = lines_needed(cell.value, widths[cell.column])
            if height < needed * LINE:
                low.append(f"{sheet.title}!{cell.coordinate}: {height} < {needed} lines")
    return low


def test_wrapped_texts_get_rows_tall_enough_to_read_and_print_them(
    main: Main, api: Sandbox, workdir: Path
) -> None:
    export = workdir / "export.csv"
    export.write_bytes(
        (
            "Fakturanummer;Belopp;Kreditfaktura;Meddelande\r\n"
            "F-1001;1 250,50;KF-1;Delkreditering\r\n"
            "F-1004;12,345;KF-2;Tre decimaler\r\n"
            "F-1005;-340,00;KF-3;Negativt\r\n"
            "F-1003;100,00;KF-1;Samma kreditfaktura, annat belopp\r\n"
        ).encode("cp1252")
    )
    code, _, _ = main("run", "--api-url", api.url, str(export))
    assert code == 1
    (path,) = (workdir / "reports").glob("*/report.xlsx")
    book = openpyxl.load_workbook(path)
    low = [problem for sheet in book for problem in _tall_enough(sheet)]
    assert not low, low
    summary = book["Summary"]
    label_width = summary.column_dimensions["A"].width
    labels = [cell.value for cell in summary["A"] if isinstance(cell.value, str)]
    assert max(map(len, labels)) <= label_width, labels
    attention = book["Needs attention"]
    column = {cell.value: cell.column_letter for cell in attention[1]}["Outcome"]
    width = attention.column_dimensions[column].width
    cut = [  # a wrapped outcome is shown whole by its row's height (`_tall_enough` above)
        cell.value
        for cell in attention[column][1:]
        if len(cell.value) > width and not cell.alignment.wrap_text
    ]
    assert not cut, cut


def test_a_long_text_of_the_files_own_is_shown_whole(
    main: Main, api: Sandbox, workdir: Path
) -> None:
    message = "Delkreditering enligt avtal med kunden om prisjustering för oktober " * 2
    export = workdir / "export.csv"
    export.write_bytes(
        (
            "Fakturanummer;Belopp;Kreditfaktura;Meddelande;Kommentar\r\n"
            f"F-1004;abc;KF-1;{message.strip()};kort\r\n"
        ).encode("cp1252")
    )
    code, _, _ = main("run", "--api-url", api.url, str(export))
    assert code == 1
    (path,) = (workdir / "reports").glob("*/report.xlsx")
    sheet = openpyxl.load_workbook(path)["Needs attention"]
    cell = sheet["D2"]
    assert cell.value == message.strip()
    width = sheet.column_dimensions["D"].width
    if not cell.alignment.wrap_text:
        assert width >= len(cell.value)
    height = sheet.row_dimensions[2].height or LINE
    assert height >= lines_needed(cell.value, width) * LINE


A4_LANDSCAPE_CHARACTERS = 125
"""About how many characters of the default font (11 pt) one line of A4 landscape holds
between the default margins."""


def test_a_row_sheet_of_eight_columns_of_a_files_own_prints_at_half_size_or_more(
    main: Main, api: Sandbox, workdir: Path
) -> None:
    header = "Fakturanummer;Belopp;Valuta;Kreditfaktura;Datum;Meddelande;Kommentar;Anteckning"
    export = workdir / "export.csv"
    export.write_bytes(
        f"{header}\r\nF-1004;abc;SEK;KF-1;2026-11-20;Rabatt;Kort;Kort\r\n".encode("cp1252")
    )
    code, _, _ = main("run", "--api-url", api.url, str(export))
    assert code == 1
    (path,) = (workdir / "reports").glob("*/report.xlsx")
    sheet = openpyxl.load_workbook(path)["Needs attention"]
    last = sheet.print_area.rsplit(":", 1)[1]  # '$M$8': the print area's last cell
    printed = column_index_from_string(last.split("$")[1])
    width = sum(
        (dimension.width or 8.43) * (min(dimension.max, printed) - dimension.min + 1)
        for dimension in sheet.column_dimensions.values()
        if dimension.min <= printed
    )
    assert A4_LANDSCAPE_CHARACTERS / width >= 0.5, width


def test_a_row_is_never_made_taller_than_a_spreadsheet_allows() -> None:
    """Excel takes rows up to 409.5 points: a taller one is a damaged workbook to it, so a
    cell of thousands of characters gets the tallest row there is (its text stays whole in
    the cell)."""
    assert wrapped_height([("Kreditering enligt avtal " * 800, 50)]) == 409.5
    assert wrapped_height([("kort", 50)]) is None
    assert wrapped_height([("a" * 120, 50)]) == 3 * LINE


def _summary_pages(workbook: Path, folder: Path) -> int:
    """The pages LibreOffice prints the workbook's Summary sheet on (the sheet alone, with
    the print setup the report gave it)."""
    book = openpyxl.load_workbook(workbook)
    for sheet in book.worksheets[1:]:
        book.remove(sheet)
    alone = folder / "summary.xlsx"
    book.save(alone)
    done = subprocess.run(
        [
            str(SOFFICE),
            f"-env:UserInstallation=file://{folder / 'lo-profile'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            str(alone),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    pdf = folder / "summary.pdf"
    assert pdf.exists(), done.stdout + done.stderr
    return len(re.findall(rb"/Type\s*/Page(?![a-z])", pdf.read_bytes()))


def test_a_summary_with_many_warnings_and_corrections_still_prints_on_one_page(
    main: Main, api: Sandbox, workdir: Path
) -> None:
    """A file with a subtotal after every customer and a `rerun --fix` of hundreds of rows:
    the Summary shows the first warnings and changes by hand and says how many more there
    are and where they all are, so it stays one readable page — not every total row and
    changed cell, spilling onto three pages at a tenth of the size (and one cell listing
    every row number)."""
    lines = ["Fakturanummer;Belopp;Kreditfaktura"]
    for customer in range(30):
        lines += [f"F-1004;x{customer}-{n};KF-{customer}-{n}" for n in range(10)]
        lines.append("Summa;100,00;")
    export = workdir / "export.csv"
    export.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    code, _, _ = main("run", "--api-url", api.url, str(export))
    assert code == 1
    (report_csv,) = (workdir / "reports").glob("*/report.csv")
    fixed = workdir / "fixed.csv"
    fixed.write_text(
        report_csv.read_text(encoding="utf-8-sig").replace(";x", ";y"), encoding="utf-8"
    )  # every amount changed, still unreadable: 300 cells changed by hand, nothing sent
    import_id = report_csv.parent.name
    code, out, _ = main("rerun", import_id, "--fix", str(fixed), "--api-url", api.url)
    assert code == 1, out
    workbook = report_csv.parent / "report.xlsx"
    sheet = openpyxl.load_workbook(workbook)["Summary"]
    said = [str(cell) for row in sheet.iter_rows(values_only=True) for cell in row if cell]
    assert sheet.max_row <= 80, sheet.max_row
    assert max(map(len, said)) <= 400, max(said, key=len)
    assert any("20 more warning(s)" in line for line in said), said
    assert any("more line(s) of changes by hand: importer show" in line for line in said)
    if SOFFICE is not None:
        assert _summary_pages(workbook, workdir) == 1
