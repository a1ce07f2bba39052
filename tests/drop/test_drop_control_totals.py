"""A drop marker may carry the sender's control total (`rows: N`, `amount: X`, `sha256: H`):
a file that does not match it was cut short or changed on the way, so it is moved to failed/
with the reason and nothing of it is sent. A marker that says none of these is a plain
"finished" flag, and a file that matches is imported as usual."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path

import pytest
from drop_support import archived, run_drop, setup_work, summaries
from pipeline.exactly_once_support import stored_total, write_credits

from importer.pipeline import intake
from importer.sandbox import Sandbox

INVOICES = [f"EO-{n:04d}" for n in range(1, 11)]


def _reason(inbox: Path) -> str:
    (reason,) = (inbox / "failed").glob("*/*.reason.txt")
    return reason.read_text(encoding="utf-8")


def test_a_file_matching_its_markers_control_total_is_imported(
    tmp_path: Path, api: Sandbox
) -> None:
    work, inbox = setup_work(tmp_path, ready="marker")
    file = write_credits(inbox / "credits.csv", INVOICES, 12, seed=3)
    digest = hashlib.sha256(file.path.read_bytes()).hexdigest()
    (inbox / "credits.csv.done").write_text(
        f"exported by ERP 4.2\nrows: 12\namount: {file.total}\nsha256: {digest.upper()}\n",
        encoding="utf-8",
    )
    done = run_drop(work, inbox, api.url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert stored_total(api.url) == 12
    assert archived(inbox, "done") == ["credits.csv", "credits.csv.done"]


@pytest.mark.parametrize(
    ("control", "words"),
    [
        ("rows: 13", "the marker credits.csv.ok says 13 rows, the file has 12"),
        ("Amount: 1 000 000,00", "says an amount of 1000000.00, the file's rows add up to"),
        ("sha256: " + "0" * 64, "the file's bytes are not the ones the marker credits.csv.ok"),
        ("rows: twelve", "says rows: twelve, which is not a number of rows"),
    ],
)
def test_a_file_that_does_not_match_its_markers_control_total_is_failed_unsent(
    tmp_path: Path, api: Sandbox, control: str, words: str
) -> None:
    work, inbox = setup_work(tmp_path, ready="marker")
    write_credits(inbox / "credits.csv", INVOICES, 12, seed=4)
    (inbox / "credits.csv.ok").write_text(control + "\n", encoding="utf-8")
    done = run_drop(work, inbox, api.url)
    assert done.returncode == 2, done.stdout + done.stderr
    assert stored_total(api.url) == 0
    assert archived(inbox, "failed") == ["credits.csv", "credits.csv.ok", "credits.csv.reason.txt"]
    assert words in _reason(inbox)
    (item,) = summaries(work)[0]["files"]
    assert item["state"] == "rejected"
    assert words in item["reason"]


def test_a_truncated_upload_with_a_control_total_is_failed_not_half_credited(
    tmp_path: Path, api: Sandbox
) -> None:
    work, inbox = setup_work(tmp_path, ready="marker")
    file = write_credits(tmp_path / "whole.csv", INVOICES, 12, seed=5)
    whole = file.path.read_bytes()
    (inbox / "credits.csv").write_bytes(whole[: len(whole) // 2])
    (inbox / "credits.csv.done").write_text(f"rows: 12\namount: {file.total}\n", encoding="utf-8")
    done = run_drop(work, inbox, api.url)
    assert done.returncode == 2, done.stdout + done.stderr
    assert stored_total(api.url) == 0
    assert "says 12 rows, the file has" in _reason(inbox)


@pytest.mark.parametrize("off_by", [Decimal(0), Decimal("0.01")])
def test_a_file_read_in_blocks_is_held_to_its_markers_control_total_whole(
    tmp_path: Path, api: Sandbox, monkeypatch: pytest.MonkeyPatch, off_by: Decimal
) -> None:
    """Read four rows at a time (`pipeline.file_rows`), the file's rows are still counted and
    added up whole before any is journaled: an öre off refuses the file, nothing sent."""
    monkeypatch.setattr(intake, "INTAKE_BLOCK_ROWS", 4)
    monkeypatch.setattr(intake, "INTAKE_WHOLE_ROWS", 4)
    work, inbox = setup_work(tmp_path, ready="marker")
    file = write_credits(inbox / "credits.csv", INVOICES, 12, seed=6)
    amount = Decimal(file.total) + off_by
    (inbox / "credits.csv.done").write_text(f"rows: 12\namount: {amount}\n", encoding="utf-8")
    done = run_drop(work, inbox, api.url)
    if off_by:
        assert done.returncode == 2, done.stdout + done.stderr
        assert stored_total(api.url) == 0
        assert "the file's rows add up to" in _reason(inbox)
    else:
        assert done.returncode == 0, done.stdout + done.stderr
        assert stored_total(api.url) == 12
