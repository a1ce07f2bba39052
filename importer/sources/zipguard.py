"""Refuse zip bombs before any part of a zip-based workbook (.xlsx, .ods) is decompressed.

An .xlsx or .ods file is a zip archive. A hostile or broken one can declare gigabytes of XML
packed into kilobytes, or millions of members; decompressing it would exhaust memory or time
in a nightly run that nobody watches. So only the archive's directory is read here (the end
record and the central directory, never a member's content) and the file is refused when:

- it has more than `MAX_MEMBERS` members (a real workbook has a few dozen);
- the declared uncompressed sizes add up to more than `MAX_TOTAL_UNCOMPRESSED`;
- a member larger than `RATIO_MIN_SIZE` is compressed more than `MAX_RATIO` times (spreadsheet
  XML compresses about 5-20 times; 200 leaves ample room for very repetitive sheets).

The declared sizes can be trusted as a bound: the zip reader inside python-calamine stops with
an error when a member inflates beyond its declared size (tests/sources/test_zipguard.py
checks this with a member that lies about its size), and Python's `zipfile` does the same.
"""

from __future__ import annotations

import io
import struct
import zipfile

from importer.errors import FileRejected
from importer.refusal import Refusal

MAX_MEMBERS = 10_000
MAX_TOTAL_UNCOMPRESSED = 1 << 30  # 1 GiB
MAX_RATIO = 200
RATIO_MIN_SIZE = 1 << 20  # 1 MiB: tiny members (e.g. a run of empty XML) may compress better

DAMAGED = Refusal("damaged")

_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_EOCD = b"PK\x06\x06"


def open_checked(data: bytes, file: str) -> zipfile.ZipFile:
    """Open `data` as a zip archive after checking it is not a zip bomb.

    Raises FileRejected when the archive is damaged or exceeds a limit. The member count is
    read from the end record first, because `zipfile` builds one object per member and a
    directory of millions of members would itself cost seconds and hundreds of megabytes.
    """
    declared = _declared_member_count(data)
    if declared is not None and declared > MAX_MEMBERS:
        raise FileRejected(file, _too_many(declared))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as exc:
        raise FileRejected(file, DAMAGED) from exc
    try:
        check_limits(archive.infolist(), file)
    except FileRejected:
        archive.close()
        raise
    return archive


def check_limits(members: list[zipfile.ZipInfo], file: str) -> None:
    """Apply the member-count, total-size and compression-ratio limits to a zip directory."""
    if len(members) > MAX_MEMBERS:
        raise FileRejected(file, _too_many(len(members)))
    total = 0
    for info in members:
        size = info.file_size
        if size > RATIO_MIN_SIZE and size > MAX_RATIO * max(info.compress_size, 1):
            raise FileRejected(
                file,
                Refusal(
                    "zip_ratio",
                    part=info.filename,
                    packed=info.compress_size,
                    expanded=size,
                    ratio=MAX_RATIO,
                ),
            )
        total += size
        if total > MAX_TOTAL_UNCOMPRESSED:
            raise FileRejected(file, Refusal("zip_size"))


def _too_many(count: int) -> Refusal:
    return Refusal("zip_parts", parts=count, most=MAX_MEMBERS)


def _declared_member_count(data: bytes) -> int | None:
    """The member count from the zip's end record (or its zip64 variant), None if unreadable.

    Unreadable is not decided here: `zipfile` then reports the archive as damaged.
    """
    end = data.rfind(_EOCD, max(0, len(data) - (1 << 16) - 22))
    if end < 0 or end + 22 > len(data):
        return None
    count: int = struct.unpack_from("<H", data, end + 10)[0]
    if count != 0xFFFF:
        return count
    locator = end - 20
    if locator < 0 or data[locator : locator + 4] != _ZIP64_LOCATOR:
        return count
    offset: int = struct.unpack_from("<Q", data, locator + 8)[0]
    if offset + 56 > len(data) or data[offset : offset + 4] != _ZIP64_EOCD:
        return None
    count64: int = struct.unpack_from("<Q", data, offset + 32)[0]
    return count64
