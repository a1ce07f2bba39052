"""report.xlsx as finance staff open it: sheets Summary, Needs
attention and All rows in that order; money and times as numbers and dates; outcome colours;
the rows a person must act on with the reason in words and the next step; Swedish when asked;
Excel's row and column limits never lose the report. Real workbooks on disk, read back with
openpyxl."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from test_report import COLUMNS, credited, make_report, sample_rows, source

from importer.outcomes import ImportWarning, Outcome, RowError
from importer.report import FileInfo, Report, ReportRow, build_summary, write_reports
from importer.report import xlsx_writer as report_xlsx
from importer.report.row_words import OUTCOME_FILLS
from importer.report.settings import ReportSettings

SV = ReportSettings(language="sv")


def header_index(ws: Any) -> dict[str, int]:
    return {cell.value: cell.column for cell in ws[1]}


def summary_rows(path: Path, sheet: str = "Summary") -> dict[str, tuple[Any, ...]]:
    ws = openpyxl.load_workbook(path)[sheet]
    return {row[0].value: row for row in ws.iter_rows() if row and row[0].value is not None}


def summary_texts(path: Path, sheet: str = "Summary") -> list[str]:
    """The texts of one sheet, read without loading the others (read-only: a workbook of
    16,384 columns took seconds to load whole)."""
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return [str(c.value) for row in wb[sheet].iter_rows() for c in row if c.value is not None]
    finally:
        wb.close()


def test_sheets_in_order_and_row_sheet_layout(tmp_path: Path) -> None:
    write_reports(make_report(), tmp_path, ["xlsx"])
    wb = openpyxl.load_workbook(tmp_path / "report.xlsx")
    assert wb.sheetnames == ["Summary", "Needs attention", "All rows"]
    ws = wb["All rows"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:M9"  # 5 own + 8 outcome columns, header + 8 rows
    header = [c.value for c in ws[1]]
    assert header[:5] == COLUMNS  # the source's own columns first
    assert header[5:] == [
        "Row",
        "Outcome",
        "Reason",
        "What to do next",
        "Amount credited (requested)",
        "Amount settled",
        "_id",
        "Message",
    ]
    col = header_index(ws)
    assert ws.cell(2, col["Row"]).value == 2
    assert ws.cell(2, col["Belopp"]).value == "100.1"  # the file's own cell stays text
    assert ws.cell(2, col["Outcome"]).value == "Credited: completed"
    assert ws.cell(6, col["Message"]).value == "case: case not found"
    assert ws.cell(6, col["Reason"]).alignment.wrap_text


def test_needs_attention_holds_exactly_the_rows_a_person_must_act_on(tmp_path: Path) -> None:
    write_reports(make_report(), tmp_path, ["xlsx"])
    wb = openpyxl.load_workbook(tmp_path / "report.xlsx")
    ws = wb["Needs attention"]
    col = header_index(ws)
    rows = [ws.cell(r, col["Row"]).value for r in range(2, ws.max_row + 1)]
    # warning, error, invalid, rejected, not_sent, unknown; not completed, not duplicate
    assert rows == [3, 4, 5, 6, 8, 9]
    steps = {ws.cell(r, col["Row"]).value: ws.cell(r, col["What to do next"]).value for r in
             range(2, ws.max_row + 1)}  # fmt: skip
    assert steps[5] == (  # the command itself once, on the Summary
        "Correct the row in report.csv, then run the command under What to do next on the "
        "Summary sheet."
    )
    said = [cell.value for row in wb["Summary"].iter_rows() for cell in row]
    assert f"importer rerun imp-1 --fix {tmp_path / 'report.csv'}" in "\n".join(map(str, said))
    assert steps[8].startswith("Not sent yet: run importer rerun imp-1")
    assert steps[9].startswith("Sent without an answer")


@pytest.mark.parametrize(
    ("index", "rgb"),
    [
        (0, "FFC6EFCE"),  # credited, completed: green
        (1, "FFFFEB9C"),  # credited, warning: amber
        (2, "FFFFC7CE"),  # credited, error: red
        (3, "FFFFC7CE"),  # invalid: red
        (4, "FFFFC7CE"),  # rejected: red
        (5, "FFD9D9D9"),  # duplicate: grey
        (6, "FFF8CBAD"),  # not_sent: orange
        (7, "FFF8CBAD"),  # unknown: orange
    ],
)
def test_outcome_cell_colour(tmp_path: Path, index: int, rgb: str) -> None:
    write_reports(make_report(), tmp_path, ["xlsx"])
    ws = openpyxl.load_workbook(tmp_path / "report.xlsx")["All rows"]
    col = header_index(ws)
    cell = ws.cell(2 + index, col["Outcome"])
    assert cell.fill.fill_type == "solid"
    assert cell.fill.fgColor.rgb == rgb
    assert ws.cell(2 + index, col["Reason"]).fill.fill_type is None  # only the outcome


def test_colours_cover_every_outcome() -> None:
    assert {o.value for o in Outcome} <= set(OUTCOME_FILLS)


def test_requested_and_settled_money_are_numbers_with_a_money_format(tmp_path: Path) -> None:
    rows = [credited(2, 100.1, "100.1"), credited(3, 1, "-1234.5", source=source("F3", "-1", "K"))]
    write_reports(make_report(rows), tmp_path, ["xlsx"])
    ws = openpyxl.load_workbook(tmp_path / "report.xlsx")["All rows"]
    col = header_index(ws)
    for label, row, amount in (
        ("Amount settled", 2, 100.1),
        ("Amount settled", 3, -1234.5),
        ("Amount credited (requested)", 2, 100.1),
        ("Amount credited (requested)", 3, 1),
    ):
        cell = ws.cell(row, col[label])
        assert cell.data_type == "n"
        assert cell.value == pytest.approx(amount)
        assert cell.number_format == "#,##0.00"
    assert ws.cell(3, col["Belopp"]).value == "-1"  # a negative raw cell is not mangled


def test_text_cells_are_neutralised_and_never_formulas(tmp_path: Path) -> None:
    values = ["=SUM(A1)", "+cmd", "@x", "-2+3", "\tx"]
    rows = [
        ReportRow(row=2 + i, outcome=Outcome.REJECTED, source=source(value, "-100.00", "K"))
        for i, value in enumerate(values)
    ]
    write_reports(make_report(rows, columns=[*COLUMNS[:4], "=evil"]), tmp_path, ["xlsx"])
    ws = openpyxl.load_workbook(tmp_path / "report.xlsx")["All rows"]
    col = header_index(ws)
    assert "'=evil" in col
    for i, value in enumerate(values):
        own = ws.cell(2 + i, col["Fakturanummer"])
        assert own.data_type == "s"
        assert own.value == "'" + value
        assert ws.cell(2 + i, col["Belopp"]).value == "-100.00"


def test_survives_control_characters(tmp_path: Path) -> None:
    rows = [ReportRow(row=2, outcome=Outcome.INVALID, source=source("a\x01b", "1", "K"))]
    write_reports(make_report(rows), tmp_path, ["xlsx"])
    ws = openpyxl.load_workbook(tmp_path / "report.xlsx")["All rows"]
    assert ws.cell(2, 1).value == "a\ufffdb"


def test_summary_sheet(tmp_path: Path) -> None:
    report = make_report(
        sandbox=True,
        warnings=[ImportWarning(code="note", message="3 empty rows skipped")],
        exit_code=1,
    )
    write_reports(report, tmp_path, ["xlsx"], settings=ReportSettings(timezone="Europe/Stockholm"))
    path = tmp_path / "report.xlsx"
    rows = summary_rows(path)
    assert "Yes: no real credits were issued" in rows
    assert rows["Import"][1].value == "imp-1"
    assert rows["File"][1].value == "krediter.csv"
    assert rows["Creditor"][1].value == "a" * 24  # from the rows when the report names none
    assert rows["API"][1].value == "https://api.example.test"
    assert rows["Exit code"][1].value == 1
    # Local (Europe/Stockholm) times as Excel dates: 14:35:29Z is 16:35:29 in July.
    started = rows["Started (local time)"][1]
    assert started.is_date
    assert started.value == datetime(2025, 7, 4, 16, 35, 29)
    assert rows["Finished (local time)"][1].value == datetime(2025, 7, 4, 16, 36, 29)
    assert rows["Time zone"][1].value == "Europe/Stockholm (UTC+02:00)"
    # Control totals: rows and amount read, per outcome rows and amount, settled.
    assert rows["Rows read"][1].value == 8
    assert rows["Rows read"][2].value == pytest.approx(100.1 + 250.5 + 5 + 12.5)
    assert rows["Credited"][1].value == 3
    assert rows["Credited"][2].value == pytest.approx(355.6)
    assert rows["Credited"][2].number_format == "#,##0.00"
    assert rows["Rejected by the API"][2].value == pytest.approx(12.5)
    assert rows["Credited"][0].fill.fgColor.rgb == "FFC6EFCE"
    assert rows["Amount settled"][2].value == pytest.approx(305.1)
    texts = summary_texts(path)
    assert any(t.startswith("Rows were not sent or got no answer") for t in texts)
    assert any(f"importer rerun imp-1 --fix {tmp_path / 'report.csv'}" in t for t in texts)
    assert "3 empty rows skipped" in texts


def test_swedish_workbook(tmp_path: Path) -> None:
    write_reports(make_report(), tmp_path, ["xlsx"], settings=SV)
    wb = openpyxl.load_workbook(tmp_path / "report.xlsx")
    assert wb.sheetnames == ["Sammanfattning", "Behöver åtgärd", "Alla rader"]
    rows = summary_rows(tmp_path / "report.xlsx", "Sammanfattning")
    assert rows["Lästa rader"][1].value == 8
    assert "Krediterad" in rows
    ws = wb["Alla rader"]
    col = header_index(ws)
    assert ws.cell(3, col["Utfall"]).value == "Krediterad: varning"


def test_dry_run_workbook_shows_what_would_be_sent(tmp_path: Path) -> None:
    rows = [
        ReportRow(
            row=2,
            outcome=Outcome.NOT_SENT,
            request={"creditor": "a" * 24, "amount": 10},
            source=source("F2", "10", "K2"),
        ),
        ReportRow(
            row=3,
            outcome=Outcome.INVALID,
            errors=[RowError(field="amount", code="amount_zero", message="Amount 0 is zero.")],
            source=source("F3", "0", "K3"),
        ),
    ]
    write_reports(make_report(rows, dry_run=True), tmp_path, ["xlsx"])
    wb = openpyxl.load_workbook(tmp_path / "report.xlsx")
    ws = wb["All rows"]
    col = header_index(ws)
    assert ws.cell(2, col["Outcome"]).value == "Valid: would be sent"
    assert ws.cell(2, col["Amount credited (requested)"]).value == 10
    attention = wb["Needs attention"]
    assert attention.max_row == 2  # the invalid row only
    assert (
        attention.cell(2, col["Reason"]).value == "The amount is zero; there is nothing to credit."
    )
    assert "Dry run: nothing was sent" in summary_rows(tmp_path / "report.xlsx")


def test_all_rows_left_out_above_the_limit_and_the_summary_says_where_they_are(
    tmp_path: Path,
) -> None:
    settings = ReportSettings(xlsx_all_rows=5)
    write_reports(make_report(), tmp_path, ["xlsx"], settings=settings)
    wb = openpyxl.load_workbook(tmp_path / "report.xlsx")
    assert wb.sheetnames == ["Summary", "Needs attention"]
    assert any(
        "The import has 8 rows, more than 5: the full list is in report.csv" in t
        for t in summary_texts(tmp_path / "report.xlsx")
    )


@pytest.mark.slow
def test_twenty_thousand_columns_fit_excel_with_a_note(tmp_path: Path) -> None:
    columns = [f"c{i}" for i in range(20_000)]
    rows = [
        ReportRow(row=2, outcome=Outcome.INVALID, source={c: "x" for c in columns}),
    ]
    report = Report(
        file_import_report="imp-wide",
        file=FileInfo(name="wide.csv", sha256="0" * 64, format="csv", rows=1),
        api={"base_url": "sandbox"},
        started=datetime(2025, 1, 1),
        columns=columns,
        summary=build_summary(rows),
        rows=rows,
    )
    paths = write_reports(report, tmp_path, ["json", "csv", "xlsx"])
    ws = openpyxl.load_workbook(paths["xlsx"], read_only=True)["All rows"]
    assert ws.max_column == 16_384
    texts = summary_texts(paths["xlsx"])
    assert any("3,624 of the file's columns are left out" in t for t in texts)
    header = paths["csv"].read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert "c19999" in header  # report.csv is complete


def test_rows_beyond_excels_limit_are_left_out_with_a_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report_xlsx, "MAX_ROWS", 4)  # 1,048,576 rows would take minutes
    write_reports(make_report(), tmp_path, ["xlsx"])
    wb = openpyxl.load_workbook(tmp_path / "report.xlsx")
    assert wb["All rows"].max_row == 4
    assert wb["Needs attention"].max_row == 4
    texts = summary_texts(tmp_path / "report.xlsx")
    assert any("5 rows are left out of sheet 'All rows'" in t for t in texts)
    assert any("3 rows are left out of sheet 'Needs attention'" in t for t in texts)


def test_sample_rows_cover_every_outcome() -> None:
    assert {row.outcome for row in sample_rows()} == set(Outcome)


@pytest.mark.parametrize(("dry_run", "held"), [(False, False), (True, False), (False, True)])
def test_attention_rows_are_exactly_those_with_a_next_step(dry_run: bool, held: bool) -> None:
    from importer.attention import row_next_step
    from importer.report import blocks_of
    from importer.report.row_words import attention_indices

    twice = RowError(field="creditor_reference", code="credited_twice", message="Reverse one.")
    rows = [
        *sample_rows(),
        credited(20, 1, "1", status="error"),
        credited(21, 1, "1"),
        credited(22, 1, "1", errors=[twice]),  # completed, but credited twice: a person acts
    ]
    (block,) = blocks_of(rows)
    expected = [
        i
        for i, row in enumerate(rows)
        if row_next_step(row.outcome, row.status, row.errors, dry_run=dry_run, held=held)
        is not None
    ]
    assert attention_indices(block, dry_run=dry_run, held=held) == expected
    assert (len(rows) - 1 in expected) is not dry_run


def test_a_dry_runs_next_steps_never_name_a_rerun_that_refuses_it(workdir: Path) -> None:
    """A dry run keeps no rows in the journal, so `importer rerun ID` refuses it ("was a dry
    run"): the workbook's and the page's next step for an invalid row of a dry run says to
    correct the file and validate or run it again, never `importer rerun ID --fix`."""
    from cli_support import importer, report_of

    credits = workdir / "credits.csv"
    credits.write_text("Fakturanummer;Belopp\nF-1;10,00\nF-2;abc\n", encoding="utf-8")
    assert importer(workdir, "validate", str(credits)).returncode == 1
    report_id = report_of(workdir)["file_import_report"]
    folder = workdir / "reports" / report_id
    ws = openpyxl.load_workbook(folder / "report.xlsx")["Needs attention"]
    (step,) = [row[header_index(ws)["What to do next"] - 1] for row in ws.iter_rows(min_row=2)]
    assert step.value
    assert "importer rerun" not in step.value, step.value
    assert "importer rerun" not in (folder / "report.html").read_text(encoding="utf-8")
    assert importer(workdir, "rerun", report_id, "--fix", str(credits)).returncode == 2
