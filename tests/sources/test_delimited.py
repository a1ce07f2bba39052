"""CSV as creditors' systems really write it: real files on disk, read through read_source."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from importer.errors import FileRejected
from importer.sources import delimited, read_source
from importer.sources.delimited import detect_delimiter


def write(tmp_path: Path, data: bytes, name: str = "credits.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_cp1252_semicolons_decimal_commas_and_swedish_letters(tmp_path: Path) -> None:
    text = (
        "Fakturanummer;Belopp;Valuta;Referens\r\n"
        "F-1001;1 234,50;SEK;Åsa Öberg\r\n"
        "F-1002;99,95;SEK;Märta Ågren\r\n"
        "F-1003;0,30;SEK;Kund €-konto\r\n"
    )
    source = read_source(write(tmp_path, text.encode("cp1252")))
    assert source.format == "csv"
    assert source.encoding == "cp1252"
    assert source.delimiter == ";"
    assert source.records == [
        (1, ("Fakturanummer", "Belopp", "Valuta", "Referens")),
        (2, ("F-1001", "1 234,50", "SEK", "Åsa Öberg")),
        (3, ("F-1002", "99,95", "SEK", "Märta Ågren")),
        (4, ("F-1003", "0,30", "SEK", "Kund €-konto")),
    ]


def test_utf16_le_with_bom_tab_separated_as_excel_unicode_text(tmp_path: Path) -> None:
    text = "Ärende\tBelopp\tReferens\r\n0012345\t1234,5\tÖstra, kontoret\r\n"
    data = codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    source = read_source(write(tmp_path, data, "export.txt"))
    assert (source.encoding, source.delimiter) == ("utf-16", "\t")
    assert source.records == [
        (1, ("Ärende", "Belopp", "Referens")),
        (2, ("0012345", "1234,5", "Östra, kontoret")),
    ]


def test_utf16_be_with_bom(tmp_path: Path) -> None:
    data = codecs.BOM_UTF16_BE + "a;b\r\nå;ä\r\n".encode("utf-16-be")
    source = read_source(write(tmp_path, data))
    assert source.encoding == "utf-16"
    assert source.records == [(1, ("a", "b")), (2, ("å", "ä"))]


def test_utf8_with_bom_does_not_leak_into_the_first_header(tmp_path: Path) -> None:
    data = codecs.BOM_UTF8 + b"invoice_number,amount\nF-1,12.50\n"
    source = read_source(write(tmp_path, data))
    assert (source.encoding, source.delimiter) == ("utf-8-sig", ",")
    assert source.records[0] == (1, ("invoice_number", "amount"))


def test_plain_utf8_with_swedish_letters(tmp_path: Path) -> None:
    data = "Fakturanr,Belopp,Referens\nF-1,100,Åke Ärlig Östlund\n".encode()
    source = read_source(write(tmp_path, data))
    assert source.encoding == "utf-8"
    assert source.records[1] == (2, ("F-1", "100", "Åke Ärlig Östlund"))


def test_pipe_delimiter(tmp_path: Path) -> None:
    data = b"case|amount|currency\n5f1e0f7a9c1d2b3a4e5f6a7b|10.00|SEK\n"
    source = read_source(write(tmp_path, data))
    assert source.delimiter == "|"
    assert source.records[1] == (2, ("5f1e0f7a9c1d2b3a4e5f6a7b", "10.00", "SEK"))


def test_quoted_fields_with_delimiters_quotes_and_newlines_count_as_one_row(
    tmp_path: Path,
) -> None:
    data = (
        b"invoice_number,amount,creditor_reference\r\n"
        b'F-1,"1,234.50","multi\r\nline\r\nnote"\r\n'
        b'F-2,10,"she said ""hi"", then left"\r\n'
        b'F-3,"5","a\nb"\r\n'
        b"F-4,6,plain\r\n"
    )
    source = read_source(write(tmp_path, data))
    assert source.delimiter == ","
    assert source.records == [
        (1, ("invoice_number", "amount", "creditor_reference")),
        (2, ("F-1", "1,234.50", "multi\r\nline\r\nnote")),
        (3, ("F-2", "10", 'she said "hi", then left')),
        (4, ("F-3", "5", "a\nb")),
        (5, ("F-4", "6", "plain")),
    ]


@pytest.mark.parametrize("newline", ["\r\n", "\n", "\r"], ids=["CRLF", "LF", "CR"])
def test_line_endings(tmp_path: Path, newline: str) -> None:
    text = newline.join(["a;b", "1;2", "", "3;4"]) + newline
    source = read_source(write(tmp_path, text.encode()))
    assert source.records == [(1, ("a", "b")), (2, ("1", "2")), (4, ("3", "4"))]


def test_blank_rows_are_skipped_but_counted(tmp_path: Path) -> None:
    data = b"a,b\n\n1,2\n,\n  , \n\t\n3,4\n\n"
    source = read_source(write(tmp_path, data))
    assert source.records == [(1, ("a", "b")), (3, ("1", "2")), (7, ("3", "4"))]


def test_title_rows_above_the_header_keep_their_numbers(tmp_path: Path) -> None:
    text = (
        "Kreditnotor juli 2025\r\n"
        "Skapad av: Ekonomi AB\r\n"
        "\r\n"
        "Fakturanummer;Belopp;Datum\r\n"
        "F-1;10,00;2025-07-04\r\n"
        "F-2;20,00;2025-07-05\r\n"
    )
    source = read_source(write(tmp_path, text.encode("cp1252")))
    assert source.delimiter == ";"
    assert source.records == [
        (1, ("Kreditnotor juli 2025",)),
        (2, ("Skapad av: Ekonomi AB",)),
        (4, ("Fakturanummer", "Belopp", "Datum")),
        (5, ("F-1", "10,00", "2025-07-04")),
        (6, ("F-2", "20,00", "2025-07-05")),
    ]


def test_cells_are_kept_exactly_as_written(tmp_path: Path) -> None:
    data = b'id,amount,note,extra\n 0012345 ,"1 234,50", x ,\n'
    source = read_source(write(tmp_path, data))
    assert source.records[1] == (2, (" 0012345 ", "1 234,50", " x ", ""))


def test_unterminated_quote_rejects_the_file_naming_the_row(tmp_path: Path) -> None:
    data = b'a,b\n1,2\n3,"never closed\n4,5\n6,7\n'
    with pytest.raises(FileRejected) as caught:
        read_source(write(tmp_path, data))
    assert caught.value.problem.startswith("row 3: a quoted field is never closed")


def test_an_open_quote_in_a_semicolon_file_with_decimal_commas_is_named(tmp_path: Path) -> None:
    # The lines the quote swallows would all split under "," (at the decimal commas): the
    # delimiter stays ";" and the open quote, not a missing header, is the reason given.
    data = 'Fakturanummer;Belopp;Kreditfaktura\r\nF-1;12,00;"K1\r\nF-2;13,00;K2\r\n'
    with pytest.raises(FileRejected) as caught:
        read_source(write(tmp_path, data.encode("cp1252")))
    assert caught.value.problem.startswith("row 2: a quoted field is never closed")


def test_an_open_quote_early_in_a_large_file_is_named(tmp_path: Path) -> None:
    # Larger than the sample the delimiter is chosen on: the quote swallows the rest of the
    # sample, and those lines still count for ";".
    lines = ["Fakturanummer;Belopp;Kreditfaktura", 'F-1;12,00;"K1']
    lines += [f"F-{i};{i},00;K{i}" for i in range(2, 20_000)]
    data = ("\r\n".join(lines) + "\r\n").encode("utf-8")
    assert len(data) > delimited.SAMPLE_CHARS
    with pytest.raises(FileRejected) as caught:
        read_source(write(tmp_path, data))
    assert caught.value.problem.startswith("row 2: ")
    assert "quoted field is never closed" in caught.value.problem


def test_text_after_a_closing_quote_rejects_the_file(tmp_path: Path) -> None:
    with pytest.raises(FileRejected, match=r"row 2: text follows the closing quote"):
        read_source(write(tmp_path, b'a,b\n"x"y,2\n'))


def test_bytes_that_fit_no_supported_encoding_are_rejected(tmp_path: Path) -> None:
    data = b"a;b\r\n1;2\r\n3;\x81\x9d\r\n"  # invalid UTF-8, and undefined in cp1252
    with pytest.raises(FileRejected) as caught:
        read_source(write(tmp_path, data))
    assert caught.value.problem == (
        "the file is not UTF-8, UTF-16 or Windows-1252 text (undecodable byte 0x81 at line 3)"
    )


def test_a_mix_of_utf8_and_cp1252_is_rejected_instead_of_mangling_letters(
    tmp_path: Path,
) -> None:
    data = "namn;belopp\nÅsa;1\n".encode() + "Örjan;2\n".encode("cp1252")
    with pytest.raises(FileRejected, match=r"mixes two text encodings.*line 3.*0xD6"):
        read_source(write(tmp_path, data))


def test_nul_bytes_are_rejected(tmp_path: Path) -> None:
    data = b"a,b\n" + b"1,2\n" * 3000 + b"3,\x004\n"
    with pytest.raises(FileRejected, match=r"NUL byte at line 3002"):
        read_source(write(tmp_path, data))


def test_pinned_encoding_overrides_detection(tmp_path: Path) -> None:
    data = "a;b\n1;å\n".encode()  # valid UTF-8, but the configuration says cp1252
    source = read_source(write(tmp_path, data), encoding="windows-1252")
    assert source.encoding == "cp1252"
    assert source.records[1] == (2, ("1", "Ã¥"))


def test_pinned_encoding_that_does_not_fit_names_encoding_and_line(tmp_path: Path) -> None:
    data = "a;b\n1;2\n3;Öst\n".encode("cp1252")
    with pytest.raises(FileRejected) as caught:
        read_source(write(tmp_path, data), encoding="utf-8")
    assert caught.value.problem == (
        "the file is not valid utf-8 text (undecodable byte 0xD6 at line 3)"
    )


def test_pinned_utf8_still_drops_a_byte_order_mark(tmp_path: Path) -> None:
    data = codecs.BOM_UTF8 + b"a;b\n1;2\n"
    source = read_source(write(tmp_path, data), encoding="UTF8")
    assert source.encoding == "utf-8-sig"
    assert source.records[0] == (1, ("a", "b"))


def test_unknown_pinned_encoding_is_a_plain_rejection(tmp_path: Path) -> None:
    with pytest.raises(FileRejected, match="'latin-99' is not a known text encoding"):
        read_source(write(tmp_path, b"a,b\n"), encoding="latin-99")


def test_pinned_delimiter_overrides_detection(tmp_path: Path) -> None:
    data = b"a;b;c\n1;2,5;3\n"
    assert read_source(write(tmp_path, data)).delimiter == ";"
    source = read_source(write(tmp_path, data), delimiter=",")
    assert source.delimiter == ","
    assert source.records == [(1, ("a;b;c",)), (2, ("1;2", "5;3"))]


def test_excel_sep_hint_line_sets_the_delimiter_and_is_not_a_row(tmp_path: Path) -> None:
    data = b"sep=|\r\na|b,c\r\n1|2,3\r\n"
    source = read_source(write(tmp_path, data))
    assert source.delimiter == "|"
    assert source.records == [(1, ("a", "b,c")), (2, ("1", "2,3"))]


def test_one_column_file_is_fine(tmp_path: Path) -> None:
    source = read_source(write(tmp_path, b"invoice_number\nF-1\nF-2\n"))
    assert source.records == [(1, ("invoice_number",)), (2, ("F-1",)), (3, ("F-2",))]


def test_header_only_file_is_a_valid_file(tmp_path: Path) -> None:
    source = read_source(write(tmp_path, b"invoice_number;amount\r\n"))
    assert (source.delimiter, source.records) == (";", [(1, ("invoice_number", "amount"))])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # decimal commas in every data row, but the header agrees only with ';'
        ("Faktura;Belopp;Moms\nF1;10,50;2,10\nF2;11,50;2,30\n", ";"),
        # commas inside a text column of a tab file
        ("id\tname\tamount\n1\tAB, Inc\t5\n2\tX, Y, Z\t6\n", "\t"),
        # a title row with a comma above a ';' table
        ("Export, juli\nFaktura;Belopp\nF1;1,5\n", ";"),
        # quoted fields hiding the other candidates
        ('"a;1","b|2"\n"c;3","d|4"\n', ","),
        ("a|b|c\n1|2|3\n", "|"),
        # rows missing their trailing empty cells, as Excel writes some, plus decimal commas
        ("Faktura;Belopp;Ref;Extra\nF1;1,50;a;x\nF2;2,50\nF3;3,50;c\nF4;4,50\nF5;5,50\n", ";"),
        # a quoted multi-line cell whose lines look like a comma table
        ('id;note\n1;"a,b\nc,d\ne,f"\n2;x\n', ";"),
    ],
)
def test_delimiter_detection(text: str, expected: str) -> None:
    assert detect_delimiter(text) == expected


def test_a_sloppy_quote_is_reported_at_its_row_not_mistaken_for_another_delimiter(
    tmp_path: Path,
) -> None:
    data = b'Faktura;Belopp;Namn\nF1;1,50;"AB" Holding\nF2;2,50;X\n'
    with pytest.raises(FileRejected, match="row 2: text follows the closing quote"):
        read_source(write(tmp_path, data))


def test_detection_on_a_long_file_whose_sample_ends_inside_a_quoted_cell(
    tmp_path: Path,
) -> None:
    rows = [f'F-{i};"{i},50";"rad ett\nrad två"' for i in range(4000)]
    text = "Faktura;Belopp;Text\n" + "\n".join(rows) + "\n"
    assert len(text) > 64 * 1024
    source = read_source(write(tmp_path, text.encode("cp1252")))
    assert source.delimiter == ";"
    assert len(source.records) == 4001
    assert source.records[-1] == (4001, ("F-3999", "3999,50", "rad ett\nrad två"))


def test_a_file_larger_than_the_parser_slices_keeps_every_row(tmp_path: Path) -> None:
    """Lines are handed to the parser in slices of about a million characters; quoted
    multi-line cells and CRLF endings must survive the cuts."""
    rows = [f'F-{i:06d};"{i},50";"rad ett\r\nrad två {i}"' for i in range(40_000)]
    text = "Faktura;Belopp;Text\r\n" + "\r\n".join(rows) + "\r\n"
    assert len(text) > 1 << 20
    source = read_source(write(tmp_path, text.encode("cp1252")))
    assert len(source.records) == 40_001
    assert [number for number, _ in source.records] == list(range(1, 40_002))
    assert all(
        cells == (f"F-{i:06d}", f"{i},50", f"rad ett\r\nrad två {i}")
        for i, (_, cells) in enumerate(source.records[1:])
    )


@pytest.mark.parametrize("separator", ["\x0c", "\x1e", "\x85", "\u2028"])
def test_characters_python_treats_as_line_breaks_stay_inside_their_cell(
    tmp_path: Path, separator: str
) -> None:
    text = f"a;b\r\n1;x{separator}y\r\n2;z\r\n"
    source = read_source(write(tmp_path, text.encode("utf-8")))
    assert source.records == [(1, ("a", "b")), (2, ("1", f"x{separator}y")), (3, ("2", "z"))]


# --------------------------------------------------- a text without quotes, read by splitting

_UNQUOTED = st.lists(
    st.sampled_from([*"ab1 ,;\t|\r\n\x00å€", "\r\n", "\x0c", "\u2028", '"']), max_size=40
).map("".join)


@given(_UNQUOTED, st.sampled_from([",", ";", "\t", "|"]))
def test_a_text_without_quotes_reads_as_the_csv_reader_reads_it(text: str, delimiter: str) -> None:
    """Split at the delimiter (`_record_slices`): the records the csv reader reads."""
    if '"' in text or any(brk in text for brk in "\x0c\u2028"):
        return  # read by the csv reader itself
    read = delimited._reader_records(
        delimited._physical_lines(text), delimiter, "f.csv", quoted=False
    )
    assert delimited.parse(text, delimiter, "f.csv") == list(read)


def test_an_overlong_line_without_quotes_is_left_to_the_reader_and_named(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("invoice_number,amount\nF-1,1.00\nF-2," + "9" * 200_000 + "\n")
    with pytest.raises(FileRejected, match=r"row 3: a cell is longer than 131,072 characters"):
        read_source(path)


def test_blank_lines_between_rows_keep_the_row_numbers_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "gaps.csv"
    path.write_bytes(b"invoice_number,amount\r\n\r\nF-1,1.00\r\n  ,  \r\n;\r\nF-2,2.00\r\n")
    source = read_source(path)
    assert [number for number, _ in source.records] == [1, 3, 5, 6]
    assert source.records[-1] == (6, ("F-2", "2.00"))


@pytest.mark.parametrize(
    ("text", "cut"),
    [
        ("a;b\r\n1;2\r\n3;4", 3),
        ("a;b\n1;2\n3;4\n", None),
        ("a;b\r1;2\r3;4\r", None),
        ('a;b\n1;"two\nlines"', 2),  # a quoted cell spanning lines: the record is the cut one
        ("a;b\n1;2\n;", None),  # the unterminated last line is blank: nothing was cut
        ("a;b\n1;2\n\n3;4", 4),
        ("a;b", None),  # the header alone: no row to hold back
    ],
)
def test_the_row_a_missing_final_line_break_may_have_cut(
    tmp_path: Path, text: str, cut: int | None
) -> None:
    assert read_source(write(tmp_path, text.encode())).unterminated_row == cut
