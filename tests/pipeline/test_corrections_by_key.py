"""Corrections are matched by key, never by position: `rerun --fix` takes
report.csv, report.xlsx or the original format; it matches by the `row` column, else by credit
note, else by the file's own reference; a correction that matches no row or several rejects
the whole correction file before anything changes; the report keeps the original cells beside
the corrected ones; `rerun --dry-run` shows what would be sent and changes nothing."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from cli_support import creditings, importer, report_of

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
