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
from importer.refusal import Refusal
from importer.sources import zipguard
from importer.sources.model import Format

ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

PASSWORD = Refusal("password")

# OLE2 directory entries store names in UTF-16LE; Office's encrypted-package wrapper has these.
_ENCRYPTED_STREAM_NAMES = (
    "EncryptedPackage".encode("utf-16-le"),
    "EncryptionInfo".encode("utf-16-le"),
)

# Signatures of files people attach by mistake, so the message can say what the file is
# (`refusal.what_<name>`).
_BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "pdf"),
    (b"\x89PNG", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF8", "gif"),
    (b"\x1f\x8b", "gzip"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"Rar!", "rar"),
)

_TEXT_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_SNIFF_BYTES = 8192


def detect_format(data: bytes, file: str) -> Format:
    """Return the format of `data` or raise FileRejected for anything that is not a table."""
    head = data[:_SNIFF_BYTES]
    if head.startswith(ZIP_MAGIC):
        return _zip_format(data, file)
    if head.startswith(EMPTY_ZIP_MAGIC):
        raise FileRejected(file, Refusal("empty_zip"))
    if head.startswith(OLE2_MAGIC):
        if any(name in data for name in _ENCRYPTED_STREAM_NAMES):
            raise FileRejected(file, PASSWORD)
        return "xls"
    for signature, what in _BINARY_SIGNATURES:
        if head.startswith(signature):
            raise FileRejected(file, Refusal("looks_like", what=what))
    # Binary formats are full of NUL bytes; text has none, except UTF-16, which has a mark.
    if b"\x00" in head and not head.startswith(_TEXT_BOMS):
        raise FileRejected(file, Refusal("not_a_table"))
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
            raise FileRejected(file, Refusal("open_document"))
        if "xl/workbook.bin" in names:
            raise FileRejected(file, Refusal("xlsb"))
        if any(name.startswith("xl/") for name in names):
            return "xlsx"
        if "[Content_Types].xml" in names:
            raise FileRejected(file, Refusal("office_document"))
        raise FileRejected(file, Refusal("zip_archive"))
