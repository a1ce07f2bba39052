"""A file refused as a whole is explained in the reader's language: under `report.language: sv`
the night's summary (summary.txt, and the reason.txt beside the file in failed/), the command
line's line for the file, report.html and report.xlsx (rendered again from the journal, on
SQLite and PostgreSQL) and the import's notification say in Swedish why it was refused — two
amount columns, an empty file, bytes that are no text, a file cut short against its marker's
control total, a PDF, a web page, a missing column — with the file, row and column named and
numbers written the Swedish way, while report.json and an English configuration keep the
sentences printed until now, word for word. Every refusal the importer raises has words in
both languages. Real files in a real inbox, the real command line, the sandbox over a real
socket."""

from __future__ import annotations

import ast
import json
import os
import sqlite3
import zipfile
from html import escape
from pathlib import Path

import openpyxl
import pg_support
import pytest
import yaml
from cli_support import CREDITOR, SECRET, importer, in_process, report_of
from notify.notify_support import receiver
from package_source import modules, nodes
from pipeline.server_journal_support import server_section
from test_swedish import assert_swedish

from importer.errors import FileRejected
from importer.sandbox import Sandbox
from importer.sources import read_source, zipguard
from importer.words import CATALOGUE


def configured(workdir: Path, language: str) -> Path:
    (workdir / "config.yaml").write_text(
        f"defaults:\n  creditor: {CREDITOR}\nreport:\n  dir: reports\n  language: {language}\n"
        "journal:\n  path: j.sqlite\n",
        encoding="utf-8",
    )
    return workdir


@pytest.fixture
def swedish(workdir: Path) -> Path:
    return configured(workdir, "sv")


@pytest.fixture
def english(workdir: Path) -> Path:
    return configured(workdir, "en")


def _refused_inbox(workdir: Path) -> Path:
    """An inbox of five finished files, each refused as a whole for another reason."""
    inbox = workdir / "inbox"
    inbox.mkdir()
    (inbox / "dubbel.csv").write_text("Fakturanummer;Belopp;Belopp\nF-1001;10,00;1\n", "utf-8")
    (inbox / "tom.csv").write_bytes(b"")
    (inbox / "trasig.csv").write_bytes(b"Fakturanummer;Belopp\nF-1001;10\x81,00\n")
    (inbox / "kort.csv").write_text("Fakturanummer;Belopp\nF-1001;10,00\n", "utf-8")
    (inbox / "summa.csv").write_text("Fakturanummer;Belopp\nF-1001;10,00\n", "utf-8")
    for name in ("dubbel", "tom", "trasig"):
        (inbox / f"{name}.csv.done").touch()
    (inbox / "kort.csv.done").write_text("rows: 5\n", "utf-8")
    (inbox / "summa.csv.done").write_text("rows: 1\namount: 1234.50\n", "utf-8")
    return inbox


def _night(workdir: Path, api: Sandbox) -> tuple[str, str]:
    """(summary.txt, the drop's stdout) of one pass over the refused inbox."""
    inbox = _refused_inbox(workdir)
    done = importer(workdir, "drop", str(inbox), api=api)
    assert done.returncode == 2, done.stderr
    [summary] = (workdir / "reports" / "drops").glob("*/summary.txt")
    return summary.read_text(encoding="utf-8"), done.stdout


def _reasons(workdir: Path) -> dict[str, str]:
    failed = workdir / "inbox" / "failed"
    return {
        path.name.removesuffix(".reason.txt"): path.read_text(encoding="utf-8").strip()
        for path in failed.glob("*/*.reason.txt")
    }


def test_a_swedish_night_summary_says_in_swedish_why_each_file_was_refused(
    swedish: Path, api: Sandbox
) -> None:
    text, shown = _night(swedish, api)
    processing = swedish / "inbox" / "processing"
    lines = text.splitlines()
    for line in [
        "  dubbel.csv: rubrikrad 1: kolumnerna 'Belopp', 'Belopp (2)' betyder alla belopp; "
        "behåll en av dem",
        f"  {processing}/tom.csv: filen är tom",
        f"  {processing}/trasig.csv: filen är inte text i UTF-8, UTF-16 eller Windows-1252 "
        "(byten 0x81 på rad 2 kan inte läsas)",
        "  kort.csv: markören kort.csv.done anger 5 rader, filen har 1: den kan ha kortats av; "
        "inget skickades — be avsändaren leverera hela filen igen",
        "  summa.csv: markören summa.csv.done anger beloppet 1 234,50, men filens rader "
        "summerar till 10,00: den kan ha kortats av eller ändrats; inget skickades — be avsändaren "
        "leverera hela filen igen",
    ]:
        assert line in lines, f"{line!r} not in\n{text}"
    assert text.count("  avvisad, returkod 2 → ") == 5
    assert_swedish(text, "summary.txt")
    assert_swedish(shown, "the drop's output")
    reasons = _reasons(swedish)
    assert reasons["dubbel.csv"] == (
        "dubbel.csv: rubrikrad 1: kolumnerna 'Belopp', 'Belopp (2)' betyder alla belopp; "
        "behåll en av dem"
    )
    assert sorted(reasons) == ["dubbel.csv", "kort.csv", "summa.csv", "tom.csv", "trasig.csv"]
    for name, reason in reasons.items():
        assert_swedish(reason, f"{name}.reason.txt")


def test_an_english_night_summary_says_why_files_were_refused_as_it_always_has(
    english: Path, api: Sandbox
) -> None:
    text, _ = _night(english, api)
    processing = english / "inbox" / "processing"
    lines = text.splitlines()
    for line in [
        "  dubbel.csv: header row 1: columns 'Belopp', 'Belopp (2)' all mean amount; "
        "keep one of them",
        f"  {processing}/tom.csv: the file is empty",
        f"  {processing}/trasig.csv: the file is not UTF-8, UTF-16 or Windows-1252 text "
        "(undecodable byte 0x81 at line 2)",
        "  kort.csv: the marker kort.csv.done says 5 rows, the file has 1: it may have been cut "
        "short; nothing was sent — have the sender deliver the whole file again",
        "  summa.csv: the marker summa.csv.done says an amount of 1234.50, the file's rows add "
        "up to 10.00: it may have been cut short or changed; nothing was sent — have the "
        "sender deliver the whole file again",
    ]:
        assert line in lines, f"{line!r} not in\n{text}"
    assert _reasons(english)["tom.csv"] == f"{processing}/tom.csv: the file is empty"


_RUN_REFUSALS = {
    "datum.csv": (
        b"Fakturanummer;Belopp;Datum;Krediteringsdatum\nF-1001;10,00;2026-11-20;2026-11-20\n",
        "datum.csv: rubrikrad 1: kolumnerna 'Datum', 'Krediteringsdatum' betyder alla "
        "registreringsdatum; behåll en av dem",
        "datum.csv: header row 1: columns 'Datum', 'Krediteringsdatum' all mean "
        "client_registration_date; keep one of them",
    ),
    "utan-belopp.csv": (
        b"Fakturanummer;Summa\nF-1001;10,00\n",
        "utan-belopp.csv: obligatorisk kolumn saknas: belopp (rubrikrad 1; förväntade belopp, "
        "ärende / fakturanummer; hittade 'Fakturanummer', 'Summa'). Om filen kallar en kolumn "
        "något annat, lägg till kolumnens rubrik under `columns:` i config.yaml (t.ex. "
        '`columns: {amount: ["Kreditbelopp"]}`)',
        "utan-belopp.csv: required column missing: amount (header row 1; expected amount, "
        "case / invoice_number; found 'Fakturanummer', 'Summa'). If the file names a column "
        "differently, add its header under `columns:` in config.yaml (e.g. "
        '`columns: {amount: ["Kreditbelopp"]}`)',
    ),
    "kvitto.csv": (
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
        "{path}: filen är inte en CSV- eller Excelfil (den ser ut att vara ett PDF-dokument)",
        "{path}: not a CSV or Excel file (it looks like a PDF document)",
    ),
    "sida.xls": (
        b"<!DOCTYPE html><html><body><table><tr><td>Belopp</td></tr></table></body></html>\n",
        "{path}: filen är inte en CSV- eller Excelfil (den är en webbsida eller ett "
        "XML-dokument, som vissa system sparar med filändelsen .xls); öppna den i Excel och "
        "spara den som .xlsx eller CSV",
        "{path}: not a CSV or Excel file (it is a web page or XML document, which some "
        "systems save with an .xls name); open it in Excel and save it as .xlsx or CSV",
    ),
}


@pytest.mark.parametrize("name", sorted(_RUN_REFUSALS))
@pytest.mark.parametrize("language", ["sv", "en"])
def test_importer_run_says_why_a_file_was_refused_in_the_reports_language(
    workdir: Path, api: Sandbox, name: str, language: str
) -> None:
    configured(workdir, language)
    data, swedish_line, english_line = _RUN_REFUSALS[name]
    path = workdir / name
    path.write_bytes(data)
    done = importer(workdir, "run", str(path), api=api)
    assert done.returncode == 2, done.stderr
    said = (swedish_line if language == "sv" else english_line).replace("{path}", str(path))
    assert f"importer: {said}" in done.stderr.splitlines(), done.stderr
    if language == "sv":
        assert_swedish(done.stdout + done.stderr, f"importer run {name}")


DOUBLE_SV = "rubrikrad 1: kolumnerna 'Belopp', 'Belopp (2)' betyder alla belopp; behåll en av dem"
DOUBLE_EN = "header row 1: columns 'Belopp', 'Belopp (2)' all mean amount; keep one of them"


def _summary_cells(xlsx: Path) -> list[str]:
    book = openpyxl.load_workbook(xlsx, read_only=True)
    sheet = book.worksheets[0]
    return [str(cell) for row in sheet.iter_rows(values_only=True) for cell in row if cell]


def test_the_report_of_a_refused_file_says_why_in_swedish_and_report_json_keeps_the_english(
    swedish: Path, api: Sandbox
) -> None:
    """report.html and report.xlsx are what the finance person opens; report.json is the
    machine contract. Rendered again from the journal (`importer report`), still Swedish."""
    path = swedish / "dubbel.csv"
    path.write_text("Fakturanummer;Belopp;Belopp\nF-1001;10,00;1\n", "utf-8")
    assert importer(swedish, "run", str(path), api=api).returncode == 2
    report = report_of(swedish)
    assert [e["message"] for e in report["file_errors"]] == [DOUBLE_EN]
    folder = swedish / "reports" / report["file_import_report"]
    for _ in range(2):
        html = (folder / "report.html").read_text(encoding="utf-8")
        assert f"<h2>Fel i filen</h2><ul>\n<li>{escape(DOUBLE_SV)}</li>" in html
        assert_swedish(html, "report.html")
        assert DOUBLE_SV in _summary_cells(folder / "report.xlsx")
        assert_swedish(" ".join(_summary_cells(folder / "report.xlsx")), "report.xlsx")
        (folder / "report.html").unlink()
        (folder / "report.xlsx").unlink()
        again = importer(swedish, "report", report["file_import_report"])
        assert again.returncode == 0, again.stderr


def test_a_server_journal_keeps_the_refusal_for_the_swedish_report_rendered_again(
    workdir: Path, api: Sandbox, pg_server: pg_support.PgServer, pg_database: str
) -> None:
    config = {
        "defaults": {"creditor": CREDITOR},
        "report": {"dir": "reports", "language": "sv"},
        "journal": server_section(pg_server, pg_database),
    }
    (workdir / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    path = workdir / "dubbel.csv"
    path.write_text("Fakturanummer;Belopp;Belopp\nF-1001;10,00;1\n", "utf-8")
    done = importer(workdir, "run", str(path), api=api)
    assert done.returncode == 2, done.stderr
    import_id = report_of(workdir)["file_import_report"]
    page = workdir / "reports" / import_id / "report.html"
    page.unlink()
    assert importer(workdir, "report", import_id).returncode == 0
    assert f"<li>{escape(DOUBLE_SV)}</li>" in page.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "kept",
    [
        {"code": "same_field", "facts": {"row": 1}},  # facts another version's words name
        {"code": "from_a_later_version", "facts": {}},  # a code this version has no words for
        {"code": "same_field"},
    ],
)
def test_a_kept_refusal_this_version_cannot_word_leaves_the_report_in_its_english(
    swedish: Path, api: Sandbox, kept: dict
) -> None:
    """The journal keeps a refusal's code and facts beside the import; one this version
    cannot word (another release wrote it) gives the English kept with it, never an error."""
    path = swedish / "dubbel.csv"
    path.write_text("Fakturanummer;Belopp;Belopp\nF-1001;10,00;1\n", "utf-8")
    assert importer(swedish, "run", str(path), api=api).returncode == 2
    import_id = report_of(swedish)["file_import_report"]
    with sqlite3.connect(swedish / "j.sqlite") as db:
        notes = json.dumps({"refusal": kept})
        db.execute("UPDATE imports SET source_notes=? WHERE id=?", (notes, import_id))
    again = importer(swedish, "report", import_id)
    assert again.returncode == 0, again.stderr
    html = (swedish / "reports" / import_id / "report.html").read_text(encoding="utf-8")
    assert f"<li>{escape(DOUBLE_EN)}</li>" in html


def test_the_report_of_a_refused_file_says_why_in_english_under_an_english_configuration(
    english: Path, api: Sandbox
) -> None:
    path = english / "dubbel.csv"
    path.write_text("Fakturanummer;Belopp;Belopp\nF-1001;10,00;1\n", "utf-8")
    assert importer(english, "run", str(path), api=api).returncode == 2
    folder = english / "reports" / report_of(english)["file_import_report"]
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert f"<li>{escape(DOUBLE_EN)}</li>" in html
    assert DOUBLE_EN in _summary_cells(folder / "report.xlsx")


def test_a_swedish_notification_of_a_refused_file_says_why_in_swedish(
    swedish: Path, api: Sandbox
) -> None:
    config = yaml.safe_load((swedish / "config.yaml").read_text(encoding="utf-8"))
    config["notify"] = {"webhook": {"url_env": "HOOK", "format": "slack"}}  # the whole text
    (swedish / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    path = swedish / "dubbel.csv"
    path.write_text("Fakturanummer;Belopp;Belopp\nF-1001;10,00;1\n", "utf-8")
    env = {k: v for k, v in os.environ.items() if k != "IMPORTER_CONFIG"}
    with receiver() as box:
        env.update(AMILI_API_KEY=SECRET, HOOK=box.url)
        done = in_process(["run", str(path), "--api-url", api.url], cwd=swedish, env=env)
        assert done.returncode == 2, done.stderr
    [body] = box.bodies
    assert f"  varning: {DOUBLE_SV}" in body["text"].splitlines(), body["text"]
    assert_swedish(body["text"], "the notification")


def test_a_wide_header_quoted_in_a_swedish_refusal_says_how_much_was_left_out_in_swedish(
    workdir: Path, api: Sandbox
) -> None:
    """A wide export's header is quoted cut short; what follows the cut is in the refusal's
    language too (`… (1 234 tecken till)`), as it is in English (`… (1,234 more characters)`)."""
    headers = ["Fakturanummer", *(f"Kolumn nummer {i}" for i in range(1, 121))]
    path = workdir / "bred.csv"
    path.write_text(";".join(headers) + "\n" + ";".join(["F-1001"] * len(headers)) + "\n")
    quoted = ", ".join(repr(h) for h in headers)
    left_out = len(quoted) - 200
    assert left_out > 1000
    said = {}
    for language in ("sv", "en"):
        configured(workdir, language)
        done = importer(workdir, "run", str(path), api=api)
        assert done.returncode == 2, done.stderr
        said[language] = done.stderr
    swedish_count = f"{left_out // 1000} {left_out % 1000:03}"
    assert f"hittade {quoted[:200]}… ({swedish_count} tecken till))" in said["sv"]
    assert "more characters" not in said["sv"]
    assert f"found {quoted[:200]}… ({left_out:,} more characters))" in said["en"]


def test_a_swedish_refusal_counts_a_zip_bombs_parts_the_swedish_way(tmp_path: Path) -> None:
    path = tmp_path / "many.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        for i in range(zipguard.MAX_MEMBERS):
            archive.writestr(f"xl/media/{i}.bin", b"")
    with pytest.raises(FileRejected) as caught:
        read_source(path)
    assert caught.value.said_in("sv") == (
        f"{path}: arbetsboken består av 10 001 delar (högst 10 000 godtas); filen avvisas "
        "eftersom den kan vara en zipbomb"
    )
    assert caught.value.said_in("en") == caught.value.message
    assert "consists of 10,001 parts (at most 10,000 are accepted)" in caught.value.message


def _raised_codes() -> set[str]:
    """The code of every `Refusal("…")` the package makes."""
    codes = set()
    for _path, tree in modules():
        for node in nodes(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "Refusal"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                codes.add(node.args[0].value)
    return codes


def test_every_refusal_the_importer_raises_has_words_in_english_and_swedish() -> None:
    codes = _raised_codes()
    assert {"same_field", "empty", "undecodable", "marker_amount", "zip_parts"} <= codes
    assert not sorted(code for code in codes if f"refusal.{code}" not in CATALOGUE)


def test_no_swedish_refusal_holds_an_english_sentence() -> None:
    for key, (_english, swedish) in CATALOGUE.items():
        if key.startswith("refusal."):
            assert_swedish(swedish, key)
