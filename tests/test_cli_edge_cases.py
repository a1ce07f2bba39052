"""What the command line holds true at the edges:

- a file whose every row fails the same way is an import with a report and exit 1, never an
  internal error, for every shape such a file takes;
- a dry run's "amount requested" is the total of the rows it would send;
- a missing file or a folder given as FILE is one line and exit 2, with no import and no
  report folder;
- an overlong cell is not blamed on a quote the file does not have, and messages quote at most
  ~200 characters of a line.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import importer, report_of

from importer.errors import FileRejected
from importer.sources import read_source


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("F-1,\r\nF-2,\r\n", "amount_missing"),
        ("F-1,tolv\r\nF-2,tretton\r\n", "amount_not_a_number"),
        ('F-1,"1,234"\r\nF-2,"2,345"\r\n', "amount_ambiguous"),
        (",12.00\r\n,13.50\r\n", "case_or_invoice_number_missing"),
    ],
    ids=["all-amounts-empty", "all-unparseable", "all-ambiguous", "all-invoices-empty"],
)
def test_validate_of_an_all_invalid_file_reports_and_exits_1(
    workdir: Path, body: str, code: str
) -> None:
    bad = workdir / "all-bad.csv"
    bad.write_text("Fakturanummer,Belopp\r\n" + body, encoding="cp1252")
    done = importer(workdir, "validate", str(bad))
    assert done.returncode == 1, done.stderr
    assert "internal error" not in done.stderr
    report = report_of(workdir)
    assert [row["outcome"] for row in report["rows"]] == ["invalid", "invalid"]
    assert all(row["request"] is None for row in report["rows"])
    codes = {error["code"] for row in report["rows"] for error in row["errors"]}
    assert code in codes, codes
    assert (bad.parent / "reports").is_dir()


def test_dry_run_amount_requested_is_what_would_be_sent(workdir: Path) -> None:
    good = workdir / "credits.csv"
    good.write_text(
        "Fakturanummer;Belopp\r\nF-1;1 250,50\r\nF-2;99,50\r\nF-3;inte ett belopp\r\n",
        encoding="cp1252",
    )
    done = importer(workdir, "validate", str(good))
    assert done.returncode == 1
    assert "amount requested  1 350.00 SEK" in done.stdout
    assert report_of(workdir)["summary"]["amount_requested"] == "1350.00"


@pytest.mark.parametrize("given", ["nope.csv", "inbox"], ids=["missing", "folder"])
@pytest.mark.parametrize("command", ["run", "validate"])
def test_a_path_that_is_no_file_is_one_line_and_no_import(
    workdir: Path, given: str, command: str
) -> None:
    (workdir / "inbox").mkdir()
    done = importer(workdir, command, given, "--api-url", "sandbox")
    assert done.returncode == 2
    assert done.stdout.strip() == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"importer: {given}: "), lines
    assert not (workdir / "reports").exists()
    listed = importer(workdir, "imports")
    assert listed.stdout.strip() == "no imports yet"


def test_an_overlong_cell_without_quotes_is_not_blamed_on_a_quote(tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    big.write_bytes(b"Fakturanummer,Belopp\r\nF-1," + b"1" * (50 * 1024 * 1024) + b"\r\n")
    with pytest.raises(FileRejected) as caught:
        read_source(big)
    assert "quote" not in caught.value.problem
    assert caught.value.problem.startswith("row 2: a cell is longer than")


def test_a_header_longer_than_the_sniffing_sample_is_found(workdir: Path) -> None:
    extra = [f"Kolumn med ett långt namn, nummer {i}" for i in range(4_000)]
    header = ";".join(["Fakturanummer", "Belopp", *extra])
    row = ";".join(["F-1", "12,50", *[""] * len(extra)])
    wide = workdir / "wide.csv"
    wide.write_text(f"{header}\r\n{row}\r\n", encoding="cp1252")
    assert len(header) > 64 * 1024
    source = read_source(wide)
    assert source.delimiter == ";"
    done = importer(workdir, "validate", str(wide))
    assert done.returncode == 0, done.stderr
    assert report_of(workdir)["summary"]["amount_requested"] == "12.50"


def test_messages_quote_at_most_about_200_characters_of_a_line(workdir: Path) -> None:
    header = ",".join(f"Kolumn nummer {i}" for i in range(5_000))
    wide = workdir / "wide.csv"
    wide.write_text(f"{header}\r\nx\r\n", encoding="utf-8")
    done = importer(workdir, "validate", str(wide))
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert "no header row matches" in line
    assert len(line) < 500
    assert "more characters" in line


def test_a_runaway_cell_is_quoted_in_part_in_row_errors(workdir: Path) -> None:
    runaway = "x" * 100_000
    credits = workdir / "credits.csv"
    credits.write_text(
        f"Fakturanummer;Belopp;Datum\nF-1;{runaway};2026-11-20\nF-2;10,00;{runaway}\n",
        encoding="utf-8",
    )
    done = importer(workdir, "validate", str(credits))
    assert done.returncode == 1
    messages = [e["message"] for row in report_of(workdir)["rows"] for e in row["errors"]]
    assert len(messages) == 2
    assert all(len(message) < 300 and "more characters" in message for message in messages)
