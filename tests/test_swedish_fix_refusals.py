"""A correction file (`importer rerun ID --fix FILE`) that cannot be applied is refused in the
report's language: one the readers or the column mapping refuse, one with no key to match its
rows by, one whose rows match no row, several rows or a row another correction took, and a
report.xlsx whose sheets correct one row two ways — in Swedish under `report.language: sv`,
in the English printed until now otherwise. Nothing is changed either way. Real files, the
real command line, the sandbox over a real socket."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from cli_support import SAMPLE, importer, report_of
from test_swedish import assert_swedish
from test_swedish_refusals import DOUBLE_EN, DOUBLE_SV, configured

from importer.sandbox import Sandbox


@pytest.mark.parametrize("language", ["sv", "en"])
def test_a_refused_correction_file_is_told_in_the_reports_language(
    workdir: Path, api: Sandbox, language: str
) -> None:
    """`rerun --fix` reads its file with the same readers: a correction file they refuse is
    told as the report's language words it, and nothing is changed."""
    configured(workdir, language)
    assert importer(workdir, "run", str(SAMPLE), api=api).returncode == 1
    import_id = report_of(workdir)["file_import_report"]
    empty, double, keyless = workdir / "tom.csv", workdir / "dubbel.csv", workdir / "nyckel.csv"
    empty.write_bytes(b"")
    double.write_text("Fakturanummer;Belopp;Belopp\nF-1001;10,00;1\n", "utf-8")
    keyless.write_text("Fakturanummer;Belopp\nF-1001;10,00\n", "utf-8")
    said = {
        "sv": [
            f"importer: {empty}: filen är tom",
            f"importer: dubbel.csv: {DOUBLE_SV}",
            "importer: nyckel.csv: rättelserna kan inte kopplas till importens rader: filen har "
            "ingen kolumn 'row' eller 'Rad' (som report.csv och report.xlsx har), ingen kolumn "
            "för kreditfaktura och ingen kolumn för referens; rader kopplas aldrig efter sin "
            "plats, så inget ändrades",
        ],
        "en": [
            f"importer: {empty}: the file is empty",
            f"importer: dubbel.csv: {DOUBLE_EN}",
            "importer: nyckel.csv: the corrections cannot be matched to the import's rows: the "
            "file has no 'row' column (as report.csv and report.xlsx have), no credit note "
            "column and no reference column; rows are never matched by position, so nothing "
            "was changed",
        ],
    }[language]
    for fix, line in zip((empty, double, keyless), said, strict=True):
        done = importer(workdir, "rerun", import_id, "--fix", str(fix), api=api)
        assert done.returncode == 2, done.stderr
        assert done.stderr.splitlines() == [line]
    assert report_of(workdir, import_id)["summary"]["outcomes"]["invalid"] > 0  # unchanged


@pytest.mark.parametrize("language", ["sv", "en"])
def test_corrections_that_match_no_row_several_or_a_taken_one_are_told_in_the_reports_language(
    workdir: Path, api: Sandbox, language: str
) -> None:
    configured(workdir, language)
    export = workdir / "export.csv"
    export.write_text(
        "Fakturanummer;Belopp;Kreditfaktura\nF-1001;0;KF-1\nF-1002;0;KF-1\nF-1003;0;KF-3\n",
        encoding="utf-8",
    )
    assert importer(workdir, "run", str(export), api=api).returncode == 1
    import_id = report_of(workdir)["file_import_report"]
    fix = workdir / "fixed.csv"
    fix.write_text(
        "Fakturanummer;Belopp;Kreditfaktura\nF-1001;5,00;KF-1\nF-9;5,00;KF-99\n"
        "F-1003;5,00;KF-3\nF-1003;6,00;KF-3\n",
        encoding="utf-8",
    )
    done = importer(workdir, "rerun", import_id, "--fix", str(fix), api=api)
    assert done.returncode == 2, done.stderr
    said = {
        "sv": f"rättelserna kopplas till import {import_id} (export.csv) efter kreditfaktura: "
        "rad 3 (kreditfaktura KF-99) motsvarar ingen rad i importen; rad 2 (kreditfaktura "
        "KF-1) motsvarar raderna 2, 3; en rättelse måste motsvara exakt en rad; raderna 4 och "
        "5 rättar båda rad 4; inget ändrades",
        "en": f"corrections are matched to import {import_id} (export.csv) by credit note: row "
        "3 (credit note KF-99) matches no row of the import; row 2 (credit note KF-1) matches "
        "rows 2, 3; a correction must match exactly one row; rows 4 and 5 both correct row 4; "
        "nothing was changed",
    }[language]
    assert done.stderr.splitlines() == [f"importer: fixed.csv: {said}"]
    fix.write_text(
        "Fakturanummer;Belopp;Kreditfaktura\n"
        + "".join(f"F-9;5,00;KF-{n}\n" for n in range(90, 102)),
        encoding="utf-8",
    )
    done = importer(workdir, "rerun", import_id, "--fix", str(fix), api=api)
    many = {
        "sv": "rad 11 (kreditfaktura KF-99) och 2 till motsvarar ingen rad i importen",
        "en": "row 11 (credit note KF-99) and 2 more match no row of the import",
    }[language]
    assert many in done.stderr, done.stderr


def test_a_row_corrected_two_ways_in_a_swedish_report_xlsx_is_told_in_swedish(
    workdir: Path, api: Sandbox
) -> None:
    swedish = configured(workdir, "sv")
    export = swedish / "export.csv"
    export.write_text("Fakturanummer;Belopp;Kreditfaktura\nF-1001;0;KF-1\n", encoding="utf-8")
    assert importer(swedish, "run", str(export), api=api).returncode == 1
    import_id = report_of(swedish)["file_import_report"]
    book = openpyxl.load_workbook(swedish / "reports" / import_id / "report.xlsx")
    for name, amount in (("Behöver åtgärd", "20,00"), ("Alla rader", "30,00")):
        sheet = book[name]
        header = [cell.value for cell in sheet[1]]
        for line in sheet.iter_rows(min_row=2):
            if line[header.index("Rad")].value == 2:
                line[header.index("Belopp")].value = amount
    fixed = swedish / "fixed.xlsx"
    book.save(fixed)
    done = importer(swedish, "rerun", import_id, "--fix", str(fixed), api=api)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.splitlines() == [
        "importer: fixed.xlsx: rad 2 ('Behöver åtgärd' och 'Alla rader') rättade på olika sätt "
        "på två blad; rätta varje rad på ett enda blad: inget ändrades"
    ]


@pytest.mark.parametrize("language", ["sv", "en"])
def test_a_report_whose_id_names_no_crediting_of_the_import_is_told_in_the_reports_language(
    workdir: Path, api: Sandbox, language: str
) -> None:
    """A report.csv without its import column whose credited row holds an `_id` the journal
    knows no crediting by is no report of this import; the refusal says so in its language."""
    configured(workdir, language)
    export = workdir / "export.csv"
    export.write_text("Fakturanummer;Belopp\nF-1001;10,00\nF-1002;0\n", encoding="utf-8")
    assert importer(workdir, "run", str(export), api=api).returncode == 1
    import_id = report_of(workdir)["file_import_report"]
    text = (workdir / "reports" / import_id / "report.csv").read_text(encoding="utf-8-sig")
    table = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    header = table[0]
    gone = header.index("import")
    table[1][header.index("_id")] = "okänd-kreditering"
    fix = workdir / "fixed.csv"
    with fix.open("w", encoding="utf-8-sig", newline="") as out:
        csv.writer(out, delimiter=";").writerows(line[:gone] + line[gone + 1 :] for line in table)
    done = importer(workdir, "rerun", import_id, "--fix", str(fix), api=api)
    assert done.returncode == 2, done.stderr
    unknown = {
        "sv": f"okänd (rad 2 har _id okänd-kreditering, som ingen kreditering i {import_id} har)",
        "en": f"unknown (row 2's _id okänd-kreditering is no crediting of {import_id})",
    }[language]
    said = {
        "sv": f"detta är rapporten för import {unknown}, inte för import {import_id} "
        f"(export.csv): rättelser hör till den import de kommer från (importer rerun {unknown} "
        "--fix fixed.csv); inget ändrades",
        "en": f"this is the report of import {unknown}, not of import {import_id} (export.csv): "
        f"corrections belong to the import they came from (importer rerun {unknown} --fix "
        "fixed.csv); nothing was changed",
    }[language]
    assert done.stderr.splitlines() == [f"importer: fixed.csv: {said}"]
    if language == "sv":
        assert_swedish(done.stderr, "the refusal")
