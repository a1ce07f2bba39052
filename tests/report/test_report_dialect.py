"""report.csv follows the source's dialect unless pinned: a `;` file with decimal
commas gets a `;` report with decimal commas, `report.csv_dialect: excel|excel-sv` pins it,
and `rerun --fix` reads every variant back. End to end through the command line against the
sandbox over a real socket; the report is edited as a person would, in its own dialect."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import openpyxl
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
    first = header.index("row")
    assert header[first : first + 3] == ["row", "outcome", "_id"]  # machine-stable headers
    assert header[-1] == "import"
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


@pytest.mark.parametrize(("language", "delimiter", "decimal"), [("sv", ";", ","), ("en", ",", ".")])
def test_a_workbook_sources_report_csv_follows_the_report_language(
    workdir: Path, api: Sandbox, language: str, delimiter: str, decimal: str
) -> None:
    """A workbook has no delimiter of its own: its report.csv is written as the report's
    language's spreadsheet opens it (Swedish: `;` and decimal comma), and `rerun --fix` reads
    the edited report back."""
    config = workdir / "config.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "report:\n", f"report:\n  language: {language}\n"
        ),
        encoding="utf-8",
    )
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Fakturanummer", "Belopp", "Kreditfaktura", "Referens"])
    sheet.append(["F-1001", 10.5, "KF-1", "R-1"])
    sheet.append(["F-1002", 0, "KF-2", "R-2"])  # invalid: zero
    sheet.append(["F-1003", 1250.25, "KF-3", "R-3"])
    source = workdir / "export.xlsx"
    book.save(source)
    assert importer(workdir, "run", str(source), api=api).returncode == 1
    report_dir = next((workdir / "reports").glob("*/"))
    with (report_dir / "report.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=delimiter))
    header = rows[0]
    assert header[:4] == ["Fakturanummer", "Belopp", "Kreditfaktura", "Referens"]
    settled = header.index("settled_amount")
    amounts = [line[settled] for line in rows[1:] if line[settled]]
    assert len(amounts) == 2
    assert all(re.fullmatch(rf"\d+\{decimal}\d\d", amount) for amount in amounts), amounts

    rows[2][header.index("Belopp")] = f"20{decimal}00"
    fix = workdir / "fixed.csv"
    with fix.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle, delimiter=delimiter).writerows(rows)
    done = importer(workdir, "rerun", report_dir.name, "--fix", str(fix), api=api)
    assert "Traceback" not in done.stderr, done.stderr
    assert {r["row"]: r for r in report_of(workdir)["rows"]}[3]["outcome"] == "credited"
    assert ("F-1002", 20) in [(c["invoice_number"], c["amount"]) for c in creditings(api)]
