"""A credit note seen before with another amount or case needs a person (issue 10 §4).

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
    return max(found, key=lambda r: r["started"])


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
    assert "on invoice EO-0001" in message and "this row names invoice EO-0002" in message
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
