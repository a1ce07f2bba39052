"""A spreadsheet number is quoted in a message as a person sees it: a float
amount of 1e-07 reads `0.0000001`, and 1.234567890123457e+16 reads `12345678901234570`, never
Python's exponent notation. Through a real workbook and the real command line."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from cli_support import importer, report_of


def test_float_amounts_are_quoted_in_plain_decimals(workdir: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Fakturanummer", "Belopp", "Kreditfaktura"])
    sheet.append(["F-1001", 1e-07, "K1"])
    sheet.append(["F-1002", 1.234567890123457e16, "K2"])
    sheet.append(["F-1003", 12.345, "K3"])
    credits = workdir / "credits.xlsx"
    book.save(credits)
    done = importer(workdir, "validate", str(credits))
    assert done.returncode == 1, done.stdout + done.stderr
    messages = {
        row["row"]: " ".join(error["message"] for error in row["errors"])
        for row in report_of(workdir)["rows"]
    }
    assert "0.0000001" in messages[2], messages[2]
    assert "12345678901234570" in messages[3], messages[3]
    assert "12.345" in messages[4], messages[4]
    assert not any("e-0" in m or "e+1" in m for m in messages.values()), messages
