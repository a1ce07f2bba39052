"""A CSV row whose field count is not its header's is never sent: it is
`invalid` with code `field_count`, the rows around it go through, trailing empty fields are
no problem when they are the file's own shape (Excel pads the header and rows alike) but a
single padded row is invalid (its padding may hide a shift), and a file where most rows are
ragged is rejected as a whole with a hint about the delimiter."""

from __future__ import annotations

from pathlib import Path

from cli_support import creditings, importer, report_of

from importer.sandbox import Sandbox


def test_an_unquoted_decimal_comma_is_never_credited(workdir: Path, api: Sandbox) -> None:
    credits = workdir / "credits.csv"
    credits.write_bytes(
        "Fakturanummer,Belopp,Kreditfaktura\r\n"
        "F-1001,100,KQ-1\r\n"
        "F-1002,1 250,50,KQ-4\r\n"
        "F-1003,30,KQ-3,,\r\n"
        "F-1005,40,KQ-5\r\n".encode("cp1252")
    )
    done = importer(workdir, "run", str(credits), api=api)
    assert done.returncode == 1, done.stderr
    sent = sorted((c["invoice_number"], c["amount"]) for c in creditings(api))
    assert sent == [("F-1001", 100), ("F-1005", 40)]
    rows = {row["row"]: row for row in report_of(workdir)["rows"]}
    assert rows[3]["outcome"] == "invalid"
    (error,) = rows[3]["errors"]
    assert error["code"] == "field_count"
    assert error["message"].startswith("row has 4 fields, the header 3 — an unquoted decimal comma")
    assert "F-1002,1 250,50,KQ-4" in error["message"]
    # padding that is not the file's own shape (the header and the other rows have 3 fields)
    assert rows[4]["outcome"] == "invalid"
    assert rows[4]["errors"][0]["code"] == "field_count"
    assert rows[4]["errors"][0]["message"].startswith("row has 5 fields, the header 3")


def test_a_padded_row_cannot_hide_a_decimal_comma(workdir: Path, api: Sandbox) -> None:
    credits = workdir / "credits.csv"
    credits.write_bytes(
        "Fakturanummer,Belopp,Kreditfaktura,Meddelande\r\n"
        "F-1001,100,KQ-1,\r\n"
        "F-1004,1 250,50,KQ-4,\r\n"
        "F-1005,40,KQ-5,tack\r\n".encode("cp1252")
    )
    done = importer(workdir, "run", str(credits), api=api)
    assert done.returncode == 1, done.stderr
    sent = sorted((c["invoice_number"], c["amount"]) for c in creditings(api))
    assert sent == [("F-1001", 100), ("F-1005", 40)]
    rows = {row["row"]: row for row in report_of(workdir)["rows"]}
    assert rows[3]["outcome"] == "invalid"
    (error,) = rows[3]["errors"]
    assert error["code"] == "field_count"
    assert error["message"].startswith("row has 5 fields, the header 4")
    assert "F-1004,1 250,50,KQ-4," in error["message"]


def test_a_single_padded_row_is_not_the_file_shape(workdir: Path, api: Sandbox) -> None:
    credits = workdir / "credits.csv"
    credits.write_text(
        "Fakturanummer,Belopp,Kreditfaktura,Meddelande\nF-1004,1 250,50,KQ-4,\n",
        encoding="utf-8",
    )
    done = importer(workdir, "run", str(credits), api=api)
    assert done.returncode == 1, done.stderr
    assert creditings(api) == []
    (row,) = report_of(workdir)["rows"]
    assert row["errors"][0]["code"] == "field_count"


def test_excel_style_uniform_padding_still_imports(workdir: Path, api: Sandbox) -> None:
    credits = workdir / "credits.csv"
    credits.write_bytes(
        "Fakturanummer;Belopp;Kreditfaktura;;\r\n"
        "F-1001;10,00;K1;;\r\nF-1002;20,00;K2;;\r\nF-1003;30,00;K3;;\r\n".encode("cp1252")
    )
    done = importer(workdir, "run", str(credits), api=api)
    outcomes = [row["outcome"] for row in report_of(workdir)["rows"]]
    assert outcomes == ["credited"] * 3, done.stdout + done.stderr
    assert len(creditings(api)) == 3


def test_rows_padded_alike_under_an_unpadded_header_import(workdir: Path, api: Sandbox) -> None:
    rows_only = workdir / "rows_only.csv"
    rows_only.write_bytes(
        "Fakturanummer;Belopp;Kreditfaktura\r\n"
        "F-1004;10,00;K4;;\r\nF-1005;20,00;K5;;\r\nF-1006;30,00;K6;;\r\n".encode("cp1252")
    )
    done = importer(workdir, "run", str(rows_only), api=api)
    outcomes = [row["outcome"] for row in report_of(workdir)["rows"]]
    assert outcomes == ["credited"] * 3, done.stdout + done.stderr
    assert len(creditings(api)) == 3


def test_a_row_with_fewer_fields_is_invalid(workdir: Path) -> None:
    credits = workdir / "credits.csv"
    credits.write_text(
        "Fakturanummer;Belopp;Kreditfaktura\nF-1;10,00;K1\nF-2;20,00\nF-3;30,00;K3\n",
        encoding="utf-8",
    )
    done = importer(workdir, "validate", str(credits))
    assert done.returncode == 1
    rows = {row["row"]: row for row in report_of(workdir)["rows"]}
    assert [rows[n]["outcome"] for n in (2, 3, 4)] == ["not_sent", "invalid", "not_sent"]
    assert rows[3]["errors"][0]["message"].startswith("row has 2 fields, the header 3")
    assert report_of(workdir)["summary"]["amount_requested"] == "40.00"


def test_a_header_with_empty_trailing_cells_needs_no_such_fields(workdir: Path) -> None:
    credits = workdir / "credits.csv"
    credits.write_text("Fakturanummer,Belopp,,\nF-1,10\nF-2,20,,\n", encoding="utf-8")
    done = importer(workdir, "validate", str(credits))
    assert done.returncode == 0, done.stdout


def test_a_file_of_mostly_ragged_rows_is_rejected_with_a_delimiter_hint(
    workdir: Path, api: Sandbox
) -> None:
    credits = workdir / "credits.csv"
    credits.write_bytes(
        "sep=,\r\nFakturanummer,Belopp,Kreditfaktura\r\n"
        "F-1,1 250,50,K1\r\nF-2,99,90,K2\r\nF-3,10,K3\r\n".encode("cp1252")
    )
    done = importer(workdir, "run", str(credits), api=api)
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert "2 of 3 rows do not have the header's 3 fields (the first is row 2)" in line
    assert "input.delimiter" in line
    assert creditings(api) == []
