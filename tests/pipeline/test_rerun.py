"""Reruns, corrections and duplicate protection across imports, end to end
through the command line against the sandbox over a real socket."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from cli_support import SAMPLE, SECRET, creditings, importer, report_of

from importer.sandbox import Sandbox

REPO = Path(__file__).resolve().parents[2]


def seeded_cases(tmp_path: Path, *extra: dict) -> Path:
    cases = json.loads((REPO / "samples" / "cases.json").read_text(encoding="utf-8"))
    path = tmp_path / f"cases-{len(extra)}.json"
    path.write_text(json.dumps([*cases, *extra]), encoding="utf-8")
    return path


F9999 = {
    "_id": "64b0c0ffee00000000009999",
    "creditor": "5f1a2b3c4d5e6f7a8b9c0d1e",
    "account": "70a1b2c3d4e5f60718293a4b",
    "debt": {"invoice_number": "F-9999"},
    "reference_number": "70019999",
    "currency": "SEK",
    "local_remaining_capital_amount": 1000.0,
    "state": "open",
}


def test_rerun_posts_the_rejected_row_once_its_cause_is_fixed(
    workdir: Path, tmp_path: Path
) -> None:
    with Sandbox(db_path=tmp_path / "a.sqlite", api_key=SECRET) as first:
        assert importer(workdir, "run", str(SAMPLE), api=first).returncode == 1
        port = int(first.url.rsplit(":", 1)[1])
    report = report_of(workdir)
    import_id = report["file_import_report"]
    assert [r["outcome"] for r in report["rows"] if r["row"] == 7] == ["rejected"]

    # The case F-9999 is registered in Amili; credited rows must not be posted again.
    # Same API address; a fresh database holds only what the rerun posts.
    with Sandbox(
        db_path=tmp_path / "b.sqlite",
        cases_path=seeded_cases(tmp_path, F9999),
        api_key=SECRET,
        port=port,
    ) as fixed:
        done = importer(workdir, "rerun", import_id, api=fixed)
        assert done.returncode == 1, done.stdout + done.stderr  # warning/error rows remain
        posted = creditings(fixed)
    assert [p["invoice_number"] for p in posted] == ["F-9999"]
    rerun = report_of(workdir)
    assert rerun["file_import_report"] == import_id  # rendered again in place
    row7 = next(r for r in rerun["rows"] if r["row"] == 7)
    assert row7["outcome"] == "credited"
    assert row7["status"] == "completed"
    assert [a["outcome"] for a in row7["attempts"]] == ["rejected", "credited"]
    assert sum(rerun["summary"]["outcomes"].values()) == 8


def test_rerun_by_report_path_sends_nothing_when_all_is_final(
    workdir: Path, tmp_path: Path
) -> None:
    clean = workdir / "clean.csv"
    clean.write_text("invoice_number;amount\nF-1001;10,00\nF-1004;20,00\n", encoding="utf-8")
    with Sandbox(db_path=tmp_path / "a.sqlite", api_key=SECRET) as api:
        assert importer(workdir, "run", str(clean), api=api).returncode == 0
        report_path = next((workdir / "reports").glob("*/report.json"))
        again = importer(workdir, "rerun", str(report_path), api=api)
        assert again.returncode == 0, again.stderr
        assert len(creditings(api)) == 2


def test_fix_file_corrects_an_invalid_row_by_row_number(workdir: Path, api: Sandbox) -> None:
    assert importer(workdir, "run", str(SAMPLE), api=api).returncode == 1
    report_dir = next((workdir / "reports").glob("*/"))
    import_id = report_dir.name
    # The usual workflow: open report.csv, fix the failed row, save it.
    with (report_dir / "report.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))  # the source's dialect
    header = rows[0]
    amount, row_col = header.index("Belopp"), header.index("row")
    fixed = [header]
    for line in rows[1:]:
        if line[row_col] == "6":
            line[amount] = "123,45"
        if line[row_col] == "2":  # a credited row edited too: final, it is left as it was
            line[amount] = "9,99"
        fixed.append(line)
    fix = workdir / "fixed.csv"
    with fix.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(fixed)
    before = len(creditings(api))

    done = importer(workdir, "rerun", import_id, "--fix", str(fix), api=api)
    assert done.returncode == 1, done.stdout + done.stderr
    after = creditings(api)
    assert len(after) == before + 1  # only row 6 (row 7 stays rejected: F-9999 unknown)
    assert after[-1]["amount"] == 123.45
    rows_now = {r["row"]: r for r in report_of(workdir)["rows"]}
    assert rows_now[6]["outcome"] == "credited"
    assert rows_now[6]["source"]["Belopp"] == "123,45"
    assert rows_now[7]["outcome"] == "rejected"
    assert "1 credited row(s) of fixed.csv left as they were (rows 2)" in done.stdout
    assert rows_now[2]["source"]["Belopp"] == "1 250,00"


def test_a_file_with_its_own_row_column_is_fixed_by_the_reports_row(
    workdir: Path, api: Sandbox
) -> None:
    # The creditor's export numbers its lines itself ("Row" 1, 2, 3 — not the spreadsheet's
    # rows). Its report.csv then has two row columns; the corrections go by the report's.
    data = workdir / "export.csv"
    data.write_text(
        "Row;Fakturanummer;Belopp;Kreditfaktura\n"
        "1;F-1001;10,00;KF-1\n"
        "2;F-1001;0;KF-2\n"  # invalid: zero (spreadsheet row 3)
        "3;F-1001;12,00;KF-3\n",
        encoding="utf-8",
    )
    assert importer(workdir, "run", str(data), api=api).returncode == 1
    report_dir = next((workdir / "reports").glob("*/"))
    with (report_dir / "report.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))  # the source's dialect
    header = rows[0]
    assert header.count("Row") == 1
    assert header.count("row") == 1
    amount, row_col = header.index("Belopp"), header.index("row")
    for line in rows[1:]:
        if line[row_col] == "3":
            line[amount] = "11,00"
    fix = workdir / "fixed.csv"
    with fix.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(rows)
    before = len(creditings(api))

    done = importer(workdir, "rerun", report_dir.name, "--fix", str(fix), api=api)
    assert done.returncode == 0, done.stdout + done.stderr
    after = creditings(api)
    assert len(after) == before + 1
    assert after[-1]["amount"] == 11.0
    rows_now = {r["row"]: r for r in report_of(workdir)["rows"]}
    assert [rows_now[n]["outcome"] for n in (2, 3, 4)] == ["credited"] * 3
    assert rows_now[3]["source"] == {
        "Row": "2", "Fakturanummer": "F-1001", "Belopp": "11,00", "Kreditfaktura": "KF-2"
    }  # fmt: skip


def test_rerun_against_another_api_is_refused(workdir: Path, api: Sandbox) -> None:
    assert importer(workdir, "run", str(SAMPLE), api=api).returncode == 1
    import_id = report_of(workdir)["file_import_report"]
    done = importer(workdir, "rerun", import_id, "--api-url", "sandbox")
    assert done.returncode == 2
    assert "rerun it against the same API" in done.stderr
    assert len(creditings(api)) == 5


def test_fix_with_a_row_that_is_not_in_the_import_changes_nothing(
    workdir: Path, api: Sandbox
) -> None:
    assert importer(workdir, "run", str(SAMPLE), api=api).returncode == 1
    import_id = report_of(workdir)["file_import_report"]
    fix = workdir / "fix.csv"
    fix.write_text("row;Fakturanummer;Belopp\n6;F-1005;10,00\n99;F-1005;10,00\n", "utf-8")
    done = importer(workdir, "rerun", import_id, "--fix", str(fix), api=api)
    assert done.returncode == 2
    assert "99" in done.stderr
    assert "nothing was changed" in done.stderr
    assert next(r for r in report_of(workdir)["rows"] if r["row"] == 6)["outcome"] == "invalid"


def test_overlapping_exports_do_not_credit_a_credit_note_twice(workdir: Path, api: Sandbox) -> None:
    monday = workdir / "monday.csv"
    monday.write_text("invoice_number;amount;credit_invoice\nF-1001;10,00;KF-1\n", "utf-8")
    tuesday = workdir / "tuesday.csv"
    tuesday.write_text(
        "invoice_number;amount;credit_invoice\nF-1001;10,00;KF-1\nF-1004;5,00;KF-2\n", "utf-8"
    )
    assert importer(workdir, "run", str(monday), api=api).returncode == 0
    first_id = report_of(workdir)["file_import_report"]
    done = importer(workdir, "run", str(tuesday), api=api)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {r["row"]: r for r in report_of(workdir)["rows"]}
    assert rows[2]["outcome"] == "duplicate"
    assert rows[2]["duplicate_of"]["file_import_report"] == first_id
    assert rows[2]["_id"] == creditings(api)[0]["_id"]
    assert rows[3]["outcome"] == "credited"
    assert len(creditings(api)) == 2


def test_force_imports_the_same_file_again_but_dedupe_still_holds(
    workdir: Path, api: Sandbox
) -> None:
    assert importer(workdir, "run", str(SAMPLE), api=api).returncode == 1
    again = importer(workdir, "run", "--force", str(SAMPLE), api=api)
    assert again.returncode == 1
    outcomes = {r["outcome"] for r in report_of(workdir)["rows"]}
    assert "credited" not in outcomes  # every credit note was already credited
    assert len(creditings(api)) == 5


def test_imports_lists_every_import_with_counts(workdir: Path, api: Sandbox) -> None:
    assert importer(workdir, "run", str(SAMPLE), api=api).returncode == 1
    assert importer(workdir, "validate", str(SAMPLE)).returncode == 1
    listed = importer(workdir, "imports")
    assert listed.returncode == 0
    lines = listed.stdout.strip().splitlines()
    assert len(lines) == 3  # header + two imports
    assert "credited 5" in lines[1]
    assert "credits.csv" in lines[1]
    assert "(dry run)" in lines[2]


def test_credits_in_the_sandbox_do_not_block_the_real_import(workdir: Path, api: Sandbox) -> None:
    # Trying a file against the embedded sandbox first, then importing it for real, must not
    # mark its rows as duplicates of credits that were never really given.
    assert importer(workdir, "run", "--api-url", "sandbox", str(SAMPLE)).returncode == 1
    done = importer(workdir, "run", str(SAMPLE), api=api)
    assert done.returncode == 1, done.stdout + done.stderr
    outcomes = [r["outcome"] for r in report_of(workdir)["rows"]]
    assert outcomes.count("credited") == 5
    assert outcomes.count("duplicate") == 1
    assert len(creditings(api)) == 5


def test_a_corrected_row_identical_to_a_later_credited_row_is_credited_not_a_duplicate(
    workdir: Path, api: Sandbox
) -> None:
    """Three identical credits in one file, the middle one unreadable: the first and the last
    are credited (as the first and second of their kind). Corrected, the middle row is a
    third credit of its own — not given the last row's reference, found "already credited"
    under it and never sent."""
    data = workdir / "export.csv"
    data.write_text(
        "Fakturanummer;Belopp;Datum\n"
        "F-1001;10,00;2026-11-20\n"
        "F-1001;10,0x;2026-11-20\n"
        "F-1001;10,00;2026-11-20\n",
        encoding="utf-8",
    )
    assert importer(workdir, "run", str(data), api=api).returncode == 1
    import_id = report_of(workdir)["file_import_report"]
    assert len(creditings(api)) == 2
    fix = workdir / "fix.csv"
    fix.write_text("row;Fakturanummer;Belopp;Datum\n3;F-1001;10,00;2026-11-20\n", encoding="utf-8")

    done = importer(workdir, "rerun", import_id, "--fix", str(fix), api=api)

    rows = {r["row"]: r for r in report_of(workdir)["rows"]}
    assert rows[3]["outcome"] == "credited", rows[3]["errors"]
    assert len(creditings(api)) == 3
    assert done.returncode == 0, done.stdout + done.stderr
    references = [r["request"]["creditor_reference"] for r in rows.values()]
    assert len(set(references)) == 3


def test_two_rows_corrected_into_one_credit_are_two_credits(workdir: Path, api: Sandbox) -> None:
    """Two unreadable rows corrected in one fix file into the same credit are two credits, as
    two identical rows of the file would be: each gets a reference of its own."""
    data = workdir / "export.csv"
    data.write_text(
        "Fakturanummer;Belopp;Datum\nF-1001;10,0x;2026-11-20\nF-1001;10,0y;2026-11-20\n",
        encoding="utf-8",
    )
    assert importer(workdir, "run", str(data), api=api).returncode == 1
    import_id = report_of(workdir)["file_import_report"]
    fix = workdir / "fix.csv"
    fix.write_text(
        "row;Fakturanummer;Belopp;Datum\n2;F-1001;10,00;2026-11-20\n3;F-1001;10,00;2026-11-20\n",
        encoding="utf-8",
    )

    done = importer(workdir, "rerun", import_id, "--fix", str(fix), api=api)

    assert done.returncode == 0, done.stdout + done.stderr
    rows = report_of(workdir)["rows"]
    assert [r["outcome"] for r in rows] == ["credited", "credited"]
    assert len(creditings(api)) == 2
    assert len({r["request"]["creditor_reference"] for r in rows}) == 2
