"""Hostile cases of `importer drop` as a real process against the sandbox."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path

import pytest
from drop_support import (
    OTHER_CREDITOR,
    creditings_of,
    run_drop,
    setup_work,
    write_two_creditor_cases,
)
from pipeline.exactly_once_support import CREDITOR, KEY, write_credits

from importer.drop.summary import DropSummary
from importer.drop.summary_text import render
from importer.sandbox import Sandbox


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Sandbox]:
    cases = tmp_path / "cases.json"
    write_two_creditor_cases(cases)
    with Sandbox(db_path=tmp_path / "api.sqlite", cases_path=cases, api_key=KEY) as sandbox:
        yield sandbox


def test_creditor_option_holds_for_a_drop_pointed_at_a_creditors_subfolder(
    tmp_path: Path, api: Sandbox
) -> None:
    """`importer drop INBOX/other --creditor OTHER`: `--creditor` is the creditor of every row
    of the files directly in the inbox given, as for `run`. The folder's config.yaml naming
    no creditor must neither credit them to the main creditor — OTHER's file with invoice
    numbers the main creditor also has — nor refuse the creditor the operator named."""
    work, inbox = setup_work(tmp_path)
    other = inbox / "other"
    other.mkdir()
    (other / "config.yaml").write_text("input: {}\n", "utf-8")
    write_credits(other / "theirs.csv", [f"EO-{n:04d}" for n in range(1, 11)], 3, seed=21)
    done = run_drop(work, other, api.url, "--creditor", OTHER_CREDITOR)
    assert creditings_of(api.url, CREDITOR) == [], done.stdout + done.stderr
    assert "theirs.csv" in done.stdout
    assert not (other / "theirs.csv").exists()  # imported (its rows OTHER's), not left waiting


def test_creditor_option_and_a_config_naming_another_creditor_are_refused(
    tmp_path: Path, api: Sandbox
) -> None:
    """The folder's config.yaml says its files are CREDITOR's; `--creditor OTHER` says they are
    OTHER's. Either could be the mistake, and a credit to the wrong creditor cannot be taken
    back quietly: the files wait (exit 2) until the two agree, nothing is sent."""
    work, inbox = setup_work(tmp_path)
    other = inbox / "other"
    other.mkdir()
    (other / "config.yaml").write_text(f"defaults:\n  creditor: {CREDITOR}\n", "utf-8")
    write_credits(other / "theirs.csv", [f"EO-{n:04d}" for n in range(1, 11)], 3, seed=21)
    done = run_drop(work, other, api.url, "--creditor", OTHER_CREDITOR)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"names creditor {CREDITOR}, but --creditor is {OTHER_CREDITOR}" in done.stdout
    assert (other / "theirs.csv").exists()
    assert creditings_of(api.url, CREDITOR) == []
    assert creditings_of(api.url, OTHER_CREDITOR) == []


def test_a_summary_that_cannot_be_written_does_not_say_a_file_waits(
    tmp_path: Path, api: Sandbox
) -> None:
    """Only the night's summary could not be written (`reports/drops` is a file): every file
    was imported and archived, so the printed summary must not say that a file could not
    finish and waits for the next pass — an operator would go looking for it."""
    work, inbox = setup_work(tmp_path)
    write_credits(inbox / "credits.csv", [f"EO-{n:04d}" for n in range(1, 11)], 2, seed=22)
    (work / "reports").mkdir(exist_ok=True)
    (work / "reports" / "drops").write_text("not a folder", encoding="utf-8")
    done = run_drop(work, inbox, api.url)
    assert done.returncode == 3, done.stdout + done.stderr
    assert "summary NOT written" in done.stdout
    assert "could not finish" not in done.stdout
    assert "resumes it" not in done.stdout


def test_a_summary_half_written_leaves_no_summary_json(tmp_path: Path) -> None:
    """summary.json written, then summary.txt refused (here its temporary name is taken by a
    folder; a disk that fills between the two does the same): the drop says the summary was
    NOT written to that folder, so no summary.json may stay there — one with the exit code
    before the failure (0) would tell a monitor that reads it that all went well."""
    summary = DropSummary("20261129-000000-abcdef01", tmp_path / "inbox", datetime.now(UTC), "SEK")
    folder = tmp_path / "reports" / "drops" / summary.drop_id
    (folder / "summary.txt.tmp").mkdir(parents=True)
    with pytest.raises(IsADirectoryError):
        summary.write(tmp_path / "reports", render(summary))
    assert not (folder / "summary.json").exists()
    assert not (folder / "summary.json.tmp").exists()


def test_a_full_disk_after_posting_still_counts_the_money_in_the_summary(
    tmp_path: Path, api: Sandbox
) -> None:
    """The report dir on a real tmpfs that fills after the probe: the rows are posted, the
    import's report cannot be written, the file waits in processing/. The night's summary
    (printed, as it cannot be written either) must still say what was credited — "credited
    0, settled 0.00" while the money moved would send an operator to post it again."""
    work, inbox = setup_work(tmp_path)
    mnt = work / "reports"
    mnt.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mnt)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        filler = mnt / "filler"
        with filler.open("wb", buffering=0) as handle, suppress(OSError):
            while True:
                handle.write(b"\0" * 4096)
        os.truncate(filler, filler.stat().st_size - 4096)  # room for the probe only
        write_credits(inbox / "credits.csv", [f"EO-{n:04d}" for n in range(1, 11)], 3, seed=23)
        done = run_drop(work, inbox, api.url)
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False, capture_output=True)
    assert done.returncode == 3, done.stdout + done.stderr
    assert len(creditings_of(api.url, CREDITOR)) == 3
    assert "3 rows: credited 3" in done.stdout, done.stdout
    assert "credited 0" not in done.stdout
