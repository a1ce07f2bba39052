"""Under `report.language: sv` a row error's detail — the sentence naming the cell, the limit,
the row — is Swedish where people read it (report.html, report.xlsx, `importer show`), with
numbers in the Swedish form, while report.json keeps each rule's English `message` unchanged.
A detail this version cannot word in Swedish is left out: the Swedish error text stands alone,
never followed by English. The sentences are the rules' own, made by real files through the
real command line; the important Swedish ones are pinned word for word."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from cli_support import CREDITOR, SAMPLE, importer, report_of
from test_swedish import assert_swedish

from importer.outcomes import RowError
from importer.row_detail import reason_with_detail, row_detail
from importer.sandbox import Sandbox
from importer.validation.cells import object_id
from importer.validation.problems import CellProblem
from importer.words import text


@pytest.fixture
def swedish(workdir: Path) -> Path:
    (workdir / "config.yaml").write_text(
        f"defaults:\n  creditor: {CREDITOR}\nreport:\n  dir: reports\n  language: sv\n"
        'journal:\n  path: j.sqlite\ninput:\n  max_amount: "1000000"\n',
        encoding="utf-8",
    )
    return workdir


_CSV = (
    "Fakturanummer;Belopp;Valuta;Kreditfaktura;Datum\n"
    "F-1;1 250,00;SEK;K0;2026-11-20\n"
    "F-2;12,345;SEK;K1;2026-11-20\n"
    "F-3;0,00;SEK;K2;2026-11-20\n"
    "F-4;-5,00;SEK;K3;2026-11-20\n"
    "F-5;abc;SEK;K4;2026-11-20\n"
    "F-7;10,00;SEK;K6;2026-02-30\n"
    ";10,00;SEK;K7;2026-11-20\n"
    "F-9;10,00;SEK;K8;2026-11-20;x\n"
    "F-10;10,00;EUR;K9;2026-11-20\n"
    "9,87654E+11;10,00;SEK;K10;2026-11-20\n"
    "F-11;10,00;SEK;K11;04/07/2025\n" + "X" * 300 + ";10,00;SEK;K12;2026-11-20\n"
    "F-13;10,00;SEK;K13;20261120"  # no final line break: the file may have been cut off
)

SWEDISH_DETAILS = {
    3: "Beloppet 12,345 har fler än två decimaler (öre).",
    4: "Beloppet 0,00 är noll; det finns inget att kreditera.",
    5: "Beloppet -5,00 är negativt; ett krediteringsbelopp måste vara positivt (ange "
    "input.negative_amounts: absolute om exporten skriver krediteringar med minustecken).",
    6: "Beloppet 'abc' är inte ett tal.",
    7: "Datumet 2026-02-30 finns inte (kontrollera dag, månad och tid).",
    8: "Raden har varken ärende-id eller fakturanummer; ett av dem behövs för att veta vilket "
    "ärende som ska krediteras.",
    9: "raden har 6 fält, rubrikraden 5 — avgränsningstecknet i en cell utan citattecken? "
    "Raden lyder: F-9;10,00;SEK;K8;2026-11-20;x. Skickades inte.",
    10: "Valutan EUR stöds inte; bara SEK kan krediteras.",
    11: "Fakturanummer: Excel har gjort om talet till 9,87654E+11; formatera kolumnen som text "
    "och exportera igen.",
    12: "Datumet 04/07/2025 är tvetydigt (kommer dagen eller månaden först?): inget datum i "
    "filen visar om dagen eller månaden kommer först; skriv datum som ÅÅÅÅ-MM-DD, t.ex. "
    "2025-07-04, eller ange input.date_format.",
    13: "Fakturanummer " + "X" * 40 + "… har 300 tecken; högst 100 tecken är tillåtna.",
    14: "filens sista rad saknar radbrytning: filen kan ha klippts av i den här raden. Raden "
    "lyder: F-13;10,00;SEK;K13;20261120. Skicka hela filen igen (eller ange "
    "input.require_final_newline: false om avsändarens filer alltid slutar så). Skickades inte.",
}


def _errors_by_row(report: dict) -> dict[int, list[RowError]]:
    return {r["row"]: [RowError(**e) for e in r["errors"]] for r in report["rows"] if r["errors"]}


def test_the_rules_sentences_a_finance_person_meets_most_are_worded_in_swedish(
    swedish: Path,
) -> None:
    credits = swedish / "credits.csv"
    credits.write_text(_CSV, encoding="utf-8")
    assert importer(swedish, "validate", str(credits)).returncode == 1
    errors = _errors_by_row(report_of(swedish))
    assert {row: [row_detail(e, "sv") for e in found] for row, found in errors.items()} == {
        row: [detail] for row, detail in SWEDISH_DETAILS.items()
    }
    # report.json's machine contract is untouched: the rule's English sentence, as before
    assert errors[3][0].message == "Amount 12,345 has more than two decimals (öre)."
    assert errors[10][0].message == "Currency EUR is not supported; only SEK can be credited."
    page = next((swedish / "reports").glob("*/report.html")).read_text(encoding="utf-8")
    assert "belopp: Beloppet 12,345 har fler än två decimaler (öre)." in page
    assert "amount: " not in page  # the field named in Swedish, not as the API names it
    assert "Raden lyder: F-9;10,00;SEK;K8;2026-11-20;x. Skickades inte." in page
    assert_swedish(page, "report.html")


def test_a_spreadsheets_numbers_and_merged_cells_are_worded_in_swedish_in_report_xlsx(
    swedish: Path,
) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Fakturanummer", "Belopp", "Kreditfaktura"])
    sheet.append(["F-1", 2500000.5, "K1"])
    sheet.append(["F-2", 10, "K2"])
    sheet.append([None, 10, "K3"])
    sheet.merge_cells("A3:A4")
    credits = swedish / "credits.xlsx"
    book.save(credits)
    assert importer(swedish, "validate", str(credits)).returncode == 1
    report = report_of(swedish)
    errors = _errors_by_row(report)
    too_large = (
        "Beloppet 2 500 000,5 är större än maxbeloppet 1 000 000 (input.max_amount i "
        "konfigurationen)."
    )
    merged = (
        "Cellen i Fakturanummer är tom: A4 ingår i de sammanfogade cellerna A3:A4, vars värde "
        "bara den första cellen har; dela upp cellerna och fyll i varje rad. Skickades inte."
    )
    assert [row_detail(e, "sv") for e in errors[2]] == [too_large]
    assert [row_detail(e, "sv") for e in errors[4]] == [merged]
    assert errors[2][0].message.startswith("Amount 2500000.5 is larger than the maximum 1000000")
    workbook = openpyxl.load_workbook(next((swedish / "reports").glob("*/report.xlsx")))
    cells = [
        str(c) for ws in workbook.worksheets for r in ws.iter_rows(values_only=True) for c in r
    ]
    assert f"belopp: {too_large}" in cells
    assert f"fakturanummer: {merged}" in cells
    assert_swedish("\n".join(cells), "report.xlsx")


def test_swedish_show_gives_a_reason_and_its_detail_in_swedish_only(
    swedish: Path, api: Sandbox
) -> None:
    assert importer(swedish, "run", str(SAMPLE), api=api).returncode == 1
    import_id = report_of(swedish)["file_import_report"]
    shown = importer(swedish, "show", import_id).stdout
    (line,) = [line for line in shown.splitlines() if line.startswith("  rad 6 ")]
    assert (
        "Beloppet har fler än två decimaler (öre). (Beloppet 12,345 har fler än två decimaler "
        "(öre).)" in line
    )
    assert_swedish(shown, "importer show")


def test_an_api_refusal_keeps_the_apis_own_words_behind_a_swedish_prefix() -> None:
    refused = RowError(
        field="case", code="api_rejected", message="The API refused it: case not found"
    )
    http = RowError(field="", code="api_http_409", message="The API refused it (HTTP 409): busy")
    assert reason_with_detail(refused, "sv") == (
        "API:et avvisade raden. (API:et avvisade raden: case not found)"
    )
    assert row_detail(http, "sv") == "API:et avvisade raden (HTTP 409): busy"


def test_a_detail_without_swedish_words_leaves_the_swedish_error_text_alone() -> None:
    ambiguous = RowError(
        field="client_registration_date",
        code="date_invalid",
        message="Date 04/07/2025 is ambiguous (is the day or the month first?): both are "
        "possible; write dates as YYYY-MM-DD, e.g. 2025-07-04, or set input.date_format.",
    )
    assert row_detail(ambiguous, "sv") is None
    assert reason_with_detail(ambiguous, "sv") == text("error.date_invalid", "sv")
    hint = RowError(
        field="",
        code="field_count",
        message="row has 4 fields, the header 5 — a hint this version never wrote "
        "The row reads: a;b;c;d. Not sent.",
    )
    assert reason_with_detail(hint, "sv") == text("error.field_count", "sv")


def test_english_keeps_the_rules_sentence_byte_for_byte() -> None:
    error = RowError(field="amount", code="amount_zero", message="Amount 0 is zero; whatever.")
    assert row_detail(error, "en") == error.message
    assert reason_with_detail(error, "en") == (
        "The amount is zero; there is nothing to credit. (Amount 0 is zero; whatever.)"
    )


def test_a_credit_note_sentence_is_shown_only_when_it_is_already_in_the_language_asked() -> None:
    where = text("detail.where_row", "sv", row=3)
    swedish = text("detail.already_credited", "sv", note="KF-1", where=where)
    english = text("detail.already_credited", "en", note="KF-1", where="row 3")
    for message, shown in [(swedish, swedish), (english, None)]:
        error = RowError(
            field="credit_invoice", code="credit_invoice_already_credited", message=message
        )
        assert row_detail(error, "sv") == shown


@pytest.mark.parametrize(
    ("cell", "swedish"),
    [
        (
            "abc",
            "Ärende-id abc är inget giltigt id: det ska vara 24 tecken 0-9 och a-f (3 tecken).",
        ),
        (
            "g" * 24,
            f"Ärende-id {'g' * 24} är inget giltigt id: det ska vara 24 tecken 0-9 och a-f "
            "(andra tecken än 0-9 och a-f).",
        ),
    ],
)
def test_a_case_id_that_is_no_id_is_told_in_swedish(cell: str, swedish: str) -> None:
    with pytest.raises(CellProblem) as raised:
        object_id(cell, "case")
    problem = raised.value
    error = RowError(field="case", code=problem.code, message=problem.message)
    assert row_detail(error, "sv") == swedish
