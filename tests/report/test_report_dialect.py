"""report.csv follows the source's dialect unless pinned (issue 13): a `;` file with decimal
commas gets a `;` report with decimal commas, `report.csv_dialect: excel|excel-sv` pins it,
and `rerun --fix` reads every variant back. End to end through the command line against the
sandbox over a real socket; the report is edited as a person would, in its own dialect."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from cli_support import SAMPLE, creditings, importer, report_of

from importer.sandbox import Sandbox

DIALECTS = {"source": (";", ","), "excel": (",", "."), "excel-sv": (";", ",")}


@pytest.mark.parametrize("dialect", list(DIALECTS))
def test_report_csv_dialect_and_fix_reads_it_back(
    workdir: Path, api: Sandbox, dialect: str
) -> None:
    config = workdir / "config.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "report:\n", f"report:\n  csv_dialect: {dialect}\n"
        ),
        encoding="utf-8",
    )
    assert importer(workdir, "run", str(SAMPLE), api=api).returncode == 1
    report_dir = next((workdir / "reports").glob("*/"))
    delimiter, decimal = DIALECTS[dialect]
    with (report_dir / "report.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=delimiter))
    header = rows[0]
    assert header[-11:][:3] == ["row", "outcome", "_id"]  # machine-stable headers
    settled = header.index("settled_amount")
    credited = [line for line in rows[1:] if line[header.index("outcome")] == "credited"]
    assert credited
    assert all(decimal in line[settled] for line in credited)
    other = "." if decimal == "," else ","
    assert not any(other in line[settled] for line in credited)

    amount, row_col = header.index("Belopp"), header.index("row")
    for line in rows[1:]:
        if line[row_col] == "6":
            line[amount] = "123,45"  # the file's own cells keep the file's decimal comma
    fix = workdir / "fixed.csv"
    with fix.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle, delimiter=delimiter).writerows(rows)
    before = len(creditings(api))
    done = importer(workdir, "rerun", report_dir.name, "--fix", str(fix), api=api)
    assert done.returncode == 1, done.stdout + done.stderr
    after = creditings(api)
    assert len(after) == before + 1
    assert after[-1]["amount"] == 123.45
    assert {r["row"]: r for r in report_of(workdir)["rows"]}[6]["outcome"] == "credited"
