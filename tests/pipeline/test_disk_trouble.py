"""A disk that refuses writes is found before the first POST, and a report that cannot be
written after posting loses nothing.

Real file systems: a small tmpfs mounted for the test (read-only, or full). Mounting needs
root (or CAP_SYS_ADMIN); where the test cannot mount, it is skipped, never faked."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import CREDITOR, SAMPLE, SECRET, creditings, importer

from importer.sandbox import Sandbox


@contextlib.contextmanager
def _tmpfs(where: Path, options: str) -> Iterator[Path]:
    where.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False, capture_output=True)


def _config(workdir: Path, reports: Path, journal: Path) -> None:
    (workdir / "config.yaml").write_text(
        f"defaults:\n  creditor: {CREDITOR}\nreport:\n  dir: {reports}\njournal:\n"
        f"  path: {journal}\n",
        encoding="utf-8",
    )


def _clean_stderr(stderr: str) -> None:
    assert "Traceback" not in stderr
    assert "Exception ignored" not in stderr


def test_a_read_only_report_folder_is_found_before_the_first_post(workdir: Path, api: Sandbox):
    with _tmpfs(workdir / "mnt", "size=1m,ro") as mnt:
        _config(workdir, mnt / "reports", workdir / "j.sqlite")
        result = importer(workdir, "run", str(SAMPLE), api=api)
    assert result.returncode == 2, result.stderr
    _clean_stderr(result.stderr)
    assert result.stderr.strip() == (
        f"importer: report folder {mnt / 'reports'} cannot be written (Read-only file system); "
        "nothing was sent"
    )
    assert creditings(api) == []


def test_a_read_only_journal_is_found_before_the_first_post(workdir: Path, api: Sandbox):
    with _tmpfs(workdir / "mnt", "size=4m") as mnt:
        _config(workdir, workdir / "reports", mnt / "j.sqlite")
        dry = importer(workdir, "validate", str(SAMPLE))  # creates the journal
        assert dry.returncode == 1, dry.stderr
        subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
        result = importer(workdir, "run", str(SAMPLE), api=api)
    assert result.returncode == 2, result.stderr
    _clean_stderr(result.stderr)
    assert len(result.stderr.strip().splitlines()) == 1
    assert f"journal {mnt / 'j.sqlite'}" in result.stderr
    assert "cannot be opened" in result.stderr or "cannot be written" in result.stderr
    assert creditings(api) == []


def _fill(folder: Path, leave_pages: int = 1) -> Path:
    """Fill the file system until it refuses, then give back `leave_pages` pages: enough
    for the probe before posting, not for a report."""
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as handle, contextlib.suppress(OSError):
        while True:
            handle.write(b"\0" * 4096)
    size = filler.stat().st_size
    os.truncate(filler, size - 4096 * leave_pages)
    return filler


def test_a_full_disk_after_posting_loses_no_outcome(workdir: Path, api: Sandbox):
    with _tmpfs(workdir / "mnt", "size=256k") as mnt:
        reports = mnt / "reports"
        _config(workdir, reports, workdir / "j.sqlite")
        reports.mkdir()
        filler = _fill(mnt)
        result = importer(workdir, "run", str(SAMPLE), api=api)
        assert result.returncode == 3, result.stderr
        _clean_stderr(result.stderr)
        lines = [line for line in result.stderr.splitlines() if line.startswith("importer:")]
        assert len(lines) == 1, result.stderr  # besides the progress line: one line
        import_id = next(p for p in reports.iterdir() if p.is_dir()).name
        assert lines[0] == (
            f"importer: the report in {reports / import_id} could not be written (No space left "
            f"on device); every outcome is in the journal: run `importer report {import_id}` "
            "once that is fixed"
        )
        credited = len(creditings(api))
        assert credited == 5  # the money moved (the sample's other rows need attention) …
        listed = importer(workdir, "imports")
        assert f"credited {credited}" in listed.stdout, listed.stdout  # … and the journal says so

        filler.unlink()  # space is back
        again = importer(workdir, "report", import_id)
        assert again.returncode == 0, again.stderr
        _clean_stderr(again.stderr)
        report = json.loads((reports / import_id / "report.json").read_text("utf-8"))
        assert report["summary"]["outcomes"]["credited"] == credited
        written = {p.name for p in (reports / import_id).iterdir()}
        assert {"report.json", "report.csv", "report.xlsx"} <= written
        assert not [name for name in written if name.endswith(".tmp")]


def test_a_dry_run_whose_report_cannot_be_written_says_to_validate_again(workdir: Path):
    # A dry run keeps no rows in the journal, and `importer report` refuses it: the advice
    # to run it was a dead end. The line says what does help.
    with _tmpfs(workdir / "mnt", "size=256k") as mnt:
        reports = mnt / "reports"
        _config(workdir, reports, workdir / "j.sqlite")
        reports.mkdir()
        filler = _fill(mnt)
        result = importer(workdir, "validate", str(SAMPLE))
        assert result.returncode == 3, result.stderr
        _clean_stderr(result.stderr)
        lines = [line for line in result.stderr.splitlines() if line.startswith("importer:")]
        import_id = next(p for p in reports.iterdir() if p.is_dir()).name
        assert lines == [
            f"importer: the report in {reports / import_id} could not be written (No space left "
            "on device); nothing was sent: validate the file again once that is fixed"
        ]
        filler.unlink()
        again = importer(workdir, "validate", str(SAMPLE))
        assert again.returncode == 1, again.stderr
        assert not [p for p in reports.rglob("*.tmp")]


def _to_a_closed_pipe(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m importer ARGS` whose stdout is a pipe nobody reads any more (`… | head -1`
    once head has its line)."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line is printed
    env = {**os.environ, "AMILI_API_KEY": SECRET}
    env.pop("IMPORTER_CONFIG", None)
    try:
        return subprocess.run(
            [sys.executable, "-m", "importer", *args],
            cwd=workdir,
            env=env,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)


def test_a_reader_that_went_away_costs_nothing(workdir: Path, api: Sandbox):
    """`importer run … | head -1`: stdout's pipe closes early. The import still finishes with
    its own exit code, and stderr carries no internal error and no "Exception ignored"."""
    result = _to_a_closed_pipe(workdir, "run", str(SAMPLE), "--api-url", api.url)
    assert result.returncode == 1, result.stderr  # the sample's own code: rows need attention
    _clean_stderr(result.stderr)
    assert "internal error" not in result.stderr
    assert len(creditings(api)) == 5


@pytest.mark.parametrize("command", [["schema"], ["config"], ["imports"]])
def test_a_reader_that_went_away_from_a_printing_command_sees_no_traceback(
    workdir: Path, command: list[str]
):
    """`importer schema | head -1` and the like: what is left to print goes nowhere, the
    command ends with 0 and stderr says nothing of a broken pipe."""
    result = _to_a_closed_pipe(workdir, *command)
    assert result.returncode == 0, result.stderr
    _clean_stderr(result.stderr)
    assert result.stderr == ""
