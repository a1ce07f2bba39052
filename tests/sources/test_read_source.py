"""read_source as the pipeline calls it: the SourceFile it returns, format detection by
content, whole-file rejections in plain words, and cell_text."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import zipfile
from pathlib import Path

import pytest

from importer.errors import FileRejected
from importer.sources import SourceFile, cell_text, read_source


def test_source_file_fields(tmp_path: Path) -> None:
    data = b"invoice_number;amount\r\nF-1;10,00\r\n"
    path = tmp_path / "Credits July.csv"
    path.write_bytes(data)
    source = read_source(path)
    assert source == SourceFile(
        path=path,
        name="Credits July.csv",
        sha256=hashlib.sha256(data).hexdigest(),
        format="csv",
        encoding="utf-8",
        delimiter=";",
        records=[(1, ("invoice_number", "amount")), (2, ("F-1", "10,00"))],
    )


def test_csv_named_xls_is_read_as_csv(tmp_path: Path) -> None:
    path = tmp_path / "export.xls"
    path.write_bytes(b"a,b\n1,2\n")
    assert read_source(path).format == "csv"


def test_rejection_names_the_file_as_given(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(FileRejected) as caught:
        read_source(path)
    assert (caught.value.file, caught.value.problem) == (str(path), "the file is empty")
    assert str(caught.value) == f"{path}: the file is empty"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileRejected, match="the file does not exist"):
        read_source(tmp_path / "nope.csv")


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(FileRejected, match="this is a folder, not a file"):
        read_source(tmp_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "locked.csv"
    path.write_bytes(b"a,b\n")
    path.chmod(0)
    with pytest.raises(FileRejected, match="permission denied"):
        read_source(path)


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        (bytes(range(256)) * 4, ""),
        (b"\x00\x01\x02\x03binary", ""),
        (b"a,b\n1,2\n" + bytes(10), ""),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", " (it looks like a PDF document)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", " (it looks like a PNG image)"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00", " (it looks like a gzip archive)"),
        (b"PK\x05\x06" + bytes(18), " (it is an empty zip archive)"),
    ],
    ids=["random-bytes", "control-bytes", "nul-bytes", "pdf", "png", "gzip", "empty-zip"],
)
def test_unknown_binary_is_not_a_csv_or_excel_file(
    tmp_path: Path, data: bytes, detail: str
) -> None:
    path = tmp_path / "credits.csv"
    path.write_bytes(data)
    with pytest.raises(FileRejected) as caught:
        read_source(path)
    assert caught.value.problem == f"not a CSV or Excel file{detail}"


@pytest.mark.parametrize(
    ("members", "detail"),
    [
        ({"notes.txt": b"hello"}, "it is a zip archive"),
        ({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"}, "Office document"),
        ({"mimetype": b"application/vnd.oasis.opendocument.text"}, "not a spreadsheet"),
        ({"[Content_Types].xml": b"<Types/>", "xl/workbook.bin": b"\x00"}, ".xlsb"),
    ],
    ids=["zip", "docx", "odt", "xlsb"],
)
def test_zip_that_is_not_a_workbook(tmp_path: Path, members: dict[str, bytes], detail: str) -> None:
    path = tmp_path / "credits.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(FileRejected, match=detail.replace(".", r"\.")):
        read_source(path)


@pytest.mark.parametrize(
    "text",
    [
        "<html><body><table><tr><td>Belopp</td></tr></table></body></html>",
        '\ufeff<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spread">',
        "  <!DOCTYPE html>\n<html>",
    ],
)
def test_html_or_xml_saved_as_xls_is_explained(tmp_path: Path, text: str) -> None:
    path = tmp_path / "export.xls"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FileRejected, match="it is a web page or XML document"):
        read_source(path)


@pytest.mark.parametrize(
    ("cell", "text"),
    [
        (None, ""),
        ("  0012345 ", "  0012345 "),
        (12.5, "12.5"),
        (1200.0, "1200"),
        (-3.0, "-3"),
        (0.1 + 0.2, "0.3"),
        (1234567.891, "1234567.891"),
        (1e20, "1e+20"),
        (42, "42"),
        (True, "TRUE"),
        (False, "FALSE"),
        (dt.date(2025, 7, 4), "2025-07-04"),
        (dt.datetime(2025, 7, 4, 14, 35, 29), "2025-07-04T14:35:29"),
        (dt.datetime(2025, 7, 4, 14, 35, 29, 500000), "2025-07-04T14:35:29.500000"),
    ],
)
def test_cell_text(cell: object, text: str) -> None:
    assert cell_text(cell) == text  # type: ignore[arg-type]
