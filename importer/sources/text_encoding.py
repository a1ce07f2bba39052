"""Decoding a text file's bytes the way creditors' systems and Excel really write them.

Encoding, when not pinned by the caller, is decided from the bytes, in this order:

1. a UTF-8 byte-order mark → `utf-8-sig`; a UTF-16 one (LE or BE, Excel's "Unicode text")
   → `utf-16`;
2. strict UTF-8 (plain ASCII is UTF-8 too);
3. strict Windows-1252, the code page Swedish Windows exports use. Strict matters: cp1252
   leaves 0x81 0x8D 0x8F 0x90 0x9D undefined, so bytes that fit none of these encodings
   reject the file instead of being silently read in a code page nobody meant. Latin-1 is
   never tried because it accepts every byte and would hide exactly that.

A file whose bytes are mostly UTF-8 but contain a stray Windows-1252 byte (two exports
concatenated, a hand edit) would decode as Windows-1252 and turn every "å" into "Ã¥"; that
mix is recognised and rejected rather than mangling the names in it.
"""

from __future__ import annotations

import codecs
import re

from importer.errors import FileRejected
from importer.refusal import Refusal

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# UTF-8 encodings of Å Ä Ö å ä ö É é Ü ü. Read as Windows-1252 they are "Ã" plus a symbol,
# which Swedish text never contains; in a file that is not valid UTF-8 they betray a mix.
_UTF8_NORDIC = re.compile(rb"\xc3[\x85\x84\x96\xa5\xa4\xb6\x89\xa9\x9c\xbc]")


def decode(data: bytes, file: str, encoding: str | None = None) -> tuple[str, str]:
    """Return (text, codec actually used). See the module docstring for the order."""
    if encoding is not None:
        return _decode_pinned(data, file, encoding)
    if data.startswith(codecs.BOM_UTF8):
        return _decode_strict(data, file, "utf-8-sig", "UTF-8"), "utf-8-sig"
    if data.startswith(_UTF16_BOMS):
        return _decode_strict(data, file, "utf-16", "UTF-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as utf8_error:
        bad = utf8_error.start
    if _UTF8_NORDIC.search(data):
        raise FileRejected(
            file,
            Refusal("mixed_encodings", line=line_of_bytes(data, bad), byte=f"{data[bad]:02X}"),
        )
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as error:
        line = line_of_bytes(data, error.start)
        raise FileRejected(
            file, Refusal("undecodable", byte=f"{data[error.start]:02X}", line=line)
        ) from error


def _decode_pinned(data: bytes, file: str, encoding: str) -> tuple[str, str]:
    try:
        codec = codecs.lookup(encoding).name
    except LookupError as exc:
        raise FileRejected(file, Refusal("unknown_encoding", encoding=encoding)) from exc
    if codec == "utf-8" and data.startswith(codecs.BOM_UTF8):
        codec = "utf-8-sig"  # the mark is not part of the first header cell
    text = _decode_strict(data, file, codec, encoding)
    if text.startswith("\ufeff"):
        text = text[1:]
    return text, codec


def _decode_strict(data: bytes, file: str, codec: str, label: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as error:
        valid = data[: error.start].decode(codec, errors="replace")
        byte, line = f"{data[error.start]:02X}", line_of(valid, len(valid))
        raise FileRejected(
            file, Refusal("not_valid_text", encoding=label, byte=byte, line=line)
        ) from error


def line_of(text: str, pos: int) -> int:
    """Line number (1-based) of character `pos`, for LF, CRLF and old-Mac CR files alike."""
    breaks = text.count("\n", 0, pos) or text.count("\r", 0, pos)
    return breaks + 1


def line_of_bytes(data: bytes, pos: int) -> int:
    breaks = data.count(b"\n", 0, pos) or data.count(b"\r", 0, pos)
    return breaks + 1
