"""A credit note seen before with another amount or case is not sent and needs a person
(issue 10 item 4, DESIGN.md §3): `invalid` with code `credit_invoice_conflict`, naming both
amounts or cases and the earlier import and row, exit 1. The same credit note with the same
amount and case stays `duplicate`; `rerun --fix` and `--all-or-nothing` (before anything is
posted) find it too. Real files, the sandbox over a real socket. (Tests from review R1, commit
12f7ba0, checked against issue 9A's dedupe.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cli_support import creditings, importer, report_of

from importer.sandbox import Sandbox


def _write(path: Path, *rows: str) -> Path:
    path.write_text("Fakturanummer;Belopp;Kreditfaktura\n" + "".join(r + "\n" for r in rows))
    return path


def test_a_credit_note_credited_at_another_amount_is_a_conflict(
    workdir: Path, api: Sandbox
) -> None:
    """KF-C2 credited at 15.00 (a truncated file), then the full file says 150.00: the 135 SEK
    are never silently dropped as a duplicate; the row is invalid and the exit code says so."""
    first = _write(workdir / "truncated.csv", "F-1001;15,00;KF-C2")
    assert importer(workdir, "run", str(first), api=api).returncode == 0
    first_id = report_of(workdir)["file_import_report"]
    full = _write(workdir / "full.csv", "F-1001;150,00;KF-C2", "F-1001;15,00;KF-C2")
    done = importer(workdir, "run", str(full), api=api)
    assert done.returncode == 1, done.stdout
    rows = {row["row"]: row for row in report_of(workdir)["rows"]}
    conflict = rows[2]
    assert conflict["outcome"] == "invalid"
    (error,) = conflict["errors"]
    assert error["code"] == "credit_invoice_conflict"
    assert "15.00" in error["message"]
    assert "150.00" in error["message"]
    assert first_id in error["message"]
    assert "row 2" in error["message"]
    assert rows[3]["outcome"] == "duplicate"  # same amount and case: a duplicate
    assert len(creditings(api)) == 1


def test_a_credit_note_on_another_case_in_the_same_file_is_a_conflict(
    workdir: Path, api: Sandbox
) -> None:
    credits = _write(workdir / "credits.csv", "F-1001;10,00;KF-9", "F-1002;10,00;KF-9")
    done = importer(workdir, "run", str(credits), api=api)
    assert done.returncode == 1, done.stdout
    rows = {row["row"]: row for row in report_of(workdir)["rows"]}
    assert rows[2]["outcome"] == "credited"
    assert rows[3]["outcome"] == "invalid"
    assert rows[3]["errors"][0]["code"] == "credit_invoice_conflict"
    assert "F-1001" in rows[3]["errors"][0]["message"]
    assert "F-1002" in rows[3]["errors"][0]["message"]
    assert [c["invoice_number"] for c in creditings(api)] == ["F-1001"]


def test_a_dry_run_shows_the_conflict_and_exits_1(workdir: Path) -> None:
    """`importer validate` predicts the run: a credit note repeated on another case in the
    file is `invalid` (`credit_invoice_conflict`) and the exit code is 1; the same note, case
    and amount again is `duplicate`."""
    credits = _write(
        workdir / "credits.csv", "F-1001;10,00;KF-9", "F-1002;10,00;KF-9", "F-1001;10,00;KF-9"
    )
    done = importer(workdir, "validate", str(credits))
    assert done.returncode == 1, done.stdout
    rows = {row["row"]: row for row in report_of(workdir)["rows"]}
    assert [rows[n]["outcome"] for n in (2, 3, 4)] == ["not_sent", "invalid", "duplicate"]
    assert rows[3]["errors"][0]["code"] == "credit_invoice_conflict"


def _latest(workdir: Path) -> dict[str, Any]:
    found = [
        json.loads(p.read_text(encoding="utf-8"))
        for p in (workdir / "reports").glob("*/report.json")
    ]
    return max(found, key=lambda r: r["started"])


def test_a_correction_that_conflicts_is_caught_by_rerun_fix(workdir: Path, api: Sandbox) -> None:
    """KF-C2 credited at 15.00; a later file's row for it is invalid (zero) and its correction
    says 150.00: `rerun --fix` makes it `credit_invoice_conflict`, exit 1, nothing sent."""
    first = _write(workdir / "truncated.csv", "F-1001;15,00;KF-C2")
    assert importer(workdir, "run", str(first), api=api).returncode == 0
    first_id = _latest(workdir)["file_import_report"]
    second = _write(workdir / "full.csv", "F-1001;0;KF-C2")
    assert importer(workdir, "run", str(second), api=api).returncode == 1
    second_id = _latest(workdir)["file_import_report"]
    fix = _write(workdir / "fixed.csv", "F-1001;150,00;KF-C2")
    done = importer(workdir, "rerun", second_id, "--fix", str(fix), api=api)
    assert done.returncode == 1, done.stdout + done.stderr
    (row,) = _latest(workdir)["rows"]
    assert row["outcome"] == "invalid"
    (error,) = row["errors"]
    assert error["code"] == "credit_invoice_conflict"
    assert "15.00" in error["message"]
    assert "150.00" in error["message"]
    assert first_id in error["message"]
    assert len(creditings(api)) == 1


def test_all_or_nothing_finds_a_conflict_before_posting(workdir: Path, api: Sandbox) -> None:
    """With --all-or-nothing a credit-note conflict (with an earlier import or within the
    file) stops the file before any row is posted."""
    first = _write(workdir / "truncated.csv", "F-1001;15,00;KF-C2")
    assert importer(workdir, "run", str(first), api=api).returncode == 0
    earlier = _write(workdir / "full.csv", "F-1002;20,00;KF-X", "F-1001;150,00;KF-C2")
    done = importer(workdir, "run", "--all-or-nothing", str(earlier), api=api)
    assert done.returncode == 1, done.stdout + done.stderr
    assert len(creditings(api)) == 1
    rows = {row["row"]: row for row in _latest(workdir)["rows"]}
    assert rows[2]["outcome"] == "not_sent"
    assert rows[3]["errors"][0]["code"] == "credit_invoice_conflict"
    within = _write(workdir / "within.csv", "F-1002;10,00;KF-9", "F-1003;10,00;KF-9")
    done = importer(workdir, "run", "--all-or-nothing", str(within), api=api)
    assert done.returncode == 1, done.stdout + done.stderr
    assert len(creditings(api)) == 1
    rows = {row["row"]: row for row in _latest(workdir)["rows"]}
    assert rows[2]["outcome"] == "not_sent"
    assert rows[3]["errors"][0]["code"] == "credit_invoice_conflict"
