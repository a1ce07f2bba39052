"""Builders for the workbook files the reader tests need, written byte by byte where no
writer is installed.

openpyxl writes .xlsx. Nothing installed writes .ods or .xls, so `build_ods` writes the
OpenDocument zip by hand (mimetype + content.xml + manifest) and `build_xls` writes a minimal
BIFF8 workbook stream inside a minimal OLE2 compound file (`build_cfb`), the same container
Office uses to wrap password-encrypted .xlsx files.
"""

from __future__ import annotations

import datetime as dt
import io
import struct
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

CellSpec = str | float | int | bool | dt.date | dt.datetime | None

# --------------------------------------------------------------------------- OLE2 / CFB

_SECTOR = 512
_ENDOFCHAIN = 0xFFFFFFFE
_FREESECT = 0xFFFFFFFF
_FATSECT = 0xFFFFFFFD
_NOSTREAM = 0xFFFFFFFF
_MINI_CUTOFF = 4096


def build_cfb(streams: dict[str, bytes]) -> bytes:
    """An OLE2 compound file (version 3, 512-byte sectors) holding `streams` at its root.

    Every stream is padded to the 4096-byte mini-stream cutoff so that all of them live in
    regular sectors and no mini FAT is needed. Layout: sector 0 is the FAT, sector 1 the
    directory (root + up to 3 streams), then the streams.
    """
    assert len(streams) <= 3, "one directory sector holds the root and three streams"
    padded = []
    for name, content in streams.items():
        size = max(len(content), _MINI_CUTOFF)
        size += -size % _SECTOR
        padded.append((name, content.ljust(size, b"\x00")))

    fat = [_FATSECT, _ENDOFCHAIN]
    starts = []
    for _, content in padded:
        first = len(fat)
        count = len(content) // _SECTOR
        starts.append(first)
        fat.extend(first + i + 1 for i in range(count - 1))
        fat.append(_ENDOFCHAIN)
    assert len(fat) <= _SECTOR // 4, "the fixture's streams must fit one FAT sector"
    fat.extend([_FREESECT] * (_SECTOR // 4 - len(fat)))

    entries = [_dir_entry("Root Entry", 5, child=1 if padded else _NOSTREAM)]
    for index, ((name, content), start) in enumerate(zip(padded, starts, strict=True), 1):
        right = index + 1 if index < len(padded) else _NOSTREAM
        entries.append(_dir_entry(name, 2, right=right, start=start, size=len(content)))
    while len(entries) < 4:
        entries.append(bytes(64) + struct.pack("<HBB3I", 0, 0, 0, *(3 * [_NOSTREAM])) + bytes(48))

    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + bytes(16)
        + struct.pack("<HHHHH", 0x003E, 3, 0xFFFE, 9, 6)
        + bytes(6)
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, _MINI_CUTOFF, _ENDOFCHAIN, 0, _ENDOFCHAIN, 0)
        + struct.pack("<109I", 0, *([_FREESECT] * 108))
    )
    assert len(header) == _SECTOR
    body = struct.pack(f"<{len(fat)}I", *fat) + b"".join(entries)
    return header + body + b"".join(content for _, content in padded)


def _dir_entry(
    name: str,
    kind: int,
    *,
    right: int = _NOSTREAM,
    child: int = _NOSTREAM,
    start: int = _ENDOFCHAIN,
    size: int = 0,
) -> bytes:
    encoded = (name + "\x00").encode("utf-16-le")
    entry = (
        encoded.ljust(64, b"\x00")
        + struct.pack("<HBB", len(encoded), kind, 1)
        + struct.pack("<III", _NOSTREAM, right, child)
        + bytes(16 + 4 + 8 + 8)
        + struct.pack("<IQ", start, size)
    )
    assert len(entry) == 128
    return entry


# --------------------------------------------------------------------------- BIFF8 (.xls)

_XF_GENERAL, _XF_DATE, _XF_DATETIME = 0, 1, 2
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def _record(kind: int, data: bytes) -> bytes:
    return struct.pack("<HH", kind, len(data)) + data


def _bof(sheet_kind: int) -> bytes:
    return _record(0x0809, struct.pack("<HHHHII", 0x0600, sheet_kind, 0x0DBB, 0x07CC, 0, 6))


def build_xls(sheets: dict[str, Sequence[Sequence[CellSpec]]], *, password: bool = False) -> bytes:
    """A minimal BIFF8 .xls: globals (code page, three XF formats, sheet list, shared strings)
    and one substream per sheet with NUMBER, LABELSST and BOOLERR cells. Rows are 0-based in
    BIFF; `sheets` rows are written from the sheet's first row, `None` leaves a cell empty.
    `password=True` adds the FILEPASS record Excel writes for an encrypted workbook."""
    strings: list[str] = []
    string_index: dict[str, int] = {}
    substreams = []
    for rows in sheets.values():
        cells = []
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, bool):
                    data = struct.pack("<HHHBB", r, c, _XF_GENERAL, int(value), 0)
                    cells.append(_record(0x0205, data))
                elif isinstance(value, str):
                    if value not in string_index:
                        string_index[value] = len(strings)
                        strings.append(value)
                    data = struct.pack("<HHHI", r, c, _XF_GENERAL, string_index[value])
                    cells.append(_record(0x00FD, data))
                elif isinstance(value, dt.datetime):
                    serial = (value - _EXCEL_EPOCH) / dt.timedelta(days=1)
                    cells.append(_record(0x0203, struct.pack("<HHHd", r, c, _XF_DATETIME, serial)))
                elif isinstance(value, dt.date):
                    serial = float((value - _EXCEL_EPOCH.date()).days)
                    cells.append(_record(0x0203, struct.pack("<HHHd", r, c, _XF_DATE, serial)))
                else:
                    data = struct.pack("<HHHd", r, c, _XF_GENERAL, float(value))
                    cells.append(_record(0x0203, data))
        substreams.append(_bof(0x0010) + b"".join(cells) + _record(0x000A, b""))

    def globals_stream(positions: list[int]) -> bytes:
        parts = [_bof(0x0005)]
        if password:
            parts.append(_record(0x002F, struct.pack("<H", 1) + bytes(52)))
        parts.append(_record(0x0042, struct.pack("<H", 1200)))  # code page: UTF-16
        # General, m/d/yy, m/d/yy h:mm
        parts.extend(
            _record(0x00E0, struct.pack("<HH", 0, ifmt) + bytes(16)) for ifmt in (0, 14, 22)
        )
        for name, position in zip(sheets, positions, strict=True):
            encoded = name.encode("utf-16-le")
            data = struct.pack("<IBBBB", position, 0, 0, len(name), 1) + encoded
            parts.append(_record(0x0085, data))
        sst = struct.pack("<II", len(strings), len(strings))
        for text in strings:
            sst += struct.pack("<HB", len(text), 1) + text.encode("utf-16-le")
        parts.append(_record(0x00FC, sst))
        parts.append(_record(0x000A, b""))
        return b"".join(parts)

    size = len(globals_stream([0] * len(sheets)))
    positions = []
    for substream in substreams:
        positions.append(size)
        size += len(substream)
    workbook = globals_stream(positions) + b"".join(substreams)
    return build_cfb({"Workbook": workbook})


# --------------------------------------------------------------------------- OpenDocument

_ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"
_ODS_MANIFEST = f"""<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
 manifest:version="1.2">
<manifest:file-entry manifest:full-path="/" manifest:media-type="{_ODS_MIMETYPE}"/>
<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>"""


def _ods_cell(value: CellSpec) -> str:
    if value is None:
        return "<table:table-cell/>"
    if isinstance(value, bool):
        flag = "true" if value else "false"
        return (
            f'<table:table-cell office:value-type="boolean" office:boolean-value="{flag}">'
            f"<text:p>{flag.upper()}</text:p></table:table-cell>"
        )
    if isinstance(value, (dt.date, dt.datetime)):
        iso = value.isoformat()
        return (
            f'<table:table-cell office:value-type="date" office:date-value="{iso}">'
            f"<text:p>{iso}</text:p></table:table-cell>"
        )
    if isinstance(value, (int, float)):
        return (
            f'<table:table-cell office:value-type="float" office:value="{value!r}">'
            f"<text:p>{value}</text:p></table:table-cell>"
        )
    return (
        f'<table:table-cell office:value-type="string"><text:p>{escape(value)}</text:p>'
        "</table:table-cell>"
    )


def build_ods(sheets: dict[str, Sequence[Sequence[CellSpec] | int]]) -> bytes:
    """A minimal .ods. A row given as an int n is n empty rows written the way LibreOffice
    writes them: one row element with `table:number-rows-repeated`."""
    tables = []
    for name, rows in sheets.items():
        body = []
        for row in rows:
            if isinstance(row, int):
                body.append(
                    f'<table:table-row table:number-rows-repeated="{row}">'
                    '<table:table-cell table:number-columns-repeated="3"/></table:table-row>'
                )
            else:
                body.append(f"<table:table-row>{''.join(map(_ods_cell, row))}</table:table-row>")
        tables.append(f'<table:table table:name="{escape(name)}">{"".join(body)}</table:table>')
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        "<office:document-content"
        ' xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f"<office:body><office:spreadsheet>{''.join(tables)}</office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), _ODS_MIMETYPE)  # stored, first
        archive.writestr("META-INF/manifest.xml", _ODS_MANIFEST, zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


# --------------------------------------------------------------------------- zip editing


def rewrite_zip(source: Path, target: Path, edit: Callable[[str, bytes], bytes | None]) -> None:
    """Copy the zip `source` to `target`, passing each member through `edit(name, data)`;
    returning None drops the member."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = edit(info.filename, old.read(info.filename))
            if data is not None:
                new.writestr(info.filename, data)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def make_xls() -> Callable[..., bytes]:
    return build_xls


@pytest.fixture
def make_ods() -> Callable[..., bytes]:
    return build_ods


@pytest.fixture
def make_cfb() -> Callable[..., bytes]:
    return build_cfb


@pytest.fixture
def edit_zip() -> Callable[..., None]:
    return rewrite_zip
