"""Workbooks (.xlsx, .ods, .xls) read through read_source from real files on disk."""

from __future__ import annotations

import datetime as dt
import resource
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from importer.errors import FileRejected
from importer.sources import read_source

ID_24_HEX = "5f1e0f7a9c1d2b3a4e5f6a7b"


def credit_workbook(path: Path) -> Path:
    """A typical export: a title row, a blank row, the header, then data rows of every kind."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Krediteringar"
    sheet["A1"] = "Kreditnotor juli 2025"
    sheet.append([])
    sheet.append(["Ärende", "Fakturanummer", "Belopp", "Datum", "Registrerad", "Klar"])
    sheet.append([ID_24_HEX, "0012345", 1234.5, dt.date(2025, 7, 4), None, True])
    sheet.append([None, "0098765", 1200, dt.date(2025, 7, 5), dt.datetime(2025, 7, 4, 14, 35, 29)])
    sheet.append([])
    sheet.append(["", "   ", None])  # blank: empty and whitespace-only cells
    sheet.append([None, "F-3", 0.5])
    workbook.create_sheet("Anteckningar")["A1"] = "notes"
    workbook.save(path)
    return path


def test_xlsx_rows_keep_spreadsheet_numbers_and_cell_types(tmp_path: Path) -> None:
    source = read_source(credit_workbook(tmp_path / "credits.xlsx"))
    assert (source.format, source.encoding, source.delimiter) == ("xlsx", None, None)
    assert source.records == [
        (1, ("Kreditnotor juli 2025",)),
        (3, ("Ärende", "Fakturanummer", "Belopp", "Datum", "Registrerad", "Klar")),
        (4, (ID_24_HEX, "0012345", 1234.5, dt.date(2025, 7, 4), None, True)),
        (5, (None, "0098765", 1200, dt.date(2025, 7, 5), dt.datetime(2025, 7, 4, 14, 35, 29))),
        (8, (None, "F-3", 0.5)),
    ]
    ids = [cells[1] for _, cells in source.records[2:]]
    assert all(type(value) is str for value in ids)  # text ids never become numbers
    assert type(source.records[2][1][3]) is dt.date  # a date cell is a date, not a datetime


def test_xlsx_float_is_returned_unrounded(tmp_path: Path, edit_zip: Callable[..., None]) -> None:
    """openpyxl writes 0.1 + 0.2 shortened to "0.3", so the stored value is set in the XML."""
    plain = tmp_path / "plain.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append(["amount"])
    workbook.active.append([0.25])
    workbook.save(plain)

    def exact(name: str, data: bytes) -> bytes:
        if name == "xl/worksheets/sheet1.xml":
            return data.replace(b"<v>0.25</v>", b"<v>0.30000000000000004</v>")
        return data

    path = tmp_path / "float.xlsx"
    edit_zip(plain, path, exact)
    (_, (value,)) = read_source(path).records[1]
    assert type(value) is float
    assert value == 0.1 + 0.2


def test_xlsx_sheet_by_name_and_by_index(tmp_path: Path) -> None:
    path = credit_workbook(tmp_path / "credits.xlsx")
    assert read_source(path, sheet="Anteckningar").records == [(1, ("notes",))]
    assert read_source(path, sheet=" anteckningar ").records == [(1, ("notes",))]
    assert read_source(path, sheet=1).records == [(1, ("notes",))]
    assert read_source(path, sheet=0).records[0] == (1, ("Kreditnotor juli 2025",))


@pytest.mark.parametrize("sheet", ["Summary", 2, -1])
def test_missing_sheet_lists_the_sheets(tmp_path: Path, sheet: str | int) -> None:
    path = credit_workbook(tmp_path / "credits.xlsx")
    with pytest.raises(FileRejected) as caught:
        read_source(path, sheet=sheet)
    assert "its sheets are: 'Krediteringar', 'Anteckningar'" in caught.value.problem


def test_default_sheet_is_the_first_visible_worksheet(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.title = "Lookup"
    workbook.active["A1"] = "hidden helper"
    workbook.active.sheet_state = "hidden"
    workbook.create_sheet("Data")["A1"] = "data"
    path = tmp_path / "hidden.xlsx"
    workbook.save(path)
    assert read_source(path).records == [(1, ("data",))]


def test_xlsx_detected_by_content_whatever_the_name(tmp_path: Path) -> None:
    source = read_source(credit_workbook(tmp_path / "export.csv"))
    assert source.format == "xlsx"


def test_ods(tmp_path: Path, make_ods: Callable[..., bytes]) -> None:
    path = tmp_path / "credits.ods"
    path.write_bytes(
        make_ods(
            {
                "Krediteringar": [
                    ["Kreditnotor juli 2025"],
                    2,  # two blank rows, written as one repeated row
                    ["Fakturanummer", "Belopp", "Datum", "Tid"],
                    ["0012345", 1234.5, dt.date(2025, 7, 4), dt.datetime(2025, 7, 4, 14, 35, 29)],
                    ["0012346", 10, dt.date(2025, 7, 5), None],
                ],
                "Övrigt": [["x"]],
            }
        )
    )
    source = read_source(path)
    assert source.format == "ods"
    assert source.records == [
        (1, ("Kreditnotor juli 2025",)),
        (4, ("Fakturanummer", "Belopp", "Datum", "Tid")),
        (5, ("0012345", 1234.5, dt.date(2025, 7, 4), dt.datetime(2025, 7, 4, 14, 35, 29))),
        (6, ("0012346", 10, dt.date(2025, 7, 5))),
    ]
    assert read_source(path, sheet="Övrigt").records == [(1, ("x",))]


def test_xls(tmp_path: Path, make_xls: Callable[..., bytes]) -> None:
    path = tmp_path / "credits.xls"
    path.write_bytes(
        make_xls(
            {
                "Krediteringar": [
                    ["Kreditnotor juli 2025"],
                    [],
                    ["Fakturanummer", "Belopp", "Datum", "Registrerad", "Klar"],
                    ["0012345", 1234.5, dt.date(2025, 7, 4), dt.datetime(2025, 7, 4, 14, 35, 29)],
                    ["0012346", 0.1 + 0.2, dt.date(2025, 7, 5), None, False],
                ],
                "Övrigt": [[None, "x"]],
            }
        )
    )
    source = read_source(path)
    assert source.format == "xls"
    assert source.records == [
        (1, ("Kreditnotor juli 2025",)),
        (3, ("Fakturanummer", "Belopp", "Datum", "Registrerad", "Klar")),
        (4, ("0012345", 1234.5, dt.date(2025, 7, 4), dt.datetime(2025, 7, 4, 14, 35, 29))),
        (5, ("0012346", 0.1 + 0.2, dt.date(2025, 7, 5), None, False)),
    ]
    assert read_source(path, sheet=1).records == [(1, ("x",))]


def test_password_protected_xls_is_rejected(tmp_path: Path, make_xls: Callable[..., bytes]) -> None:
    path = tmp_path / "locked.xls"
    path.write_bytes(make_xls({"Data": [["a"]]}, password=True))
    with pytest.raises(FileRejected, match="protected with a password"):
        read_source(path)


def test_encrypted_xlsx_is_rejected_as_password_protected(
    tmp_path: Path, make_cfb: Callable[..., bytes]
) -> None:
    """Office stores a password-protected .xlsx as an OLE2 file holding the encrypted zip."""
    path = tmp_path / "locked.xlsx"
    info = b"\x04\x00\x04\x00" + bytes(60)  # "agile encryption" version header
    path.write_bytes(make_cfb({"EncryptionInfo": info, "EncryptedPackage": bytes(900)}))
    with pytest.raises(FileRejected) as caught:
        read_source(path)
    assert caught.value.problem == (
        "the workbook is protected with a password; save it without a password and retry"
    )


def test_truncated_xlsx_is_rejected_as_damaged(tmp_path: Path) -> None:
    whole = credit_workbook(tmp_path / "whole.xlsx").read_bytes()
    path = tmp_path / "truncated.xlsx"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(FileRejected) as caught:
        read_source(path)
    assert caught.value.problem == "the workbook is damaged or not an Excel file"


def test_xlsx_with_a_broken_sheet_is_rejected_as_damaged(
    tmp_path: Path, edit_zip: Callable[..., None]
) -> None:
    path = tmp_path / "broken.xlsx"
    edit_zip(
        credit_workbook(tmp_path / "whole.xlsx"),
        path,
        lambda name, data: data[:200] if name == "xl/worksheets/sheet1.xml" else data,
    )
    with pytest.raises(FileRejected, match="damaged or not an Excel file"):
        read_source(path)


def test_ole2_file_that_is_not_a_workbook_is_rejected(
    tmp_path: Path, make_cfb: Callable[..., bytes]
) -> None:
    path = tmp_path / "letter.doc"
    path.write_bytes(make_cfb({"WordDocument": bytes(5000)}))
    with pytest.raises(FileRejected, match="damaged or not an Excel file"):
        read_source(path)


def workbook_with_shared_strings(tmp_path: Path, edit_zip: Callable[..., None], sst: str) -> Path:
    """An .xlsx whose cell A1 shows shared string 0, with `sst` as sharedStrings.xml."""
    rel = (
        '<Relationship Id="rIdSst" Target="sharedStrings.xml" Type="http://schemas.openxml'
        'formats.org/officeDocument/2006/relationships/sharedStrings"/></Relationships>'
    )
    override = (
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxml'
        'formats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
    )
    plain = tmp_path / "plain.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "placeholder"
    workbook.save(plain)

    def attack(name: str, data: bytes) -> bytes:
        if name == "xl/worksheets/sheet1.xml":
            return data.replace(
                b'<c r="A1" t="inlineStr"><is><t>placeholder</t></is></c>',
                b'<c r="A1" t="s"><v>0</v></c>',
            )
        if name == "xl/_rels/workbook.xml.rels":
            return data.replace(b"</Relationships>", rel.encode())
        if name == "[Content_Types].xml":
            return data.replace(b"</Types>", override.encode())
        return data

    path = tmp_path / "attack.xlsx"
    edit_zip(plain, path, attack)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("xl/sharedStrings.xml", sst)
    return path


SST_OPEN = (
    '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
    'uniqueCount="1"><si><t>'
)


def test_xml_entity_expansion_never_happens(tmp_path: Path, edit_zip: Callable[..., None]) -> None:
    """A billion-laughs sharedStrings.xml (10^9 "lol"s, ~3 GB if expanded) is refused at once.

    calamine's XML parser does not expand DTD entities; this pins that behaviour down, so an
    upgrade that changed it would fail here instead of in a nightly run.
    """
    entities = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    laughs = (
        f'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY lol0 "lol">{entities}]>'
        f"{SST_OPEN}&lol9;</t></si></sst>"
    )
    path = workbook_with_shared_strings(tmp_path, edit_zip, laughs)

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    try:
        records = read_source(path).records
    except FileRejected as rejected:  # either outcome is safe: hence no pytest.raises
        assert "entity declarations" in rejected.problem  # noqa: PT017
    else:  # read without expansion would be acceptable too
        assert "lollol" not in repr(records)
    # A safety bound, not a speed claim: expansion would take minutes and gigabytes.
    assert time.perf_counter() - started < 5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before < 100_000  # KiB


def test_external_xml_entities_are_never_fetched(
    tmp_path: Path, edit_zip: Callable[..., None]
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>'
        f"{SST_OPEN}&xxe;</t></si></sst>"
    )
    path = workbook_with_shared_strings(tmp_path, edit_zip, xxe)
    try:
        records = read_source(path).records
    except FileRejected as rejected:  # either outcome is safe: hence no pytest.raises
        assert "entity declarations" in rejected.problem  # noqa: PT017
    else:
        assert "TOP-SECRET-VALUE" not in repr(records)


def test_leading_blank_rows_and_columns_keep_row_numbers(
    tmp_path: Path, make_ods: Callable[..., bytes], make_xls: Callable[..., bytes]
) -> None:
    ods = tmp_path / "lead.ods"
    ods.write_bytes(make_ods({"S": [3, ["Titel"], 1, ["h1", "h2"], [None, 1.5]]}))
    assert read_source(ods).records == [(4, ("Titel",)), (6, ("h1", "h2")), (7, (None, 1.5))]

    xls = tmp_path / "lead.xls"
    xls.write_bytes(make_xls({"S": [[], [], [None, "Titel"], [], [None, "h1", "h2"]]}))
    assert read_source(xls).records == [(3, ("Titel",)), (5, ("h1", "h2"))]

    xlsx = tmp_path / "lead.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active["C4"] = "Titel"
    workbook.active["C6"], workbook.active["D6"] = "h1", "h2"
    workbook.save(xlsx)
    assert read_source(xlsx).records == [(4, ("Titel",)), (6, ("h1", "h2"))]
