"""The generated `creditor_reference`: the same row gets the same reference in every release
and on every path, because the API is asked by it whether a row was already credited."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from importer.pipeline.reference import (
    key_of,
    keys_of_columns,
    occurrences_of_keys,
    reference_of,
)

CREDITOR = "5f1a2b3c4d5e6f7a8b9c0d1e"


def test_a_rows_reference_is_the_one_earlier_releases_gave_it() -> None:
    """Pinned values, written by the release before references were built a column at a
    time: a change here would make every credited row without a file reference look new to
    a run whose journal is lost, and credit it again."""
    first = (CREDITOR, None, "F-1001", "SEK", Decimal("125.5"), None, "KF-1", "2026-11-30")
    second = (CREDITOR, "65a1b2c3d4e5f60718293a4b", None, "SEK", Decimal("1E+2"))
    second += ('Återbetalning "x"', None, None)
    salt = "ab" * 32
    assert reference_of(key_of(first), 1) == "imp1-40d3022f1c9398bdc51fa048d9f22a17"
    assert reference_of(key_of(first), 2, salt) == "imp1-e0ce3f5e358c3f534eab661f9fac3283"
    assert reference_of(key_of(second), 1) == "imp1-824c1c2e8624f6a8ca2d809d0b26618b"
    assert reference_of(key_of(second), 2, salt) == "imp1-70089da3dc40893c848bb497b6114dd8"


class Text(str):
    """A str subclass, as a reader might hand one over."""


def test_keys_built_a_column_at_a_time_are_each_rows_own_key() -> None:
    rows = [
        (CREDITOR, "c1", "F-1", "SEK", Decimal("10"), None, "KF-1", date(2026, 1, 31)),
        (CREDITOR, None, "F-1", "SEK", Decimal("10.00"), "o", None, "2026-01-31"),
        (CREDITOR, "c1", Text("F-2"), "SEK", Decimal("NaN"), "", "KF-2", None),
        (CREDITOR, "c2", "F-3", "SEK", Decimal("1E+30"), None, "KF-3", None),  # no quantize
        (CREDITOR, "c3", 17, "SEK", 12, None, "KF-4", None),  # not Decimal: as key_of reads it
        (CREDITOR, "c4", "F-5", "SEK", "12,50", None, "KF-5", None),  # unreadable: as text
        (CREDITOR, "c5", "F-6", "SEK", None, None, "KF-6", None),
    ]
    columns = [list(column) for column in zip(*rows, strict=True)]
    assert keys_of_columns(columns) == [key_of(row) for row in rows]
    assert keys_of_columns([[] for _ in rows[0]]) == []


def test_occurrences_count_identical_rows_apart_and_unique_rows_once() -> None:
    a, b = ("a",), ("b",)
    assert occurrences_of_keys([a, b, a, a, b]) == [1, 1, 2, 3, 2]
    assert occurrences_of_keys(iter([a, b])) == [1, 1]
    assert occurrences_of_keys([]) == []
