"""`importer resolve IMPORT_ID ROW... --note TEXT [--by NAME] [--reopen]`: the rows leave
"needs attention" everywhere (imports, show, the reports written again), the reports say who
(OS user and host always, the name beside them), when and why, an import with nothing open
is finished, rerun leaves resolved rows alone and sends nothing for them, --reopen puts them
back; an unknown row, a row needing nothing, a row resolved already are refused in one line;
nothing is ever sent by resolve. Real importer processes against the sandbox, journal on disk."""

from __future__ import annotations

import csv
import getpass
import json
import socket
from pathlib import Path

from cli_support import SAMPLE, creditings, give_up_at_once, importer, one_line, report_of

from importer.journal import Journal
from importer.sandbox import Sandbox

NOTE = "checked with the creditor: the case was closed on purpose"


def _entry(workdir: Path) -> dict:
    (entry,) = json.loads(importer(workdir, "imports", "--json").stdout)
    return entry


def _csv_rows(workdir: Path, import_id: str) -> dict[str, dict[str, str]]:
    path = workdir / "reports" / import_id / "report.csv"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    return {r[rows[0].index("row")]: dict(zip(rows[0], r, strict=False)) for r in rows[1:]}


def test_resolved_rows_leave_attention_and_the_reports_say_who_when_and_why(
    workdir: Path, api: Sandbox
) -> None:
    importer(workdir, "run", str(SAMPLE), api=api)
    import_id = report_of(workdir)["file_import_report"]
    sent = len(creditings(api))
    done = importer(workdir, "resolve", import_id, "4", "5", "--note", NOTE, "--by", "Anna L")
    assert done.returncode == 0, done.stderr
    me = f"{getpass.getuser()}@{socket.gethostname()}"
    assert f"row(s) 4, 5 resolved by {me} (Anna L): {NOTE}" in done.stdout
    assert "now open 2: invalid 1, rejected 1; nothing was sent" in done.stdout
    assert len(creditings(api)) == sent

    entry = _entry(workdir)
    assert entry["open_items"] == 2
    assert entry["resolved"] == 2
    report = report_of(workdir)
    rows = {r["row"]: r for r in report["rows"]}
    resolution = rows[4]["resolution"]
    assert resolution["os_user"] == getpass.getuser()
    assert resolution["host"] == socket.gethostname()
    assert resolution["by"] == "Anna L"
    assert resolution["note"] == NOTE
    assert resolution["at"].endswith("Z")
    assert rows[6]["resolution"] is None
    assert report["summary"]["resolved"] == 2
    assert [a["action"] for a in report["audit"]] == ["resolve"]
    assert report["audit"][0]["rows"] == [4, 5]
    assert report["exit_code"] == 1  # invalid and rejected rows are still open
    cells = _csv_rows(workdir, import_id)
    assert f"{me} (Anna L): {NOTE}" in cells["4"]["resolved"]
    assert cells["6"]["resolved"] == ""
    html = (workdir / "reports" / import_id / "report.html").read_text(encoding="utf-8")
    assert NOTE in html
    shown = importer(workdir, "show", import_id).stdout
    assert "  by hand    " in shown
    assert f"resolve row(s) 4, 5 by {me} (Anna L): {NOTE}" in shown
    assert "2 row(s) need attention" in shown
    assert "row 4 " not in shown.split("need attention")[1]


def test_an_import_with_everything_resolved_is_done_and_rerun_leaves_its_rows_alone(
    workdir: Path, api: Sandbox
) -> None:
    importer(workdir, "run", str(SAMPLE), api=api)
    import_id = report_of(workdir)["file_import_report"]
    sent = len(creditings(api))
    assert (
        importer(workdir, "resolve", import_id, "4", "5", "6", "7", "--note", NOTE).returncode == 0
    )
    assert json.loads(importer(workdir, "imports", "--json", "--attention").stdout) == []
    assert report_of(workdir)["exit_code"] == 0
    shown = importer(workdir, "show", import_id).stdout
    assert "next:" not in shown  # no fix, no check: everything was handled
    assert "no row needs attention" in shown
    again = importer(workdir, "rerun", import_id, api=api)
    assert again.returncode == 0, again.stdout + again.stderr
    assert len(creditings(api)) == sent  # the resolved rejected row 7 is not retried
    assert {r["row"]: r["outcome"] for r in report_of(workdir)["rows"]}[7] == "rejected"

    reopened = importer(workdir, "resolve", import_id, "7", "--reopen", "--note", "not done")
    assert reopened.returncode == 0, reopened.stderr
    entry = _entry(workdir)
    assert entry["attention"]["rejected"] == 1
    assert entry["open_items"] == 1
    assert [a["action"] for a in report_of(workdir)["audit"]] == ["resolve", "reopen"]


def test_an_import_left_open_by_an_outage_is_finished_once_nothing_is_open(
    workdir: Path,
) -> None:
    clean = workdir / "clean.csv"
    clean.write_text("invoice_number;amount\nF-1001;10,00\nF-1004;20,00\n", encoding="utf-8")
    give_up_at_once(workdir)
    importer(workdir, "run", "--api-url", "http://127.0.0.1:9", str(clean))
    entry = _entry(workdir)
    assert entry["status"] == "open"
    import_id = entry["file_import_report"]
    done = importer(workdir, "resolve", import_id, "2", "3", "--note", "sent by hand")
    assert done.returncode == 0, done.stderr
    assert _entry(workdir)["status"] == "finished"


def test_refusals_are_one_line_and_record_nothing(workdir: Path) -> None:
    clean = workdir / "clean.csv"
    clean.write_text("invoice_number;amount\nF-1001;10,00\nF-1004;20,00\n", encoding="utf-8")
    give_up_at_once(workdir)
    importer(workdir, "run", "--api-url", "http://127.0.0.1:9", str(clean))
    import_id = _entry(workdir)["file_import_report"]
    with Journal(workdir / "j.sqlite") as journal:
        journal.rows.mark_intent(import_id, 2)  # as a POST whose answer never came leaves it

    unknown = importer(workdir, "resolve", import_id, "2", "--note", NOTE)
    assert unknown.returncode == 2
    assert one_line(unknown.stderr) == (
        f"importer: row 2 is unknown: whether it was credited is not known until it is looked "
        f"up; run importer rerun {import_id} first (it looks the row up before sending "
        "anything), then resolve what is left; nothing was recorded"
    )
    missing = importer(workdir, "resolve", import_id, "9", "--note", NOTE)
    assert one_line(missing.stderr) == (
        f"importer: import {import_id} has no row 9; nothing was recorded"
    )
    no_note = importer(workdir, "resolve", import_id, "3")
    assert no_note.returncode == 2
    assert "--note" in no_note.stderr
    blank = importer(workdir, "resolve", import_id, "3", "--note", "  ")
    assert "--note is empty" in one_line(blank.stderr)
    assert importer(workdir, "resolve", import_id, "3", "--note", NOTE).returncode == 0
    twice = importer(workdir, "resolve", import_id, "3", "--note", NOTE)
    assert twice.returncode == 2
    assert "row 3 was resolved already" in one_line(twice.stderr)
    not_resolved = importer(workdir, "resolve", import_id, "2", "--reopen", "--note", NOTE)
    assert "row 2 is not resolved" in one_line(not_resolved.stderr)
    with Journal(workdir / "j.sqlite") as journal:
        assert [e.rows for e in journal.audit.trail(import_id)] == [[3]]


def test_a_row_number_past_what_a_journal_stores_has_no_row_in_one_line(workdir: Path) -> None:
    clean = workdir / "clean.csv"
    clean.write_text("invoice_number;amount\nF-1001;10,00\n", encoding="utf-8")
    give_up_at_once(workdir)
    importer(workdir, "run", "--api-url", "http://127.0.0.1:9", str(clean))
    import_id = _entry(workdir)["file_import_report"]
    for row in ("2147483648", "99999999999999999999"):
        refused = importer(workdir, "resolve", import_id, "2", row, "--note", NOTE)
        assert refused.returncode == 2, refused.stderr
        assert one_line(refused.stderr) == (
            f"importer: import {import_id} has no row {row}; nothing was recorded"
        )
    with Journal(workdir / "j.sqlite") as journal:
        assert journal.audit.trail(import_id) == []


def test_a_row_that_needs_nobody_cannot_be_resolved(workdir: Path, api: Sandbox) -> None:
    importer(workdir, "run", str(SAMPLE), api=api)
    import_id = report_of(workdir)["file_import_report"]
    done = importer(workdir, "resolve", import_id, "2", "--note", NOTE)
    assert done.returncode == 2
    assert one_line(done.stderr) == (
        "importer: row 2 needs no attention (credited, completed); nothing was recorded"
    )


def test_a_row_an_all_or_nothing_import_held_back_cannot_be_resolved(
    workdir: Path, api: Sandbox
) -> None:
    """It waits for the invalid rows' correction, which posts it: resolving it by hand would
    leave it unsent for good."""
    importer(workdir, "run", "--all-or-nothing", str(SAMPLE), api=api)
    import_id = report_of(workdir)["file_import_report"]
    done = importer(workdir, "resolve", import_id, "2", "--note", NOTE)
    assert done.returncode == 2
    assert one_line(done.stderr) == (
        "importer: row 2 needs no attention (not_sent); nothing was recorded"
    )
    assert importer(workdir, "resolve", import_id, "6", "--note", NOTE).returncode == 0
