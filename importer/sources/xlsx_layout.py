"""What calamine does not tell about an .xlsx sheet: which rows are hidden, which number
cells a format shows differently from their value (`00123` for 123 formatted `00000`), and
which formula cells no spreadsheet program has computed.

Why not openpyxl: it exposes these, but only in its full (not read-only) mode, which builds
a Python object per cell — tens of seconds and gigabytes on a 200,000-row sheet. The sheet's
XML says them plainly (`<row r="7" hidden="1">`, `<c r="B7" s="3">`, `<c><f>…</f></c>`), so
this module reads just that, **as XML**: a streaming expat parse of the sheet part, one call
per element start (plus element ends and text only when the sheet has formulas). XML, not
text patterns: a writer may quote attributes with `'`, put spaces around `=`, order or
prefix them (`<x:row>` under any namespace prefix), leave out `r` (then a row follows the one
before, a cell the cell before) — all the same layout, and a regular expression read some of
them wrong (hidden rows imported, `fullCalcOnLoad='1'` missed).

What it costs (`bench/workbook_layout.py`, old and new in the same run): a sheet whose XML
has neither `hidden`, a padded style nor a formula is not parsed at all (three byte searches);
otherwise every element is visited once, a few times slower than the patterns were.

Safe as defusedxml: an entity declaration or an external entity in the sheet stops the parse
(the layout is then empty; calamine refused such a workbook already), no DTD is fetched, and
the small parts (workbook, relationships, styles) are parsed with defusedxml itself. Zip bombs
were refused by `zipguard` before this module runs.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from posixpath import dirname, join, normpath
from typing import Any, NoReturn
from xml.parsers import expat

from defusedxml import ElementTree

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_PADDED = re.compile(r'^((?:"[^"]*"|\\.)*)(0+)((?:"[^"]*"|\\.)*)$')
"""A format that shows a whole number as digits padded with zeros, between literal texts."""
_FORMULA = re.compile(rb"<(?:[\w.-]+:)?f[\s/>]")
"""A formula element's start, under any prefix: a sheet without one has no formula cells."""
_TRUE = ("1", "true")
_SEP = " "
"""Between a namespace and a local name in expat's element names (neither holds a space)."""


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


class _Refused(ValueError):
    """The sheet declares entities: no spreadsheet program writes that."""


def sheet_layout(data: bytes, sheet_index: int) -> SheetLayout:
    """The layout of the sheet at `sheet_index` (in workbook order) of an .xlsx file; an
    empty layout when a part is missing or unreadable (the cells were read: only these
    extras are lost, and a damaged file was refused by calamine already)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            part, never_computed = _sheet_part(archive, sheet_index)
            if part is None:
                return SheetLayout()
            xml = archive.read(part)
            padded = _padded_styles(archive)
        formulas = _FORMULA.search(xml) is not None
        if not padded and not formulas and b"hidden" not in xml:
            return SheetLayout()  # nothing to find: not parsed at all
        return _Scan(padded, formulas, never_computed).parse(xml)
    except (KeyError, zipfile.BadZipFile, OSError, ValueError, ElementTree.ParseError):
        return SheetLayout()
    except expat.ExpatError:
        return SheetLayout()


class _Scan:
    """One pass over a sheet's XML (see the module docstring): expat calls `start` for each
    element — and, in a sheet with formulas, `end` and `text` — named by its namespace and
    local name (any prefix the writer chose resolves to the same namespace).

    Kept cheap per element, since a 200,000-row sheet has a million of them: each element
    name is resolved to its local name once (`_local`), a sheet that needs only its hidden
    rows looks at row elements alone, and a cell's column is worked out only for the cells
    that need one (a padded style, a formula) — from the last `r` seen and the cells since."""

    def __init__(self, padded: dict[int, str], formulas: bool, never_computed: bool) -> None:
        self.layout = SheetLayout()
        self._padded = {str(index): code for index, code in padded.items()}
        self._cells = bool(padded) or formulas
        self._formulas = formulas
        self._never_computed = never_computed
        self._names: dict[str, str] = {}
        self._columns: dict[str, int] = {}
        self._row = 0
        self._reference: str | None = None
        self._after = -1
        self._formula = False
        self._value: list[str] | None = None
        self._in_value = False

    def parse(self, xml: bytes) -> SheetLayout:
        parser = expat.ParserCreate(namespace_separator=_SEP)
        parser.StartElementHandler = self._start if self._cells else self._start_row
        if self._formulas:
            parser.EndElementHandler = self._end
            parser.CharacterDataHandler = self._text
        parser.EntityDeclHandler = _refuse
        parser.UnparsedEntityDeclHandler = _refuse
        parser.ExternalEntityRefHandler = _refuse
        parser.Parse(xml, True)
        return self.layout

    def _local(self, name: str) -> str:
        local = self._names.get(name)
        if local is None:
            local = self._names[name] = name[name.rfind(_SEP) + 1 :]
        return local

    def _start_row(self, name: str, attributes: dict[str, str]) -> None:
        if self._local(name) == "row":
            number = attributes.get("r")
            self._row = int(number) if number else self._row + 1
            if attributes.get("hidden") in _TRUE:
                self.layout.hidden_rows.append(self._row)

    def _start(self, name: str, attributes: dict[str, str]) -> None:
        local = self._local(name)
        if local == "c":
            reference = attributes.get("r")
            if reference:
                self._reference, self._after = reference, 0
            else:
                self._after += 1
            style = attributes.get("s")
            if style is not None and style in self._padded:
                self.layout.formats[(self._row, self._column())] = self._padded[style]
            self._formula, self._value = False, None
        elif local == "row":
            self._start_row(name, attributes)
            self._reference, self._after = None, -1
        elif local == "f":
            self._formula = True
        elif local == "v":
            self._value, self._in_value = [], True

    def _column(self) -> int:
        """The current cell's 0-based column: its `r`, or the cells since the last one."""
        if self._reference is None:
            return self._after
        letters = self._reference.rstrip("0123456789")
        column = self._columns.get(letters)
        if column is None:
            column = self._columns[letters] = _column_index(letters)
        return column + self._after

    def _end(self, name: str) -> None:
        local = self._local(name)
        if local == "v":
            self._in_value = False
        elif local == "c" and self._formula:
            value = None if self._value is None else "".join(self._value).strip()
            if value is None or (self._never_computed and value in ("", "0", "0.0")):
                self.layout.uncomputed.add((self._row, self._column()))

    def _text(self, text: str) -> None:
        if self._in_value and self._value is not None:
            self._value.append(text)


def _refuse(*_args: Any) -> NoReturn:
    raise _Refused("entity declarations are not read")


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


def _sheet_part(archive: zipfile.ZipFile, index: int) -> tuple[str | None, bool]:
    """The sheet's part name, and whether the workbook asks to be computed on opening
    (`<calcPr fullCalcOnLoad="1">`, however quoted)."""
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    calc = workbook.find(f"{_MAIN}calcPr")
    never_computed = calc is not None and calc.get("fullCalcOnLoad") in _TRUE
    sheets = workbook.findall(f"{_MAIN}sheets/{_MAIN}sheet")
    if not 0 <= index < len(sheets):
        return None, never_computed
    rel_id = sheets[index].get(f"{_REL}id")
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    for rel in rels.findall(f"{_PKG_REL}Relationship"):
        if rel.get("Id") == rel_id:
            target = rel.get("Target") or ""
            if target.startswith("/"):
                return target.lstrip("/"), never_computed
            return normpath(join(dirname("xl/workbook.xml"), target)), never_computed
    return None, never_computed


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
