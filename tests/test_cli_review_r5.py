"""Review R5: `importer show` names a report folder that is there."""

from __future__ import annotations

import shutil
from pathlib import Path

from cli_support import SAMPLE, importer

from importer.sandbox import Sandbox


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
