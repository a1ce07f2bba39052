"""Every `rerun --fix` is recorded in the import's append-only audit trail: the OS user and
host always (a `--by` name beside them), when, the fix file's name and SHA-256 and every
cell changed, old and new; rows a workbook saved again unchanged are no correction; `show`,
report.json and report.xlsx show it; the package has no statement that changes or deletes
an entry. Real importer processes against the sandbox over a real socket, journal on disk."""

from __future__ import annotations

import csv
import getpass
import hashlib
import re
import socket
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import openpyxl
from cli_support import SAMPLE, corrected_report_csv, importer, in_process, report_of

from importer.sandbox import Sandbox

PACKAGE = Path(__file__).resolve().parents[2] / "importer"


def _fixed_csv(workdir: Path, import_id: str) -> Path:
    """report.csv with row 6's amount corrected, every other row as it was."""
    report_csv = workdir / "reports" / import_id / "report.csv"
    return corrected_report_csv(report_csv, 6, {"Belopp": "12,35"}, workdir / "fixed.csv")


def _saved_again(
    workdir: Path,
    import_id: str,
    name: str,
    edit: Callable[[list[str], list[list[str]]], None],
    delimiter: str = ";",
) -> Path:
    """The import's report.csv as a spreadsheet program saves it again: its rows, after
    `edit(header, lines)`, written to `name` with `delimiter`."""
    report_csv = workdir / "reports" / import_id / "report.csv"
    with report_csv.open(encoding="utf-8-sig", newline="") as handle:
        header, *lines = csv.reader(handle, delimiter=";")
    edit(header, lines)
    saved = workdir / name
    with saved.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=delimiter).writerows([header, *lines])
    return saved


def test_a_fix_records_who_when_which_file_and_every_cell_changed(
    workdir: Path, api: Sandbox
) -> None:
    importer(workdir, "run", str(SAMPLE), api=api)
    import_id = report_of(workdir)["file_import_report"]
    fix = _fixed_csv(workdir, import_id)
    done = importer(workdir, "rerun", import_id, "--fix", str(fix), "--by", "Anna L", api=api)
    assert done.returncode == 1, done.stdout + done.stderr  # row 7 is still rejected

    (entry,) = report_of(workdir)["audit"]
    assert entry["action"] == "correct"
    assert entry["os_user"] == getpass.getuser()
    assert entry["host"] == socket.gethostname()
    assert entry["by"] == "Anna L"
    assert entry["fix_file"] == "fixed.csv"
    assert entry["fix_sha256"] == hashlib.sha256(fix.read_bytes()).hexdigest()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", entry["at"])
    assert entry["rows"] == [6]  # the seven untouched copies of the other rows are not
    assert entry["changes"] == [{"row": 6, "column": "Belopp", "old": "12,345", "new": "12,35"}]

    shown = importer(workdir, "show", import_id).stdout
    me = f"{getpass.getuser()}@{socket.gethostname()} (Anna L)"
    assert f"correct row(s) 6 by {me} from fixed.csv (SHA-256 {entry['fix_sha256']})" in shown
    assert "by hand      row 6 Belopp: '12,345' -> '12,35'" in shown

    book = openpyxl.load_workbook(workdir / "reports" / import_id / "report.xlsx")
    summary = [cell for row in book.worksheets[0].iter_rows(values_only=True) for cell in row]
    assert "  row 6 Belopp: '12,345' -> '12,35'" in summary
    assert any(isinstance(c, str) and "from fixed.csv" in c for c in summary)


def test_a_workbook_saved_again_unchanged_records_no_changed_cell(
    workdir: Path, api: Sandbox
) -> None:
    importer(workdir, "run", str(SAMPLE), api=api)
    import_id = report_of(workdir)["file_import_report"]
    book = openpyxl.load_workbook(workdir / "reports" / import_id / "report.xlsx")
    again = workdir / "saved-again.xlsx"
    book.save(again)  # opened and saved, nothing typed
    done = importer(workdir, "rerun", import_id, "--fix", str(again), api=api)
    assert done.returncode == 1, done.stdout + done.stderr
    (entry,) = report_of(workdir)["audit"]
    assert entry["fix_file"] == "saved-again.xlsx"
    assert entry["rows"] == []
    assert entry["changes"] == []


def test_rerun_without_a_fix_and_a_dry_run_record_nothing(workdir: Path, api: Sandbox) -> None:
    importer(workdir, "run", str(SAMPLE), api=api)
    import_id = report_of(workdir)["file_import_report"]
    fix = _fixed_csv(workdir, import_id)
    dry = importer(workdir, "rerun", import_id, "--fix", str(fix), "--dry-run", api=api)
    assert dry.returncode in (0, 1), dry.stdout + dry.stderr
    importer(workdir, "rerun", import_id, api=api)
    assert report_of(workdir)["audit"] == []


def test_no_statement_in_the_package_changes_or_deletes_an_audit_entry() -> None:
    sql = re.compile(r"(UPDATE\s+audit|DELETE\s+FROM\s+audit|DROP\s+TABLE\s+audit)", re.I)
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}: {match.group(0)}"
        for path in PACKAGE.rglob("*.py")
        for match in sql.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_os_user_recorded_is_the_account_not_what_the_environment_says(
    workdir: Path, api: Sandbox
) -> None:
    """$USER and $LOGNAME are typed like --by: the trail's OS user is the account the
    command runs under (its uid's login name), so a changed environment cannot put another
    person's name on a resolution."""
    import os
    import pwd

    assert importer(workdir, "run", str(SAMPLE), api=api).returncode == 1
    import_id = report_of(workdir)["file_import_report"]
    env = {k: v for k, v in os.environ.items() if k != "IMPORTER_CONFIG"}
    env.update(USER="mallory", LOGNAME="mallory", LNAME="mallory", USERNAME="mallory")
    done = in_process(["resolve", import_id, "6", "--note", "done"], cwd=workdir, env=env)
    assert done.returncode == 0, done.stderr
    account = pwd.getpwuid(os.geteuid()).pw_name
    (entry,) = report_of(workdir, import_id)["audit"]
    assert entry["os_user"] == account


def test_a_report_csv_saved_again_with_english_settings_records_only_the_cell_changed(
    workdir: Path, api: Sandbox
) -> None:
    """report.csv opened with English settings and saved (as LibreOffice or Excel saves it:
    `,` and `.`, amounts as plain numbers, `1 250,00` becoming `1250`) is one of the dialects
    `rerun --fix` takes: the rows whose values are as they were are untouched copies, so the
    trail records the one amount a person changed and no row is said to be left alone."""
    importer(workdir, "run", str(SAMPLE), api=api)
    import_id = report_of(workdir)["file_import_report"]

    def english(header: list[str], lines: list[list[str]]) -> None:
        for line in lines:
            for column in ("Belopp", "settled_amount"):
                cell = line[header.index(column)].replace(" ", "").replace(",", ".")
                if re.fullmatch(r"\d+\.\d\d", cell):
                    line[header.index(column)] = format(Decimal(cell).normalize(), "f")
            if line[header.index("row")] == "6":
                line[header.index("Belopp")] = "12.35"

    fix = _saved_again(workdir, import_id, "saved-in-english.csv", english, delimiter=",")
    done = importer(workdir, "rerun", import_id, "--fix", str(fix), api=api)
    assert done.returncode == 1, done.stdout + done.stderr  # row 7 is still rejected
    assert "left as they were" not in done.stdout, done.stdout
    (entry,) = report_of(workdir)["audit"]
    assert entry["changes"] == [{"row": 6, "column": "Belopp", "old": "12,345", "new": "12.35"}]


def test_a_report_csv_saved_again_with_swedish_settings_changes_no_row_still_invalid(
    workdir: Path, api: Sandbox
) -> None:
    """report.csv saved again by a spreadsheet with Swedish settings, nothing typed: the
    program writes every number it read in its own form (`1 234,50` as `1234,5`, `-50,00` as
    `-50`, `2026-11-20 08:00` as `2026-11-20 08:00:00`). A row still invalid for another
    reason (no invoice, a negative amount) keeps an amount that reads as its own, and a
    credited row a time that is its own: the trail records no changed cell and no row is
    said to be left alone — the trail is append-only, a false "changed by hand" stays."""
    source = workdir / "credits.csv"
    source.write_text(
        "Fakturanummer;Belopp;Valuta;Kreditfaktura;Datum\n"
        "F-1001;1 234,50;SEK;KF-1;2026-11-20 08:00\n"
        ";1 234,50;SEK;KF-2;2026-11-20\n"
        "F-1004;-50,00;SEK;KF-3;2026-11-20\n"
        "F-1004;0,00;SEK;KF-4;2026-11-20\n",
        encoding="utf-8",
    )
    assert importer(workdir, "run", str(source), api=api).returncode == 1
    import_id = report_of(workdir)["file_import_report"]
    saved = {"1 234,50": "1234,5", "-50,00": "-50", "0,00": "0", "1234,50": "1234,5"}

    def swedish(header: list[str], lines: list[list[str]]) -> None:
        for line in lines:
            for column in ("Belopp", "settled_amount"):
                cell = line[header.index(column)]
                line[header.index(column)] = saved.get(cell, cell)
            when = line[header.index("Datum")]
            if len(when) == len("2026-11-20 08:00"):
                line[header.index("Datum")] = when + ":00"

    fix = _saved_again(workdir, import_id, "saved-in-swedish.csv", swedish)
    assert fix.read_text(encoding="utf-8").count("1234,5;") == 3  # the file was saved anew

    done = importer(workdir, "rerun", import_id, "--fix", str(fix), api=api)
    assert done.returncode == 1, done.stdout + done.stderr  # the invalid rows stay invalid
    assert "left as they were" not in done.stdout, done.stdout
    (entry,) = report_of(workdir)["audit"]
    assert entry["changes"] == []
    assert entry["rows"] == []
    rows_now = {row["row"]: row for row in report_of(workdir)["rows"]}
    assert rows_now[3]["source"]["Belopp"] == "1 234,50"
    assert "original_source" not in rows_now[3] or rows_now[3]["original_source"] is None


def test_with_negative_amounts_taken_absolute_a_signed_amount_saved_again_is_the_rows_own(
    workdir: Path, api: Sandbox
) -> None:
    """Under `input.negative_amounts: absolute` an invalid row's `-50,00` is 50 to the
    report; saved again by a spreadsheet as `-50`, the correction file's amount reads the
    same way, so the trail records no changed cell."""
    config = workdir / "config.yaml"
    config.write_text(
        config.read_text(encoding="utf-8") + "input:\n  negative_amounts: absolute\n",
        encoding="utf-8",
    )
    source = workdir / "credits.csv"
    source.write_text(
        "Fakturanummer;Belopp;Kreditfaktura\nF-1001;-10,00;KF-1\n;-50,00;KF-2\n",
        encoding="utf-8",
    )
    assert importer(workdir, "run", str(source), api=api).returncode == 1
    import_id = report_of(workdir)["file_import_report"]
    saved = {"-50,00": "-50", "-10,00": "-10"}

    def without_zeros(header: list[str], lines: list[list[str]]) -> None:
        for line in lines:
            cell = line[header.index("Belopp")]
            line[header.index("Belopp")] = saved.get(cell, cell)

    fix = _saved_again(workdir, import_id, "saved-again.csv", without_zeros)

    done = importer(workdir, "rerun", import_id, "--fix", str(fix), api=api)
    assert done.returncode == 1, done.stdout + done.stderr  # row 3 still has no invoice
    (entry,) = report_of(workdir)["audit"]
    assert entry["changes"] == []


def test_a_workbooks_report_csv_with_decimal_commas_fed_back_unchanged_changes_no_cell(
    workdir: Path, api: Sandbox
) -> None:
    """A workbook's report.csv in the Swedish dialect writes its number cells with a decimal
    comma (`-75.5` as `-75,5`, `10.005` as `10,005`): fed back to `rerun --fix` as it is,
    every cell is the row's own — an amount with more than two decimals too, which reads as
    no amount either way — and the trail records no change."""
    config = workdir / "config.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "report:\n", "report:\n  csv_dialect: excel-sv\n"
        ),
        encoding="utf-8",
    )
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Fakturanummer", "Belopp", "Kreditfaktura"])
    sheet.append(["F-1001", 100.25, "KF-1"])
    sheet.append(["F-1004", -75.5, "KF-2"])
    sheet.append(["F-1004", 10.005, "KF-3"])
    source = workdir / "credits.xlsx"
    book.save(source)
    assert importer(workdir, "run", str(source), api=api).returncode == 1
    import_id = report_of(workdir)["file_import_report"]
    report_csv = workdir / "reports" / import_id / "report.csv"
    assert ";10,005;" in report_csv.read_text(encoding="utf-8-sig")
    done = importer(workdir, "rerun", import_id, "--fix", str(report_csv), api=api)
    assert done.returncode == 1, done.stdout + done.stderr
    (entry,) = report_of(workdir)["audit"]
    assert entry["changes"] == []
