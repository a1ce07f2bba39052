"""Amount parsing (importer.validation.amounts): every accepted format round-trips exactly,
every rule rejects with its code, and the whole-column fast path agrees with the cell-by-cell
rules."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from importer.validation.amounts import AmountParser
from importer.validation.fast_amounts import grouped_amounts, plain_amounts
from importer.validation.problems import CellProblem
from importer.validation.separators import detect_decimal_separator

MAX = Decimal("100000000.00")


def parser(separator: str = ".", **options: object) -> AmountParser:
    options.setdefault("max_amount", MAX)
    return AmountParser(separator, **options)  # type: ignore[arg-type]


def code_of(cell: object, separator: str = ".", **options: object) -> str:
    with pytest.raises(CellProblem) as caught:
        parser(separator, **options).parse(cell)
    return caught.value.code


# ------------------------------------------------------------------ formatting helpers

# style -> (decimal separator, thousands separator or None)
STYLES: dict[str, tuple[str, str | None]] = {
    "dot": (".", None),
    "comma": (",", None),
    "space_comma": (",", " "),
    "nbsp_comma": (",", "\u00a0"),
    "narrow_nbsp_comma": (",", "\u202f"),
    "dot_thousands_comma": (",", "."),
    "comma_thousands_dot": (".", ","),
    "space_dot": (".", " "),
    "apostrophe_dot": (".", "'"),
}


def render(value: Decimal, style: str, decimals: int) -> str:
    """`value` (>= 0, at most `decimals` places) written in `style` with exactly `decimals`
    fraction digits (0 = no decimal separator)."""
    decimal_sep, thousands = STYLES[style]
    whole, _, fraction = f"{value:.{decimals}f}".partition(".")
    if thousands:
        groups = []
        while len(whole) > 3:
            groups.insert(0, whole[-3:])
            whole = whole[:-3]
        whole = thousands.join([whole, *groups])
    return whole + (decimal_sep + fraction if decimals else "")


cents = st.integers(min_value=1, max_value=9_999_999_999)  # 0.01 .. 99,999,999.99
styles = st.sampled_from(sorted(STYLES))
decorations = st.sampled_from(["{}", " {} ", "+{}", "{} SEK", "{} kr", "SEK {}", "\t{}kr.", "+ {}"])


def shown_decimals(value: Decimal) -> st.SearchStrategy[int]:
    """0, 1 or 2 decimals — as few as the value allows, or more (trailing zeros)."""
    least = 2 if value != value.quantize(Decimal("0.1")) else (1 if value % 1 else 0)
    return st.integers(min_value=least, max_value=2)


# ------------------------------------------------------------------ round trips


@given(cents, styles, decorations, st.data())
def test_every_supported_style_round_trips_exactly(
    amount_cents: int, style: str, decoration: str, data: st.DataObject
) -> None:
    value = Decimal(amount_cents).scaleb(-2)
    decimals = data.draw(shown_decimals(value))
    text = decoration.format(render(value, style, decimals))
    parsed = parser(STYLES[style][0]).parse(text)
    assert parsed == value
    assert parsed.as_tuple().exponent == -2  # always two decimals: str() is report money
    assert str(parsed) == f"{value:.2f}"


@given(cents, styles, st.data())
def test_detection_finds_the_separator_of_any_amount_with_decimals(
    amount_cents: int, style: str, data: st.DataObject
) -> None:
    value = Decimal(amount_cents).scaleb(-2)
    decimals = data.draw(st.integers(min_value=2 if value % Decimal("0.1") else 1, max_value=2))
    text = render(value, style, decimals)
    assert detect_decimal_separator([text]) == (STYLES[style][0], True)


@given(st.lists(cents, min_size=1, max_size=30), styles)
def test_a_column_in_one_style_parses_to_the_same_values(values: list[int], style: str) -> None:
    amounts = [Decimal(v).scaleb(-2) for v in values]
    cells = [render(a, style, 2) for a in amounts]
    parsed, errors = parser(STYLES[style][0]).parse_column(cells)
    assert errors == {}
    assert parsed == amounts


three_or_more_decimals = st.text(alphabet="0123456789", min_size=3, max_size=6).filter(
    lambda fraction: fraction[2:].strip("0") != ""
)


@given(
    st.integers(min_value=0, max_value=99_999_999), three_or_more_decimals, st.sampled_from(".,")
)
@example(12, "345", ",")  # the example: 12,345 in a decimal-comma file
def test_more_than_two_decimals_is_always_rejected(
    whole: int, fraction: str, separator: str
) -> None:
    assert code_of(f"{whole}{separator}{fraction}", separator) == "amount_too_many_decimals"
    assert code_of(f"-{whole}{separator}{fraction}", separator) == "amount_too_many_decimals"


@pytest.mark.parametrize("text", ["12.300", "0.001", "1,234.567", "1 234.5678"])
def test_trailing_zero_third_decimals_count_as_decimals(text: str) -> None:
    # A decimal-comma file's "1,500" might be a thousand-and-five-hundred in the other
    # convention: three decimal digits are never excused, even zeros.
    assert code_of(text, ".") == "amount_too_many_decimals"


# ------------------------------------------------------------------ spreadsheet floats


@given(st.integers(min_value=1, max_value=10**12))
def test_a_float_holding_an_ore_amount_is_that_amount(amount_cents: int) -> None:
    value = Decimal(amount_cents).scaleb(-2)
    assert parser(max_amount=Decimal("9999999999999.99")).parse(float(value)) == value


@given(st.integers(min_value=1, max_value=10**12), st.sampled_from([1, 2]), st.booleans())
def test_floats_a_step_or_two_off_an_ore_amount_are_that_amount(
    amount_cents: int, steps: int, up: bool
) -> None:
    value = Decimal(amount_cents).scaleb(-2)
    number = float(value)
    for _ in range(steps):
        number = math.nextafter(number, math.inf if up else 0.0)
    assert parser(max_amount=Decimal("9999999999999.99")).parse(number) == value


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (0.1 + 0.2, Decimal("0.30")),  # 0.30000000000000004
        (0.30000000000000004, Decimal("0.30")),
        (1234.5, Decimal("1234.50")),
        (100.0, Decimal("100.00")),
        (100, Decimal("100.00")),
        (19.99 * 3, Decimal("59.97")),  # 59.970000000000006
        (0.01 + 1e-10, Decimal("0.01")),  # within 1e-9
    ],
)
def test_spreadsheet_numbers(number: float, expected: Decimal) -> None:
    assert parser().parse(number) == expected


@given(st.integers(min_value=0, max_value=10**7), st.integers(min_value=1, max_value=9))
def test_a_float_with_a_third_decimal_is_rejected(amount_cents: int, thousandth: int) -> None:
    number = float(Decimal(amount_cents * 10 + thousandth).scaleb(-3))
    assert code_of(number) == "amount_too_many_decimals"


def test_a_float_just_beyond_the_tolerance_is_rejected() -> None:
    assert code_of(0.01 + 2e-9) == "amount_too_many_decimals"
    assert code_of(12.345) == "amount_too_many_decimals"


# ------------------------------------------------------------------ every rule, every code


@pytest.mark.parametrize("cell", [None, "", "   ", "\u00a0"])
def test_empty_is_missing(cell: object) -> None:
    assert code_of(cell) == "amount_missing"


@pytest.mark.parametrize(
    ("cell", "separator"),
    [("0", "."), ("0.00", "."), ("0,00", ","), ("-0", ","), ("+0.0", "."), (0, ","), (0.0, "."),
     (-0.0, "."), ("0 kr", ","), (0.001 - 0.001, ".")],
)  # fmt: skip
def test_zero_is_rejected(cell: object, separator: str) -> None:
    assert code_of(cell, separator) == "amount_zero"


@pytest.mark.parametrize(
    "cell",
    [
        "abc",
        "12a",
        "1e5",
        "NaN",
        "nan",
        "Infinity",
        "inf",
        math.nan,
        math.inf,
        -math.inf,
        True,
        False,
        dt.date(2025, 7, 4),
        "12.34.56",
        "--5",
        "+-5",
        "(100)",
        "EUR 100",
        "100 EUR",
        "$100",
        "1 2 3",
        "12 34,50",
        "1,23,456.00",  # Indian grouping is not 3-digit groups
        "1 234.567,89",  # two different grouping characters
        "0,123,456",  # a leading zero group is no thousands grouping
        "١٢٣",  # Arabic-Indic digits: Decimal() would take them, we do not
        "1_000",  # Decimal() would take the underscore, we do not
        "-",
        "kr",
        ",",
        "12,5.5",
    ],
)
def test_not_a_number(cell: object) -> None:
    assert code_of(cell, ".") == "amount_not_a_number"


@pytest.mark.parametrize("cell", ["1234,50", "12,5"])
def test_a_decimal_comma_in_a_decimal_dot_file_is_not_a_number_and_says_why(cell: str) -> None:
    with pytest.raises(CellProblem) as caught:
        parser(".").parse(cell)
    assert caught.value.code == "amount_not_a_number"
    assert "decimal point" in caught.value.message


@pytest.mark.parametrize(
    ("cell", "separator"),
    [("-100.50", "."), ("-100,50", ","), ("100,50-", ","), ("\u2212100.50", "."), ("- 100", "."),
     ("-1 234,50 kr", ","), ("SEK -100", "."), (-100.5, "."), (-100, ".")],
)  # fmt: skip
def test_negative_amounts_are_rejected_or_taken_absolute(cell: object, separator: str) -> None:
    assert code_of(cell, separator) == "amount_negative"
    value = parser(separator, negative_amounts="absolute").parse(cell)
    assert value > 0
    assert value == parser(separator).parse(
        cell.replace("-", "").replace("\u2212", "") if isinstance(cell, str) else -cell
    )


def test_absolute_does_not_excuse_zero_or_too_large() -> None:
    assert code_of("-0,00", ",", negative_amounts="absolute") == "amount_zero"
    assert code_of("-100000000.01", ".", negative_amounts="absolute") == "amount_too_large"


@pytest.mark.parametrize("cell", ["100000000.01", "100 000 001", 1e9, 100000001, "1e400"])
def test_above_the_maximum_is_too_large(cell: object) -> None:
    if cell == "1e400":
        assert code_of(cell) == "amount_not_a_number"
    else:
        assert code_of(cell) == "amount_too_large"


def test_the_maximum_itself_is_accepted_and_configurable() -> None:
    assert parser().parse("100000000.00") == MAX
    assert parser(max_amount=Decimal("500")).parse("500") == Decimal("500.00")
    assert code_of("500.01", max_amount=Decimal("500")) == "amount_too_large"


@pytest.mark.parametrize(
    ("cell", "separator", "expected"),
    [
        ("  1234.5  ", ".", "1234.50"),
        ("12.", ".", "12.00"),
        (".5", ".", "0.50"),
        (",50", ",", "0.50"),
        ("1.234", ",", "1234.00"),  # dot is thousands in a decimal-comma file
        ("1,234", ".", "1234.00"),  # comma is thousands in a decimal-dot file
        ("1.234.567,8", ",", "1234567.80"),
        ("1,234,567", ".", "1234567.00"),
        ("1’234.56", ".", "1234.56"),
        ("1.234,56-", ",", None),  # SAP-style trailing minus: negative
        ("kr 99,90", ",", "99.90"),
        ("99,90 KR", ",", "99.90"),
        ("007.50", ".", "7.50"),
    ],
)
def test_accepted_forms(cell: str, separator: str, expected: str | None) -> None:
    if expected is None:
        assert code_of(cell, separator) == "amount_negative"
    else:
        assert parser(separator).parse(cell) == Decimal(expected)


def test_messages_name_the_value() -> None:
    with pytest.raises(CellProblem) as caught:
        parser(",").parse("12,345")
    assert caught.value.message == "Amount 12,345 has more than two decimals (öre)."
    for cell, code in [("-5", "amount_negative"), ("0", "amount_zero"), ("abc", "abc")]:
        with pytest.raises(CellProblem) as caught:
            parser(".").parse(cell)
        assert cell in caught.value.message, code


# ------------------------------------------------------------------ detection and ambiguity


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["1234,50", "12"], (",", True)),
        (["1234.5", "12"], (".", True)),
        (["1 234,50"], (",", True)),
        (["1.234,56"], (",", True)),  # both: the last one is the decimal separator
        (["1,234.56"], (".", True)),
        (["5,00 kr."], (",", True)),
        (["1.234.567"], (",", True)),  # repeated dot groups are thousands
        (["1,234,567"], (".", True)),
        (["1,234"], (".", False)),  # no evidence either way
        (["12.345", "7"], (".", False)),
        (["100", 12.5, None], (".", False)),  # numbers carry no separator
        ([], (".", False)),
        (["1,5", "2,5", "3.5"], (",", True)),  # majority
        (["1,5", "3.5"], (".", True)),  # a tie goes to the dot
        (["ab\n1,50"], (",", True)),  # a line break inside a cell does not split it
        (["1.234.567.890.123", "1.5"], (".", True)),  # a cell votes once: a tie
    ],
)
def test_detection(cells: list[object], expected: tuple[str, bool]) -> None:
    assert tuple(detect_decimal_separator(cells)) == expected


def test_detection_majority_is_decisive() -> None:
    assert detect_decimal_separator(["1,5"] * 3 + ["2.5"] * 2).separator == ","
    assert detect_decimal_separator(["1,5"] * 2 + ["2.5"] * 3).separator == "."


@pytest.mark.parametrize("cell", ["1,234", "12.345", "999,000", "1.000"])
def test_the_ambiguity_guard_refuses_to_guess(cell: str) -> None:
    with pytest.raises(CellProblem) as caught:
        parser(".", ambiguity_guard=True).parse(cell)
    assert caught.value.code == "amount_ambiguous"
    assert "input.decimal_separator" in caught.value.message


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("1,234,567", "1234567.00"), ("1 234", "1234.00"), ("0,123", None), ("1234", "1234.00")],
)
def test_the_ambiguity_guard_leaves_unambiguous_cells_alone(
    cell: str, expected: str | None
) -> None:
    guarded = parser(".", ambiguity_guard=True)
    if expected is None:  # "0,123" cannot be thousands: it is not ambiguous, just invalid
        with pytest.raises(CellProblem) as caught:
            guarded.parse(cell)
        assert caught.value.code != "amount_ambiguous"
    else:
        assert guarded.parse(cell) == Decimal(expected)


def test_parser_rejects_an_unknown_separator() -> None:
    with pytest.raises(ValueError, match="decimal separator must be"):
        AmountParser(";", max_amount=MAX)  # type: ignore[arg-type]


# ------------------------------------------------------------------ the fast path


plain_texts = st.one_of(
    cents.map(lambda c: f"{Decimal(c).scaleb(-2):.2f}"),
    cents.map(lambda c: str(Decimal(c).scaleb(-2).normalize()) if c % 100 else str(c // 100)),
)
plain_numbers = st.one_of(
    cents.map(lambda c: float(Decimal(c).scaleb(-2))), st.integers(min_value=1, max_value=10**8)
)
plain_cells = st.one_of(plain_texts, plain_numbers)
odd_cells = st.one_of(
    st.sampled_from(["0", "0.00", "-1.00", " 1.00", "1.001", "1,50", "abc", "", "1e3", "1\n2"]),
    st.sampled_from([None, True, 0.0, -1.5, 12.345, math.nan, 1e16, "100000000.01"]),
)


@given(st.lists(st.one_of(plain_cells, plain_cells, odd_cells), min_size=1, max_size=20))
def test_fast_path_agrees_with_the_cell_by_cell_rules(cells: list[object]) -> None:
    fast = plain_amounts(cells, ".", MAX)
    slow_parser = parser(".")
    if fast is None:
        return
    assert fast == [slow_parser.parse(c) for c in cells]
    assert all(v.as_tuple().exponent == -2 for v in fast)


@given(st.one_of(st.lists(plain_texts, min_size=1), st.lists(plain_numbers, min_size=1)))
def test_fast_path_takes_plain_columns(cells: list[object]) -> None:
    fast = plain_amounts(cells, ".", MAX)
    assert fast is not None
    assert fast == [parser(".").parse(c) for c in cells]


@pytest.mark.parametrize(
    "cells",
    [["1.00", "0.00"], ["1.00", "100000000.01"], ["1.00", None], ["1.00", True], ["1,5"],
     ["1.00", " 2.00"], ["1.234"]],
)  # fmt: skip
def test_fast_path_declines_anything_unusual(cells: list[object]) -> None:
    assert plain_amounts(cells, ".", MAX) is None


def test_fast_path_for_decimal_comma_columns() -> None:
    assert plain_amounts(["1234,50", "7", "0,5"], ",", MAX) == [
        Decimal("1234.50"),
        Decimal("7.00"),
        Decimal("0.50"),
    ]
    assert plain_amounts(["1.234,50"], ",", MAX) is None  # grouping: full rules
    assert plain_amounts(["1234.50"], ",", MAX) is None  # a dot is not a decimal here


grouped_odd = st.sampled_from(
    ["1 23,00", "01 234,00", "1 234.567,00", "1 234\u00a0567", " 1 234", "1 234,", "-1 234",
     "1 234,567", "0", "1'234,5", "1,234", "1.234", "١٢٣", "1 234 kr", "1\n234"]
)  # fmt: skip


@given(
    st.sampled_from(sorted(STYLES)),
    st.data(),
    st.lists(st.one_of(cents, cents, grouped_odd), min_size=1, max_size=20),
)
def test_grouped_fast_path_agrees_with_the_cell_by_cell_rules(
    style: str, data: st.DataObject, picks: list[object]
) -> None:
    separator = STYLES[style][0]
    cells = [
        render(Decimal(p).scaleb(-2), style, data.draw(shown_decimals(Decimal(p).scaleb(-2))))
        if isinstance(p, int)
        else p
        for p in picks
    ]
    fast = grouped_amounts(cells, separator, MAX)  # type: ignore[arg-type]
    if fast is None:
        assert any(isinstance(p, str) for p in picks)  # only an odd cell declines it
        return
    assert fast == [parser(separator).parse(c) for c in cells]
    assert all(v.as_tuple().exponent == -2 for v in fast)
    values, errors = parser(separator).parse_column(cells)
    assert (values, errors) == (fast, {})


def test_grouped_columns_take_the_fast_path_unless_the_separator_was_guessed() -> None:
    cells = ["1 234,50", "12 345 678,00", "7,5", "1.000"]
    assert grouped_amounts(cells, ",", MAX) == [
        Decimal("1234.50"), Decimal("12345678.00"), Decimal("7.50"), Decimal("1000.00")
    ]  # fmt: skip
    assert grouped_amounts(["1 234,50", "1\u00a0234,50"], ",", MAX) is not None
    assert grouped_amounts(["1 234\u00a0567,00"], ",", MAX) is None  # two grouping characters
    assert grouped_amounts(["1 234,50", 12.5], ",", MAX) is None  # a number cell: full rules
    guarded = parser(",", ambiguity_guard=True)
    values, errors = guarded.parse_column(["1.234"])
    assert values == [None]
    assert errors[0].code == "amount_ambiguous"


def test_parse_column_reports_errors_by_index() -> None:
    values, errors = parser(",").parse_column(["1,50", "x", "0", "2"])
    assert values == [Decimal("1.50"), None, None, Decimal("2.00")]
    assert {i: e.code for i, e in errors.items()} == {1: "amount_not_a_number", 2: "amount_zero"}
    # Kept without tracebacks: a traceback keeps the parser's frames (and their locals)
    # alive for as long as the error is, a few KB for every bad cell of a large file.
    assert all(e.__traceback__ is None for e in errors.values())
