"""One time zone wherever people read a time (`report.timezone`, by default the machine's),
always with its offset: report.xlsx, report.html, `importer imports`, `importer show`, the
"already imported" answer and a drop's summary.txt say the same clock time; the journal and
the JSON for machines keep UTC. The machine's zone is set the way an operator's machine has
it, with TZ, for real processes."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest
from cli_support import SAMPLE, importer, report_of
from drop.drop_support import run_drop, setup_work

from importer.config_load import load_config
from importer.errors import ConfigError
from importer.local_time import shown
from importer.sandbox import Sandbox


def test_a_moment_is_shown_in_the_zone_with_its_offset() -> None:
    winter = datetime(2026, 12, 7, 8, 14, 5, tzinfo=UTC)
    assert shown(winter, "Europe/Stockholm") == "2026-12-07 09:14:05 +01:00"
    assert shown(winter.replace(month=7), "Europe/Stockholm") == "2026-07-07 10:14:05 +02:00"
    assert shown(winter.replace(tzinfo=None), "Asia/Kolkata", seconds=False) == (
        "2026-12-07 13:44 +05:30"  # naive is UTC, as the journal keeps it
    )
    assert shown(None, "UTC") == ""


def test_a_zone_that_does_not_exist_is_refused_naming_it(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("report:\n  timezone: Europe/Stockholmm\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="Europe/Stockholmm"):
        load_config(config)


def _with_zone(workdir: Path, zone: str) -> None:
    config = workdir / "config.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("report:\n", f"report:\n  timezone: {zone}\n"),
        encoding="utf-8",
    )


@pytest.mark.parametrize(
    ("machine", "configured", "offset"),
    [("America/New_York", None, "-05:00"), ("America/New_York", "Asia/Kolkata", "+05:30")],
)
def test_reports_and_the_command_line_say_the_same_time(
    workdir: Path,
    api: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    machine: str,
    configured: str | None,
    offset: str,
) -> None:
    monkeypatch.setenv("TZ", machine)  # the machine's zone, as the operator's has it
    if configured is not None:
        _with_zone(workdir, configured)
    assert importer(workdir, "run", str(SAMPLE), api=api).returncode == 1
    report = report_of(workdir)
    started = datetime.fromisoformat(report["started"].replace("Z", "+00:00"))
    zone = configured or machine
    assert report["started"].endswith("Z")  # report.json is for machines: UTC
    text = shown(started, zone)
    assert text.endswith(offset)

    folder = next((workdir / "reports").glob("*/"))
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert text in page
    summary = {
        row[0]: row[1:]
        for row in openpyxl.load_workbook(folder / "report.xlsx")["Summary"].iter_rows(
            values_only=True
        )
        if row[0]
    }
    local = datetime.fromisoformat(text[:19])
    assert summary["Started (local time)"][0].replace(microsecond=0) == local
    assert offset in str(summary["Time zone"][0])

    shown_by_show = importer(workdir, "show", report["file_import_report"]).stdout
    assert f"started    {text}" in shown_by_show
    assert "UTC" not in shown_by_show
    listed = importer(workdir, "imports").stdout
    listed_time = text[:16] + " " + offset
    assert listed_time in listed
    machine_list = json.loads(importer(workdir, "imports", "--json").stdout)
    assert machine_list[0]["started"] == report["started"]  # --json stays UTC
    again = importer(workdir, "run", str(SAMPLE), api=api).stdout
    assert f"was already imported as {report['file_import_report']} ({listed_time})" in again


def test_a_drop_summary_says_the_time_in_the_same_zone(
    tmp_path: Path, api: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    work, inbox = setup_work(tmp_path)
    shutil.copy(SAMPLE, inbox / "credits.csv")
    done = run_drop(work, inbox, api.url)
    assert "Traceback" not in done.stderr, done.stderr
    folder = next((work / "reports" / "drops").glob("*/"))
    started = json.loads((folder / "summary.json").read_text(encoding="utf-8"))["started"]
    text = (folder / "summary.txt").read_text(encoding="utf-8")
    moment = datetime.fromisoformat(started)
    assert f"; {shown(moment, 'America/New_York')} to " in text
    assert re.search(r"; \S+ \S+ -05:00 to \S+ \S+ -05:00", text)
    assert "UTC" not in text


def test_report_csv_says_when_a_row_was_resolved_in_the_report_zone(
    workdir: Path, api: Sandbox
) -> None:
    """report.csv is opened by people in a spreadsheet: the `resolved` column's time is in
    `report.timezone` with its offset, like every other time they read (report.json keeps
    UTC)."""
    _with_zone(workdir, "Asia/Kolkata")
    assert importer(workdir, "run", str(SAMPLE), api=api).returncode == 1
    import_id = report_of(workdir)["file_import_report"]
    done = importer(workdir, "resolve", import_id, "6", "--note", "credited by hand")
    assert done.returncode == 0, done.stderr
    csv_text = (workdir / "reports" / import_id / "report.csv").read_text(encoding="utf-8-sig")
    (line,) = [line for line in csv_text.splitlines() if "credited by hand" in line]
    assert re.search(r"\d\d:\d\d:\d\d \+05:30 ", line), line
    assert not re.search(r"\d\d:\d\d:\d\d(\.\d+)?Z ", line), line
