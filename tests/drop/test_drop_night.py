"""One summary a night, told only when there is news (the clock injected, no sleeping):
the passes of a night add up in `drops/<night>/`; a pass with nothing new writes and prints
nothing (unless verbose); the night turns at `drop.night_starts`; the summary names what waits
and why, folders left alone, each row needing attention by credit note and invoice, and the
next command — in the report language; an expected file that has not come by
`drop.expect_by` is news once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from night_support import make_night
from openpyxl import Workbook
from pipeline.exactly_once_support import KEY, write_cases, write_credits

from importer.exit_codes import ExitCode
from importer.sandbox import Sandbox

INVOICES = [f"EO-{n:04d}" for n in range(1, 11)]


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    cases = tmp_path / "cases.json"
    write_cases(cases, 10)
    monkeypatch.setenv("AMILI_API_KEY", KEY)
    with Sandbox(db_path=tmp_path / "api.sqlite", cases_path=cases, api_key=KEY) as sandbox:
        yield sandbox


def _json(folder: Path) -> dict:
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))


def test_the_passes_of_a_night_add_up_and_a_pass_without_news_writes_and_prints_nothing(
    tmp_path: Path, api: Sandbox
) -> None:
    night = make_night(tmp_path, api.url)
    write_credits(night.inbox / "a.csv", INVOICES, 4, seed=1)
    code, printed = night.pass_at("2027-01-15 01:00")
    assert code == ExitCode.OK
    folder = night.summary("2027-01-14")  # the small hours belong to the night begun at noon
    assert "a.csv" in printed
    assert str(folder) in printed
    written = (folder / "summary.json").read_bytes()

    code, printed = night.pass_at("2027-01-15 01:15")
    assert (code, printed) == (ExitCode.OK, "")
    assert (folder / "summary.json").read_bytes() == written
    assert [p.name for p in (night.work / "reports" / "drops").iterdir()] == ["2027-01-14"]

    code, printed = night.pass_at("2027-01-15 01:30", verbose=True)
    assert "a.csv" in printed  # -v: the night so far, written nowhere new
    assert (folder / "summary.json").read_bytes() == written

    write_credits(night.inbox / "b.csv", INVOICES, 3, seed=2)
    night.pass_at("2027-01-15 03:00")
    summary = _json(folder)
    assert [f["file"] for f in summary["files"]] == ["a.csv", "b.csv"]
    assert summary["started"] == "2027-01-15T01:00:00+01:00"
    assert summary["finished"] == "2027-01-15T03:00:00+01:00"
    text = (folder / "summary.txt").read_text(encoding="utf-8")
    assert "2027-01-15 01:00:00 +01:00 to 2027-01-15 03:00:00 +01:00" in text

    write_credits(night.inbox / "c.csv", INVOICES, 2, seed=3)
    night.pass_at("2027-01-15 12:00")  # noon: the next night begins
    assert [f["file"] for f in _json(night.summary("2027-01-15"))["files"]] == ["c.csv"]
    assert len(_json(folder)["files"]) == 2


def test_rows_needing_attention_are_named_by_credit_note_and_invoice_with_the_next_command(
    tmp_path: Path, api: Sandbox
) -> None:
    night = make_night(tmp_path, api.url)
    (night.inbox / "credits.csv").write_text(
        "invoice_number,amount,credit_invoice\nEO-0001,10.00,KF-1\nEO-0002,12.5x,KF-2\n",
        encoding="utf-8",
    )
    code, printed = night.pass_at("2027-01-15 02:00")
    assert code == ExitCode.ATTENTION
    (item,) = _json(night.summary("2027-01-14"))["files"]
    (row,) = item["attention"]
    assert (row["row"], row["credit_note"], row["invoice"]) == (3, "KF-2", "EO-0002")
    assert (
        "row 3 invalid, not sent: credit note KF-2, invoice EO-0002: The amount is not a "
        "number." in printed
    )
    csv = Path(item["report_dir"]) / "report.csv"
    assert "next: Correct the row" not in printed
    assert f"importer rerun {item['import_id']} --fix {csv}" in printed


def test_the_summary_speaks_the_report_language(tmp_path: Path, api: Sandbox) -> None:
    night = make_night(tmp_path, api.url, report={"language": "sv"})
    (night.inbox / "credits.csv").write_text(
        "invoice_number,amount,credit_invoice\nEO-0001,1234.50,KF-1\nEO-0002,0,KF-2\n",
        encoding="utf-8",
    )
    night.pass_at("2027-01-15 02:00")
    text = (night.summary("2027-01-14") / "summary.txt").read_text(encoding="utf-8")
    assert text.startswith("Natten 2027-01-14 — inkorg ")
    assert "returkod 1 (något behöver åtgärdas)" in text
    assert "begärt belopp 1 234,50 SEK" in text
    assert (
        "rad 3 ogiltig, ej skickad: kreditfaktura KF-2, faktura EO-0002: Beloppet är noll" in text
    )
    assert "2 rader: krediterade 1, ogiltiga 1, avvisade 0" in text
    assert "nästa steg: Rätta raderna" in text


def test_what_waits_and_folders_left_alone_are_said_with_why(tmp_path: Path, api: Sandbox) -> None:
    night = make_night(tmp_path, api.url, drop={"ready": "marker"})
    write_credits(night.inbox / "nomark.csv", INVOICES, 2, seed=4)
    stray = night.inbox / "acme"
    stray.mkdir()
    write_credits(stray / "theirs.csv", INVOICES, 2, seed=5)
    code, printed = night.pass_at("2027-01-15 02:00")
    assert code == ExitCode.OK
    assert "inbox/nomark.csv: no .done or .ok marker beside it" in printed
    assert (
        f"{stray}: no config.yaml, so it is no creditor's inbox; its 1 file(s) are not" in printed
    )
    summary = _json(night.summary("2027-01-14"))
    assert summary["waiting"][0]["why"] == "no_marker"
    assert summary["ignored"] == [{"folder": str(stray), "why": "no config.yaml", "files": 1}]
    assert night.pass_at("2027-01-15 02:15") == (ExitCode.OK, "")  # said once a night


def test_an_expected_file_that_has_not_come_by_expect_by_is_news_once(
    tmp_path: Path, api: Sandbox
) -> None:
    night = make_night(tmp_path, api.url, drop={"expect": "daily", "expect_by": "06:00"})
    assert night.pass_at("2027-01-15 05:45") == (ExitCode.OK, "")
    code, printed = night.pass_at("2027-01-15 06:00")
    assert code == ExitCode.ATTENTION
    assert (
        "NO FILE: inbox inbox expects a file every night (drop.expect: daily) and had "
        "none by 06:00." in printed
    )
    assert _json(night.summary("2027-01-14"))["missing"] == ["inbox"]
    assert night.pass_at("2027-01-15 06:15") == (ExitCode.OK, "")


def test_an_expected_file_that_came_is_no_news_at_expect_by(tmp_path: Path, api: Sandbox) -> None:
    night = make_night(tmp_path, api.url, drop={"expect": "daily", "expect_by": "06:00"})
    write_credits(night.inbox / "a.csv", INVOICES, 2, seed=6)
    night.pass_at("2027-01-15 02:00")
    assert night.pass_at("2027-01-15 06:30") == (ExitCode.OK, "")
    assert _json(night.summary("2027-01-14"))["missing"] == []


def _krediter(path: Path, third: float, *more: list[object]) -> None:
    """A workbook of three credits on its sheet "Krediter" (the third of `third`), then the
    rows `more`; its row 3 (the second credit) hidden."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Krediter"
    sheet.append(["Fakturanummer", "Belopp", "Kreditfaktura"])
    for row in (["EO-0001", 10, "KF-1"], ["EO-0002", 20, "KF-2"], ["EO-0003", third, "KF-3"]):
        sheet.append(row)
    for row in more:
        sheet.append(row)
    sheet.row_dimensions[3].hidden = True
    book.save(path)


def test_a_files_warnings_are_in_the_summary(tmp_path: Path, api: Sandbox) -> None:
    """A workbook's hidden row is left out and said in the import's report; the night's
    summary repeats the warning, so the morning's reader need not open the report."""
    night = make_night(tmp_path, api.url)
    _krediter(night.inbox / "credits.xlsx", 30)
    code, printed = night.pass_at("2027-01-15 02:00")
    assert code == ExitCode.OK
    (item,) = _json(night.summary("2027-01-14"))["files"]
    (warning,) = item["warnings"]
    assert "1 hidden row(s) of sheet 'Krediter' were left out: rows 3" in warning
    assert f"warning: {warning}" in printed


def test_a_files_warnings_are_in_the_summary_in_the_report_language(
    tmp_path: Path, api: Sandbox
) -> None:
    """Under `report.language: sv` the night's summary says a hidden row and a total row in
    Swedish, as the command line and the report say them, Swedish numbers included."""
    night = make_night(tmp_path, api.url, report={"language": "sv"})
    _krediter(night.inbox / "credits.xlsx", 1230.5, ["Summa", 1260.5, None])
    code, printed = night.pass_at("2027-01-15 02:00")
    assert code == ExitCode.OK
    (item,) = _json(night.summary("2027-01-14"))["files"]
    hidden, total = item["warnings"]
    assert hidden.startswith("dolda rader på bladet 'Krediter' (1) togs inte med: rad 3"), hidden
    assert total == "rad 5 är en summarad (belopp 1 260,50), inte en kreditering, och togs inte med"
    assert f"varning: {total}" in printed
    assert "left out" not in printed


@pytest.mark.parametrize(("language", "said"), [("sv", "avvisad av API:et"), ("en", "the API")])
def test_an_outcome_named_inside_a_sentence_keeps_its_capitals(
    tmp_path: Path, api: Sandbox, language: str, said: str
) -> None:
    """A row's outcome begins a sentence in the reports and is inside one in the summary:
    only its first letter changes — "API:et" is no "api:et"."""
    night = make_night(tmp_path, api.url, report={"language": language})
    (night.inbox / "credits.csv").write_text(
        "invoice_number,amount,credit_invoice\nEO-9999,10.00,KF-9\n", encoding="utf-8"
    )
    night.pass_at("2027-01-15 02:00")
    text = (night.summary("2027-01-14") / "summary.txt").read_text(encoding="utf-8")
    assert "rejected" in json.dumps(_json(night.summary("2027-01-14"))), text
    assert said in text, text
    assert "api:et" not in text, text
    assert "the api" not in text, text
