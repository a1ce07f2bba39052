"""A credit note seen before with another amount or case needs a person.

Credit note `KF-C2` credited at 15.00 from a truncated file, then the full file says 150.00:
treating the second as a duplicate left 135 SEK uncredited without a word; sending it would
credit the note twice. The same note with the same amount and case is `duplicate`; with a
different amount or case it is `invalid`, code `credit_invoice_conflict`, naming both amounts
(or cases) and the earlier import and row; exit 1.

Real parts: the importer CLI as a subprocess, the sandbox over a real socket, the journal on
disk."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_support import creditings, importer, report_of, started_at
from exactly_once_support import (
    KEY,
    all_creditings,
    reports,
    run_importer,
    write_cases,
    write_config,
)

from importer.sandbox import Sandbox


@pytest.fixture
def sandbox_api(tmp_path: Path) -> Iterator[Sandbox]:
    cases = tmp_path / "cases.json"
    write_cases(cases, 2)
    with Sandbox(db_path=tmp_path / "api.sqlite", cases_path=cases, api_key=KEY) as sandbox:
        yield sandbox


def credits(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    lines = ["Fakturanummer;Belopp;Kreditfaktura"] + [";".join(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def latest_report(workdir: Path) -> dict[str, Any]:
    found = [json.loads(p.read_text(encoding="utf-8")) for p in reports(workdir)]
    return max(found, key=started_at)


def test_the_same_credit_note_with_another_amount_is_a_conflict_not_a_duplicate(
    tmp_path: Path, sandbox_api: Sandbox
) -> None:
    write_config(tmp_path)
    truncated = credits(tmp_path / "credits-part.csv", [("EO-0001", "15,00", "KF-C2")])
    assert run_importer(tmp_path, truncated, sandbox_api.url).returncode == 0
    earlier = latest_report(tmp_path)["file_import_report"]
    full = credits(
        tmp_path / "credits.csv", [("EO-0001", "150,00", "KF-C2"), ("EO-0002", "5,00", "KF-C3")]
    )
    done = run_importer(tmp_path, full, sandbox_api.url)
    assert done.returncode == 1, done.stderr
    rows = latest_report(tmp_path)["rows"]
    assert [r["outcome"] for r in rows] == ["invalid", "credited"]
    (error,) = rows[0]["errors"]
    assert error["code"] == "credit_invoice_conflict"
    assert error["message"] == (
        f"Credit note KF-C2 was already credited for 15.00 (import {earlier} row 2); this row "
        "says 150.00. Not sent: a person must decide which is right and credit any difference "
        "by hand."
    )
    assert len(all_creditings(sandbox_api.url)) == 2


def test_the_same_credit_note_on_another_case_is_a_conflict(
    tmp_path: Path, sandbox_api: Sandbox
) -> None:
    write_config(tmp_path)
    first = credits(tmp_path / "a.csv", [("EO-0001", "15,00", "KF-C2")])
    assert run_importer(tmp_path, first, sandbox_api.url).returncode == 0
    second = credits(tmp_path / "b.csv", [("EO-0002", "15,00", "KF-C2")])
    done = run_importer(tmp_path, second, sandbox_api.url)
    assert done.returncode == 1, done.stderr
    (row,) = latest_report(tmp_path)["rows"]
    assert row["outcome"] == "invalid"
    message = row["errors"][0]["message"]
    assert "on invoice EO-0001" in message
    assert "this row names invoice EO-0002" in message
    assert len(all_creditings(sandbox_api.url)) == 1


def test_the_same_credit_note_amount_and_case_is_a_duplicate(
    tmp_path: Path, sandbox_api: Sandbox
) -> None:
    write_config(tmp_path)
    first = credits(tmp_path / "a.csv", [("EO-0001", "15,00", "KF-C2")])
    assert run_importer(tmp_path, first, sandbox_api.url).returncode == 0
    second = credits(tmp_path / "b.csv", [("EO-0001", "15.00", "KF-C2")])
    done = run_importer(tmp_path, second, sandbox_api.url)
    assert done.returncode == 0, done.stderr
    (row,) = latest_report(tmp_path)["rows"]
    assert row["outcome"] == "duplicate"
    assert row["errors"][0]["code"] == "credit_invoice_already_credited"
    assert len(all_creditings(sandbox_api.url)) == 1


def test_one_file_naming_a_credit_note_twice_with_two_amounts_credits_the_first_only(
    tmp_path: Path, sandbox_api: Sandbox
) -> None:
    write_config(tmp_path)
    file = credits(
        tmp_path / "credits.csv",
        [
            ("EO-0001", "15,00", "KF-C2"),
            ("EO-0001", "150,00", "KF-C2"),
            ("EO-0001", "15,00", "KF-C2"),
        ],
    )
    done = run_importer(tmp_path, file, sandbox_api.url)
    assert done.returncode == 1, done.stderr
    rows = latest_report(tmp_path)["rows"]
    assert [r["outcome"] for r in rows] == ["credited", "invalid", "duplicate"]
    assert "for 15.00 (row 2); this row says 150.00" in rows[1]["errors"][0]["message"]
    assert rows[2]["duplicate_of"]["_id"] == rows[0]["_id"]
    assert len(all_creditings(sandbox_api.url)) == 1


# ---- End to end: a conflict is not sent and needs a person (docs/outcomes.md)


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


def test_a_correction_that_conflicts_is_caught_by_rerun_fix(workdir: Path, api: Sandbox) -> None:
    """KF-C2 credited at 15.00; a later file's row for it is invalid (zero) and its correction
    says 150.00: `rerun --fix` makes it `credit_invoice_conflict`, exit 1, nothing sent."""
    first = _write(workdir / "truncated.csv", "F-1001;15,00;KF-C2")
    assert importer(workdir, "run", str(first), api=api).returncode == 0
    first_id = report_of(workdir)["file_import_report"]
    second = _write(workdir / "full.csv", "F-1001;0;KF-C2")
    assert importer(workdir, "run", str(second), api=api).returncode == 1
    second_id = report_of(workdir)["file_import_report"]
    fix = _write(workdir / "fixed.csv", "F-1001;150,00;KF-C2")
    done = importer(workdir, "rerun", second_id, "--fix", str(fix), api=api)
    assert done.returncode == 1, done.stdout + done.stderr
    (row,) = report_of(workdir)["rows"]
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
    rows = {row["row"]: row for row in report_of(workdir)["rows"]}
    assert rows[2]["outcome"] == "not_sent"
    assert rows[3]["errors"][0]["code"] == "credit_invoice_conflict"
    within = _write(workdir / "within.csv", "F-1002;10,00;KF-9", "F-1003;10,00;KF-9")
    done = importer(workdir, "run", "--all-or-nothing", str(within), api=api)
    assert done.returncode == 1, done.stdout + done.stderr
    assert len(creditings(api)) == 1
    rows = {row["row"]: row for row in report_of(workdir)["rows"]}
    assert rows[2]["outcome"] == "not_sent"
    assert rows[3]["errors"][0]["code"] == "credit_invoice_conflict"
