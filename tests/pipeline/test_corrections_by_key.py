"""Corrections are matched by key, never by position: `rerun --fix` takes
report.csv, report.xlsx or the original format; it matches by the `row` column, else by credit
note, else by the file's own reference; a correction that matches no row or several rejects
the whole correction file before anything changes; the report keeps the original cells beside
the corrected ones; `rerun --dry-run` shows what would be sent and changes nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import openpyxl
from cli_support import creditings, importer, report_of

from importer.journal import Journal
from importer.outcomes import Outcome
from importer.sandbox import Sandbox

ORIGINAL = (
    "Fakturanummer;Belopp;Kreditfaktura;Referens\r\n"
    "F-1001;10,00;KF-1;R-1\r\n"
    "F-1002;0;KF-2;R-2\r\n"  # invalid: zero
    "F-1004;12,345;KF-3;R-3\r\n"  # invalid: three decimals
    "F-1006;15,00;KF-4;R-4\r\n"
)


def _first_run(workdir: Path, api: Sandbox) -> str:
    data = workdir / "export.csv"
    data.write_bytes(ORIGINAL.encode("cp1252"))
    assert importer(workdir, "run", str(data), api=api).returncode == 1
    return str(report_of(workdir)["file_import_report"])


def _rows(workdir: Path) -> dict[int, dict]:
    return {row["row"]: row for row in report_of(workdir)["rows"]}


def test_the_original_format_with_just_the_corrected_rows_matches_by_credit_note(
    workdir: Path, api: Sandbox
) -> None:
    import_id = _first_run(workdir, api)
    fix = workdir / "fixed.csv"
    # Just the two corrected rows, in another order: by position they would land on rows
    # 2 and 3 and credit the wrong invoices.
    fix.write_bytes(
        "Fakturanummer;Belopp;Kreditfaktura;Referens\r\n"
        "F-1004;12,35;KF-3;R-3\r\n"
        "F-1002;20,00;KF-2;R-2\r\n".encode("cp1252")
    )
    done = importer(workdir, "rerun", import_id, "--fix", str(fix), api=api)
    assert done.returncode == 0, done.stdout + done.stderr
    sent = sorted((c["invoice_number"], c["amount"]) for c in creditings(api))
    assert sent == [("F-1001", 10), ("F-1002", 20), ("F-1004", 12.35), ("F-1006", 15)]
    rows = _rows(workdir)
    assert len(rows) == 4  # no row vanished
    assert rows[3]["source"]["Belopp"] == "20,00"
    assert rows[3]["original_source"]["Belopp"] == "0"
    assert rows[4]["original_source"]["Belopp"] == "12,345"
    assert rows[2]["original_source"] is None


def test_a_file_without_credit_notes_matches_by_reference(workdir: Path, api: Sandbox) -> None:
    import_id = _first_run(workdir, api)
    fix = workdir / "fixed.csv"
    fix.write_text("Referens;Fakturanummer;Belopp\nR-3;F-1004;12,30\n", encoding="utf-8")
    done = importer(workdir, "rerun", import_id, "--fix", str(fix), api=api)
    assert done.returncode == 1, done.stdout + done.stderr  # row 3 is still invalid
    assert _rows(workdir)[4]["outcome"] == "credited"
    assert _rows(workdir)[3]["outcome"] == "invalid"


def test_a_correction_matching_no_row_rejects_the_whole_file(workdir: Path, api: Sandbox) -> None:
    import_id = _first_run(workdir, api)
    before = creditings(api)
    fix = workdir / "fixed.csv"
    fix.write_text(
        "Fakturanummer;Belopp;Kreditfaktura\nF-1002;20,00;KF-2\nF-1004;12,30;KF-99\n",
        encoding="utf-8",
    )
    done = importer(workdir, "rerun", import_id, "--fix", str(fix), api=api)
    assert done.returncode == 2
    assert "row 3 (credit note KF-99) matches no row of the import" in done.stderr
    assert "nothing was changed" in done.stderr
    assert creditings(api) == before
    assert _rows(workdir)[3]["outcome"] == "invalid"  # KF-2 was not applied either


def test_a_correction_matching_several_rows_rejects_the_whole_file(
    workdir: Path, api: Sandbox
) -> None:
    data = workdir / "export.csv"
    data.write_text(
        "Fakturanummer;Belopp;Kreditfaktura\nF-1001;0;KF-1\nF-1002;0;KF-1\n", encoding="utf-8"
    )
    assert importer(workdir, "run", str(data), api=api).returncode == 1
    import_id = report_of(workdir)["file_import_report"]
    fix = workdir / "fixed.csv"
    fix.write_text("Fakturanummer;Belopp;Kreditfaktura\nF-1001;5,00;KF-1\n", encoding="utf-8")
    done = importer(workdir, "rerun", import_id, "--fix", str(fix), api=api)
    assert done.returncode == 2
    assert "row 2 (credit note KF-1) matches rows 2, 3" in done.stderr
    assert creditings(api) == []


def test_a_file_with_no_key_is_refused_rather_than_matched_by_position(
    workdir: Path, api: Sandbox
) -> None:
    import_id = _first_run(workdir, api)
    fix = workdir / "fixed.csv"
    fix.write_text("Fakturanummer;Belopp\nF-1002;20,00\n", encoding="utf-8")
    done = importer(workdir, "rerun", import_id, "--fix", str(fix), api=api)
    assert done.returncode == 2
    assert "never matched by position" in done.stderr


def test_report_xlsx_is_a_correction_file(workdir: Path, api: Sandbox) -> None:
    import_id = _first_run(workdir, api)
    report_xlsx = next((workdir / "reports").glob("*/report.xlsx"))
    book = openpyxl.load_workbook(report_xlsx)
    fixed = workdir / "fixed.xlsx"
    for sheet in book.worksheets:
        header = [str(cell.value).lower() for cell in sheet[1]]
        if "row" not in header or "belopp" not in header:
            continue
        for line in sheet.iter_rows(min_row=2):
            if line[header.index("row")].value in (3, "3"):
                line[header.index("belopp")].value = "20,00"
    book.save(fixed)
    done = importer(workdir, "rerun", import_id, "--fix", str(fixed), api=api)
    assert done.returncode == 1, done.stdout + done.stderr  # row 4 still invalid
    rows = _rows(workdir)
    assert rows[3]["outcome"] == "credited"
    assert rows[4]["outcome"] == "invalid"
    assert ("F-1002", 20) in [(c["invoice_number"], c["amount"]) for c in creditings(api)]


def test_rerun_dry_run_shows_what_would_be_sent_and_changes_nothing(
    workdir: Path, api: Sandbox
) -> None:
    import_id = _first_run(workdir, api)
    report_before = next((workdir / "reports").glob("*/report.json")).read_bytes()
    before = creditings(api)
    fix = workdir / "fixed.csv"
    fix.write_text("Kreditfaktura;Fakturanummer;Belopp\nKF-2;F-1002;20,00\n", encoding="utf-8")
    done = importer(workdir, "rerun", import_id, "--fix", str(fix), "--dry-run", api=api)
    assert done.returncode == 1, done.stdout + done.stderr  # row 4 stays invalid
    assert "dry run, nothing was changed" in done.stdout
    assert "row 3      F-1002  20.00 SEK  (corrected; was: Belopp '0'" in done.stdout
    assert "would send 1 row(s), 20.00 SEK in all" in done.stdout
    assert creditings(api) == before
    assert next((workdir / "reports").glob("*/report.json")).read_bytes() == report_before
    assert _rows(workdir)[3]["outcome"] == "invalid"


def test_rerun_help_names_the_correction_formats(workdir: Path) -> None:
    done = importer(workdir, "rerun", "--help")
    text = " ".join(done.stdout.split())
    assert "report.csv or report.xlsx, or the original format" in text
    assert "--dry-run" in text


def test_a_correction_stays_with_its_imports_creditor(workdir: Path, api: Sandbox) -> None:
    """`rerun --fix` corrects rows of one import, so they keep its creditor: without
    `--creditor` the import's creditor is used (the file need not name it again), and a
    `--creditor` naming another creditor is refused before anything changes (exit 2) instead
    of posting the corrected rows for someone else."""
    from cli_support import CREDITOR

    (workdir / "config.yaml").write_text(
        "report:\n  dir: reports\njournal:\n  path: j.sqlite\n", encoding="utf-8"
    )
    data = workdir / "export.csv"
    data.write_bytes(ORIGINAL.encode("cp1252"))
    first = importer(workdir, "run", str(data), "--creditor", CREDITOR, api=api)
    assert first.returncode == 1, first.stdout + first.stderr
    import_id = str(report_of(workdir)["file_import_report"])
    fix = workdir / "fixed.csv"
    fix.write_bytes(
        "Fakturanummer;Belopp;Kreditfaktura;Referens\r\n"
        "F-1004;12,35;KF-3;R-3\r\nF-1002;20,00;KF-2;R-2\r\n".encode("cp1252")
    )
    other = "0" * 24
    refused = importer(workdir, "rerun", import_id, "--fix", str(fix), "--creditor", other, api=api)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert other in refused.stderr
    assert CREDITOR in refused.stderr
    assert len(creditings(api)) == 2  # nothing more was posted
    done = importer(workdir, "rerun", import_id, "--fix", str(fix), api=api)
    assert done.returncode == 0, done.stdout + done.stderr
    assert {c["creditor"] for c in creditings(api)} == {CREDITOR}
    assert len(creditings(api)) == 4


# ---- The operator's fix-and-rerun loop with corrections saved as a person saves them.


def test_a_row_number_that_is_a_digit_but_not_a_number_is_named_not_an_internal_error(
    workdir: Path, api: Sandbox
) -> None:
    """A `row` cell such as "²" (a superscript two: a digit to str.isdigit, not a number to
    int) rejects the correction file as any other non-number does: exit 2 naming the row,
    not an internal error."""
    import_id = _first_run(workdir, api)
    before = creditings(api)
    fix = workdir / "fixed.csv"
    fix.write_text(
        "Fakturanummer;Belopp;Kreditfaktura;Referens;row\nF-1002;20,00;KF-2;R-2;\u00b2\n",
        encoding="utf-8-sig",
    )
    done = importer(workdir, "rerun", import_id, "--fix", str(fix), api=api)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "the 'row' column must hold the original row number" in done.stderr
    assert "internal error" not in done.stderr
    assert creditings(api) == before


def test_a_correction_made_in_report_xlsx_all_rows_is_applied(workdir: Path, api: Sandbox) -> None:
    """report.xlsx shows a failed row twice: on "Needs attention" and on "All rows". A person
    who corrects it on "All rows" (the full list) gets that correction applied, not the
    untouched copy on "Needs attention" sent again as if nothing had been corrected."""
    import_id = _first_run(workdir, api)
    book = openpyxl.load_workbook(next((workdir / "reports").glob("*/report.xlsx")))
    sheet = book["All rows"]
    header = [cell.value for cell in sheet[1]]
    for line in sheet.iter_rows(min_row=2):
        if line[header.index("Row")].value == 3:
            line[header.index("Belopp")].value = "20,00"
    fixed = workdir / "fixed.xlsx"
    book.save(fixed)
    done = importer(workdir, "rerun", import_id, "--fix", str(fixed), api=api)
    assert done.returncode == 1, done.stdout + done.stderr  # row 4 is still invalid
    rows = {row["row"]: row for row in report_of(workdir)["rows"]}
    assert rows[3]["outcome"] == "credited"
    assert rows[3]["source"]["Belopp"] == "20,00"
    assert rows[4]["outcome"] == "invalid"
    assert ("F-1002", 20) in [(c["invoice_number"], c["amount"]) for c in creditings(api)]
    assert "left as they were" not in done.stdout  # the untouched credited rows of All rows


def test_a_row_corrected_two_ways_in_report_xlsx_rejects_the_file(
    workdir: Path, api: Sandbox
) -> None:
    """The same row corrected differently on two sheets of report.xlsx is not guessed at:
    the correction file is rejected naming the row, and nothing changes."""
    import_id = _first_run(workdir, api)
    before = creditings(api)
    book = openpyxl.load_workbook(next((workdir / "reports").glob("*/report.xlsx")))
    for name, amount in (("Needs attention", "20,00"), ("All rows", "30,00")):
        sheet = book[name]
        header = [cell.value for cell in sheet[1]]
        for line in sheet.iter_rows(min_row=2):
            if line[header.index("Row")].value == 3:
                line[header.index("Belopp")].value = amount
    fixed = workdir / "fixed.xlsx"
    book.save(fixed)
    done = importer(workdir, "rerun", import_id, "--fix", str(fixed), api=api)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "row 3" in done.stderr
    assert "All rows" in done.stderr
    assert creditings(api) == before
    assert {row["row"]: row for row in report_of(workdir)["rows"]}[3]["outcome"] == "invalid"


HOLD_LOCK = """
import sys
from pathlib import Path
from importer.journal import Journal
journal = Journal(Path(sys.argv[1]))
journal.locks.acquire(sys.argv[2])
print("HOLDING", flush=True)
sys.stdin.read()
journal.locks.release(sys.argv[2])
"""


def test_corrections_wait_for_the_import_lock_like_everything_else(
    workdir: Path, api: Sandbox
) -> None:
    """While another importer works on the import (a `rerun` posting its rows), a second
    `rerun --fix` is refused before it changes anything: its corrections must not replace
    rows the first one is posting, so the report never says one amount while the API
    credited another (and a row credited meanwhile is never reset to not_sent)."""
    import_id = _first_run(workdir, api)
    fix = workdir / "fixed.csv"
    fix.write_text("Kreditfaktura;Fakturanummer;Belopp\nKF-2;F-1002;20,00\n", encoding="utf-8")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(workdir / "j.sqlite"), import_id],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().startswith("HOLDING")
        done = importer(workdir, "rerun", import_id, "--fix", str(fix), api=api)
    finally:
        holder.communicate("", timeout=30)
    assert done.returncode == 3, done.stdout + done.stderr
    assert "is being worked on by process" in done.stderr
    journal = Journal(workdir / "j.sqlite")
    row = {row.row: row for row in journal.rows.all(import_id)}[3]
    journal.close()
    assert row.outcome is Outcome.INVALID
    assert list(row.source)[1] == "0"  # not the correction's 20,00


def test_columns_the_correction_file_leaves_out_keep_the_rows_cells(
    workdir: Path, api: Sandbox
) -> None:
    """A correction in the original format holding just the corrected rows and the columns
    being fixed changes those columns only: the row's date, credit note and reference are
    sent as the file had them, not dropped (a crediting dated today, a credit note no
    longer guarded against being credited twice)."""
    data = workdir / "export.csv"
    data.write_bytes(
        "Fakturanummer;Belopp;Kreditfaktura;Referens;Datum\r\n"
        "F-1001;10,00;KF-1;R-1;2026-11-20\r\n"
        "F-1004;12,345;KF-3;R-3;2026-11-21\r\n".encode("cp1252")
    )
    assert importer(workdir, "run", str(data), api=api).returncode == 1
    import_id = str(report_of(workdir)["file_import_report"])
    fix = workdir / "fixed.csv"
    fix.write_text("Referens;Fakturanummer;Belopp\nR-3;F-1004;12,35\n", encoding="utf-8")
    done = importer(workdir, "rerun", import_id, "--fix", str(fix), api=api)
    assert done.returncode == 0, done.stdout + done.stderr
    row = {row["row"]: row for row in report_of(workdir)["rows"]}[3]
    assert row["outcome"] == "credited"
    assert row["request"]["invoice_number"] == "F-1004"
    assert row["request"]["credit_invoice"] == "KF-3"
    assert row["request"]["creditor_reference"] == "R-3"
    assert row["request"]["client_registration_date"] == "Sat, 21 Nov 2026 00:00:00 GMT"
    assert row["source"] == {
        "Fakturanummer": "F-1004",
        "Belopp": "12,35",
        "Kreditfaktura": "KF-3",
        "Referens": "R-3",
        "Datum": "2026-11-21",
    }
    sent = [c for c in creditings(api) if c["creditor_reference"] == "R-3"]
    assert [(c["amount"], c["credit_invoice"]) for c in sent] == [(12.35, "KF-3")]


def test_rerun_dry_run_does_not_count_a_credit_note_conflict_it_would_not_send(
    workdir: Path, api: Sandbox
) -> None:
    """A credit-note conflict is `invalid` and keeps its request; a rerun without a
    correction of it does not send it, so its dry run does not say it would: it lists it
    as still invalid, and the total is what the rerun really sends."""
    data = workdir / "export.csv"
    data.write_bytes(
        b"Fakturanummer;Belopp;Kreditfaktura\r\nF-1001;10,00;KF-1\r\nF-1001;20,00;KF-1\r\n"
    )
    assert importer(workdir, "run", str(data), api=api).returncode == 1
    import_id = str(report_of(workdir)["file_import_report"])
    plan = importer(workdir, "rerun", import_id, "--dry-run", api=api)
    assert "would send 0 row(s), 0.00 SEK in all" in plan.stdout, plan.stdout
    assert "still invalid, not sent: row 3" in plan.stdout
    assert plan.returncode == 1
    done = importer(workdir, "rerun", import_id, api=api)
    assert [c["amount"] for c in creditings(api)] == [10]
    assert done.returncode == 1


def test_a_credit_note_corrected_away_no_longer_blocks_that_credit_note(
    workdir: Path, api: Sandbox
) -> None:
    """A row claims its credit note when it is first sent. When the API rejects it and the
    operator corrects the credit note (KF-7 was a typo for KF-70), the crediting is made
    under KF-70: KF-7 was never credited, so a later file's KF-7 is credited, not marked a
    duplicate of a crediting that carries another credit note (silently, exit 0)."""
    data = workdir / "export.csv"
    data.write_bytes(b"Fakturanummer;Belopp;Kreditfaktura\r\nF-9999;200,00;KF-7\r\n")
    assert importer(workdir, "run", str(data), api=api).returncode == 1  # rejected: F-9999
    import_id = str(report_of(workdir)["file_import_report"])
    fix = workdir / "fixed.csv"
    fix.write_text("Fakturanummer;Belopp;Kreditfaktura;row\nF-1004;200,00;KF-70;2\n")
    done = importer(workdir, "rerun", import_id, "--fix", str(fix), api=api)
    assert done.returncode == 0, done.stdout + done.stderr
    later = workdir / "later.csv"
    later.write_bytes(b"Fakturanummer;Belopp;Kreditfaktura\r\nF-1004;200,00;KF-7\r\n")
    done = importer(workdir, "run", str(later), api=api)
    assert done.returncode == 0, done.stdout + done.stderr
    assert report_of(workdir)["rows"][0]["outcome"] == "credited"
    notes = sorted(c["credit_invoice"] for c in creditings(api))
    assert notes == ["KF-7", "KF-70"]
