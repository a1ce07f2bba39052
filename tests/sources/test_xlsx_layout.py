"""xlsx_layout reads what calamine does not (hidden rows, padded number formats) from the
sheet's XML, whichever way a writer orders or spells the attributes, and shows a padded number
as Excel does."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from importer.sources.xlsx_layout import sheet_layout, show


def _workbook(tmp_path: Path) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Fakturanummer", "Belopp", "Kreditfaktura"])
    sheet.append(["F-1", 10, 42])
    sheet.append(["F-2", 20, 43])
    sheet["C2"].number_format = "000000"
    sheet.row_dimensions[3].hidden = True
    path = tmp_path / "book.xlsx"
    book.save(path)
    return path.read_bytes()


def _rewrite(data: bytes, change: object) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = change(content)  # type: ignore[operator]
            target.writestr(info, content)
    return out.getvalue()


def test_as_openpyxl_and_excel_write_it(tmp_path: Path) -> None:
    layout = sheet_layout(_workbook(tmp_path), 0)
    assert layout.hidden_rows == [3]
    assert layout.formats == {(2, 2): "000000"}


def test_attributes_in_another_order_and_true_for_1(tmp_path: Path) -> None:
    def reorder(xml: bytes) -> bytes:
        xml = re.sub(rb'<c r="([A-Z]+[0-9]+)" s="([0-9]+)"', rb'<c s="\2" r="\1"', xml)
        return xml.replace(b'hidden="1"', b'hidden="true"')

    layout = sheet_layout(_rewrite(_workbook(tmp_path), reorder), 0)
    assert layout.hidden_rows == [3]
    assert layout.formats == {(2, 2): "000000"}


@pytest.mark.parametrize(
    ("value", "code", "shown"),
    [
        (123.0, "00000", "00123"),
        (123456.0, "000", "123456"),
        (7, '"F-"0000', "F-0007"),
        (7, "\\K0000\\-\\A", "K0007-A"),
        (1.5, "00000", None),
        (-3.0, "00000", None),
        (5, "#,##0.00", None),
    ],
)
def test_show(value: float, code: str, shown: str | None) -> None:
    assert show(value, code) == shown
