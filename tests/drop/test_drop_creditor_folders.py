"""Hostile cases of `importer drop` as a real process against the sandbox: creditors' folders,
file and folder names that are not UTF-8, archives and summaries that cannot be written,
markers that come early."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from drop_support import (
    OTHER_CREDITOR,
    archived,
    creditings_of,
    run_drop,
    setup_work,
    summaries,
    write_two_creditor_cases,
)
from pipeline.exactly_once_support import CREDITOR, KEY, write_credits

from importer.sandbox import Sandbox


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Sandbox]:
    cases = tmp_path / "cases.json"
    write_two_creditor_cases(cases)
    with Sandbox(db_path=tmp_path / "api.sqlite", cases_path=cases, api_key=KEY) as sandbox:
        yield sandbox


def test_a_drop_pointed_at_a_creditors_subfolder_uses_its_config(
    tmp_path: Path, api: Sandbox
) -> None:
    """`importer drop INBOX/other` (a cron line per creditor) must not credit the files of a
    creditor's inbox to the main configuration's creditor: the folder's config.yaml applies."""
    work, inbox = setup_work(tmp_path)
    other = inbox / "other"
    other.mkdir()
    (other / "config.yaml").write_text(f"defaults:\n  creditor: {OTHER_CREDITOR}\n", "utf-8")
    write_credits(other / "theirs.csv", [f"OT-{n:04d}" for n in range(1, 11)], 4, seed=8)
    done = run_drop(work, other, api.url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert creditings_of(api.url, CREDITOR) == []
    assert len(creditings_of(api.url, OTHER_CREDITOR)) == 4


def test_a_file_name_that_is_not_utf8_is_imported_and_summarised(
    tmp_path: Path, api: Sandbox
) -> None:
    """A file name in Latin-1 bytes (an old Windows share) is imported once, archived, and the
    summary is still written and printed: no traceback, no row lost."""
    work, inbox = setup_work(tmp_path)
    plain = write_credits(inbox / "x.csv", [f"EO-{n:04d}" for n in range(1, 11)], 3, seed=5)
    raw = os.fsencode(inbox) + b"/cr\xe9dits.csv"
    os.rename(plain.path, raw)
    done = run_drop(work, inbox, api.url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(creditings_of(api.url, CREDITOR)) == 3
    (item,) = [f for s in summaries(work) for f in s["files"]]
    assert item["outcomes"]["credited"] == 3
    assert archived(inbox, "done") == ["cr\\xe9dits.csv"]  # the byte shown, not lost


def test_an_archive_that_cannot_be_written_is_said_and_the_summary_still_written(
    tmp_path: Path, api: Sandbox
) -> None:
    """When done/ cannot take the file (a file named `done` in its place, a full or read-only
    disk), the rows credited are in the summary, the file waits in processing/ and is not
    credited again next pass, and the message says what is wrong instead of an internal error."""
    work, inbox = setup_work(tmp_path)
    write_credits(inbox / "a.csv", [f"EO-{n:04d}" for n in range(1, 11)], 3, seed=6)
    (inbox / "done").write_text("not a folder\\n", encoding="utf-8")
    first = run_drop(work, inbox, api.url)
    assert first.returncode == 3, first.stdout + first.stderr
    assert "internal error" not in first.stdout + first.stderr
    assert "done" in first.stdout
    (item,) = [f for s in summaries(work) for f in s["files"]]
    assert item["outcomes"]["credited"] == 3
    assert (inbox / "processing" / "a.csv").exists()
    (inbox / "done").unlink()
    second = run_drop(work, inbox, api.url)
    assert second.returncode == 0, second.stdout + second.stderr
    assert archived(inbox, "done") == ["a.csv"]
    assert len(creditings_of(api.url, CREDITOR)) == 3


WRITER = """
import sys
with open(sys.argv[1], "w", encoding="utf-8") as out:
    out.write("invoice_number,amount,credit_invoice\\nEO-0001,1.00,KF-W-1\\n")
    out.flush()
    print("half", flush=True)
    sys.stdin.readline()
    out.write("EO-0002,2.00,KF-W-2\\nEO-0003,3.00,KF-W-3\\n")
"""


@pytest.mark.parametrize("rule", ["either", "marker"])
def test_a_marker_that_arrives_before_its_file_is_finished_does_not_claim_it(
    tmp_path: Path, api: Sandbox, rule: str
) -> None:
    """A sender that writes `x.csv.done` first and then `x.csv` (or whose upload is still
    open): while another process holds the file open for writing it is not claimed — else the
    rows written after the claim are never imported, silently. Once written, the file has
    changed after its marker: under `marker` it waits for a marker written after it (a marker
    older than its file is no word on it), under `either` it is taken once stable."""
    work, inbox = setup_work(tmp_path, ready=rule)
    (inbox / "x.csv.done").write_text("", encoding="utf-8")
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(inbox / "x.csv")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None
        assert writer.stdin is not None
        assert writer.stdout.readline() == "half\n"
        early = run_drop(work, inbox, api.url)
        assert early.returncode == 0, early.stdout + early.stderr
        assert creditings_of(api.url, CREDITOR) == []
        assert (inbox / "x.csv").exists()
        writer.stdin.write("go\n")
        writer.stdin.flush()
        assert writer.wait(30) == 0
    finally:
        writer.kill()
        writer.wait()
    if rule == "marker":
        stale = run_drop(work, inbox, api.url)
        assert stale.returncode == 0, stale.stdout + stale.stderr
        assert "older than the file's last change" in stale.stderr
        assert creditings_of(api.url, CREDITOR) == []
        (inbox / "x.csv.done").touch()
    later = run_drop(work, inbox, api.url)
    assert later.returncode == 0, later.stdout + later.stderr
    assert len(creditings_of(api.url, CREDITOR)) == 3


def test_the_same_name_again_with_more_rows_credits_only_the_new_rows(
    tmp_path: Path, api: Sandbox
) -> None:
    """A sender re-sends `x.csv` the next night with yesterday's rows and two new ones: the
    new rows are credited, yesterday's are not credited twice, and both files are kept."""
    work, inbox = setup_work(tmp_path)
    head = "invoice_number,amount,credit_invoice\n"
    rows = [f"EO-000{n},{n}.00,KF-S-{n}\n" for n in range(1, 6)]
    (inbox / "x.csv").write_text(head + "".join(rows[:3]), encoding="utf-8")
    first = run_drop(work, inbox, api.url)
    assert first.returncode == 0, first.stdout + first.stderr
    (inbox / "x.csv").write_text(head + "".join(rows), encoding="utf-8")
    second = run_drop(work, inbox, api.url)
    assert second.returncode in (0, 1), second.stdout + second.stderr
    assert len(creditings_of(api.url, CREDITOR)) == 5
    assert archived(inbox, "done") == ["x-2.csv", "x.csv"]


def test_a_file_a_drop_imported_but_did_not_archive_is_summarised_as_imported_next_pass(
    tmp_path: Path, api: Sandbox
) -> None:
    """A drop started as `importer drop inbox` (cron, cd'ed into its folder) that imports a
    file but cannot archive it (it died, or done/ could not take it), finished next pass by
    `importer drop /abs/inbox`: the summary says the file was imported, with its counts — not
    "already imported, nothing sent" — and nothing is credited twice."""
    work, inbox = setup_work(tmp_path)
    write_credits(inbox / "a.csv", [f"EO-{n:04d}" for n in range(1, 11)], 3, seed=4)
    (inbox / "done").write_text("not a folder\n", encoding="utf-8")
    first = run_drop(work, Path("inbox"), api.url)
    assert first.returncode == 3, first.stdout + first.stderr
    (inbox / "done").unlink()
    done = run_drop(work, inbox.resolve(), api.url)
    assert done.returncode == 0, done.stdout + done.stderr
    last = summaries(work)[-1]["files"]
    assert [(f["file"], f["state"], f["outcomes"]["credited"]) for f in last] == [
        ("a.csv", "imported", 3)
    ]
    assert len(creditings_of(api.url, CREDITOR)) == 3


def test_a_file_named_processing_in_the_inbox_is_said_and_the_other_inboxes_still_run(
    tmp_path: Path, api: Sandbox
) -> None:
    """A sender's file named `processing` (no extension) where the drop's folder should be:
    the pass says so in its summary (exit 2, a person must move it), writes the summary, and
    the creditors' inboxes are still processed — not an internal error that stops the night."""
    work, inbox = setup_work(tmp_path)
    (inbox / "processing").write_text("oops\n", encoding="utf-8")
    write_credits(inbox / "a.csv", [f"EO-{n:04d}" for n in range(1, 11)], 2, seed=3)
    other = inbox / "other"
    other.mkdir()
    (other / "config.yaml").write_text(f"defaults:\n  creditor: {OTHER_CREDITOR}\n", "utf-8")
    write_credits(other / "theirs.csv", [f"OT-{n:04d}" for n in range(1, 11)], 2, seed=9)
    done = run_drop(work, inbox, api.url)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "internal error" not in done.stdout + done.stderr
    assert "processing" in done.stdout
    assert creditings_of(api.url, CREDITOR) == []
    assert len(creditings_of(api.url, OTHER_CREDITOR)) == 2
    assert (inbox / "a.csv").exists()


def test_a_creditor_folder_whose_name_is_not_utf8_does_not_stop_the_night(
    tmp_path: Path, api: Sandbox
) -> None:
    """A creditor's subfolder named in Latin-1 bytes: the drop does not fail on it with an
    internal error; the main inbox's files are credited and the summary is written."""
    work, inbox = setup_work(tmp_path)
    write_credits(inbox / "a.csv", [f"EO-{n:04d}" for n in range(1, 11)], 2, seed=2)
    odd = Path(os.fsdecode(os.fsencode(inbox) + b"/kr\xe9ditor"))
    odd.mkdir()
    (odd / "config.yaml").write_text(f"defaults:\n  creditor: {OTHER_CREDITOR}\n", "utf-8")
    write_credits(odd / "theirs.csv", [f"OT-{n:04d}" for n in range(1, 11)], 2, seed=9)
    done = run_drop(work, inbox, api.url)
    assert "internal error" not in done.stdout + done.stderr
    assert len(creditings_of(api.url, CREDITOR)) == 2
    assert done.returncode == 2, done.stdout + done.stderr
    assert "not UTF-8" in summaries(work)[-1]["notes"][0]
