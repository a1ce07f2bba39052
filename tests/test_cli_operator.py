"""The operator's commands: `show`, `imports` with filters and JSON, `config` with
where each value came from, per-command help, the closing summary's creditor and next step,
the `columns:` hint on a header mismatch, `-v` retry logs with their wait, and the progress
line. Through the real command line against the sandbox over a real socket."""

from __future__ import annotations

import io
import itertools
import json
import os
import re
import shutil
from pathlib import Path

import pytest
from cli_support import CREDITOR, SAMPLE, give_up_at_once, importer, in_process, report_of
from hostile import Answer, HostileServer, json_answer

from importer.progress import ProgressLine
from importer.sandbox import Sandbox

COMMANDS = [
    "run",
    "validate",
    "rerun",
    "imports",
    "show",
    "report",
    "config",
    "schema",
    "resolve",
    "backup",
    "prune",
]


def test_summary_names_the_creditor_and_ends_with_the_next_step(
    workdir: Path, api: Sandbox
) -> None:
    done = importer(workdir, "run", str(SAMPLE), api=api)
    assert done.returncode == 1
    import_id = report_of(workdir)["file_import_report"]
    assert f"creditor          {CREDITOR}" in done.stdout
    written = sorted(p.name for p in (workdir / "reports" / import_id).iterdir())
    assert written == ["report.csv", "report.html", "report.json", "report.xlsx"]  # defaults
    lines = done.stdout.strip().splitlines()
    fix = f"{workdir}/reports/{import_id}/report.csv"
    assert lines[-2] == (
        f'  next: fix the rows in "Needs attention" in {fix}, then: '
        f"importer rerun {import_id} --fix {fix}"
    )
    assert lines[-1].startswith("  next: Check the credited rows with status warning or error")


def test_an_outage_says_rerun(workdir: Path, tmp_path: Path) -> None:
    give_up_at_once(workdir)
    clean = workdir / "clean.csv"
    clean.write_text("invoice_number;amount\nF-1001;10,00\n", encoding="utf-8")
    done = importer(workdir, "run", "--api-url", "http://127.0.0.1:9", str(clean))
    assert done.returncode == 3
    import_id = report_of(workdir)["file_import_report"]
    assert (
        f"next: after the outage, once the API answers: importer rerun {import_id}" in done.stdout
    )


def test_show_prints_the_summary_and_the_rows_needing_attention(
    workdir: Path, api: Sandbox
) -> None:
    importer(workdir, "run", str(SAMPLE), api=api)
    import_id = report_of(workdir)["file_import_report"]
    done = importer(workdir, "show", import_id)
    assert done.returncode == 0, done.stderr
    assert f"import {import_id}: credits.csv" in done.stdout
    assert CREDITOR in done.stdout
    assert "4 row(s) need attention" in done.stdout  # warning, error, invalid, rejected
    assert re.search(r"row 4 +credited/warning +The amount is more than", done.stdout)
    assert re.search(r"row 6 +invalid +The amount", done.stdout)


def test_show_names_the_report_folder_really_written_with_report_dir(
    workdir: Path, api: Sandbox
) -> None:
    """`--report-dir elsewhere` writes the report there; `show` (which has no --report-dir)
    must point at that report.csv, not at a configured folder where there is none."""
    importer(workdir, "run", "--report-dir", "elsewhere", str(SAMPLE), api=api)
    (folder,) = [p for p in (workdir / "elsewhere").iterdir() if p.is_dir()]  # and index.html
    done = importer(workdir, "show", folder.name)
    assert done.returncode == 0, done.stderr
    real = (folder / "report.csv").resolve()
    assert real.is_file()
    assert f"report     {real.parent}/" in done.stdout
    assert f"--fix {real}" in done.stdout
    assert str(workdir / "reports") not in done.stdout


def test_imports_json_and_filters(workdir: Path, api: Sandbox) -> None:
    importer(workdir, "run", str(SAMPLE), api=api)
    listed = json.loads(importer(workdir, "imports", "--json").stdout)
    assert len(listed) == 1
    assert listed[0]["status"] == "finished"
    assert listed[0]["outcomes"]["credited"] == 5
    mine = json.loads(importer(workdir, "imports", "--json", "--creditor", CREDITOR).stdout)
    assert [entry["file_import_report"] for entry in mine] == [listed[0]["file_import_report"]]
    assert json.loads(importer(workdir, "imports", "--json", "--status", "open").stdout) == []
    other = json.loads(importer(workdir, "imports", "--json", "--creditor", "f" * 24).stdout)
    assert other == []
    future = importer(workdir, "imports", "--json", "--since", "2999-01-01")
    assert json.loads(future.stdout) == []
    assert (
        len(json.loads(importer(workdir, "imports", "--json", "--since", "2000-01-01").stdout)) == 1
    )
    bad = importer(workdir, "imports", "--since", "yesterday")
    assert bad.returncode == 2
    assert "is not a date" in bad.stderr


def test_config_prints_each_value_and_where_it_came_from(workdir: Path) -> None:
    done = importer(workdir, "config", "--api-url", "http://127.0.0.1:1")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert f"configuration: {(workdir / 'config.yaml').resolve()} (found by ./)" in out
    assert re.search(r"api\.base_url +\"http://127.0.0.1:1\" +\[command line \(--api-url\)\]", out)
    assert re.search(rf"defaults\.creditor +\"{CREDITOR}\" +\[file .*config\.yaml\]", out)
    assert re.search(r"report\.language +\"en\" +\[default\]", out)
    assert "API key: read from $AMILI_API_KEY (set; never shown)" in out
    assert "s3cr3t" not in out


def test_config_refuses_a_base_url_carrying_a_password_and_never_prints_it(
    workdir: Path,
) -> None:
    """`importer config` shows the settings `run` would use: a base URL with a user and
    password is refused as `run` refuses it (exit 2, one line), and the password is printed
    nowhere."""
    done = importer(workdir, "config", "--api-url", "http://ops:hunter2@127.0.0.1:1")
    assert done.returncode == 2, done.stdout
    assert "hunter2" not in done.stdout + done.stderr
    assert "must not carry a user or password" in done.stderr


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_a_description_examples_and_only_its_options(command: str) -> None:
    done = in_process([command, "--help"], cwd=Path.cwd(), env=os.environ)
    assert done.returncode == 0
    help_text = done.stdout
    assert "examples:" in help_text
    assert f"importer {command}" in help_text.split("examples:")[1]
    if command not in ("run", "validate", "rerun", "config"):
        assert "--api-url" not in help_text
    if command not in ("run", "validate", "rerun"):
        assert "--log-json" not in help_text
        assert "--verbose" not in help_text
    if command == "schema":
        assert "--config" not in help_text
    else:
        assert "$IMPORTER_CONFIG" in help_text


def test_a_header_mismatch_suggests_the_columns_setting(workdir: Path) -> None:
    odd = workdir / "odd.csv"
    odd.write_text("Fakturanummer;Kreditbelopp\nF-1;10\n", encoding="utf-8")
    done = importer(workdir, "validate", str(odd))
    assert done.returncode == 2
    assert "add its header under `columns:` in config.yaml" in done.stderr


def test_verbose_logs_each_retry_with_its_wait(workdir: Path, tmp_path: Path) -> None:
    (workdir / "config.yaml").write_text(
        f"defaults:\n  creditor: {CREDITOR}\nreport:\n  dir: reports\njournal:\n  path: j.sqlite\n"
        "api:\n  max_attempts: 2\n  backoff_base: 0.01\n  backoff_cap: 0.01\n",
        encoding="utf-8",
    )
    clean = workdir / "clean.csv"
    clean.write_text("invoice_number;amount\nF-1001;10,00\n", encoding="utf-8")

    def busy(method: str, path: str, body: bytes) -> Answer:
        # Look-ups find nothing; every POST is refused before any work (429, no Retry-After):
        # certainly not stored, so retried after the backoff. (A 5xx may have been stored:
        # never retried blindly.)
        if method == "GET":
            return json_answer(200, {"_items": [], "_meta": {"total": 0}})
        return json_answer(429, {"_status": "ERR"})

    with HostileServer(busy) as server:
        done = importer(workdir, "run", "-v", str(clean), "--api-url", server.url)
    assert done.returncode == 3
    assert re.search(r"post\.retry .*attempt=2 .*wait_s=0\.0\d*", done.stderr), done.stderr


def test_progress_on_a_terminal_shows_rate_eta_and_attention() -> None:
    now = [0.0]
    out = io.StringIO()
    progress = ProgressLine(out, tty=True, clock=lambda: now[0])
    progress(1, 100, lambda: 0)
    now[0] = 10.0
    progress(50, 100, lambda: 3)
    drawn = out.getvalue().split("\r")[-1]
    assert "posting 50/100 rows (50%), 5.0 rows/s, ETA 10s, 3 need attention" in drawn


def test_progress_without_a_terminal_writes_a_line_every_30_seconds() -> None:
    now = [0.0]
    out = io.StringIO()
    progress = ProgressLine(out, tty=False, clock=lambda: now[0])
    for step in range(1, 200):
        now[0] = step * 1.0  # one row a second
        progress(step, 200, lambda: 0)
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue()
    assert 6 <= len(lines) <= 8  # 199 s: at 0 (first), then every 30 s
    times = [int(re.search(r"posting (\d+)/", line).group(1)) for line in lines]  # type: ignore[union-attr]
    assert all(b - a <= 30 for a, b in itertools.pairwise(times))


# ---- `importer show` names a report folder that is there.


def test_show_never_points_at_a_report_folder_deleted_since(workdir: Path, api: Sandbox) -> None:
    """`run`, then `report ID --report-dir later`, then `later` deleted: `show` must not send
    the operator to fix rows in a report.csv that is gone. It names the configured folder,
    which still holds the report; with no report anywhere, it says so and how to write it."""
    importer(workdir, "run", str(SAMPLE), api=api)
    (folder,) = [p for p in (workdir / "reports").iterdir() if p.is_dir()]
    import_id = folder.name
    assert importer(workdir, "report", import_id, "--report-dir", "later").returncode == 0
    shutil.rmtree(workdir / "later")
    done = importer(workdir, "show", import_id)
    assert done.returncode == 0, done.stderr
    assert str(workdir / "later") not in done.stdout
    assert f"--fix {folder.resolve() / 'report.csv'}" in done.stdout

    shutil.rmtree(folder)  # no report anywhere now
    done = importer(workdir, "show", import_id)
    assert done.returncode == 0, done.stderr
    assert f"importer report {import_id}" in done.stdout
