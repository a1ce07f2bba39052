"""report.html: one self-contained page — no script, no external request of any
kind — with the Summary, a bar of the outcomes and the rows needing attention (the first 500,
then a count), in the report's language; every cell from the file escaped."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from test_report import COLUMNS, make_report, sample_rows, source

from importer.outcomes import Outcome, RowError
from importer.report import ReportRow, write_reports
from importer.report.settings import ReportSettings


def page(tmp_path: Path, report=None, settings: ReportSettings | None = None) -> str:
    paths = write_reports(report or make_report(), tmp_path, ["html"], settings=settings)
    return paths["html"].read_text(encoding="utf-8")


def test_self_contained_no_script_no_external_request(tmp_path: Path) -> None:
    html = page(tmp_path)
    assert html.startswith("<!DOCTYPE html>")
    assert "<style>" in html
    assert "<script" not in html.lower()
    # Nothing that loads anything: no src, no link, no url(), no http(s) reference but the
    # API's own base URL shown as text.
    assert not re.search(r"\bsrc=|<link|url\(|@import", html, re.IGNORECASE)
    assert re.findall(r"https?://[^\s<\"]+", html) == ["https://api.example.test"]


def test_a_cell_holding_a_script_shows_as_text(tmp_path: Path) -> None:
    evil = '<script>alert("x")</script>'
    rows = [ReportRow(row=2, outcome=Outcome.INVALID, source=source(evil, "0", '"><img src=x>'))]
    html = page(tmp_path, make_report(rows, columns=[*COLUMNS[:4], "<b>head</b>"]))
    assert "<script" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "<img" not in html
    assert "&quot;&gt;&lt;img src=x&gt;" in html
    assert "&lt;b&gt;head&lt;/b&gt;" in html


def test_summary_bar_and_rows_needing_attention(tmp_path: Path) -> None:
    html = page(tmp_path)
    assert "File import report: krediter.csv" in html
    assert 'class="bar"' in html
    assert "width:37.500%" in html
    assert "Rows needing attention" in html
    shown = re.findall(r"<td class=n>(\d+)</td><td style=", html)
    assert shown == ["3", "4", "5", "6", "8", "9"]  # not completed, not duplicate
    assert f"importer rerun imp-1 --fix {tmp_path / 'report.csv'}" in html


def test_swedish_page(tmp_path: Path) -> None:
    html = page(tmp_path, settings=ReportSettings(language="sv"))
    assert '<html lang="sv">' in html
    assert "Importrapport" in html
    assert "Nästa steg" in html
    assert "Krediterad" in html
    assert "<td class=n>355,60</td>" in html  # credited amount, decimal comma


def test_first_500_rows_then_a_count(tmp_path: Path) -> None:
    rows = [
        ReportRow(row=n, outcome=Outcome.NOT_SENT, source=source(f"F{n}", "1", f"K{n}"))
        for n in range(2, 2 + 1200)
    ]
    html = page(tmp_path, make_report(rows))
    assert len(re.findall(r"<tr><td>F\d+</td>", html)) == 500
    assert "… and 700 more rows: see report.csv or report.json." in html


def test_sample_covers_every_outcome() -> None:
    assert {row.outcome for row in sample_rows()} == set(Outcome)


def _invalid_rows(count: int, columns: list[str]) -> list[ReportRow]:
    """Invalid rows whose cells are as long as real exports' (a message of 200 characters, an
    unbroken reference of 60), each with a long error message."""
    long_text = "Kreditering enligt avtal " * 8
    unbroken = "REF-" + "0123456789" * 6
    cells = {name: f"{name} {n}" for n, name in enumerate(columns)}
    cells[columns[-1]] = long_text
    cells[columns[-2]] = unbroken
    return [
        ReportRow(
            row=n,
            outcome=Outcome.INVALID,
            errors=[RowError(field="case", code="case_missing", message=long_text)],
            source=cells,
        )
        for n in range(2, 2 + count)
    ]


EIGHT = ["Ärende", "Fakturanummer", "Belopp", "Valuta", "Kreditfaktura", "Datum", "Referens"]
EIGHT.append("Meddelande")


def test_the_fix_command_is_said_once_above_the_table(tmp_path: Path) -> None:
    html = page(tmp_path, make_report(_invalid_rows(5, EIGHT), columns=EIGHT))
    command = f"importer rerun imp-1 --fix {tmp_path / 'report.csv'}"
    assert html.count(command) == 1
    assert html.index(command) < html.rindex("<table")  # the rows' table comes after it
    steps = re.findall(r"<tr><td>Ärende 0</td>.*?</tr>", html)
    assert len(steps) == 5
    assert all("the command above" in row and "--fix" not in row for row in steps)


def test_long_cells_wrap_and_the_table_fits_the_page(tmp_path: Path) -> None:
    html = page(tmp_path, make_report(_invalid_rows(3, EIGHT), columns=EIGHT))
    style = re.search(r"<style>(.*?)</style>", html, re.DOTALL)
    assert style is not None
    assert re.search(r"td\{[^}]*overflow-wrap:anywhere", style.group(1))
    assert re.search(r"table\.rows\{[^}]*width:100%", style.group(1))
    assert '<table class="rows">' in html


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _scroll_width(tmp_path: Path, html: str) -> int:
    """The page's width in Chromium at a 1280-pixel window (`scrollWidth`: wider than 1280
    is a horizontal scroll bar)."""
    probe = tmp_path / "probe.html"
    measure = (
        "<script>document.body.setAttribute('data-scroll-width',"
        "document.documentElement.scrollWidth)</script></body>"
    )
    probe.write_text(html.replace("</body>", measure), encoding="utf-8")
    done = subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={tmp_path / 'chromium-profile'}",
            "--window-size=1280,900",
            "--dump-dom",
            probe.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    found = re.search(r'data-scroll-width="(\d+)"', done.stdout)
    assert found is not None, done.stderr[-2000:]
    return int(found.group(1))


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")
def test_eight_columns_of_long_cells_need_no_horizontal_scrolling_at_1280_px(
    tmp_path: Path,
) -> None:
    html = page(tmp_path, make_report(_invalid_rows(20, EIGHT), columns=EIGHT))
    assert _scroll_width(tmp_path, html) <= 1280


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")
def test_a_long_file_name_needs_no_horizontal_scrolling_at_1280_px(tmp_path: Path) -> None:
    """An export's name can be long and without a space (a system's name, a date, a run
    number joined by underscores): the page's title wraps it, as the table's cells do."""
    report = make_report()
    name = "Kreditnotor_export_fran_affarssystemet_" + "20261130_run" * 15 + "final.csv"
    report.file.name = name
    html = page(tmp_path, report)
    assert f"{name}</h1>" in html
    assert _scroll_width(tmp_path, html) <= 1280
