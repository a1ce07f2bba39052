"""report.xlsx types the file's own amount and date cells: numbers and dates where they were
read, the text kept where they were not, so a person can add up and sort the file's own
columns; the file's "Meddelande" and the report's message column have distinct headers; `_id`
is wide enough to read. And a typed workbook still round-trips: opened and saved as Excel
saves it (openpyxl), then given to `rerun --fix` with nothing changed, it corrects nothing.
Real files through the command line against the sandbox over a real socket."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
from cli_support import creditings, importer, report_of

from importer.report.row_words import report_labels
from importer.sandbox import Sandbox

EXPORT = (
    "Fakturanummer;Belopp;Kreditfaktura;Datum;Meddelande\r\n"
    "F-1001;1 250,50;KF-1;2026-11-20;Delkredit\r\n"
    "F-1002;0;KF-2;2026-11-21;Noll\r\n"  # invalid: zero (a readable amount)
    "F-1004;12,345;KF-3;21/11/2026;Tre decimaler\r\n"  # invalid: neither amount nor date read
    "F-9999;200,00;KF-4;2026-11-22;Okänt ärende\r\n"  # rejected by the API
)


def _run(workdir: Path, api: Sandbox) -> tuple[str, Path]:
    data = workdir / "export.csv"
    data.write_bytes(EXPORT.encode("cp1252"))
    assert importer(workdir, "run", str(data), api=api).returncode == 1
    report = report_of(workdir)
    return str(report["file_import_report"]), next((workdir / "reports").glob("*/report.xlsx"))


def _by_row(sheet: Any) -> tuple[dict[str, int], dict[int, tuple[Any, ...]]]:
    header = {cell.value: index for index, cell in enumerate(sheet[1])}
    rows = {line[header["Row"]].value: line for line in sheet.iter_rows(min_row=2)}
    return header, rows


def test_the_files_own_amounts_and_dates_are_numbers_and_dates_where_they_were_read(
    workdir: Path, api: Sandbox
) -> None:
    _, path = _run(workdir, api)
    sheet = openpyxl.load_workbook(path)["All rows"]
    header, rows = _by_row(sheet)
    amount, date = header["Belopp"], header["Datum"]
    assert rows[2][amount].value == 1250.5
    assert rows[2][amount].number_format == "#,##0.00"
    assert rows[3][amount].value == 0  # invalid, but its amount was read
    assert rows[4][amount].value == "12,345"  # not read: the text kept
    assert rows[2][date].value == datetime(2026, 11, 20)
    assert rows[2][date].is_date
    assert rows[4][date].value == "21/11/2026"
    # The file's "Meddelande" and the report's "Message"; `_id` readable.
    assert "Meddelande" in header
    assert "Message" in header
    letter = openpyxl.utils.get_column_letter(header["_id"] + 1)
    assert sheet.column_dimensions[letter].width >= 26


def test_swedish_headers_are_told_apart_too(workdir: Path, api: Sandbox) -> None:
    config = workdir / "config.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("report:\n", "report:\n  language: sv\n"),
        encoding="utf-8",
    )
    _, path = _run(workdir, api)
    header = [cell.value for cell in openpyxl.load_workbook(path)["Alla rader"][1]]
    assert header.count("Meddelande") == 1
    assert "Meddelande (rapport)" in header


def test_a_report_header_told_apart_is_told_apart_from_the_files_own_of_that_name_too() -> None:
    """A file that has both "Meddelande" and "Meddelande (rapport)" (a report fed back in as
    a new file's columns) gets a report column of a third name, and `_id` the same way: two
    columns of one name cannot be told apart by a reader, nor by a filter."""
    own = ["Fakturanummer", "Meddelande", "Meddelande (rapport)", "_id", "_id (rapport)"]
    labels = report_labels(own, ["label.message", "_id"], "sv")
    shown = [header.casefold() for header in own + labels]
    assert len(set(shown)) == len(shown), labels


def test_report_xlsx_saved_as_excel_saves_it_and_fed_back_unchanged_corrects_nothing(
    workdir: Path, api: Sandbox
) -> None:
    import_id, path = _run(workdir, api)
    before_rows = {row["row"]: row for row in report_of(workdir)["rows"]}
    before_sent = creditings(api)
    saved = workdir / "saved.xlsx"
    openpyxl.load_workbook(path).save(saved)  # opened and saved, nothing changed
    done = importer(workdir, "rerun", import_id, "--fix", str(saved), api=api)
    assert "Traceback" not in done.stderr, done.stderr
    assert creditings(api) == before_sent  # nothing sent again
    after = {row["row"]: row for row in report_of(workdir)["rows"]}
    for number, row in after.items():
        assert row["original_source"] is None, number
        assert row["source"] == before_rows[number]["source"], number
        assert row["outcome"] == before_rows[number]["outcome"], number
        assert not any(a["note"] == "corrected" for a in row["attempts"]), number


def test_a_typed_amount_corrected_in_the_workbook_is_applied(workdir: Path, api: Sandbox) -> None:
    import_id, path = _run(workdir, api)
    book = openpyxl.load_workbook(path)
    sheet = book["Needs attention"]
    header, rows = _by_row(sheet)
    rows[3][header["Belopp"]].value = 20.5  # a number typed over the zero, as Excel keeps it
    fixed = workdir / "fixed.xlsx"
    book.save(fixed)
    done = importer(workdir, "rerun", import_id, "--fix", str(fixed), api=api)
    assert "Traceback" not in done.stderr, done.stderr
    assert ("F-1002", 20.5) in [(c["invoice_number"], c["amount"]) for c in creditings(api)]
    after = {row["row"]: row for row in report_of(workdir)["rows"]}
    assert after[3]["outcome"] == "credited"
    assert after[3]["original_source"]["Belopp"] == "0"
    assert after[2]["original_source"] is None


def test_the_pages_row_headers_are_told_apart_as_the_workbooks_are(
    workdir: Path, api: Sandbox
) -> None:
    """report.html's table of rows needing attention has the file's "Meddelande" and the
    report's own message column side by side: a reader must see which is which, as in the
    workbook."""
    config = workdir / "config.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("report:\n", "report:\n  language: sv\n"),
        encoding="utf-8",
    )
    _run(workdir, api)
    page = next((workdir / "reports").glob("*/report.html")).read_text(encoding="utf-8")
    table = page[page.index('<table class="rows">') :]
    header = re.findall(r"<th>([^<]*)</th>", table[: table.index("</tr>")])
    assert header.count("Meddelande") == 1
    assert "Meddelande (rapport)" in header


def test_a_fix_file_that_changes_nothing_is_said_to_have_changed_no_row(
    workdir: Path, api: Sandbox
) -> None:
    """The round trip leaves an entry in the audit trail (who fed which file back), worded
    as what it did: no row changed — not "correct row(s)  by …", a change whose rows are
    missing, which a reader of the Summary takes for a correction made by hand."""
    import_id, path = _run(workdir, api)
    saved = workdir / "saved.xlsx"
    openpyxl.load_workbook(path).save(saved)
    assert importer(workdir, "rerun", import_id, "--fix", str(saved), api=api).returncode == 1
    done = importer(workdir, "show", import_id)
    (line,) = [line for line in done.stdout.splitlines() if "saved.xlsx" in line]
    assert "row(s)  by" not in line, line
    assert "no row changed" in line, line
