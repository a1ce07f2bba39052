"""A file read a block at a time, attacked where its blocks meet: every rule that looks at more
than one row, and every way a text is laid out, gives each row the outcome, errors and
request (generated references byte for byte), the summary, warnings and exit code of the
file read whole — for a dry run and for a run (what is journaled and what is posted). A file
refused as a whole is refused in blocks too, nothing journaled, wherever its fault lies.

Real files on disk, the command line in this process, the sandbox over a real socket; each
file is read whole and in blocks of 3, 4 and 7 records (`blocks_support.SIZES`)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from blocks_support import HEAD, ran, run_alike, validate_alike
from blocks_support import written as _file
from cli_support import Main


def _rows(report: dict | None) -> dict[int, dict]:  # type: ignore[type-arg]
    assert report is not None
    return {row["row"]: row for row in report["rows"]}


def test_a_decimal_comma_told_only_by_the_last_block_reads_every_amount_with_it(
    main: Main, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = "".join(f"F-100{i % 6 + 1};1.234;KF-{i};;\r\n" for i in range(9))
    file = _file(workdir, HEAD + body + "F-1001;12,50;KF-99;;\r\n")
    _, report, _ = validate_alike(main, workdir, monkeypatch, file)
    assert _rows(report)[2]["request"]["amount"] == 1234.0


def test_day_first_dates_told_only_by_the_last_block_turn_every_date(
    main: Main, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = "".join(f"F-100{i % 6 + 1};10;KF-{i};;04/07/2026\r\n" for i in range(9))
    file = _file(workdir, HEAD + body + "F-1001;10;KF-99;;20/11/2026\r\n")
    _, report, _ = validate_alike(main, workdir, monkeypatch, file)
    assert _rows(report)[2]["request"]["client_registration_date"].startswith("Sat, 04 Jul")


def test_a_reference_repeated_across_blocks_is_refused_naming_its_first_row_even_invalid(
    main: Main, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """R-1 first on an invalid row (no amount), then in two later blocks; R-2 on rows 3 and 11."""
    text = HEAD + (
        "F-1001;;KF-1;R-1;\r\n"
        "F-1002;10;KF-2;R-2;\r\n"
        + "".join(f"F-1003;{i};KF-{i + 10};R-{i + 10};\r\n" for i in range(5))
        + "F-1004;11;KF-3;R-1;\r\n"
        "F-1005;12;KF-4;;\r\n"
        "F-1005;13;KF-5;R-2;\r\n"
        + "".join(f"F-1006;{i};KF-{i + 30};;\r\n" for i in range(4))
        + "F-1006;14;KF-6;R-1;\r\n"
    )
    _, report, _ = validate_alike(main, workdir, monkeypatch, _file(workdir, text))
    rows = _rows(report)
    assert [e["code"] for e in rows[9]["errors"]] == ["creditor_reference_duplicate"]
    assert "row 2" in rows[9]["errors"][0]["message"]
    assert "row 3" in rows[11]["errors"][0]["message"]
    assert "row 2" in rows[16]["errors"][0]["message"]


@pytest.mark.parametrize(
    "amounts",
    [
        # the rows above a total spanning three blocks
        ["10", "20", "30", "40", "50", "60", "70", "80", "=360"],
        # a total at a block's first row (row 4 in blocks of 3, row 5 in blocks of 4), then a
        # subtotal and a grand total in a row, then more rows and their total
        ["1", "2", "=3", "4", "5", "=9", "Totalt:12", "7", "8", "=15"],
        ["1", "2", "3", "=6", "4", "5", "6", "=15", "=15", "Summa:21"],
        # a sum of one row is no total; the rows above the next one reach back past it
        ["5", "=5", "1", "1", "1", "1", "1", "=15"],
    ],
)
def test_total_rows_are_found_whatever_blocks_the_rows_above_them_lie_in(
    main: Main, workdir: Path, monkeypatch: pytest.MonkeyPatch, amounts: list[str]
) -> None:
    lines = []
    for i, amount in enumerate(amounts):
        if amount.startswith("="):
            lines.append(f";{amount[1:]};;;\r\n")
        elif ":" in amount:
            lines.append("{};{};;;\r\n".format(*amount.split(":")))
        else:
            lines.append(f"F-100{i % 6 + 1};{amount};KF-{i};;\r\n")
    file = _file(workdir, HEAD + "".join(lines))
    _, report, _ = validate_alike(main, workdir, monkeypatch, file)
    assert report is not None
    assert report["summary"]["left_out"]["total_rows"]["rows"] >= 1


def test_identical_rows_across_blocks_get_the_generated_references_of_the_file_read_whole(
    main: Main, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same credit on rows 2, 6, 10 and 13: four credits, four references, each the one the
    file read whole gives, journaled and posted alike."""
    same = "F-1001;10,00;;;2026-02-01\r\n"
    others = [f"F-1002;{i},00;;;2026-02-01\r\n" for i in range(1, 9)]
    text = HEAD + same + "".join(others[:3]) + same + "".join(others[3:6]) + same
    text += "".join(others[6:]) + same
    file = _file(workdir, text)
    _, report, _ = validate_alike(main, workdir, monkeypatch, file)
    references = [row["request"]["creditor_reference"] for row in report["rows"]]  # type: ignore[index]
    assert len(set(references)) == len(references) == 12
    run_code, _, _, posted = run_alike(main, workdir, monkeypatch, file)
    assert run_code == 0
    assert len(posted) == 12


def test_identical_rows_among_rows_of_their_own_get_the_references_of_the_file_read_whole(
    main: Main, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows each with an invoice and credit note of their own (only these are not counted
    among identical rows from block to block) between identical rows sharing theirs, and
    rows sharing an invoice and note but not an amount."""
    lines = []
    for i in range(14):
        lines.append(f"F-100{i % 6 + 1};{i + 1},00;KF-{i};;2026-02-01\r\n")
        if i % 3 == 0:
            lines.append("F-1001;10,00;KF-S;;2026-02-01\r\n")
        if i % 5 == 0:
            lines.append(f"F-1002;{i + 2},00;KF-T;;2026-02-01\r\n")
    file = _file(workdir, HEAD + "".join(lines))
    _, report, _ = validate_alike(main, workdir, monkeypatch, file)
    assert report is not None
    references = [row["request"]["creditor_reference"] for row in report["rows"]]
    assert len(set(references)) == len(references)
    run_alike(main, workdir, monkeypatch, file)


@pytest.mark.parametrize(("later", "code"), [("10,00", "credit_invoice_already_credited"),
                                              ("20,00", "credit_invoice_conflict")])  # fmt: skip
def test_a_credit_note_met_in_the_first_block_and_again_in_the_third_is_told_alike(
    main: Main, workdir: Path, monkeypatch: pytest.MonkeyPatch, later: str, code: str
) -> None:
    body = "".join(f"F-100{i % 5 + 2};{i + 1},00;KF-{i};;\r\n" for i in range(7))
    text = HEAD + "F-1001;10,00;KF-X;;\r\n" + body + f"F-1001;{later};KF-X;;\r\n"
    file = _file(workdir, text)
    _, report, _ = validate_alike(main, workdir, monkeypatch, file)
    assert code in [e["code"] for e in _rows(report)[10]["errors"]]
    run_alike(main, workdir, monkeypatch, file)


@pytest.mark.parametrize(
    ("layout", "encoding"),
    [
        ("title", "utf-8"),  # blank and title rows before the header, past a block's size
        ("sep", "utf-8"),  # a `sep=;` line
        ("crlf", "cp1252"),
        ("lf", "utf-8-sig"),  # a BOM
        ("cr", "utf-8"),
        ("quoted", "utf-8"),  # a quoted cell over two lines at a block's edge
        ("no-final-break", "utf-8"),  # the last row may have been cut: held back
        ("deep-title", "utf-8"),  # the header in the third block or later
        ("daylight", "utf-8"),  # a skipped and a repeated local time, blocks apart
    ],
)
def test_a_file_laid_out_any_way_reads_in_blocks_as_whole(
    main: Main, workdir: Path, monkeypatch: pytest.MonkeyPatch, layout: str, encoding: str
) -> None:
    rows = [f"F-100{i % 6 + 1};{i + 1},50;KÖ-{i};;0{i % 9 + 1}/02/2026" for i in range(11)]
    if layout == "quoted":
        rows[2] = 'F-1003;3,50;"KÖ-2\r\nrad två";;03/02/2026'
    lines = [HEAD.rstrip("\r\n"), *rows]
    if layout == "title":
        lines = ["Export av krediteringar", "", ";;;;", "Skapad 2026-02-01", "", "", *lines]
    if layout == "deep-title":
        lines = [f"Rapport rad {n}" for n in range(10)] + lines
    if layout == "daylight":
        rows[1] = "F-1002;2,50;KÖ-1;;2026-03-29 02:30"
        rows[9] = "F-1004;10,50;KÖ-9;;2026-10-25 02:30"
        lines = [HEAD.rstrip("\r\n"), *rows]
    if layout == "sep":
        lines = ["sep=;", *lines]
    end = {"lf": "\n", "cr": "\r"}.get(layout, "\r\n")
    text = end.join(lines) + ("" if layout == "no-final-break" else end)
    file = _file(workdir, text, encoding)
    _, report, _ = validate_alike(main, workdir, monkeypatch, file)
    assert report is not None
    if layout == "daylight":
        codes = [warning["code"] for warning in report["warnings"]]
        assert codes == ["daylight_saving_gap", "daylight_saving_overlap"]
    run_alike(main, workdir, monkeypatch, file)


@pytest.mark.parametrize("fault", ['F-1006;9,00;"KF-9;;\r\n', 'F-1006;9,00;"KF"-9;;\r\n'])
def test_a_parse_error_in_the_last_block_refuses_the_file_with_nothing_journaled(
    main: Main, workdir: Path, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    body = "".join(f"F-100{i % 6 + 1};{i + 1},00;KF-{i};;\r\n" for i in range(10))
    file = _file(
        workdir, HEAD + body + "F-1001;1,00;KF-50;;\r\n" + fault + "F-1002;2,00;KF-51;;\r\n"
    )
    whole = ran(main, workdir, monkeypatch, file, None)
    for size in (3, 4, 7):
        code, _report, rows, posted = ran(main, workdir, monkeypatch, file, size)
        assert (code, rows, posted) == (whole[0], [], [])
    assert whole[0] == 2
    assert whole[2] == []
    assert whole[3] == []
    validate_alike(main, workdir, monkeypatch, file)


def test_padded_rows_across_blocks_are_the_files_shape_not_ragged(
    main: Main, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Excel padded every row but the first three to seven fields: the padded width is the
    file's, told by all its blocks, and no row is ragged; one row padded wider is."""
    rows = [f"F-100{i % 6 + 1};{i + 1},00;KF-{i};;" for i in range(3)]
    rows += [f"F-100{i % 6 + 1};{i + 1},00;KF-{i};;;;" for i in range(3, 12)]
    rows.append("F-1001;99,00;KF-99;;;;;;")
    file = _file(workdir, HEAD + "\r\n".join(rows) + "\r\n")
    _, report, _ = validate_alike(main, workdir, monkeypatch, file)
    invalid = [row["row"] for row in report["rows"] if row["outcome"] == "invalid"]  # type: ignore[index]
    assert invalid == [14]


def test_all_or_nothing_with_an_invalid_row_only_in_the_last_block_posts_nothing(
    main: Main, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = "".join(f"F-100{i % 6 + 1};{i + 1},00;KF-{i};;\r\n" for i in range(10))
    file = _file(workdir, HEAD + body + "F-1001;;KF-99;;\r\n")
    code, _, rows, posted = run_alike(main, workdir, monkeypatch, file, "--all-or-nothing")
    assert code == 1
    assert posted == []
    assert len(rows) == 11


def test_a_file_mostly_ragged_though_no_block_is_refused_before_anything_is_journaled(
    main: Main, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ragged rows all in the later blocks: the run refuses the file (exit 2) with no row
    journaled or posted, as the file read whole."""
    rows = [f"F-100{i % 6 + 1};{i + 1},00;KF-{i};;" for i in range(5)]
    rows += [f"F-100{i % 6 + 1};{i + 1},00;KF-{i};;;x;y" for i in range(5, 12)]
    file = _file(workdir, HEAD + "\r\n".join(rows) + "\r\n")
    code, _, journal_rows, posted = run_alike(main, workdir, monkeypatch, file)
    assert (code, journal_rows, posted) == (2, [], [])
    validate_alike(main, workdir, monkeypatch, file)


_PIECES = (
    "F-1001;10,00;KF-1;;2026-02-01",  # a credit note met again
    "F-1001;10,00;KF-1;;2026-02-01",
    "F-1002;20,00;KF-1;;2026-02-01",  # the same note, another amount
    "F-1003;1.234;;R-1;04/07/2026",  # thousands or decimals? a reference repeated
    "F-1004;5,5;;R-1;20/11/2026",
    "F-1005;7;;;",  # identical rows without references
    "F-1005;7;;;",
    ";17;;;",  # maybe a total
    "Summa;99;;;",
    "",  # a blank row
    "F-1006;;KF-9;;",  # no amount
    "F-1006;3,00;KF-8;;;x",  # ragged
    'F-1002;"4,00";"KF\r\n7";;',  # a quoted line break
    "F-1003;-2,00;;;",  # negative
    "F-1004;12,50;KF-3;R-2;2026-03-29 02:30",  # a skipped local time
)


@pytest.mark.parametrize("seed", range(16))
def test_a_file_of_hostile_rows_in_any_order_reads_in_blocks_as_whole(
    main: Main, workdir: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """Rows drawn at random from the ones every rule above looks at (totals, repeats,
    notes, blanks, ragged and quoted rows, amounts that need the file's separator); the
    first few also run, journaled and posted."""
    rng = random.Random(seed)
    rows = [rng.choice(_PIECES) for _ in range(rng.randint(8, 30))]
    file = _file(workdir, HEAD + "\r\n".join(rows) + "\r\n")
    validate_alike(main, workdir, monkeypatch, file)
    if seed < 3:
        run_alike(main, workdir, monkeypatch, file)
