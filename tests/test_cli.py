"""End to end through the real command line: a subprocess `python -m importer`, files on disk,
the sandbox over a real socket, the journal in SQLite on disk."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from cli_support import SAMPLE, SECRET, corrected_report_csv, creditings, importer, report_of

from importer.sandbox import Sandbox

REPO = Path(__file__).resolve().parents[1]

SAMPLE_OUTCOMES = [  # the sample is built to show every outcome, in this order
    (2, "credited", "completed"),
    (3, "credited", "completed"),
    (4, "credited", "warning"),
    (5, "credited", "error"),
    (6, "invalid", None),
    (7, "rejected", None),
    (8, "duplicate", None),
    (9, "credited", "completed"),
]


def test_sample_produces_every_outcome(workdir: Path, api: Sandbox) -> None:
    done = importer(workdir, "run", str(SAMPLE), api=api)
    assert done.returncode == 1, done.stderr
    report = report_of(workdir)
    got = [(r["row"], r["outcome"], r["status"]) for r in report["rows"]]
    assert got == SAMPLE_OUTCOMES
    rows = {r["row"]: r for r in report["rows"]}
    assert rows[4]["settled_amount"] == "300.00"
    assert rows[4]["status_reason_locale"] == "crediting.amount_exceeds_remaining"
    assert rows[5]["status_reason_locale"] == "crediting.case_closed"
    assert rows[6]["errors"][0]["field"] == "amount"
    assert rows[7]["errors"][0]["field"] == "invoice_number"
    assert rows[8]["duplicate_of"]["row"] == 2
    assert rows[8]["_id"] == rows[2]["_id"]
    assert rows[2]["request"]["amount"] == 1250
    summary = report["summary"]
    assert sum(summary["outcomes"].values()) == summary["rows"] == len(report["rows"]) == 8
    assert summary["amount_settled"] == "2689.50"
    assert len(creditings(api)) == 5
    assert "credited" in done.stdout
    assert report["file_import_report"] in done.stdout


def test_dry_run_sends_nothing(workdir: Path, api: Sandbox) -> None:
    done = importer(workdir, "validate", str(SAMPLE), api=api)
    assert done.returncode == 1  # row 6 is invalid
    assert creditings(api) == []
    report = report_of(workdir)
    assert report["dry_run"] is True
    rows = {r["row"]: r for r in report["rows"]}
    assert rows[2]["outcome"] == "not_sent"
    assert rows[2]["request"]["invoice_number"] == "F-1001"
    assert rows[8]["outcome"] == "duplicate"


def test_secret_never_printed(workdir: Path, api: Sandbox) -> None:
    done = importer(workdir, "run", "--log-json", "--debug", str(SAMPLE), api=api)
    assert done.returncode == 1
    assert SECRET not in done.stdout + done.stderr
    for path in workdir.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def test_wrong_key_stops_with_exit_3(workdir: Path, api: Sandbox) -> None:
    done = importer(workdir, "run", str(SAMPLE), api=api, key="wrong")
    assert done.returncode == 3
    assert "refused the API key" in done.stderr
    assert "Traceback" not in done.stderr
    outcomes = {r["outcome"] for r in report_of(workdir)["rows"]}
    assert outcomes <= {"not_sent", "invalid"}


def test_all_or_nothing_posts_nothing(workdir: Path, api: Sandbox) -> None:
    done = importer(workdir, "run", "--all-or-nothing", str(SAMPLE), api=api)
    assert done.returncode == 1
    assert creditings(api) == []
    report = report_of(workdir)
    assert any("all-or-nothing" in w["message"] for w in report["warnings"])
    assert report["warnings"][0]["code"] == "all_or_nothing"


def test_an_all_or_nothing_stop_says_to_fix_the_invalid_rows_not_to_wait_for_an_outage(
    workdir: Path, api: Sandbox
) -> None:
    done = importer(workdir, "run", "--all-or-nothing", str(SAMPLE), api=api)
    assert done.returncode == 1, done.stderr
    import_id = report_of(workdir)["file_import_report"]
    fix = f"{workdir}/reports/{import_id}/report.csv"
    step = (
        "  next: nothing was posted, because rows are invalid and the import is "
        f"all-or-nothing: fix the invalid rows in {fix}, then: importer rerun {import_id} "
        f"--fix {fix} (every row is then posted)"
    )
    nexts = [line for line in done.stdout.splitlines() if line.startswith("  next:")]
    assert nexts == [step], done.stdout
    shown = importer(workdir, "show", import_id)
    assert [line for line in shown.stdout.splitlines() if line.startswith("  next:")] == [step]
    html = (workdir / "reports" / import_id / "report.html").read_text(encoding="utf-8")
    assert "outage" not in html
    assert "once the API is reachable" not in html
    assert f"importer rerun {import_id} --fix" in html


def test_the_step_an_all_or_nothing_stop_gives_posts_every_row_once_the_invalid_one_is_fixed(
    workdir: Path, api: Sandbox
) -> None:
    done = importer(workdir, "run", "--all-or-nothing", str(SAMPLE), api=api)
    assert done.returncode == 1, done.stderr
    import_id = report_of(workdir)["file_import_report"]
    plain = importer(workdir, "rerun", import_id, api=api)
    assert plain.returncode == 1, plain.stderr
    assert creditings(api) == []  # what "after the outage: importer rerun ID" would have done
    report_csv = workdir / "reports" / import_id / "report.csv"
    corrected_report_csv(report_csv, 6, {"Belopp": "123,45"}, report_csv)

    fixed = importer(workdir, "rerun", import_id, "--fix", str(report_csv), api=api)
    assert fixed.returncode == 1, fixed.stdout + fixed.stderr  # row 7: F-9999 is unknown
    outcomes = {r["row"]: r["outcome"] for r in report_of(workdir)["rows"]}
    assert outcomes == {
        2: "credited",
        3: "credited",
        4: "credited",
        5: "credited",
        6: "credited",
        7: "rejected",
        8: "duplicate",
        9: "credited",
    }
    assert len(creditings(api)) == 6


def test_an_all_or_nothing_stop_puts_its_invalid_row_before_a_person_not_the_rows_it_held(
    workdir: Path, api: Sandbox
) -> None:
    """The held rows wait for the invalid one's correction and need nobody themselves: listed
    among the rows needing attention they pushed the one row to fix past report.html's first
    500 and Excel's last row."""
    lines = [f"F-1001;1,00;SEK;KF-{n:05d};2026-11-20;ok" for n in range(600)]
    credits = workdir / "credits.csv"
    credits.write_text(
        "Fakturanummer;Belopp;Valuta;Kreditfaktura;Datum;Meddelande\n"
        + "\n".join([*lines, "F-1002;12,345;SEK;KF-BAD;2026-11-20;three decimals"])
        + "\n",
        encoding="utf-8",
    )
    done = importer(workdir, "run", "--all-or-nothing", str(credits), api=api)
    assert done.returncode == 1, done.stderr
    assert creditings(api) == []
    import_id = report_of(workdir)["file_import_report"]
    folder = workdir / "reports" / import_id
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "KF-BAD" in html
    assert "KF-00000" not in html
    attention = openpyxl.load_workbook(folder / "report.xlsx", read_only=True)["Needs attention"]
    listed = [r[0] for r in attention.iter_rows(min_row=2, values_only=True)]
    assert listed == ["F-1002"]
    shown = importer(workdir, "show", import_id).stdout.splitlines()
    assert "  open       1: invalid 1" in shown
    assert "1 row(s) need attention:" in shown
    assert next(line for line in shown if line.startswith("  row ")).startswith("  row 602 ")


def test_same_file_twice_is_not_imported_again(workdir: Path, api: Sandbox) -> None:
    assert importer(workdir, "run", str(SAMPLE), api=api).returncode == 1
    again = importer(workdir, "run", str(SAMPLE), api=api)
    assert again.returncode == 0
    assert "already imported" in again.stdout
    assert len(creditings(api)) == 5


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"Fakturanummer;Valuta\nF-1;SEK\n", "required column missing: amount"),
        (b"\x00\x01\x02binary\xff\xfe", "not"),
        (b"", "empty"),
        (b'Fakturanummer;Belopp\nF-1;"12.00\nF-2;13.00\n', "never closed"),
        (b"Fakturanummer;Belopp\nF-1\x81;12,00\n", "Windows-1252"),
        (b"Kund;Summa\nA;1\n", "no header row matches"),
        ((REPO / "samples" / "credits.xlsx").read_bytes()[:1500], "damaged"),
    ],
    ids=["no-amount", "binary", "empty", "open-quote", "bad-bytes", "no-header", "broken-xlsx"],
)
def test_file_rejected_as_a_whole(
    workdir: Path, api: Sandbox, content: bytes, expected: str
) -> None:
    bad = workdir / "bad.csv"
    bad.write_bytes(content)
    done = importer(workdir, "run", str(bad), api=api)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("importer:")]
    assert len(lines) == 1
    assert "bad.csv" in lines[0]
    assert expected in lines[0]
    assert creditings(api) == []
    assert report_of(workdir)["file_errors"]


def test_validate_of_a_rejected_file_says_why_in_one_line_and_a_report(workdir: Path) -> None:
    bad = workdir / "bad.csv"
    bad.write_text("Fakturanummer;Valuta\nF-1;SEK\n", encoding="utf-8")
    done = importer(workdir, "validate", str(bad))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        next(line for line in done.stderr.splitlines() if line.startswith("importer:"))
    ]
    assert "required column missing: amount" in done.stderr
    report = report_of(workdir)
    assert report["dry_run"] is True
    assert report["rows"] == []
    assert "amount" in report["file_errors"][0]["message"]


def test_missing_file_exit_2(workdir: Path) -> None:
    done = importer(workdir, "validate", "nope.csv")
    assert done.returncode == 2
    assert "nope.csv" in done.stderr
    assert "Traceback" not in done.stderr


def test_header_only_file_is_a_quiet_night(workdir: Path, api: Sandbox) -> None:
    empty = workdir / "empty.csv"
    empty.write_text("invoice_number,amount\n", encoding="utf-8")
    done = importer(workdir, "run", str(empty), api=api)
    assert done.returncode == 0, done.stderr
    assert report_of(workdir)["summary"]["rows"] == 0


def test_embedded_sandbox_says_no_real_credits(workdir: Path) -> None:
    done = importer(workdir, "run", "--api-url", "sandbox", str(SAMPLE))
    assert done.returncode == 1, done.stderr
    assert "no real credits were issued" in done.stdout
    assert report_of(workdir)["sandbox"] is True


def test_sample_workbook_holds_the_same_rows_as_the_csv() -> None:
    from importer.sources import cell_text, read_source

    csv_rows = [cells for _, cells in read_source(SAMPLE).records]
    xlsx_rows = [
        tuple(cell_text(c) for c in cells)
        for _, cells in read_source(REPO / "samples" / "credits.xlsx").records
    ]
    assert len(csv_rows) == len(xlsx_rows) == 9
    assert csv_rows[0] == xlsx_rows[0]
    for csv_row, xlsx_row in zip(csv_rows[1:], xlsx_rows[1:], strict=True):
        assert csv_row[0] == xlsx_row[0]
        assert csv_row[2:] == xlsx_row[2:]
        assert Decimal(csv_row[1].replace(" ", "").replace(",", ".")) == Decimal(xlsx_row[1])


def test_sample_workbook_produces_the_same_outcomes(workdir: Path, api: Sandbox) -> None:
    done = importer(workdir, "run", str(REPO / "samples" / "credits.xlsx"), api=api)
    assert done.returncode == 1, done.stderr
    got = [(r["row"], r["outcome"], r["status"]) for r in report_of(workdir)["rows"]]
    assert got == SAMPLE_OUTCOMES
