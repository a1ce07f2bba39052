"""Mapping a file's columns to API fields (docs/pipeline.md).

SourceFiles are built directly, as the readers would return them: (row number a spreadsheet
shows, cells). What is asserted is which column became which field, what a rejected file says,
and what the report's `source` will hold."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest

from importer.config import Config, DefaultsConfig
from importer.errors import FileRejected
from importer.mapping import ColumnMap, Mapper, normalise_header
from importer.sources import Cell, SourceFile
from importer.validation import Validator

CREDITOR = "5f1a2b3c4d5e6f7a8b9c0d1e"


def source(*records: tuple[int, tuple[Cell, ...]], name: str = "credits.csv") -> SourceFile:
    # Typed cells (numbers, dates) only come from workbooks; a CSV reader yields text only.
    typed = any(not isinstance(c, str | None) for _, cells in records for c in cells)
    return SourceFile(
        path=Path(name),
        name=name,
        sha256="0" * 64,
        format="xlsx" if typed else "csv",
        encoding="utf-8",
        delimiter=";",
        records=list(records),
    )


def numbered(*rows: tuple[Cell, ...], first: int = 1) -> list[tuple[int, tuple[Cell, ...]]]:
    return [(first + i, row) for i, row in enumerate(rows)]


def mapper(**config) -> Mapper:
    return Mapper(Config(**config))


def with_creditor(**config) -> Mapper:
    return Mapper(Config(defaults=DefaultsConfig(creditor=CREDITOR), **config))


def columns_of(m: Mapper, *rows: tuple[Cell, ...]) -> ColumnMap:
    return m.find_columns(source(*numbered(*rows)))


def rejection(m: Mapper, *records: tuple[int, tuple[Cell, ...]]) -> str:
    with pytest.raises(FileRejected) as caught:
        m.find_columns(source(*records))
    assert caught.value.file == "credits.csv"
    assert str(caught.value).startswith("credits.csv: ")
    return caught.value.problem


# ------------------------------------------------------------------------- headers


def test_normalise_header_collapses_whitespace_and_case() -> None:
    assert normalise_header("  BELOPP ") == "belopp"
    assert normalise_header("Invoice \t  Number") == "invoice number"
    assert normalise_header("Invoice\u00a0Number") == "invoice number"  # no-break space
    assert normalise_header("ÄRENDENUMMER") == "ärendenummer"
    assert normalise_header("Faktura  nummer") == "faktura nummer"  # runs collapse, not vanish


def test_headers_match_case_and_whitespace_insensitively() -> None:
    cols = columns_of(
        with_creditor(),
        ("  BELOPP ", "INVOICE\t\tNUMBER", "  currency", "Credit   Invoice"),
    )
    assert cols.fields == {"amount": 0, "invoice_number": 1, "currency": 2, "credit_invoice": 3}
    assert cols.header_row == 1
    assert cols.headers == ("BELOPP", "INVOICE\t\tNUMBER", "currency", "Credit   Invoice")


def test_whitespace_inside_a_word_is_not_ignored() -> None:
    """Only runs of whitespace collapse: "Faktura nummer" is not "Fakturanummer"."""
    problem = rejection(with_creditor(), *numbered(("Faktura nummer", "Belopp")))
    assert "required column missing: case / invoice_number" in problem


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Ärende", "case"),
        ("Ärendenummer", "case"),
        ("ärende-id", "case"),
        ("Fakturanummer", "invoice_number"),
        ("Fakturanr", "invoice_number"),
        ("Kreditfaktura", "credit_invoice"),
        ("Kreditfakturanr", "credit_invoice"),
        ("Datum", "client_registration_date"),
        ("Krediteringsdatum", "client_registration_date"),
        ("Referens", "creditor_reference"),
        ("Valuta", "currency"),
        ("Borgenär", "creditor"),
        ("origin", "origin"),
        ("Belopp", "amount"),
        ("AMOUNT", "amount"),
        ("case_id", "case"),
        ("client_registration_date", "client_registration_date"),
        ("creditor_reference", "creditor_reference"),
    ],
)
def test_builtin_aliases(header: str, field: str) -> None:
    # a minimal valid header (amount, key column, creditor) with `header` in its field's place
    row = {"amount": "Belopp", "invoice_number": "Fakturanummer", "creditor": "Borgenär"}
    row.pop("invoice_number" if field == "case" else field, None)
    headers = (*row.values(), header)
    cols = columns_of(mapper(), headers)  # no creditor default: every column must be found
    assert cols.fields[field] == len(headers) - 1
    assert len(cols.fields) == len(headers)


def test_swedish_header_row_maps_every_field() -> None:
    cols = columns_of(
        mapper(),
        (
            "Borgenär",
            "Ärendenummer",
            "Belopp",
            "Valuta",
            "Kreditfakturanr",
            "Krediteringsdatum",
            "Referens",
        ),
    )
    assert cols.fields == {
        "creditor": 0,
        "case": 1,
        "amount": 2,
        "currency": 3,
        "credit_invoice": 4,
        "client_registration_date": 5,
        "creditor_reference": 6,
    }


def test_configured_aliases_extend_the_builtin_ones() -> None:
    m = with_creditor(columns={"amount": ["Summa att kreditera"], "invoice_number": ["Fakt.nr"]})
    cols = columns_of(m, ("FAKT.NR", "summa  att kreditera"))
    assert cols.fields == {"invoice_number": 0, "amount": 1}
    # the built-in names still work with the configured ones present
    cols = columns_of(m, ("Fakturanummer", "Belopp"))
    assert cols.fields == {"invoice_number": 0, "amount": 1}
    # and without the configuration the header means nothing
    problem = rejection(with_creditor(), *numbered(("Fakt.nr", "Summa att kreditera")))
    assert "no header row matches" in problem


# ------------------------------------------------------------------ finding the header


def test_title_and_note_rows_above_the_header_are_skipped() -> None:
    src = source(
        (1, ("Krediteringar juli 2025",)),
        (2, ("Exporterad", dt.date(2025, 7, 4))),
        (4, ("Belopp", "Notering")),  # recognises one field only: not the header
        (5, ("Fakturanummer", "Belopp", "Notering")),
        (6, ("F-1001", "100,00", "första")),
        (8, ("F-1002", "50", "andra")),
    )
    m = with_creditor()
    cols = m.find_columns(src)
    assert cols.header_row == 5
    assert cols.headers == ("Fakturanummer", "Belopp", "Notering")
    mapped = m.map_rows(src, cols)
    assert mapped.row_numbers == [6, 8]  # as a spreadsheet shows them, gaps kept
    assert [v["invoice_number"] for v in mapped.values] == ["F-1001", "F-1002"]


def test_missing_required_column_names_it_and_what_was_found() -> None:
    problem = rejection(
        mapper(),
        (1, ("Rapport",)),
        (2, ("Fakturanummer", "Kreditfaktura", "Kommentar")),
        (3, ("F-1001", "K1", "x")),
    )
    assert "required column missing: amount, creditor" in problem
    assert "header row 2" in problem
    assert "expected amount, case / invoice_number, creditor" in problem
    assert "found 'Fakturanummer', 'Kreditfaktura', 'Kommentar'" in problem


def test_missing_key_column_is_named() -> None:
    problem = rejection(with_creditor(), *numbered(("Belopp", "Valuta"), ("100", "SEK")))
    assert "required column missing: case / invoice_number" in problem
    assert "expected amount, case / invoice_number;" in problem  # creditor has a default
    assert "found 'Belopp', 'Valuta'" in problem


def test_header_with_most_recognised_columns_is_the_one_reported() -> None:
    problem = rejection(
        mapper(),
        (1, ("Belopp",)),
        (2, ("Belopp", "Fakturanummer", "Okänd")),
        (3, ("1", "F-1", "x")),
    )
    assert "no creditor is named for this file" in problem
    assert "header row 2" in problem
    assert "'Okänd'" in problem


def test_no_header_at_all_is_rejected() -> None:
    problem = rejection(
        with_creditor(),
        (1, ("Kund", "Summa", "Text")),
        (2, ("Anna", "100", "hej")),
    )
    assert "no header row matches the column mapping" in problem
    assert "expected columns amount, case / invoice_number" in problem
    assert "'Kund', 'Summa', 'Text'" in problem


def test_empty_source_is_rejected() -> None:
    problem = rejection(with_creditor())
    assert "no header row matches" in problem
    assert "nothing" in problem


def test_two_columns_for_one_field_are_rejected() -> None:
    problem = rejection(
        with_creditor(),
        (3, ("Belopp", "Fakturanummer", "Amount")),
        (4, ("1", "F-1", "1")),
    )
    assert "header row 3" in problem
    assert "'Belopp', 'Amount'" in problem
    assert "amount" in problem


def test_read_only_columns_are_ignored_with_one_warning() -> None:
    cols = columns_of(
        with_creditor(),
        ("Fakturanummer", "Belopp", "account", "file_import_report", "Konto"),
    )
    assert cols.fields == {"invoice_number": 0, "amount": 1}
    assert sorted(cols.read_only) == ["Konto", "account", "file_import_report"]
    assert len(cols.warnings) == 1
    for header in ("account", "Konto", "file_import_report"):
        assert header in cols.warnings[0].message
    assert cols.warnings[0].code == "columns_not_sent"


def test_no_warning_without_read_only_columns() -> None:
    cols = columns_of(with_creditor(), ("Fakturanummer", "Belopp"))
    assert cols.read_only == ()
    assert cols.warnings == ()


def test_duplicate_and_blank_headers_are_made_unique() -> None:
    cols = columns_of(with_creditor(), ("Fakturanummer", "Belopp", "Not", "", "Not", None))
    assert cols.headers == ("Fakturanummer", "Belopp", "Not", "column 4", "Not (2)", "column 6")


def test_made_unique_headers_never_collide_with_real_ones() -> None:
    """The report keys each row's source cells by these names: a collision would lose a cell."""
    cols = columns_of(
        with_creditor(), ("Fakturanummer", "Belopp", "Not", "Not", "Not (2)", "", "column 6")
    )
    assert len(set(cols.headers)) == len(cols.headers), cols.headers
    assert cols.headers[:4] == ("Fakturanummer", "Belopp", "Not", "Not (2)")


# ------------------------------------------------------------------------- mapping rows


def test_mapping_applies_no_defaults_validation_fills_empty_cells() -> None:
    config = Config(defaults=DefaultsConfig(creditor=CREDITOR))
    m = Mapper(config)
    src = source(
        *numbered(
            ("Borgenär", "Fakturanummer", "Belopp", "Valuta", "origin"),
            ("", "F-1001", "100", "", "  "),
            ("0123456789abcdef01234567", "F-1002", "5", "sek", "creditor_system"),
        )
    )
    mapped = m.map_rows(src, m.find_columns(src))
    assert mapped.values[0] == {"invoice_number": "F-1001", "amount": "100"}
    (first, _) = Validator(config).validate_columns(mapped.columns, 2, mapped.row_numbers)
    assert first.request is not None
    assert (first.request.creditor, first.request.currency, first.request.origin) == (
        CREDITOR,
        "SEK",
        "creditor_system",
    )
    assert mapped.values[1] == {
        "creditor": "0123456789abcdef01234567",
        "invoice_number": "F-1002",
        "amount": "5",
        "currency": "sek",  # validation's job to judge it; the cell is kept
        "origin": "creditor_system",
    }


def test_absent_columns_are_absent_and_validation_fills_the_defaults() -> None:
    config = Config(defaults=DefaultsConfig(creditor=CREDITOR))
    m = Mapper(config)
    src = source(*numbered(("Fakturanummer", "Belopp"), ("F-1001", 12.5)))
    mapped = m.map_rows(src, m.find_columns(src))
    assert mapped.values == [
        {"invoice_number": "F-1001", "amount": 12.5}  # workbook cells keep their type
    ]
    (result,) = Validator(config).validate_columns(mapped.columns, 1, mapped.row_numbers)
    assert result.request is not None
    assert (result.request.creditor, result.request.currency, result.request.origin) == (
        CREDITOR,
        "SEK",
        "creditor_system",
    )


def test_without_a_creditor_default_an_empty_cell_stays_empty() -> None:
    m = mapper()
    src = source(*numbered(("Borgenär", "Fakturanummer", "Belopp"), ("", "F-1", "1")))
    mapped = m.map_rows(src, m.find_columns(src))
    assert "creditor" not in mapped.values[0]
    assert "currency" not in mapped.values[0]  # no column: validation applies the default


def test_unmapped_columns_are_kept_in_sources_not_in_values() -> None:
    m = with_creditor()
    when = dt.date(2025, 7, 4)
    src = source(
        *numbered(
            ("Kommentar", "Fakturanummer", "Belopp", "Intern kod", "Datum"),
            ("betald i juni", "F-1001", 1200.0, "=A1+1", when),
        )
    )
    cols = m.find_columns(src)
    mapped = m.map_rows(src, cols)
    assert "Kommentar" not in mapped.values[0]
    assert set(mapped.values[0]) == {"invoice_number", "amount", "client_registration_date"}
    assert mapped.values[0]["client_registration_date"] == when
    assert [list(texts) for texts in mapped.sources] == [
        ["betald i juni", "F-1001", "1200", "=A1+1", "2025-07-04"]
    ]


def test_short_rows_are_padded_and_long_rows_cut_to_the_header() -> None:
    # A workbook's rows: a sheet row simply lacks its empty trailing cells. (A CSV row with
    # another field count than its header is invalid: tests/test_row_shape.py.)
    m = with_creditor()
    src = replace(
        source(
            *numbered(
                ("Fakturanummer", "Belopp", "Valuta", "Referens"),
                ("F-1001",),
                ("F-1002", "7", "SEK", "r2", "extra"),
                ("F-1003", "8", None),
            )
        ),
        format="xlsx",
    )
    mapped = m.map_rows(src, m.find_columns(src))
    assert mapped.problems == {}
    assert mapped.sources == [
        ["F-1001", "", "", ""],
        ["F-1002", "7", "SEK", "r2"],
        ["F-1003", "8", "", ""],
    ]
    assert mapped.values[0] == {"invoice_number": "F-1001"}
    assert mapped.values[1]["creditor_reference"] == "r2"
    assert "currency" not in mapped.values[2]  # an empty cell is left out, not defaulted


def test_row_numbers_are_preserved() -> None:
    m = with_creditor()
    src = source(
        (3, ("Fakturanummer", "Belopp")),
        (4, ("F-1", "1")),
        (7, ("F-2", "2")),  # blank rows 5-6 were skipped by the reader
        (12, ("F-3", "3")),
    )
    mapped = m.map_rows(src, m.find_columns(src))
    assert mapped.row_numbers == [4, 7, 12]
    assert [v["invoice_number"] for v in mapped.values] == ["F-1", "F-2", "F-3"]
    assert len(mapped.sources) == 3


def test_header_only_file_maps_to_zero_rows() -> None:
    m = with_creditor()
    src = source((1, ("Fakturanummer", "Belopp")))
    mapped = m.map_rows(src, m.find_columns(src))
    assert (mapped.row_numbers, mapped.values, mapped.sources) == ([], [], [])


def test_required_fields_depend_on_the_creditor_default() -> None:
    assert mapper().required_fields() == ["amount", "case / invoice_number", "creditor"]
    assert with_creditor().required_fields() == ["amount", "case / invoice_number"]
