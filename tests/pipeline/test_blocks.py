"""A file larger than a block is read, validated, predicted, journaled and reported a block at a
time — and every row comes out as it does from the file read whole: what all the rows decide
together (the decimal separator, the day/month order, a reference already used, the rows a
total sums, identical rows, a credit note met before) is decided across the blocks' edges.

Real files on disk, the command line in this process against the sandbox over a real socket;
the block is made four rows long so that every rule below straddles an edge."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from blocks_support import blocks_of, latest_report
from cli_support import Main

from importer.pipeline.reference import FileOccurrences, key_digests, occurrences_of_keys
from importer.sandbox import Sandbox
from importer.sources.delimited import parse, parse_blocks
from importer.validation.date_order import DateVotes, FileOrder
from importer.validation.separators import Votes, detect_decimal_separator

# Row 2 onwards. The header sits on row 2, under a title row.
EXPORT = (
    "Kreditnota-export\r\n"
    "Fakturanummer;Belopp;Kreditfaktura;Referens;Datum\r\n"
    "F-1001;100;KF-1;R-1;04/07/2026\r\n"  # no decimal mark, no day-first date: later rows tell
    "F-1002;1.234;KF-2;;04/07/2026\r\n"  # 1 234 where the decimal mark is a comma
    "F-1003;200;KF-3;;01/02/2026\r\n"
    "F-1004;300;KF-4;R-4;01/02/2026\r\n"
    "F-1005;12,50;KF-5;R-1;20/11/2026\r\n"  # R-1 is row 3's: refused
    "F-1003;200;KF-6;;01/02/2026\r\n"  # row 5 again but for its note: not identical
    "F-1007;50,00;KF-2;;02/02/2026\r\n"  # KF-2 is row 4's note, for another amount
    "F-1003;200;KF-3;;01/02/2026\r\n"  # row 5 again: the second of identical rows
    ";2 296,50;;;\r\n"  # the sum of every row above that has an amount: a total, left out
    "F-1011;10,00;KF-11;R-11;03/03/2026\r\n"
    "F-1012;;KF-12;R-12;03/03/2026\r\n"  # no amount: invalid
    "F-1013;5,00;KF-13;R-13;31/12/2026\r\n"
)


def _export(folder: Path) -> Path:
    path = folder / "export.csv"
    path.write_bytes(EXPORT.encode("cp1252"))
    return path


def _in_blocks_and_whole(
    main: Main, workdir: Path, monkeypatch: pytest.MonkeyPatch, *argv: str
) -> tuple[tuple[int, dict[str, Any]], tuple[int, dict[str, Any]]]:
    file = _export(workdir)
    blocks_of(monkeypatch, 4)
    in_blocks = main(*argv, str(file))[0], latest_report(workdir)
    (workdir / "j.sqlite").unlink()
    blocks_of(monkeypatch, None)
    whole = main(*argv, str(file))[0], latest_report(workdir)
    return in_blocks, whole


def test_a_dry_run_of_a_file_in_blocks_reports_every_row_as_the_file_read_whole(
    main: Main, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (code, report), (whole_code, whole) = _in_blocks_and_whole(
        main, workdir, monkeypatch, "validate"
    )
    assert report == whole
    assert code == whole_code == 1
    rows = {row["row"]: row for row in report["rows"]}
    assert rows[4]["request"]["amount"] == 1234.0  # a decimal comma, told by rows below
    assert rows[3]["request"]["client_registration_date"].startswith("Sat, 04 Jul 2026")
    assert [e["code"] for e in rows[7]["errors"]] == ["creditor_reference_duplicate"]
    assert "row 3" in rows[7]["errors"][0]["message"]
    [conflict] = rows[9]["errors"]  # KF-2 is row 4's note, for another amount
    assert conflict["code"] == "credit_invoice_conflict"
    assert "(row 4)" in conflict["message"]  # KF-2, row 4's note
    assert rows[5]["request"]["creditor_reference"] != rows[10]["request"]["creditor_reference"]
    assert 11 not in rows  # the total
    assert report["summary"]["left_out"]["total_rows"] == {"rows": 1, "amount": "2296.50"}
    assert rows[13]["outcome"] == "invalid"


def test_an_import_of_a_file_in_blocks_journals_and_credits_every_row_as_the_file_whole(
    main: Main, workdir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with (
        Sandbox(db_path=tmp_path / "a.sqlite", api_key="k") as first,
        Sandbox(db_path=tmp_path / "b.sqlite", api_key="k") as second,
    ):
        monkeypatch.setenv("AMILI_API_KEY", "k")
        file = _export(workdir)
        blocks_of(monkeypatch, 4)
        code = main("run", "--api-url", first.url, str(file))[0]
        report = latest_report(workdir)
        (workdir / "j.sqlite").unlink()
        blocks_of(monkeypatch, None)
        whole_code = main("run", "--api-url", second.url, str(file))[0]
        whole = latest_report(workdir)
    assert code == whole_code
    assert [(r["row"], r["outcome"], r["request"]) for r in report["rows"]] == [
        (r["row"], r["outcome"], r["request"]) for r in whole["rows"]
    ]
    assert report["summary"] == whole["summary"]
    assert report["warnings"] == whole["warnings"]


def test_a_file_mostly_of_rows_with_the_wrong_field_count_is_refused_whole_in_blocks_too(
    main: Main, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read with the wrong delimiter, most rows have too many fields: the file is refused,
    though no one block holds most of its rows."""
    text = "Fakturanummer;Belopp\r\n" + "".join(
        f"F-{i};10,00\r\n" if i < 4 else f"F-{i};10,00;x;y\r\n" for i in range(12)
    )
    file = workdir / "ragged.csv"
    file.write_text(text, encoding="utf-8")
    blocks_of(monkeypatch, 4)
    code, out, err = main("validate", str(file))
    assert code == 2, out + err
    assert "8 of 12 rows do not have the header's 2 fields" in out + err


def test_a_text_parsed_a_block_at_a_time_gives_the_records_of_the_text_parsed_whole() -> None:
    texts = [
        "a;b\r\n1;2\r\n\r\n3;4\r\n;\r\n5;6",
        'a;b\n"multi\nline";2\n"x""y";3\n\n4;5\n',
        "a,b\n" + "1,2\n" * 9 + ",".join(["x" * 20_000] * 8) + "\n4,5\n",  # csv reads it
    ]
    for text in texts:
        delimiter = ";" if text.startswith("a;") else ","
        whole = parse(text, delimiter, "f.csv")
        for size in (1, 2, 3, 7, 1000):
            blocks = list(parse_blocks(text, delimiter, "f.csv", size))
            assert [record for block in blocks for record in block] == whole
            assert all(len(block) == size for block in blocks[:-1])


def test_votes_of_blocks_add_up_to_the_votes_of_the_file() -> None:
    rng = random.Random(5)
    shapes = ["1,50", "1.50", "1.234.567", "1,234,567", "12", "1 234,5", "x", "1,234", None]
    for _ in range(200):
        cells = [rng.choice(shapes) for _ in range(rng.randint(0, 12))]
        cut = rng.randint(0, len(cells))
        votes = Votes.of(cells[:cut]) + Votes.of(cells[cut:])
        assert votes.detection() == detect_decimal_separator(cells)
    dates = ["04/07/2026", "20/11/2026", "11/20/2026", "1.2.2026", None, 5]
    for _ in range(200):
        cells = [rng.choice(dates) for _ in range(rng.randint(0, 8))]
        cut = rng.randint(0, len(cells))
        order = (DateVotes.of(cells[:cut]) | DateVotes.of(cells[cut:])).order()
        expected = FileOrder.of(cells)
        assert (order.order, order.conflicting) == (expected.order, expected.conflicting)


def test_identical_rows_counted_across_blocks_by_digest_are_counted_as_in_the_whole_file() -> None:
    rng = random.Random(11)
    for _ in range(50):
        keys = [(rng.choice("abc"), str(rng.randint(1, 4))) for _ in range(rng.randint(0, 40))]
        occurrences = FileOccurrences(key_digests(keys))
        assert list(occurrences.numbers()) == occurrences_of_keys(keys)
        assert list(occurrences.numbers()) == occurrences_of_keys(keys)  # each pass anew
