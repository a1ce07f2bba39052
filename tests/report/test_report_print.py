"""report.xlsx prints: every sheet carries its print setup (landscape, one page wide, the header
row repeated on every page, a print area over what was written) and the Summary fits one page.
The settings are read back from the workbook with openpyxl; where LibreOffice is installed the
workbook is converted to PDF and its pages counted, as finance staff would print it."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from test_report import make_report, sample_rows

from importer.report import ReportRow, build_summary, write_reports


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
        assert sheet.print_area == f"'{name}'!$A$1:$M${written}", name
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
