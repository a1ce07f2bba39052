"""Tell a file's format from its content, not its name.

Creditors' systems name files carelessly: CSV saved as `.xls`, workbooks without extension,
`.txt` exports. The first bytes are what counts:

- `PK\\x03\\x04` is a zip archive: an .xlsx (has `xl/` parts) or an .ods (its `mimetype`
  member says so). The zip guard runs before anything inside it is read.
- `D0 CF 11 E0 A1 B1 1A E1` is an OLE2 compound file: an .xls, or an .xlsx encrypted with a
  password (Office wraps those in OLE2 with an `EncryptedPackage` stream).
- anything else is text, and so CSV, unless it carries a known binary signature or has NUL
  bytes in its first 8 KB without a UTF-16 byte-order mark.
"""

from __future__ import annotations

import codecs
import zipfile

from importer.errors import FileRejected
from importer.sources import zipguard
from importer.sources.model import Format

ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

NOT_A_TABLE = "not a CSV or Excel file"
PASSWORD = "the workbook is protected with a password; save it without a password and retry"

# OLE2 directory entries store names in UTF-16LE; Office's encrypted-package wrapper has these.
_ENCRYPTED_STREAM_NAMES = (
    "EncryptedPackage".encode("utf-16-le"),
    "EncryptionInfo".encode("utf-16-le"),
)

# Signatures of files people attach by mistake, so the message can say what the file is.
_BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
)

_TEXT_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_SNIFF_BYTES = 8192


def detect_format(data: bytes, file: str) -> Format:
    """Return the format of `data` or raise FileRejected for anything that is not a table."""
    head = data[:_SNIFF_BYTES]
    if head.startswith(ZIP_MAGIC):
        return _zip_format(data, file)
    if head.startswith(EMPTY_ZIP_MAGIC):
        raise FileRejected(file, f"{NOT_A_TABLE} (it is an empty zip archive)")
    if head.startswith(OLE2_MAGIC):
        if any(name in data for name in _ENCRYPTED_STREAM_NAMES):
            raise FileRejected(file, PASSWORD)
        return "xls"
    for signature, what in _BINARY_SIGNATURES:
        if head.startswith(signature):
            raise FileRejected(file, f"{NOT_A_TABLE} (it looks like {what})")
    # Binary formats are full of NUL bytes; text has none, except UTF-16, which has a mark.
    if b"\x00" in head and not head.startswith(_TEXT_BOMS):
        raise FileRejected(file, NOT_A_TABLE)
    return "csv"


def _zip_format(data: bytes, file: str) -> Format:
    with zipguard.open_checked(data, file) as archive:
        names = set(archive.namelist())
        if "mimetype" in names:
            try:
                with archive.open("mimetype") as member:
                    mimetype = member.read(100)
            except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError) as exc:
                raise FileRejected(file, zipguard.DAMAGED) from exc
            if mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
                return "ods"
            raise FileRejected(
                file, f"{NOT_A_TABLE} (it is an OpenDocument file, but not a spreadsheet)"
            )
        if "xl/workbook.bin" in names:
            raise FileRejected(
                file,
                "Excel binary workbooks (.xlsb) are not supported; "
                "save the file as .xlsx or CSV and retry",
            )
        if any(name.startswith("xl/") for name in names):
            return "xlsx"
        if "[Content_Types].xml" in names:
            raise FileRejected(
                file, f"{NOT_A_TABLE} (it is an Office document, but not an Excel workbook)"
            )
        raise FileRejected(file, f"{NOT_A_TABLE} (it is a zip archive)")
