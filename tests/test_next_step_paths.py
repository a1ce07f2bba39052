"""The next step names the report.csv that was really written: with `--report-dir` (or
`report.dir`) elsewhere, report.html, report.xlsx (summary and rows) and `importer show` say
`rerun --fix <that folder>/ID/report.csv`, never a `reports/ID/report.csv` that does not
exist. Through the real command line against the sandbox over a real socket."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from cli_support import SAMPLE, importer

from importer.sandbox import Sandbox


def test_every_next_step_names_the_real_report_folder(workdir: Path, api: Sandbox) -> None:
    out = workdir / "elsewhere"
    done = importer(workdir, "run", "--report-dir", str(out), str(SAMPLE), api=api)
    assert done.returncode == 1, done.stdout + done.stderr
    (folder,) = [p for p in out.iterdir() if p.is_dir()]  # and index.html
    import_id = folder.name
    real = str(out / import_id / "report.csv")
    relative = f"elsewhere/{import_id}/report.csv"
    wrong = f"reports/{import_id}/report.csv"

    html = (folder / "report.html").read_text(encoding="utf-8")
    assert f"--fix {real}" in html
    assert wrong not in html

    book = openpyxl.load_workbook(folder / "report.xlsx", read_only=True)
    cells = [
        str(cell)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if cell is not None
    ]
    book.close()
    assert any(f"--fix {real}" in cell for cell in cells)
    assert not any(wrong in cell for cell in cells)

    config = workdir / "config.yaml"  # `show` takes the folder from report.dir
    config.write_text(config.read_text(encoding="utf-8").replace("dir: reports", "dir: elsewhere"))
    shown = importer(workdir, "show", import_id)
    assert shown.returncode == 0, shown.stderr
    assert f"--fix {real}" in shown.stdout or f"--fix {relative}" in shown.stdout
    assert f"reports/{import_id}" not in shown.stdout
