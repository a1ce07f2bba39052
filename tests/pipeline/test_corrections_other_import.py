"""A correction file belongs to one import: `rerun A --fix` with import B's report.csv or
report.xlsx is refused, naming both imports, before anything changes — the report carries its
import id (report.csv's `import` column, report.xlsx's "Import" column) and, for a report
whose import column was deleted, its credited rows' `_id`s must be the import's own. Without
this, B's corrected rows replaced A's rows of the same numbers and were credited under A,
while B's own rows were never credited."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from cli_support import creditings, importer, report_of

from importer.sandbox import Sandbox

A = "Fakturanummer;Belopp\r\nF-1001;10,00\r\nF-1002;0\r\nF-1003;5,00\r\nF-1004;0\r\n"
B = "Fakturanummer;Belopp\r\nF-1005;1,00\r\nF-1006;0\r\nF-1001;2,00\r\nF-1002;0\r\n"


def _run(workdir: Path, api: Sandbox, name: str, text: str) -> str:
    data = workdir / name
    data.write_bytes(text.encode("cp1252"))
    assert importer(workdir, "run", str(data), api=api).returncode == 1
    return str(report_of(workdir)["file_import_report"])


def _corrected_csv(path: Path, *, drop: str | None = None) -> Path:
    """B's report.csv with rows 3 and 5 corrected (13,00 each), as a person saves it from
    Excel; `drop` deletes a column."""
    text = path.read_bytes().decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    header = table[0]
    for line in table[1:]:
        if line[header.index("row")] in ("3", "5"):
            line[header.index("Belopp")] = "13,00"
    if drop is not None:
        gone = header.index(drop)
        table = [line[:gone] + line[gone + 1 :] for line in table]
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=";").writerows(table)
    fixed = path.parent.parent / "fixed.csv"
    fixed.write_text(out.getvalue(), encoding="utf-8-sig")
    return fixed


def _corrected_xlsx(path: Path) -> Path:
    book = openpyxl.load_workbook(path)
    for sheet in book.worksheets:
        header = [cell.value for cell in sheet[1]]
        if "Belopp" not in header:
            continue
        for line in sheet.iter_rows(min_row=2):
            if line[header.index("Row")].value in (3, 5):
                line[header.index("Belopp")].value = "13,00"
    fixed = path.parent.parent / "fixed.xlsx"
    book.save(fixed)
    return fixed


@pytest.mark.parametrize("shape", ["report.csv", "report.xlsx", "report.csv without import"])
def test_another_imports_report_is_refused_naming_both_imports(
    workdir: Path, api: Sandbox, shape: str
) -> None:
    a = _run(workdir, api, "a.csv", A)
    b = _run(workdir, api, "b.csv", B)
    before = sorted(c["_id"] for c in creditings(api))
    report = workdir / "reports" / b / shape.split(maxsplit=1)[0]
    if shape == "report.xlsx":
        fix = _corrected_xlsx(report)
    else:
        fix = _corrected_csv(report, drop="import" if "without" in shape else None)
    done = importer(workdir, "rerun", a, "--fix", str(fix), api=api)
    assert done.returncode == 2, done.stdout + done.stderr
    assert a in done.stderr, done.stderr
    assert b in done.stderr, done.stderr
    assert "nothing was changed" in done.stderr
    assert sorted(c["_id"] for c in creditings(api)) == before  # nothing credited
    rows = {row["row"]: row for row in report_of(workdir, a)["rows"]}
    assert rows[3]["outcome"] == rows[5]["outcome"] == "invalid"
    assert rows[3]["source"]["Belopp"] == "0"


def test_an_imports_own_report_still_round_trips(workdir: Path, api: Sandbox) -> None:
    a = _run(workdir, api, "a.csv", A)
    fix = _corrected_csv(workdir / "reports" / a / "report.csv")
    done = importer(workdir, "rerun", a, "--fix", str(fix), api=api)
    assert done.returncode in (0, 1), done.stdout + done.stderr  # 1: a case's own status
    rows = {row["row"]: row for row in report_of(workdir, a)["rows"]}
    assert rows[3]["outcome"] == rows[5]["outcome"] == "credited"
