"""`importer prune --older-than DAYS` removes old report folders and drop summaries, and
with `--archives INBOX` old archived originals — never those of an import with rows still
needing a person, never anything in `processing/`, never the journal's rows; `--dry-run`
removes nothing. Real drops and imports against the sandbox over a real socket; age is
given by setting the files' times back, as a month of nights would."""

from __future__ import annotations

import json
import os
import shutil
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from cli_support import SAMPLE, importer, one_line

from importer.sandbox import Sandbox

DAY = 86_400


def _age(path: Path, days: int) -> None:
    """Every file and folder under `path` last changed `days` ago."""
    stamp = time.time() - days * DAY
    for root, dirs, files in os.walk(path):
        for name in [*dirs, *files]:
            os.utime(Path(root, name), (stamp, stamp))


def _drop_night(workdir: Path, api: Sandbox, *files: Path, days_ago: int) -> Path:
    """A drop of `files` through a real `importer drop`, its day folders renamed and its
    files aged as if it ran `days_ago` days ago; returns the inbox."""
    inbox = workdir / "inbox"
    inbox.mkdir(exist_ok=True)
    for file in files:
        shutil.copy(file, inbox / file.name)
    started = date.today()
    done = importer(workdir, "drop", str(inbox), api=api)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    ended = date.today()
    then = (ended - timedelta(days=days_ago)).isoformat()
    made = {started.isoformat(), ended.isoformat()} - {then}
    for kind in ("done", "failed"):
        # the day folders this drop made (two, were it to run across midnight) become `then`
        for day in sorted((inbox / kind).glob("*")):
            if day.name not in made:
                continue
            target = day.with_name(then)
            target.mkdir(exist_ok=True)
            for entry in day.iterdir():
                entry.rename(target / entry.name)
            day.rmdir()
    _age(workdir / "reports", days_ago)
    _age(inbox, days_ago)
    return inbox


def _clean(workdir: Path) -> Path:
    clean = workdir.parent / "clean.csv"
    clean.write_text("invoice_number;amount\nF-1001;10,00\n", encoding="utf-8")
    return clean


def _config_with_drops(workdir: Path) -> None:
    config = workdir / "config.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "drop:\n  settle_seconds: 0\n")


def test_old_reports_go_and_those_of_an_import_with_open_rows_stay(
    workdir: Path, api: Sandbox
) -> None:
    _config_with_drops(workdir)
    inbox = _drop_night(workdir, api, SAMPLE, _clean(workdir), days_ago=40)
    entries = {e["file"]: e for e in json.loads(importer(workdir, "imports", "--json").stdout)}
    open_id = entries["credits.csv"]["file_import_report"]
    closed_id = entries["clean.csv"]["file_import_report"]
    stuck = inbox / "processing" / "half.csv"
    stuck.parent.mkdir(exist_ok=True)
    stuck.write_text("invoice_number;amount\nF-1001;1,00\n", encoding="utf-8")
    _age(inbox / "processing", 40)
    reports = workdir / "reports"
    (summary,) = (reports / "drops").iterdir()
    before = sorted(str(p) for p in workdir.rglob("*"))

    dry = importer(workdir, "prune", "--older-than", "30", "--dry-run", "--archives", "inbox")
    assert dry.returncode == 0, dry.stderr
    assert sorted(str(p) for p in workdir.rglob("*")) == before
    assert f"would remove {reports / closed_id}" in dry.stdout

    done = importer(workdir, "prune", "--older-than", "30")
    assert done.returncode == 0, done.stderr
    assert not (reports / closed_id).exists()
    assert (reports / open_id / "report.json").is_file()
    assert f"kept {reports / open_id} (import {open_id}: open 4: invalid 1" in done.stdout
    assert summary.is_dir()  # it names the import with open rows
    assert sorted(p.name for p in (inbox / "done").glob("*/*")) == ["clean.csv", "credits.csv"]

    archives = importer(workdir, "prune", "--older-than", "30", "--archives", "inbox")
    assert archives.returncode == 0, archives.stderr
    assert sorted(p.name for p in (inbox / "done").glob("*/*")) == ["credits.csv"]
    assert stuck.is_file()  # processing/ is never touched
    listed = json.loads(importer(workdir, "imports", "--json").stdout)
    assert {e["file_import_report"] for e in listed} == {open_id, closed_id}  # rows kept
    assert importer(workdir, "report", closed_id).returncode == 0
    assert (reports / closed_id / "report.json").is_file()


def test_a_night_with_nothing_open_is_pruned_and_a_recent_one_kept(
    workdir: Path, api: Sandbox
) -> None:
    _config_with_drops(workdir)
    _drop_night(workdir, api, _clean(workdir), days_ago=40)
    reports = workdir / "reports"
    (summary,) = (reports / "drops").iterdir()
    assert importer(workdir, "prune", "--older-than", "60").returncode == 0
    assert summary.is_dir()  # 40 days is not older than 60
    done = importer(workdir, "prune", "--older-than", "30")
    assert done.returncode == 0, done.stderr
    assert not summary.exists()
    assert not [p for p in reports.iterdir() if p.is_dir() and p.name != "drops"]
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert "report.html" not in index  # the overview was written again: nothing to link


def test_an_age_below_0_or_past_a_century_is_refused_in_one_line(workdir: Path) -> None:
    for days in ("-3", "nan", "36501", "1e9", "inf"):
        done = importer(workdir, "prune", "--older-than", days)
        assert done.returncode == 2, done.stderr
        assert one_line(done.stderr) == (
            f"importer: --older-than {float(days):g}: a number of days from 0 to 36500"
        )


def test_a_notification_still_owed_for_an_import_with_open_rows_is_kept(
    workdir: Path, api: Sandbox
) -> None:
    """`run` with a webhook that cannot be reached owes its notification in
    `drops/<night>/owed/`: the message names the import, and while that import has open
    rows the folder is kept like a summary naming it — else the only word of the open
    rows that was to reach a person is deleted unsent."""
    config = workdir / "config.yaml"
    config.write_text(
        config.read_text(encoding="utf-8") + "notify:\n  webhook:\n    url_env: HOOK\n",
        encoding="utf-8",
    )
    os.environ["HOOK"] = "http://127.0.0.1:9/hook"
    try:
        done = importer(workdir, "run", str(SAMPLE), api=api)
    finally:
        del os.environ["HOOK"]
    assert done.returncode == 1, done.stderr
    (owed,) = (workdir / "reports" / "drops").glob("*/owed/*.json")
    _age(workdir / "reports", 40)
    pruned = importer(workdir, "prune", "--older-than", "30")
    assert pruned.returncode == 0, pruned.stderr
    assert owed.is_file(), pruned.stdout


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_an_archived_file_that_cannot_be_read_is_kept_and_said_why(
    workdir: Path, api: Sandbox
) -> None:
    _config_with_drops(workdir)
    inbox = _drop_night(workdir, api, _clean(workdir), days_ago=40)
    (archived,) = (inbox / "done").glob("*/clean.csv")
    archived.chmod(0)
    try:
        done = importer(workdir, "prune", "--older-than", "30", "--archives", "inbox")
    finally:
        archived.chmod(0o644)
    assert done.returncode == 0, done.stderr
    assert archived.is_file()
    named = Path("inbox") / archived.relative_to(inbox)  # as --archives names it
    assert f"kept {named} (it cannot be read, so whether its import" in done.stdout
