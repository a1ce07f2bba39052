"""Hostile cases of `importer drop` as a real process against the sandbox: creditors' folders,
file and folder names that are not UTF-8, archives and summaries that cannot be written,
markers that come early."""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path

import pytest
from drop_support import (
    OTHER_CREDITOR,
    archived,
    creditings_of,
    run_drop,
    setup_work,
    summaries,
)
from pipeline.exactly_once_support import CREDITOR, write_credits

from importer.drop.summary import DropSummary
from importer.drop.summary_text import render
from importer.sandbox import Sandbox


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


# ---- --creditor for a creditor's folder; summaries that cannot be written, whole or in part


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
