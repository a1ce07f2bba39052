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


# ------------------------------------------------------- the sheet read as XML, not as text

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _sheet(tmp_path: Path, sheet_xml: str, *, calc: str = "") -> bytes:
    """`_workbook` with its sheet part replaced by `sheet_xml` and the workbook part's calcPr
    by `calc` (none by default), as other writers spell the same layout."""
    out = io.BytesIO()
    original = zipfile.ZipFile(io.BytesIO(_workbook(tmp_path)))
    with original as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = sheet_xml.encode()
            if info.filename == "xl/workbook.xml":
                content = re.sub(rb"<calcPr[^>]*/>", b"", content)
                content = content.replace(b"</workbook>", calc.encode() + b"</workbook>")
            target.writestr(info, content)
    return out.getvalue()


@pytest.mark.parametrize(
    "row3",
    [
        "<row r='3' hidden='1'>",  # single quotes: valid XML, missed by a regular expression
        '<row hidden = "true" r="3">',
        '<row r="3" spans="1:3" customHeight="1" ht="0" hidden="1" x14ac:dyDescent="0.25">',
    ],
)
def test_hidden_rows_however_the_attribute_is_written(tmp_path: Path, row3: str) -> None:
    xml = (
        f'<worksheet xmlns="{MAIN}" xmlns:x14ac="urn:x14ac"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>hidden="1"</t></is></c></row>'  # text only
        f'<row r="2"><c r="A2"><v>1</v></c></row>{row3}<c r="A3"><v>2</v></c></row>'
        "</sheetData></worksheet>"
    )
    assert sheet_layout(_sheet(tmp_path, xml), 0).hidden_rows == [3]


def test_rows_and_cells_without_r_follow_the_one_before(tmp_path: Path) -> None:
    xml = (
        f'<x:worksheet xmlns:x="{MAIN}"><x:sheetData>'
        '<x:row r="2"><x:c><x:v>1</x:v></x:c><x:c s="1"><x:v>42</x:v></x:c></x:row>'
        '<x:row hidden="1"><x:c r="B3" s="1"><x:v>43</x:v></x:c></x:row>'  # row 3
        "<x:row/>"  # row 4
        '<x:row hidden="1"><x:c/><x:c/><x:c s="1"><x:v>44</x:v></x:c></x:row>'  # row 5
        "</x:sheetData></x:worksheet>"
    )
    book = openpyxl.Workbook()
    book.active["A1"].number_format = "00000"  # style 1 is the padded one
    path = tmp_path / "styled.xlsx"
    book.save(path)
    with zipfile.ZipFile(path) as styled:
        styles = styled.read("xl/styles.xml")
    data = _sheet(tmp_path, xml)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info, styles if info.filename == "xl/styles.xml" else source.read(info))
    layout = sheet_layout(out.getvalue(), 0)
    assert layout.hidden_rows == [3, 5]
    assert layout.formats == {(2, 1): "00000", (3, 1): "00000", (5, 2): "00000"}


@pytest.mark.parametrize(
    "calc", ["<calcPr fullCalcOnLoad='1'/>", '<calcPr calcId="1" fullCalcOnLoad="true"/>']
)
def test_full_calc_on_load_however_it_is_written(tmp_path: Path, calc: str) -> None:
    xml = (
        f'<worksheet xmlns="{MAIN}"><sheetData>'
        '<row r="2"><c r="B2"><f>1+1</f><v>0</v></c><c r="C2"><f>2+2</f><v>4</v></c></row>'
        '<row r="3"><c r="B3"><f>A1</f></c><c r="C3"><f t="shared" si="0"/><v></v></c></row>'
        "</sheetData></worksheet>"
    )
    assert sheet_layout(_sheet(tmp_path, xml), 0).uncomputed == {(3, 1)}  # no fullCalcOnLoad
    assert sheet_layout(_sheet(tmp_path, xml, calc=calc), 0).uncomputed == {
        (2, 1),
        (3, 1),
        (3, 2),
    }


def test_a_sheet_declaring_entities_gives_no_layout(tmp_path: Path) -> None:
    xml = (
        '<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">]>'
        f'<worksheet xmlns="{MAIN}"><sheetData><row r="2" hidden="1"><c><v>&a;</v></c></row>'
        "</sheetData></worksheet>"
    )
    assert sheet_layout(_sheet(tmp_path, xml), 0).hidden_rows == []
