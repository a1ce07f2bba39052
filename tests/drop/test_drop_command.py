"""`importer drop INBOX` as a scheduler runs it: a real process on real folders against the
sandbox over a real socket. Holds true: each file is claimed once and credited once — with two
drops at once, after a SIGKILL mid-file, across creditors' subfolders —; files land in done/ or
failed/ by their result and never overwrite; an unfinished file waits in processing/ and is
resumed first; `--watch` takes files dropped while it runs and stops cleanly on SIGTERM; the
summary repeats the reports' own counts; what must not be imported (links out of the inbox,
hidden files, markers, subfolders without config.yaml) is not touched."""

from __future__ import annotations

import json
import signal
import socket
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import unmeasured
from drop_support import (
    OTHER_CREDITOR,
    archived,
    creditings_of,
    run_drop,
    setup_work,
    start_drop,
    summaries,
    wait_until,
    write_two_creditor_cases,
)
from pipeline.exactly_once_support import (
    CREDITOR,
    KEY,
    all_creditings,
    assert_exactly_once,
    importer_env,
    kill,
    stored_total,
    write_credits,
)

from importer.sandbox import Sandbox

REPO = Path(__file__).resolve().parents[1]
INVOICES = [f"EO-{n:04d}" for n in range(1, 11)]


@pytest.fixture
def cases(tmp_path: Path) -> Path:
    path = tmp_path / "cases.json"
    write_two_creditor_cases(path)
    return path


@pytest.fixture
def api(tmp_path: Path, cases: Path) -> Iterator[Sandbox]:
    with Sandbox(db_path=tmp_path / "api.sqlite", cases_path=cases, api_key=KEY) as sandbox:
        yield sandbox


@pytest.fixture
def slow_api(tmp_path: Path, cases: Path) -> Iterator[Sandbox]:
    """5 ms per request: a 400-row file is in flight long enough to be interrupted."""
    with Sandbox(
        db_path=tmp_path / "api.sqlite", cases_path=cases, api_key=KEY, latency_ms=5
    ) as sandbox:
        yield sandbox


def _files_of(work: Path) -> list[dict]:
    return [f for s in summaries(work) for f in s["files"]]


def test_summary_counts_equal_the_reports_and_files_are_archived_by_result(
    tmp_path: Path, api: Sandbox
) -> None:
    work, inbox = setup_work(tmp_path)
    ok = write_credits(inbox / "a-ok.csv", INVOICES, 30, seed=1)
    lines = ["invoice_number,amount,credit_invoice"]
    lines += [f"EO-0001,{n}.005,KF-BAD-{n}" for n in range(60)]  # three decimals: invalid
    lines += ["EO-0002,10.00,KF-GOOD-1"]
    (inbox / "b-attention.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (inbox / "c.pdf").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")

    done = run_drop(work, inbox, api.url, "--log-json")
    assert done.returncode == 2, done.stdout + done.stderr  # the worst: a rejected file
    assert "Traceback" not in done.stderr
    assert KEY not in done.stdout + done.stderr
    assert archived(inbox, "done") == ["a-ok.csv", "b-attention.csv"]
    assert archived(inbox, "failed") == ["c.pdf", "c.pdf.reason.txt"]
    reason = next((inbox / "failed").glob("*/c.pdf.reason.txt")).read_text(encoding="utf-8")
    assert "not a CSV or Excel file" in reason

    (summary,) = summaries(work)
    assert summary["exit_code"] == 2
    by_name = {f["file"]: f for f in summary["files"]}
    assert [by_name[n]["exit_code"] for n in ("a-ok.csv", "b-attention.csv", "c.pdf")] == [0, 1, 2]
    for item in summary["files"]:
        report = json.loads((Path(item["report_dir"]) / "report.json").read_text("utf-8"))
        assert item["import_id"] == report["file_import_report"]
        assert item["rows"] == report["summary"]["rows"]
        assert item["outcomes"] == report["summary"]["outcomes"]
        assert item["statuses"] == report["summary"]["statuses"]
        assert item["amount_requested"] == report["summary"]["amount_requested"]
        assert item["amount_settled"] == report["summary"]["amount_settled"]
        assert item["creditors"] == [CREDITOR]
    attention = by_name["b-attention.csv"]
    assert attention["attention_total"] == 60
    assert len(attention["attention"]) == 50  # the first 50; the rest are in the report
    assert attention["attention"][0]["row"] == 2
    assert "decimals" in attention["attention"][0]["reason"]
    assert stored_total(api.url) == len(ok.rows) + 1
    text = next((work / "reports" / "drops").glob("*/summary.txt")).read_text("utf-8")
    assert text in done.stdout
    assert "… and 10 more in the report" in text
    assert "credited 30" in text
    assert "rejected" in text
    assert KEY not in text

    events = [json.loads(line) for line in done.stderr.splitlines()]
    ends = {e["file"]: e for e in events if e["event"] in ("file.finished", "file.failed")}
    assert [e["event"] for e in events].count("file.claimed") == 3
    assert ends["c.pdf"]["event"] == "file.failed"
    assert ends["c.pdf"]["exit_code"] == 2
    assert ends["b-attention.csv"]["event"] == "file.finished"
    assert ends["b-attention.csv"]["invalid"] == 60
    assert ends["b-attention.csv"]["import_id"] == by_name["b-attention.csv"]["import_id"]


def test_same_bytes_again_are_archived_as_already_imported_without_overwriting(
    tmp_path: Path, api: Sandbox
) -> None:
    work, inbox = setup_work(tmp_path)
    file = write_credits(tmp_path / "credits.csv", INVOICES, 20, seed=2)
    (inbox / "credits.csv").write_bytes(file.path.read_bytes())
    assert run_drop(work, inbox, api.url).returncode == 0
    (inbox / "credits.csv").write_bytes(file.path.read_bytes())
    again = run_drop(work, inbox, api.url)
    assert again.returncode == 0, again.stderr
    assert archived(inbox, "done") == ["credits-2.csv", "credits.csv"]
    first, second = _files_of(work)
    assert second["state"] == "already imported"
    assert second["import_id"] == first["import_id"]
    assert "already imported" in again.stdout
    assert "nothing was sent" in again.stdout
    assert stored_total(api.url) == 20
    assert_exactly_once(api.url, file)


@pytest.mark.slow
def test_a_second_drop_on_the_same_inbox_exits_0_naming_the_holder(
    tmp_path: Path, slow_api: Sandbox
) -> None:
    work, inbox = setup_work(tmp_path)
    file = write_credits(inbox / "credits.csv", INVOICES, 300, seed=3)  # long enough to overlap
    first = start_drop(work, inbox, slow_api.url)
    assert wait_until(lambda: stored_total(slow_api.url) >= 10, 60), "the drop never started"
    second = run_drop(work, inbox, slow_api.url)
    assert first.poll() is None, "the first drop finished before the second started"
    assert second.returncode == 0, second.stderr
    assert f"pid {first.pid}" in second.stdout + second.stderr
    assert not summaries(work)  # the second one did nothing, so wrote nothing
    _, stderr = first.communicate(timeout=120)
    assert first.returncode == 0, stderr
    assert len(_files_of(work)) == 1  # one file, one import
    assert_exactly_once(slow_api.url, file)


@pytest.mark.slow
def test_sigkill_mid_file_then_the_next_pass_resumes_and_credits_each_row_once(
    tmp_path: Path, slow_api: Sandbox
) -> None:
    work, inbox = setup_work(tmp_path)
    file = write_credits(tmp_path / "credits.csv", INVOICES, 400, seed=4)
    (inbox / "credits.csv").write_bytes(file.path.read_bytes())
    (inbox / "credits.csv.done").touch()
    # 4 cases at once; unmeasured by coverage, as the process is to be killed
    process = start_drop(work, inbox, slow_api.url, "--lanes", "4", env=unmeasured(importer_env()))
    assert wait_until(lambda: stored_total(slow_api.url) >= 40, 60), "the drop never started"
    code, _, _ = kill(process, signal.SIGKILL)
    assert code == -signal.SIGKILL
    assert sorted(p.name for p in (inbox / "processing").iterdir()) == [
        "credits.csv",
        "credits.csv.done",
    ]
    assert stored_total(slow_api.url) < 400

    # Another file arrived meanwhile: the interrupted one is resumed first.
    later = write_credits(tmp_path / "later.csv", INVOICES[:5], 5, seed=40)
    (inbox / "later.csv").write_bytes(later.path.read_bytes())
    resumed = run_drop(work, inbox, slow_api.url, "--lanes", "4")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert archived(inbox, "done") == ["credits.csv", "credits.csv.done", "later.csv"]
    (summary,) = summaries(work)
    assert [f["file"] for f in summary["files"]] == ["credits.csv", "later.csv"]
    assert summary["files"][0]["resumed"] is True
    assert summary["files"][0]["outcomes"]["credited"] == 400
    assert stored_total(slow_api.url) == 405
    refs = [c["creditor_reference"] for c in all_creditings(slow_api.url)]
    assert len(refs) == len(set(refs)) == 405
    notes = Counter(c["credit_invoice"] for c in all_creditings(slow_api.url))
    assert all(notes[note] == 1 for _, _, note in file.rows.values())  # each row once


def test_an_unfinished_file_stays_in_processing_and_is_resumed_first(
    tmp_path: Path, cases: Path
) -> None:
    work, inbox = setup_work(tmp_path, api={"max_attempts": 1})
    file = write_credits(inbox / "credits.csv", INVOICES, 10, seed=6)
    write_credits(inbox / "next.csv", INVOICES, 3, seed=60)
    with socket.socket() as probe:  # a free port: nobody listens there yet, the API is down
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    failed = run_drop(work, inbox, url)
    assert failed.returncode == 3, failed.stdout + failed.stderr
    assert [p.name for p in (inbox / "processing").iterdir()] == ["credits.csv"]
    assert (inbox / "next.csv").exists()  # with the API down, nothing more is claimed
    assert "resumed first on the next pass" in failed.stdout
    assert "claimed nothing more" in failed.stdout
    assert not archived(inbox, "done")
    assert not archived(inbox, "failed")
    (first,) = _files_of(work)
    assert first["state"] == "unfinished"

    with Sandbox(
        db_path=tmp_path / "api.sqlite", cases_path=cases, api_key=KEY, port=port
    ) as api:  # the API is back, at the same address
        done = run_drop(work, inbox, url)
        assert done.returncode == 0, done.stdout + done.stderr
        # one summary a night: the file finished replaces what the night said of it
        second, third = _files_of(work)
        assert (second["file"], second["state"], second["resumed"], third["file"]) == (
            "credits.csv",
            "imported",
            True,
            "next.csv",
        )
        assert first["import_id"] == second["import_id"]
        refs = [c["creditor_reference"] for c in all_creditings(api.url)]
        assert len(refs) == len(set(refs)) == 13
        notes = Counter(c["credit_invoice"] for c in all_creditings(api.url))
        assert all(notes[note] == 1 for _, _, note in file.rows.values())  # each row once
    assert archived(inbox, "done") == ["credits.csv", "next.csv"]


def test_creditor_subfolders_credit_their_own_creditor(tmp_path: Path, api: Sandbox) -> None:
    work, inbox = setup_work(tmp_path)
    mine = write_credits(inbox / "main.csv", INVOICES, 6, seed=7)
    other = inbox / "other"
    other.mkdir()
    (other / "config.yaml").write_text(
        f"defaults:\n  creditor: {OTHER_CREDITOR}\n", encoding="utf-8"
    )
    theirs = write_credits(other / "theirs.csv", [f"OT-{n:04d}" for n in range(1, 11)], 4, seed=8)
    stray = inbox / "stray"
    stray.mkdir()
    write_credits(stray / "x.csv", INVOICES, 2, seed=70)

    done = run_drop(work, inbox, api.url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert archived(inbox, "done") == ["main.csv"]
    assert archived(other, "done") == ["theirs.csv"]
    assert (stray / "x.csv").exists()
    assert not (stray / "done").exists()
    assert done.stderr.count("stray has no config.yaml") == 1

    assert {c["credit_invoice"] for c in creditings_of(api.url, CREDITOR)} == {
        note for _, _, note in mine.rows.values()
    }
    assert len(creditings_of(api.url, OTHER_CREDITOR)) == len(theirs.rows) == 4
    by_name = {f["file"]: f for f in _files_of(work)}
    assert by_name["theirs.csv"]["creditors"] == [OTHER_CREDITOR]
    assert by_name["theirs.csv"]["inbox"] == "inbox/other"
    assert by_name["main.csv"]["creditors"] == [CREDITOR]


def test_a_row_in_a_creditors_subfolder_naming_another_creditor_is_not_sent(
    tmp_path: Path, api: Sandbox
) -> None:
    work, inbox = setup_work(tmp_path)
    other = inbox / "other"
    other.mkdir()
    (other / "config.yaml").write_text(f"defaults:\n  creditor: {OTHER_CREDITOR}\n", "utf-8")
    (other / "mixed.csv").write_text(
        "creditor,invoice_number,amount,credit_invoice\n"
        f"{OTHER_CREDITOR},OT-0001,10.00,KF-M-1\n"
        f"{CREDITOR},EO-0001,20.00,KF-M-2\n",  # the main creditor's case: not from this inbox
        encoding="utf-8",
    )
    done = run_drop(work, inbox, api.url)
    assert done.returncode == 1, done.stdout + done.stderr
    assert len(creditings_of(api.url, OTHER_CREDITOR)) == 1
    assert creditings_of(api.url, CREDITOR) == []
    (item,) = _files_of(work)
    assert item["outcomes"]["invalid"] == 1
    assert [a["row"] for a in item["attention"]] == [3]
    assert archived(other, "done") == ["mixed.csv"]


def test_creditor_option_sets_the_creditor_of_files_directly_in_the_inbox(
    tmp_path: Path, api: Sandbox
) -> None:
    work, inbox = setup_work(tmp_path)
    write_credits(inbox / "theirs.csv", [f"OT-{n:04d}" for n in range(1, 11)], 3, seed=9)
    done = run_drop(work, inbox, api.url, "--creditor", OTHER_CREDITOR)
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(creditings_of(api.url, OTHER_CREDITOR)) == 3
    assert creditings_of(api.url, CREDITOR) == []


def test_a_creditor_config_that_changes_the_api_is_refused_and_its_files_left(
    tmp_path: Path, api: Sandbox
) -> None:
    work, inbox = setup_work(tmp_path)
    other = inbox / "other"
    other.mkdir()
    (other / "config.yaml").write_text(
        f"defaults:\n  creditor: {OTHER_CREDITOR}\napi:\n  base_url: http://127.0.0.1:9\n", "utf-8"
    )
    write_credits(other / "theirs.csv", ["OT-0001"], 2, seed=10)
    done = run_drop(work, inbox, api.url)
    assert done.returncode == 2
    assert "a folder may not set api" in done.stdout
    assert (other / "theirs.csv").exists()


def test_a_creditor_config_that_names_no_creditor_is_refused_and_its_files_left(
    tmp_path: Path, api: Sandbox
) -> None:
    """A creditor's subfolder whose config.yaml sets only, say, its delimiter would inherit
    the main creditor: its files — with invoice numbers the main creditor also has — were
    credited to the main creditor's cases. Whose files they are must be said."""
    work, inbox = setup_work(tmp_path)
    acme = inbox / "acme"
    acme.mkdir()
    (acme / "config.yaml").write_text("input:\n  delimiter: ','\n", "utf-8")
    write_credits(acme / "theirs.csv", INVOICES, 3, seed=11)
    done = run_drop(work, inbox, api.url)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "names no creditor" in done.stdout
    assert "defaults.creditor" in done.stdout
    assert (acme / "theirs.csv").exists()
    assert creditings_of(api.url, CREDITOR) == []


def test_a_summary_that_cannot_be_written_is_printed_whole_and_exits_3(
    tmp_path: Path, api: Sandbox
) -> None:
    """The files were imported and archived; only the night's summary could not be written
    (here `reports/drops` is a file, as a full or broken disk would refuse it too). The
    operator's log gets the whole summary and the reason, never an internal error."""
    work, inbox = setup_work(tmp_path)
    write_credits(inbox / "credits.csv", INVOICES, 3, seed=12)
    (work / "reports").mkdir(exist_ok=True)
    (work / "reports" / "drops").write_text("not a folder", encoding="utf-8")
    done = run_drop(work, inbox, api.url)
    assert done.returncode == 3, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert "internal error" not in done.stdout + done.stderr
    assert "credits.csv" in done.stdout
    assert "summary NOT written" in done.stdout
    assert archived(inbox, "done") == ["credits.csv"]


def test_links_hidden_files_and_markers_are_never_imported(tmp_path: Path, api: Sandbox) -> None:
    work, inbox = setup_work(tmp_path)
    outside = write_credits(tmp_path / "outside.csv", INVOICES, 5, seed=11)
    (inbox / "link.csv").symlink_to(outside.path)
    write_credits(inbox / ".uploading.csv", INVOICES, 5, seed=12)
    (inbox / "orphan.csv.done").touch()
    write_credits(inbox / "big.csv.part", INVOICES, 5, seed=13)
    write_credits(inbox / "~$book.csv", INVOICES, 5, seed=15)  # an office lock file
    done = run_drop(work, inbox, api.url)
    assert done.returncode == 0, done.stdout + done.stderr
    # the one news: a marker without its file, told the first time it is seen
    assert "ORPHAN: orphan.csv.done: a marker without its file" in done.stdout
    again = run_drop(work, inbox, api.url)
    assert again.stdout == ""  # nothing new: nothing printed, so cron mails nothing
    told = run_drop(work, inbox, api.url, "-v")
    assert "Nothing was ready." in told.stdout
    assert "link.csv is a symbolic link: not followed" in done.stderr
    assert stored_total(api.url) == 0
    assert outside.path.exists()
    assert (inbox / "link.csv").is_symlink()
    assert sorted(p.name for p in inbox.iterdir() if not p.name.startswith(".drop")) == [
        ".uploading.csv",
        "big.csv.part",
        "link.csv",
        "orphan.csv.done",
        "~$book.csv",
    ]


def test_a_processing_folder_that_links_out_of_the_inbox_moves_nothing(
    tmp_path: Path, api: Sandbox
) -> None:
    work, inbox = setup_work(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (inbox / "processing").symlink_to(elsewhere)
    write_credits(inbox / "credits.csv", INVOICES, 3, seed=16)
    done = run_drop(work, inbox, api.url)
    assert done.returncode == 2
    assert "processing is a symbolic link; a drop moves files only inside" in done.stderr
    assert "Traceback" not in done.stderr
    assert (inbox / "credits.csv").exists()
    assert not list(elsewhere.iterdir())
    assert stored_total(api.url) == 0


def test_watch_takes_a_file_dropped_while_it_runs_and_stops_on_sigterm_after_it(
    tmp_path: Path, slow_api: Sandbox
) -> None:
    work, inbox = setup_work(tmp_path)
    process = start_drop(work, inbox, slow_api.url, "--watch", "--interval", "0.2", "--log-json")
    try:
        assert wait_until((inbox / ".drop.lock").exists, 30)
        file = write_credits(tmp_path / "credits.csv", INVOICES, 150, seed=14)
        (inbox / "credits.csv").write_bytes(file.path.read_bytes())
        assert wait_until(lambda: stored_total(slow_api.url) >= 20, 60), "never picked up"
        process.send_signal(signal.SIGTERM)  # mid-file: the file finishes, then the drop stops
        _, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, stderr
    assert "stopping after the file in flight" in stderr
    assert archived(inbox, "done") == ["credits.csv"]
    assert stored_total(slow_api.url) == 150
    events = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    names = [e["event"] for e in events]
    assert names.count("file.claimed") == 1
    assert names.count("file.finished") == 1
    finished = next(e for e in events if e["event"] == "file.finished")
    assert finished["exit_code"] == 0
    assert finished["credited"] == 150
    (item,) = _files_of(work)
    assert finished["import_id"] == item["import_id"]
    assert_exactly_once(slow_api.url, file)


def test_watch_says_a_refused_inbox_once_not_every_pass(tmp_path: Path, api: Sandbox) -> None:
    """A creditor's folder refused for its config.yaml stays refused until someone fixes it:
    in watch mode, a note and a new summary every pass (1,440 a day at the default 60 s)
    would bury the night's real summaries. It is said in the first pass's summary; passes
    with nothing new write none; the exit code still says it (2)."""
    work, inbox = setup_work(tmp_path)
    acme = inbox / "acme"
    acme.mkdir()
    (acme / "config.yaml").write_text("input:\n  delimiter: ','\n", "utf-8")
    write_credits(acme / "theirs.csv", INVOICES, 2, seed=15)
    process = start_drop(work, inbox, api.url, "--watch", "--interval", "0.1")
    try:
        assert wait_until(lambda: len(summaries(work)) >= 1, 30)
        time.sleep(1.5)  # a dozen passes
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 2, stdout + stderr
    assert len(summaries(work)) == 1
    assert stdout.count("names no creditor") == 1
    assert (acme / "theirs.csv").exists()


def test_a_file_whose_name_hides_control_characters_is_named_on_one_line(
    tmp_path: Path, api: Sandbox
) -> None:
    """A file name may hold a line break or a terminal's escape codes: the night's summary,
    the drop's output and the import's own summary name it with those written out, so no
    line is broken in two and nothing reaches a terminal as a command."""
    work, inbox = setup_work(tmp_path)
    hostile = "ev\x1b[2Jil\nname.csv"
    write_credits(inbox / hostile, INVOICES, 3, seed=2)
    done = run_drop(work, inbox, api.url)
    assert done.returncode == 0, done.stdout + done.stderr
    (summary,) = (work / "reports" / "drops").glob("*/summary.txt")
    for text in (summary.read_text(encoding="utf-8"), done.stdout):
        assert "\x1b" not in text
        assert "ev\\x1b[2Jil\\nname.csv" in text
        assert not any(line.startswith("name.csv") for line in text.splitlines())
    assert stored_total(api.url) == 3
