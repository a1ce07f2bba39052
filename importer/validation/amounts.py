"""Money: amount cells (text or spreadsheet numbers) → exact `Decimal` kronor with öre precision.

Why a module of its own: amounts are where a misread costs real money (a thousands separator
read as a decimal point credits a thousandth of the sum, or a thousand times it), so every
ambiguity rule lives here, in one place, with its reason. Floats never take part in money
arithmetic: text goes straight to `Decimal`; a spreadsheet's binary float is converted exactly
(`Decimal(float)`) and then snapped to öre only when it provably *is* an öre amount.

**Accepted text** (surrounding whitespace ignored):

- digits with an optional decimal part: `1234`, `1234.5`, `1234,50`, `.50`, `12.`;
- thousands grouping with space, no-break space (U+00A0), narrow no-break space (U+202F),
  apostrophe (`'` or `’`), or the separator that is *not* the file's decimal separator:
  `1 234,50`, `1.234,56`, `1,234.56`, `1'234.56`. Groups must be well-formed (1-3 digits, then
  groups of exactly 3); one grouping character per amount;
- one optional sign: leading `+`, `-` or `−` (U+2212), or a trailing `-` (`1.234,56-`, the
  form SAP-style exports use for credit notes);
- an optional currency marker `SEK` or `kr`/`kr.` before or after the number (any case).
  The marker only says "kronor": any other text (`EUR`, `$`) makes the amount not a number.

**The decimal separator** is one per file: `.` or `,`, configured (`input.decimal_separator`)
or detected by `detect_decimal_separator` from all the file's amount cells. See that function
for the evidence rules. The other of `.`/`,` can then only be a thousands separator, so a
`12,345` in a decimal-comma file is 12.345 (rejected: more than two decimals) and a `1,234` in a
decimal-dot file is 1234.

**Ambiguity guard**: when detection found no evidence at all (every amount is an integer or
looks like `1,234` / `1.234`), an amount of the form `1,234` or `1.234` could be a thousand or
a kronor-and-öre-with-three-decimals; it is rejected as `amount_ambiguous` instead of guessed.
Guessing wrong here would credit 1000x too much or too little.

**Spreadsheet numbers**: ints are exact. A float is the öre amount `q` (its value rounded to
öre) when it lies within 1e-9 of `q` (spreadsheet arithmetic artefacts such as
0.30000000000000004), or within two steps of the float grid (ulps) of the double nearest `q`
(large amounts, where one step exceeds 1e-9). The comparisons are done in Decimal on the
floats' exact binary values.
Anything else (12.345) has more than two decimals. NaN and infinities are not numbers.

**Checks, in this order**: not a number → more than two decimals (the text `12.300` counts as
three decimals too: a decimal-comma file's `1,500` might be a thousand-and-five-hundred typed
with the other convention, so trailing zeros do not excuse it) → negative (unless
`negative_amounts="absolute"`, which takes the absolute value: credit-note exports often sign
credits) → zero → above the maximum. Accepted amounts are returned with exactly two decimals
(`Decimal("1234.50")`), so `str(amount)` is the report's money text.

**Whole columns** that need none of these rules (plain or thousands-grouped text, positive,
within the maximum) are read at once by `validation.fast_amounts`, pinned to `parse` by
property tests; `parse_column` tries it first.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Literal

from importer.errors import excerpt
from importer.validation.fast_amounts import CENT, SPACE_GROUPING, grouped_amounts, plain_amounts
from importer.validation.problems import CellProblem

#: A spreadsheet float this close to an öre amount is that amount (binary-float artefacts).
FLOAT_TOLERANCE = Decimal("1e-9")


# Sign and currency around the number; the number itself is checked by `_split_number`.
_ENVELOPE = re.compile(
    r"""^(?P<lead>[-+\u2212])?\s*
        (?:(?:sek|kr)\s*)?
        (?P<lead2>[-+\u2212])?\s*
        (?P<num>[^\s+\-\u2212].*?)
        \s*(?P<trail>[-\u2212])?
        \s*(?:sek|kr\.?)?
        \s*$""",
    re.IGNORECASE | re.VERBOSE | re.DOTALL,
)


_EMPTY = "Amount is empty; every row needs the amount to credit."


_AMBIGUOUS = re.compile(r"[1-9][0-9]{0,2}[.,][0-9]{3}")


# A plain text cell (0-2 decimals) skips the full rules in `parse_column`'s cell-by-cell pass.
_PLAIN_CELL = {
    ".": re.compile(r"[0-9]{1,13}(?:\.[0-9]{1,2})?"),
    ",": re.compile(r"[0-9]{1,13}(?:,[0-9]{1,2})?"),
}


NegativeAmounts = Literal["reject", "absolute"]
"""`input.negative_amounts`: a negative amount refused, or read as its absolute value."""


class AmountParser:
    """Parses the amount cells of one file under that file's conventions.

    `separator` is the file's decimal separator; `ambiguity_guard` rejects `1,234`-like cells
    (set it when the separator was *guessed* without evidence). `max_amount` is inclusive.
    """

    def __init__(
        self,
        separator: Literal[".", ","],
        *,
        max_amount: Decimal,
        negative_amounts: NegativeAmounts = "reject",
        ambiguity_guard: bool = False,
        checks: bool = True,
    ) -> None:
        if separator not in (".", ","):
            raise ValueError(f"decimal separator must be '.' or ',', not {separator!r}")
        self.separator = separator
        self.max_amount = max_amount
        self.absolute = negative_amounts == "absolute"
        self.ambiguity_guard = ambiguity_guard
        self.checks = checks
        """False: a number is taken as the cell shows it, negative, zero or above the
        maximum (`read`, for the report's control totals); with `negative_amounts`
        "absolute", a negative one as the amount it would be sent as."""
        self._grouping = ("," if separator == "." else ".") + SPACE_GROUPING

    # ---------------------------------------------------------------- whole column

    def parse_column(
        self, cells: Sequence[object]
    ) -> tuple[list[Decimal | None], dict[int, CellProblem]]:
        """Parse a file's amount column: values (None where invalid) and errors by index.

        Tries `plain_amounts` first (the whole column in a few C-level passes) and parses
        cell by cell only when some cell needs the full rules or has an error to word."""
        plain = plain_amounts(cells, self.separator, self.max_amount)
        if plain is None and cells and not self.ambiguity_guard:
            plain = grouped_amounts(cells, self.separator, self.max_amount)
        if plain is not None:
            return plain, {}  # type: ignore[return-value]  # list[Decimal] fits
        # Some cell is unusual: go cell by cell, but let plain text cells skip the full rules
        # (a file with a few bad amounts should not parse every good one the slow way).
        plain_cell = _PLAIN_CELL[self.separator].fullmatch
        comma = self.separator == ","
        lowest, highest = CENT, self.max_amount
        values: list[Decimal | None] = []
        errors: dict[int, CellProblem] = {}
        for index, cell in enumerate(cells):
            if cell.__class__ is str and plain_cell(cell):
                value = Decimal(cell.replace(",", ".") if comma else cell)
                if lowest <= value <= highest:
                    values.append(
                        value if value.as_tuple().exponent == -2 else value.quantize(CENT)
                    )
                    continue
            try:
                values.append(self.parse(cell))
            except CellProblem as exc:
                values.append(None)
                # Kept without its traceback: that would keep the parser's frames alive,
                # about 3 KB per bad cell (600 MB for a 200,000-row file of bad amounts).
                errors[index] = exc.with_traceback(None)
        return values, errors

    # ---------------------------------------------------------------- one cell

    def parse(self, cell: object) -> Decimal:
        """One amount cell → a positive Decimal with exactly two decimals, or CellProblem."""
        if cell is None:
            raise CellProblem("amount_missing", _EMPTY)
        if isinstance(cell, str):
            return self._parse_text(cell)
        if isinstance(cell, bool):  # bool is an int subclass: a TRUE cell is not 1 krona
            raise _not_a_number(str(cell).upper())
        if isinstance(cell, int):
            return self._check(Decimal(cell), str(cell))
        if isinstance(cell, float):
            return self._check(self._from_float(cell), plain_float(cell))
        if isinstance(cell, Decimal):
            if not cell.is_finite():
                raise _not_a_number(str(cell))
            if abs(cell) < 10**15 and cell != cell.quantize(CENT):
                raise _too_many_decimals(str(cell))
            return self._check(cell, str(cell))
        raise CellProblem(
            "amount_not_a_number",
            f"Amount cell holds {type(cell).__name__} {cell}, not a number.",
        )

    def _parse_text(self, cell: str) -> Decimal:
        text = cell.strip()
        if not text:
            raise CellProblem("amount_missing", _EMPTY)
        envelope = _ENVELOPE.match(text)
        if envelope is None:
            raise _not_a_number(text)
        signs = [s for s in envelope.group("lead", "lead2", "trail") if s]
        if len(signs) > 1:
            raise _not_a_number(text)
        negative = bool(signs) and signs[0] != "+"
        whole, fraction = self._split_number(envelope.group("num"), text)
        if len(fraction) > 2:
            raise _too_many_decimals(text)
        value = Decimal(f"{whole or '0'}.{fraction or '0'}")
        return self._check(-value if negative else value, text)

    def _split_number(self, number: str, shown: str) -> tuple[str, str]:
        """`number` (no sign, no currency) → (integer digits, fraction digits), ASCII only."""
        if self.ambiguity_guard and _AMBIGUOUS.fullmatch(number):
            thousands, decimals = number.replace(",", "").replace(".", ""), number.replace(",", ".")
            raise CellProblem(
                "amount_ambiguous",
                f"Amount {shown} is ambiguous: it could mean {thousands} or {decimals} — "
                "nothing else in the file shows which "
                "decimal separator it uses. Write it without a thousands separator, or set "
                "input.decimal_separator in the configuration.",
            )
        whole, has_fraction, fraction = number.rpartition(self.separator)
        if not has_fraction:
            whole, fraction = number, ""
        if not (fraction == "" or _is_digits(fraction)):
            raise _not_a_number(shown, self.separator)
        if _is_digits(whole) or (whole == "" and fraction):
            return whole, fraction
        if whole == "" or self.separator in whole:
            raise _not_a_number(shown, self.separator)
        grouping = {ch for ch in whole if not ("0" <= ch <= "9")}
        if len(grouping) != 1 or not grouping <= set(self._grouping):
            raise _not_a_number(shown, self.separator)
        groups = whole.split(grouping.pop())
        head, tail = groups[0], groups[1:]
        if not (
            _is_digits(head)
            and len(head) <= 3
            and head[0] != "0"
            and all(len(g) == 3 and _is_digits(g) for g in tail)
        ):
            raise _not_a_number(shown, self.separator)
        return "".join(groups), fraction

    def _from_float(self, number: float) -> Decimal:
        if not math.isfinite(number):
            raise _not_a_number(plain_float(number))
        exact = Decimal(number)  # exact binary value: no rounding has happened yet
        if abs(number) >= 2.0**53:  # integral, and far beyond any maximum: _check says so
            return exact
        snapped = exact.quantize(CENT)
        if abs(exact - snapped) <= FLOAT_TOLERANCE:
            return snapped
        # For large amounts one step of the float grid (ulp) exceeds 1e-9; arithmetic in the
        # spreadsheet may have moved the value a step or two off the double nearest `snapped`.
        nearest = Decimal(float(snapped))
        if abs(exact - nearest) <= 2 * Decimal(math.ulp(number)):
            return snapped
        raise _too_many_decimals(plain_float(number))

    def read(self, cell: object) -> Decimal | None:
        """The number an amount cell shows, None when it shows none (empty, text, more than
        two decimals, ambiguous). Made with `checks=False`, a negative, zero or too large
        amount is read too: the file holds it, and the control totals add it up."""
        try:
            return self.parse(cell)
        except CellProblem:
            return None

    def _check(self, value: Decimal, shown: str) -> Decimal:
        if not self.checks:  # read as the cell shows it; a sign the file's convention drops
            value = -value if self.absolute and value < 0 else value
            return value.quantize(CENT) if value.adjusted() < 28 else value
        if value < 0:
            if not self.absolute:
                raise CellProblem(
                    "amount_negative",
                    f"Amount {shown} is negative; a credit amount must be positive "
                    "(set input.negative_amounts: absolute if your export signs credits).",
                )
            value = -value
        if not value:
            raise CellProblem("amount_zero", f"Amount {shown} is zero; there is nothing to credit.")
        if value > self.max_amount:
            raise CellProblem(
                "amount_too_large",
                f"Amount {shown} is larger than the maximum {self.max_amount} "
                "(input.max_amount in the configuration).",
            )
        try:
            return value if value.as_tuple().exponent == -2 else value.quantize(CENT)
        except InvalidOperation:  # pragma: no cover - max_amount keeps values far below this
            # from None: a cell problem is a value kept per failing cell (see parse_column);
            # the decimal module's traceback would only hold memory.
            raise _not_a_number(shown) from None


def plain_float(number: float) -> str:
    """A float as a person reads it in the cell: plain decimals, never exponent notation
    (`1e-07` is `0.0000001`, `1.234567890123457e+16` is `12345678901234570`); the shortest
    digits that are the float (repr's), so nothing is rounded in the message."""
    if not math.isfinite(number):
        return repr(number)
    return format(Decimal(repr(number)), "f")


def _is_digits(text: str) -> bool:
    """ASCII digits only: str.isdigit() alone would accept '²' and Arabic-Indic digits."""
    return text.isascii() and text.isdigit()


def _not_a_number(shown: str, separator: str | None = None) -> CellProblem:
    shown = excerpt(shown, 60)  # a runaway cell is named, not copied into the report
    hint = ""
    if separator is not None and any(ch in shown for ch in ".,"):
        name = "a decimal point" if separator == "." else "a decimal comma"
        hint = f" (this file uses {name}: '{separator}')"
    return CellProblem("amount_not_a_number", f"Amount {shown!r} is not a number{hint}.")


def _too_many_decimals(shown: str) -> CellProblem:
    return CellProblem(
        "amount_too_many_decimals",
        f"Amount {excerpt(shown, 60)} has more than two decimals (öre).",
    )
