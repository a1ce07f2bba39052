"""Which rows are totals (`total_rows`), judged column-wise: the keyless-cell scan must agree
with `_no_key` cell by cell, whatever the column holds."""

from __future__ import annotations

from decimal import Decimal

from importer.validation.total_rows import TOTAL_WORDS, _keyless, _no_key, _text, total_rows


def test_no_total_word_ends_in_a_digit() -> None:
    # `_keyless` skips every text ending in a digit without looking further: sound only
    # while no total word (after stripping, as `_no_key` reads it) ends in one.
    assert not [word for word in TOTAL_WORDS if word[-1:].isdigit()]


def test_keyless_agrees_with_no_key_cell_by_cell() -> None:
    column = [
        "F-1001", "", "   ", "Summa:", "SUMMA  TOTALT", "Totalt", "\tsum ", "Summa 2026",
        "summa totalt:", "Delsumma", "YHTEENSÄ", "I alt", None, "F-1002", "Subtotal:",
        "grand   total", "2026", "Total 1",
    ]  # fmt: skip
    expected = {i for i, cell in enumerate(column) if _no_key(_text(cell))}
    assert _keyless(column, len(column)) == expected
    assert {0, 7, 13, 16, 17}.isdisjoint(expected)


def test_keyless_with_a_workbooks_numbers_and_dates() -> None:
    from datetime import date

    column = [1001, None, "Summa", 12.5, date(2026, 1, 2), True, "", "F-1"]
    assert _keyless(column, len(column)) == {1, 2, 6}


def test_an_absent_column_names_no_key_on_any_row() -> None:
    assert _keyless([], 3) == {0, 1, 2}


def test_a_column_of_invoice_numbers_has_no_keyless_row() -> None:
    column = [f"INV-{i:07d}" for i in range(10_000)]
    assert _keyless(column, len(column)) == set()


def test_a_sum_row_below_its_rows_is_a_total_and_a_row_with_its_own_key_is_not() -> None:
    numbers = [2, 3, 4, 5]
    sources = [["F-1", "10.00"], ["F-2", "5.50"], ["", "15.50"], ["", "15.50"]]
    invoices = ["F-1", "F-2", "", ""]
    amounts = [Decimal("10.00"), Decimal("5.50"), Decimal("15.50"), Decimal("15.50")]
    notes = ["K-1", "K-2", "", "K-9"]  # row 5 has a credit note of its own: a credit
    totals = total_rows(numbers, sources, invoices, [], amounts, [notes])
    assert list(totals) == [2]
    assert totals[2].rows == [4]
    assert totals[2].amount == "15.50"


def test_a_total_word_followed_by_words_is_a_label_and_one_followed_by_a_number_is_not() -> None:
    """ "Totalt belopp", "Summa kreditnotor:", "summa att kreditera" label a total as "Summa"
    does; "Summa 2026", "Total 1" or "Total-2024" may be an invoice number and stay keys."""
    labels = ["Totalt belopp", "Summa kreditnotor:", "summa  att kreditera", "TOTAL SEK"]
    keys = ["Summa 2026", "Total 1", "Total-2024", "Summa kund 12", "Totalbelopp", "Sumatra"]
    column = labels + keys
    assert _keyless(column, len(column)) == set(range(len(labels)))
    assert all(_no_key(label) for label in labels)
    assert not any(_no_key(key) for key in keys)
