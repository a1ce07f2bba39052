"""Zip bombs are refused from the zip directory alone, before calamine decompresses anything."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import openpyxl
import pytest

from importer.errors import FileRejected
from importer.sources import read_source, zipguard


def xlsx_looking_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_highly_compressed_member_is_refused(tmp_path: Path) -> None:
    # 50 MB of zeros deflate to about 50 KB: a ratio near 1000.
    path = xlsx_looking_zip(tmp_path / "bomb.xlsx", {"xl/worksheets/sheet1.xml": bytes(50 << 20)})
    assert path.stat().st_size < 200_000
    with pytest.raises(FileRejected) as caught:
        read_source(path)
    assert "'xl/worksheets/sheet1.xml' would expand from" in caught.value.problem
    assert caught.value.problem.endswith("refused as a possible zip bomb")


def test_ordinary_compression_passes(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    for i in range(3000):
        workbook.active.append([f"F-{i:06d}", 100.5 + i, "SEK", "same text every row"])
    path = tmp_path / "big.xlsx"
    workbook.save(path)
    assert len(read_source(path).records) == 3000


def test_too_many_members_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "many.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        for i in range(zipguard.MAX_MEMBERS):
            archive.writestr(f"xl/media/{i}.bin", b"")
    with pytest.raises(FileRejected, match=r"consists of 10,001 parts \(at most 10,000"):
        read_source(path)


def test_total_declared_size_over_one_gib_is_refused() -> None:
    members = []
    for i in range(3):
        info = zipfile.ZipInfo(f"xl/worksheets/sheet{i}.xml")
        info.file_size = 400 << 20
        info.compress_size = 40 << 20  # ratio 10: only the total is excessive
        members.append(info)
    with pytest.raises(FileRejected, match="more than 1 GB"):
        zipguard.check_limits(members, "big.xlsx")
    zipguard.check_limits(members[:2], "big.xlsx")  # 800 MiB is allowed


def test_small_members_may_compress_well() -> None:
    info = zipfile.ZipInfo("xl/styles.xml")
    info.file_size, info.compress_size = 1 << 20, 100  # ratio 10,000 but only 1 MiB
    zipguard.check_limits([info], "ok.xlsx")


def test_member_larger_than_declared_is_not_inflated_past_its_size(tmp_path: Path) -> None:
    """The guard trusts declared sizes because the reader enforces them: a member that
    declares 1,000 bytes but inflates to megabytes is refused, not read."""
    rows = "".join(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c></row>' for i in range(1, 20001))
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = 1
    honest = tmp_path / "honest.xlsx"
    workbook.save(honest)
    lying = tmp_path / "lying.xlsx"
    with zipfile.ZipFile(honest) as old, zipfile.ZipFile(lying, "w", zipfile.ZIP_DEFLATED) as new:
        for name in old.namelist():
            data = old.read(name)
            if name == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<dimension ref="A1:A1" />', b"")
                data = data.split(b"<sheetData>")[0] + f"<sheetData>{rows}</sheetData>".encode()
                data += b"</worksheet>"
            new.writestr(name, data)
    raw = bytearray(lying.read_bytes())
    with zipfile.ZipFile(lying) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    struct.pack_into("<I", raw, info.header_offset + 22, 1000)  # local header
    name = b"xl/worksheets/sheet1.xml"
    central = raw.rfind(b"PK\x01\x02", 0, raw.rfind(name))
    struct.pack_into("<I", raw, central + 24, 1000)  # central directory
    lying.write_bytes(bytes(raw))
    with pytest.raises(FileRejected, match="damaged or not an Excel file"):
        read_source(lying)


def test_member_count_is_read_from_the_end_record_before_parsing_the_directory() -> None:
    # An end record claiming 65,535 members, with no directory at all behind it.
    end_record = b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, 0xFFFF, 0xFFFF, 0, 0, 0)
    assert zipguard._declared_member_count(b"PK\x03\x04" + end_record) == 0xFFFF
    with pytest.raises(FileRejected, match="parts"):
        zipguard.open_checked(b"PK\x03\x04" + end_record, "x.xlsx")
