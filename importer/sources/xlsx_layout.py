"""What calamine does not tell about an .xlsx sheet: which rows are hidden, and which number
cells a format shows differently from their value (`00123` for 123 formatted `00000`).

Why not openpyxl: it exposes both, but only in its full (not read-only) mode, which builds a
Python object per cell — tens of seconds and gigabytes on a 200,000-row sheet. The sheet's
XML says both plainly (`<row r="7" hidden="1">`, `<c r="B7" s="3">`), so this module reads
just that, with C-level regular expressions over the decompressed part:

- hidden rows: one scan for `<row …hidden="1"…>` tags (cheap: row tags only);
- number formats: only when the workbook's styles define a format that shows a whole
  number with leading zeros or literal text (`00000`, `"F-"0000`) — rare, so most workbooks
  never pay for the cell scan.

The small XML parts (workbook, relationships, styles) are parsed with defusedxml. Zip bombs
were refused by `zipguard` before this module runs; regular expressions expand no entities.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from posixpath import dirname, join, normpath

from defusedxml import ElementTree

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_HIDDEN = re.compile(rb' hidden="(?:1|true)"')
_TAG = re.compile(rb"<(?:\w+:)?(\w+)")
_ROW_NUMBER = re.compile(rb'\br="([0-9]+)"')
_CELL_NAME = re.compile(rb'\br="([A-Z]+)([0-9]+)"')
_PADDED = re.compile(r'^((?:"[^"]*"|\\.)*)(0+)((?:"[^"]*"|\\.)*)$')
"""A format that shows a whole number as digits padded with zeros, between literal texts."""


@dataclass(slots=True)
class SheetLayout:
    hidden_rows: list[int] = field(default_factory=list)
    """Spreadsheet row numbers (1-based) of the hidden rows."""
    formats: dict[tuple[int, int], str] = field(default_factory=dict)
    """(row number, 0-based column) -> the padded format of a number cell, e.g. `00000`."""
    uncomputed: set[tuple[int, int]] = field(default_factory=set)
    """(row number, 0-based column) of formula cells no spreadsheet program has computed:
    no cached value (openpyxl), or a workbook that asks to be computed on opening
    (`fullCalcOnLoad`, XlsxWriter, which caches 0). calamine reads them as empty or 0."""


def sheet_layout(data: bytes, sheet_index: int) -> SheetLayout:
    """The layout of the sheet at `sheet_index` (in workbook order) of an .xlsx file; an
    empty layout when a part is missing or unreadable (the cells were read: only these
    extras are lost, and a damaged file was refused by calamine already)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            part = _sheet_part(archive, sheet_index)
            if part is None:
                return SheetLayout()
            xml = archive.read(part)
            padded = _padded_styles(archive)
            names = archive.namelist()
            workbook = archive.read("xl/workbook.xml") if "xl/workbook.xml" in names else b""
            never_computed = b'fullCalcOnLoad="1"' in workbook
    except (KeyError, zipfile.BadZipFile, OSError, ValueError, ElementTree.ParseError):
        return SheetLayout()
    layout = SheetLayout()
    for tag, _ in _tags_with(_HIDDEN, xml):
        name = _TAG.match(tag)
        number = _ROW_NUMBER.search(tag)
        if name is not None and name.group(1) == b"row" and number is not None:
            layout.hidden_rows.append(int(number.group(1)))
    if padded:
        layout.formats = _padded_cells(xml, padded)
    if b"<f" in xml:
        layout.uncomputed = _uncomputed_cells(xml, never_computed=never_computed)
    return layout


_FORMULA_CELL = re.compile(
    rb'<c\b[^>]*?\br="([A-Z]+)([0-9]+)"[^>]*?(?<!/)>\s*<f\b[^>]*?(?:/>|>[^<]*</f>)'
    rb"\s*(<v>([^<]*)</v>|<v\s*/>)?"
)


def _uncomputed_cells(xml: bytes, *, never_computed: bool) -> set[tuple[int, int]]:
    """(row, column) of formula cells without a computed value: no `<v>` at all, or — in a
    workbook asking to be computed on opening (`fullCalcOnLoad`, as XlsxWriter and openpyxl
    write it) — an empty `<v>` or one of 0 (what XlsxWriter caches). An empty `<v>` in a
    workbook Excel saved is a formula that computed to "" and stays as it is."""
    found: set[tuple[int, int]] = set()
    for letters, row, tag, value in _FORMULA_CELL.findall(xml):
        if not tag or (never_computed and value.strip() in (b"", b"0", b"0.0")):
            found.add((int(row), _column_index(letters.decode())))
    return found


def _padded_cells(xml: bytes, padded: dict[int, str]) -> dict[tuple[int, int], str]:
    """(row, column) -> format of the cells styled with a padded format. Excel and openpyxl
    write `<c r="B7" s="3"`: one pattern with that literal start finds them all; a writer
    that orders or prefixes attributes otherwise is handled tag by tag."""
    styles = b"|".join(str(index).encode() for index in padded)
    columns: dict[bytes, int] = {}
    found: dict[tuple[int, int], str] = {}
    fast = re.compile(rb'<c r="([A-Z]+)([0-9]+)" s="(' + styles + rb')"')
    for letters, row, style in fast.findall(xml):
        column = columns.get(letters)
        if column is None:
            column = columns[letters] = _column_index(letters.decode())
        found[(int(row), column)] = padded[int(style)]
    if found:
        return found
    for tag, style_match in _tags_with(re.compile(rb' s="(' + styles + rb')"'), xml):
        name, cell = _TAG.match(tag), _CELL_NAME.search(tag)
        if name is None or name.group(1) != b"c" or cell is None:
            continue
        where = (int(cell.group(2)), _column_index(cell.group(1).decode()))
        found[where] = padded[int(style_match.group(1))]
    return found


def _tags_with(attribute: re.Pattern[bytes], xml: bytes) -> list[tuple[bytes, re.Match[bytes]]]:
    """The opening tags holding `attribute`, each with the attribute's match.

    The attribute is searched for as (almost) literal text, which the regular expression
    engine scans for fast; only the hits look back for their tag's start. A 200,000-row
    sheet holds a million tags, and a pattern starting at every `<` took seconds."""
    tags: list[tuple[bytes, re.Match[bytes]]] = []
    for match in attribute.finditer(xml):
        start = xml.rfind(b"<", 0, match.start())
        end = xml.find(b">", match.end())
        if start >= 0 and end >= 0:
            tags.append((xml[start : end + 1], match))
    return tags


def show(value: float, code: str) -> str | None:
    """The text Excel shows for the whole number `value` under the padded format `code`;
    None when the format does not apply (a fraction, a negative number)."""
    parts = _parts(code)
    if parts is None or value < 0 or not float(value).is_integer():
        return None
    prefix, width, suffix = parts
    return prefix + str(int(value)).rjust(width, "0") + suffix


@lru_cache(maxsize=64)
def _parts(code: str) -> tuple[str, int, str] | None:
    """(literal before, digits, literal after) of a padded format; a sheet has few formats
    and many cells, so each is parsed once."""
    match = _PADDED.match(code)
    if match is None:
        return None
    return _literal(match.group(1)), len(match.group(2)), _literal(match.group(3))


def _literal(text: str) -> str:
    return re.sub(r'"([^"]*)"|\\(.)', lambda m: m.group(1) or m.group(2) or "", text)


def _sheet_part(archive: zipfile.ZipFile, index: int) -> str | None:
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    sheets = workbook.findall(f"{_MAIN}sheets/{_MAIN}sheet")
    if not 0 <= index < len(sheets):
        return None
    rel_id = sheets[index].get(f"{_REL}id")
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    for rel in rels.findall(f"{_PKG_REL}Relationship"):
        if rel.get("Id") == rel_id:
            target = rel.get("Target") or ""
            if target.startswith("/"):
                return target.lstrip("/")
            return normpath(join(dirname("xl/workbook.xml"), target))
    return None


def _padded_styles(archive: zipfile.ZipFile) -> dict[int, str]:
    """Cell style index -> format code, for the styles whose format pads whole numbers."""
    try:
        styles = ElementTree.fromstring(archive.read("xl/styles.xml"))
    except KeyError:
        return {}
    codes = {
        int(fmt.get("numFmtId") or -1): fmt.get("formatCode") or ""
        for fmt in styles.findall(f"{_MAIN}numFmts/{_MAIN}numFmt")
    }
    padded: dict[int, str] = {}
    for index, xf in enumerate(styles.findall(f"{_MAIN}cellXfs/{_MAIN}xf")):
        code = codes.get(int(xf.get("numFmtId") or 0), "")
        match = _PADDED.match(code)
        if match and (len(match.group(2)) > 1 or match.group(1) or match.group(3)):
            padded[index] = code
    return padded


def _column_index(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number - 1
