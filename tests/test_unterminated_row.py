"""A CSV whose last line has no line break may have been cut off mid-row (an upload broken
off at `…;8 234` where the ERP wrote `8 234,50`): that row is `invalid` with code
`unterminated_row` and never sent, the rows above it go through, unless the operator says
the sender's files end without a line break (`input.require_final_newline: false`)."""

from __future__ import annotations

from pathlib import Path

from cli_support import creditings, importer, report_of

from importer.sandbox import Sandbox

CUT = "Fakturanummer;Belopp\r\nF-1001;100,00\r\nF-1002;8 234"


def test_a_last_row_without_a_line_break_is_never_credited(workdir: Path, api: Sandbox) -> None:
    credits = workdir / "credits.csv"
    credits.write_bytes(CUT.encode("cp1252"))
    done = importer(workdir, "run", str(credits), api=api)
    assert done.returncode == 1, done.stderr
    assert [(c["invoice_number"], c["amount"]) for c in creditings(api)] == [("F-1001", 100)]
    rows = {row["row"]: row for row in report_of(workdir)["rows"]}
    assert rows[3]["outcome"] == "invalid"
    (error,) = rows[3]["errors"]
    assert error["code"] == "unterminated_row"
    assert "the file may have been cut off" in error["message"]
    assert "F-1002;8 234" in error["message"]


def test_a_final_line_break_or_trailing_blank_lines_leave_every_row_whole(
    workdir: Path, api: Sandbox
) -> None:
    credits = workdir / "credits.csv"
    credits.write_bytes((CUT + ",50\r\n;\r\n  ").encode("cp1252"))
    importer(workdir, "run", str(credits), api=api)
    assert sorted(c["amount"] for c in creditings(api)) == [100, 8234.5]
    assert {row["outcome"] for row in report_of(workdir)["rows"]} == {"credited"}


def test_require_final_newline_false_credits_the_last_row(workdir: Path, api: Sandbox) -> None:
    config = workdir / "config.yaml"
    config.write_text(
        config.read_text(encoding="utf-8") + "input:\n  require_final_newline: false\n",
        encoding="utf-8",
    )
    credits = workdir / "credits.csv"
    credits.write_bytes((CUT + ",50").encode("cp1252"))
    importer(workdir, "run", str(credits), api=api)
    assert sorted(c["amount"] for c in creditings(api)) == [100, 8234.5]
    assert {row["outcome"] for row in report_of(workdir)["rows"]} == {"credited"}
