"""Under `report.language: sv` everything a person reads about an import is Swedish: the CLI's
closing summary and next steps, `importer show`, the night's drop summary, the warnings (a
total row left out), a credit-note conflict's amounts and what to do about it, and
report.html — with numbers written the Swedish way (`4 389,50`). No sentence of the English
catalogue appears in any of them; the important ones are pinned word for word. Through the
real command line against the sandbox over a real socket."""

from __future__ import annotations

import json
import re
import shutil
import string
from pathlib import Path

import pytest
from cli_support import CREDITOR, SAMPLE, importer, report_of

from importer.sandbox import Sandbox
from importer.words import CATALOGUE


def english_sentences() -> set[str]:
    """The fixed parts of every English text that Swedish words differently, at least three
    words long (shorter ones, "API" or "importer rerun", are the same in both)."""
    found = set()
    for english, swedish in CATALOGUE.values():
        if english == swedish:
            continue
        for literal, *_ in string.Formatter().parse(english):
            for clause in re.split(r"[.:;] ", literal):  # each clause on its own, too
                part = clause.strip(" .,:;'\"-—")
                if len(re.findall(r"[A-Za-z]{2,}", part)) >= 3:
                    found.add(part)
    return found


def assert_swedish(shown: str, where: str) -> None:
    english = sorted(s for s in english_sentences() if s in shown)
    assert not english, f"{where} has English sentences: {english}"


def test_the_check_finds_english_where_there_is_some() -> None:
    sentences = english_sentences()
    assert "The amount has more than two decimals (öre)" in sentences
    assert "Fix the invalid rows, or run the same file with importer run" in sentences
    with pytest.raises(AssertionError):
        assert_swedish(
            "  nästa steg: Fix the invalid rows, or run the same file with importer run", "x"
        )


@pytest.fixture
def swedish(workdir: Path) -> Path:
    (workdir / "config.yaml").write_text(
        f"defaults:\n  creditor: {CREDITOR}\nreport:\n  dir: reports\n  language: sv\n"
        "journal:\n  path: j.sqlite\n",
        encoding="utf-8",
    )
    return workdir


def test_a_swedish_run_summary_show_and_page_are_swedish(swedish: Path, api: Sandbox) -> None:
    credits = swedish / "credits.csv"
    credits.write_text(
        SAMPLE.read_text(encoding="utf-8") + "Summa;4 389,50;;;;\n", encoding="utf-8"
    )
    done = importer(swedish, "run", str(credits), api=api)
    assert done.returncode == 1, done.stderr
    import_id = report_of(swedish)["file_import_report"]
    lines = done.stdout.splitlines()
    fix = f"{swedish}/reports/{import_id}/report.csv"
    for line in [
        f"{credits} — import {import_id} (API {report_of(swedish)['api']['base_url']})",
        f"  borgenär          {CREDITOR}",
        "  varning: rad 10 är en summarad (belopp 4 389,50), inte en kreditering, och togs inte "
        "med",
        "  utfall                   rader          belopp",
        "  Krediterad                   5        2 939,50   (genomförd 3, varning 1, fel 1)",
        "  Ogiltig, ej skickad          1            0,00",
        "  totalt                       8        4 389,50   (läst belopp)",
        "  utan belopp                  1                   (rader ovan utan läsbart belopp)",
        "  begärt belopp     2 939,50 SEK",
        "  reglerat belopp   2 689,50 SEK",
        f'  nästa steg: rätta raderna under "Behöver åtgärd" i {fix} och kör sedan: '
        f"importer rerun {import_id} --fix {fix}",
        "  nästa steg: Kontrollera de krediterade raderna med status varning eller fel under "
        "'Behöver åtgärd'.",
    ]:
        assert line in lines, f"{line!r} not in\n{done.stdout}"
    assert_swedish(done.stdout, "the summary")
    shown = importer(swedish, "show", import_id)
    assert "  returkod   1" in shown.stdout.splitlines()
    assert_swedish(shown.stdout, "importer show")
    html = (swedish / "reports" / import_id / "report.html").read_text(encoding="utf-8")
    assert (
        "<li>rad 10 är en summarad (belopp 4 389,50), inte en kreditering, och togs inte med"
        in (html)
    )
    assert "<th>Begärt belopp</th>" in html
    assert "Returkod (för IT-driften)" in html
    assert_swedish(html, "report.html")
    again = importer(swedish, "run", str(credits), api=api)
    assert again.returncode == 0
    assert f"{credits}: credits.csv är redan importerad som {import_id} (" in again.stdout
    assert_swedish(again.stdout, "the summary of a file imported before")


def test_a_swedish_all_or_nothing_stop_says_to_fix_the_invalid_rows_not_to_wait_for_the_api(
    swedish: Path, api: Sandbox
) -> None:
    done = importer(swedish, "run", "--all-or-nothing", str(SAMPLE), api=api)
    assert done.returncode == 1, done.stderr
    import_id = report_of(swedish)["file_import_report"]
    fix = f"{swedish}/reports/{import_id}/report.csv"
    step = (
        "  nästa steg: inget skickades, eftersom rader är ogiltiga och importen är allt eller "
        f"inget: rätta de ogiltiga raderna i {fix} och kör sedan: importer rerun {import_id} "
        f"--fix {fix} (då skickas alla rader)"
    )
    nexts = [line for line in done.stdout.splitlines() if line.startswith("  nästa steg:")]
    assert nexts == [step], done.stdout
    assert_swedish(done.stdout, "the summary of an all-or-nothing stop")
    html = (swedish / "reports" / import_id / "report.html").read_text(encoding="utf-8")
    assert "när API:et går att nå" not in html
    assert "när API:et svarar igen" not in html
    assert_swedish(html, "report.html of an all-or-nothing stop")


def test_a_credit_note_conflict_is_told_in_swedish_with_swedish_amounts(
    swedish: Path, api: Sandbox
) -> None:
    assert importer(swedish, "run", str(SAMPLE), api=api).returncode == 1
    first = report_of(swedish)["file_import_report"]
    again = swedish / "again.csv"
    again.write_text(
        "Fakturanummer;Belopp;Valuta;Kreditfaktura;Datum\nF-1001;1 300,00;SEK;KF-5001;2026-11-25\n",
        encoding="utf-8",
    )
    done = importer(swedish, "run", str(again), api=api)
    assert done.returncode == 1
    # two imports in one second: their ids sort by their random part, so name the folder
    (import_id,) = re.findall(r"— import (\S+) ", done.stdout)
    report = json.loads((swedish / "reports" / import_id / "report.json").read_text("utf-8"))
    detail = (
        f"Kreditfakturan KF-5001 är redan krediterad med 1 250,00 (import {first} rad 2); den "
        "här raden anger 1 300,00. Skickades inte: manuell kontroll krävs av vilket belopp som "
        "är rätt, och en eventuell skillnad krediteras för hand."
    )
    assert report["rows"][0]["errors"][0]["message"] == detail
    assert_swedish(done.stdout, "the summary")
    shown = importer(swedish, "show", import_id).stdout
    assert "Kreditfakturan finns redan med ett annat belopp eller ärende. (" + detail + ")" in shown
    assert (
        "nästa steg: Manuell kontroll krävs: kreditfakturan finns redan med ett annat belopp "
        "eller ärende." in shown
    )
    assert_swedish(shown, "importer show")
    html = (swedish / "reports" / import_id / "report.html").read_text(encoding="utf-8")
    assert "Manuell kontroll krävs: kreditfakturan finns redan" in html
    assert "En person avgör" not in html
    assert_swedish(html, "report.html")


def test_a_swedish_drop_summary_is_swedish(swedish: Path, api: Sandbox) -> None:
    inbox = swedish / "inbox"
    inbox.mkdir()
    shutil.copy(SAMPLE, inbox / "credits.csv")
    (inbox / "credits.csv.done").touch()
    done = importer(swedish, "drop", str(inbox), api=api)
    assert done.returncode == 1, done.stderr
    [summary] = (swedish / "reports" / "drops").glob("*/summary.txt")
    text = summary.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0].startswith("Natten ")
    assert lines[0].endswith(f" — inkorg {inbox}")
    assert lines[1].startswith("1 fil(er), returkod 1 (något behöver åtgärdas); ")
    assert f"credits.csv  (inkorg inbox, borgenär {CREDITOR})" in lines
    assert "  begärt belopp 2 939,50 SEK, reglerat 2 689,50 SEK" in lines
    assert "  behöver åtgärdas: 4 rad(er)" in lines
    assert_swedish(text, "summary.txt")
    assert_swedish(done.stdout, "the drop's output")


def test_the_nights_summary_gives_the_amount_read_to_match_the_files_own_total(
    swedish: Path, api: Sandbox
) -> None:
    """What the team reads in the morning reconciles to the ERP's total for the file, as the
    report does: the amount read (an invalid row's -50,00 counted, the total row left out)
    beside the total row's own amount, and the row whose amount could not be read."""
    inbox = swedish / "inbox"
    inbox.mkdir()
    (inbox / "natt.csv").write_bytes(
        "Fakturanummer;Belopp;Kreditfaktura\r\n"
        "F-1001;1 234,50;KF-1\r\n"
        "F-1004;-50,00;KF-2\r\n"
        "F-1006;abc;KF-3\r\n"
        "Summa;1 184,50;\r\n".encode("cp1252")
    )
    (inbox / "natt.csv.done").touch()
    done = importer(swedish, "drop", str(inbox), api=api)
    assert done.returncode == 1, done.stderr
    [summary] = (swedish / "reports" / "drops").glob("*/summary.txt")
    lines = summary.read_text(encoding="utf-8").splitlines()
    assert "  läst belopp 1 184,50 SEK; 1 rad(er) utan läsbart belopp" in lines, lines
    assert any("summarad (belopp 1 184,50)" in line for line in lines), lines
    [kept] = (swedish / "reports" / "drops").glob("*/summary.json")
    (entry,) = json.loads(kept.read_text(encoding="utf-8"))["files"]
    assert entry["amount_read"] == "1184.50"
    assert entry["rows_without_amount"] == 1


def test_a_swedish_drop_summary_says_why_a_file_was_rejected_in_swedish(
    swedish: Path, api: Sandbox
) -> None:
    """The night's summary is what the team reads in the morning: a file refused as a whole
    (two amount columns) is explained in Swedish there, not in the command's English."""
    inbox = swedish / "inbox"
    inbox.mkdir()
    (inbox / "dubbel.csv").write_text("Fakturanummer;Belopp;Belopp\nF-1001;10,00;1\n", "utf-8")
    (inbox / "dubbel.csv.done").touch()
    done = importer(swedish, "drop", str(inbox), api=api)
    assert done.returncode == 2, done.stderr
    [summary] = (swedish / "reports" / "drops").glob("*/summary.txt")
    text = summary.read_text(encoding="utf-8")
    assert "dubbel.csv  (inkorg inbox" in text
    assert "all mean amount" not in text
    assert "keep one of them" not in text


def test_swedish_show_gives_amounts_and_open_items_in_swedish_words_and_numbers(
    swedish: Path, api: Sandbox
) -> None:
    assert importer(swedish, "run", str(SAMPLE), api=api).returncode == 1
    import_id = report_of(swedish)["file_import_report"]
    lines = importer(swedish, "show", import_id).stdout.splitlines()
    amounts = next(line for line in lines if line.startswith("  belopp "))
    opened = next(line for line in lines if line.startswith("  öppet "))
    assert "4 389,50 SEK" in amounts, amounts
    for english in ("read", "credited", "settled", "4 389.50"):
        assert english not in amounts.split(), amounts
    for english in ("invalid", "rejected", "warning", "error"):
        assert english not in opened, opened


def test_a_swedish_rerun_says_in_swedish_which_rows_of_the_fix_file_it_left_alone(
    swedish: Path, api: Sandbox
) -> None:
    assert importer(swedish, "run", str(SAMPLE), api=api).returncode == 1
    import_id = report_of(swedish)["file_import_report"]
    resolved = importer(swedish, "resolve", import_id, "6", "--note", "krediterad för hand")
    assert resolved.returncode == 0, resolved.stderr
    report_csv = swedish / "reports" / import_id / "report.csv"
    fix = swedish / "fix.csv"
    fix.write_text(
        report_csv.read_text(encoding="utf-8-sig").replace("F-1005;12,345;", "F-1005;12,34;"),
        encoding="utf-8",
    )
    done = importer(swedish, "rerun", import_id, "--fix", str(fix), api=api)
    assert "fix.csv" in done.stdout, done.stdout + done.stderr
    assert "left as they were" not in done.stdout, done.stdout
    assert "row(s)" not in done.stdout, done.stdout


def test_the_audit_trail_is_told_in_swedish_and_in_the_report_time_zone(
    swedish: Path, api: Sandbox
) -> None:
    """`show`, report.html and report.xlsx read the trail to a person: their words and
    their time zone, not `2026-12-07T10:24:43.497000Z resolve row(s) 6 by …`."""
    config = swedish / "config.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "  language: sv\n", "  language: sv\n  timezone: Asia/Kolkata\n"
        ),
        encoding="utf-8",
    )
    assert importer(swedish, "run", str(SAMPLE), api=api).returncode == 1
    import_id = report_of(swedish)["file_import_report"]
    done = importer(swedish, "resolve", import_id, "6", "--note", "krediterad för hand")
    assert done.returncode == 0, done.stderr
    shown = importer(swedish, "show", import_id).stdout
    trail = [line for line in shown.splitlines() if line.startswith("  för hand ")]
    html = (swedish / "reports" / import_id / "report.html").read_text(encoding="utf-8")
    assert trail, shown
    for where, said in (("show", "\n".join(trail)), ("report.html", html)):
        assert "+05:30" in said, where
        for english in ("row(s)", " by ", "resolve row", "Z resolve"):
            assert english not in said, f"{where}: {english!r}"


def test_a_swedish_show_gives_an_invalid_rows_reason_in_swedish_only(
    swedish: Path, api: Sandbox
) -> None:
    assert importer(swedish, "run", str(SAMPLE), api=api).returncode == 1
    import_id = report_of(swedish)["file_import_report"]
    shown = importer(swedish, "show", import_id).stdout
    (line,) = [line for line in shown.splitlines() if line.startswith("  rad 6 ")]
    assert "Beloppet har fler än två decimaler" in line
    assert "has more than two decimals" not in line, line


def test_the_record_commands_speak_swedish(swedish: Path, api: Sandbox, tmp_path: Path) -> None:
    """`imports`, `resolve`, `backup` and `prune` under `sv`: their lines are Swedish, the
    amounts written the Swedish way."""
    assert importer(swedish, "run", str(SAMPLE), api=api).returncode == 1
    import_id = report_of(swedish)["file_import_report"]
    listed = importer(swedish, "imports")
    assert listed.returncode == 0, listed.stderr
    assert "rader" in listed.stdout, listed.stdout
    assert "utfall" in listed.stdout, listed.stdout
    assert "krediterade" in listed.stdout, listed.stdout
    assert "4 389,50" in listed.stdout, listed.stdout
    assert " open " not in listed.stdout, listed.stdout
    assert "creditor" not in listed.stdout, listed.stdout
    resolved = importer(swedish, "resolve", import_id, "6", "--note", "krediterad för hand")
    assert resolved.returncode == 0, resolved.stderr
    assert "markerade som åtgärdade av" in resolved.stdout, resolved.stdout
    assert "inget skickades" in resolved.stdout, resolved.stdout
    backed = importer(swedish, "backup", str(tmp_path / "copy.sqlite"))
    assert backed.returncode == 0, backed.stderr
    assert "säkerhetskopierad till" in backed.stdout, backed.stdout
    assert " rader" in backed.stdout, backed.stdout
    pruned = importer(swedish, "prune", "--older-than", "0", "--dry-run")
    assert pruned.returncode == 0, pruned.stderr
    assert "behöll" in pruned.stdout, pruned.stdout
    assert "objekt" in pruned.stdout, pruned.stdout
    for shown, where in ((listed, "imports"), (resolved, "resolve"), (backed, "backup")):
        assert_swedish(shown.stdout, where)
    assert_swedish(pruned.stdout, "prune")


def test_backup_and_prune_write_their_sizes_the_swedish_way(
    swedish: Path, api: Sandbox, tmp_path: Path
) -> None:
    """A Swedish sentence writes its numbers the Swedish way: the journal copied as
    `167 936 byte`, what prune removes as `0,1 MB` — not `167936` or `0.1`."""
    clean = swedish / "clean.csv"
    clean.write_text("invoice_number;amount\nF-1001;10,00\n", encoding="utf-8")
    assert importer(swedish, "run", str(clean), api=api).returncode == 0
    backed = importer(swedish, "backup", str(tmp_path / "copy.sqlite"))
    assert backed.returncode == 0, backed.stderr
    size = (tmp_path / "copy.sqlite").stat().st_size
    assert size >= 1000
    assert f"{size:,} byte".replace(",", " ") in backed.stdout, backed.stdout
    pruned = importer(swedish, "prune", "--older-than", "0", "--dry-run")
    assert pruned.returncode == 0, pruned.stderr
    assert re.search(r"skulle ta bort 1 objekt, \d+,\d MB; behöll 0", pruned.stdout), pruned.stdout


def test_a_swedish_rerun_dry_run_lists_what_it_would_send_in_swedish(
    swedish: Path, api: Sandbox
) -> None:
    """The list a person reads before a correction reaches money is part of the command's
    summary: under `report.language: sv` it is Swedish, amounts the Swedish way."""
    assert importer(swedish, "run", str(SAMPLE), api=api).returncode == 1
    import_id = report_of(swedish)["file_import_report"]
    report_csv = swedish / "reports" / import_id / "report.csv"
    fix = swedish / "fix.csv"
    fix.write_text(
        report_csv.read_text(encoding="utf-8-sig").replace("F-1005;12,345;", "F-1005;1 234,50;"),
        encoding="utf-8",
    )
    done = importer(swedish, "rerun", import_id, "--fix", str(fix), "--dry-run", api=api)
    assert done.returncode == 0, done.stdout + done.stderr
    for english in ("dry run, nothing was changed", "would send", "in all", "corrected; was"):
        assert english not in done.stdout, done.stdout
    assert "1 234,50" in done.stdout, done.stdout


def test_swedish_show_names_the_embedded_sandbox_in_swedish(swedish: Path) -> None:
    done = importer(swedish, "run", str(SAMPLE), "--api-url", "sandbox")
    assert done.returncode == 1, done.stderr
    import_id = report_of(swedish)["file_import_report"]
    lines = importer(swedish, "show", import_id).stdout.splitlines()
    api = next(line for line in lines if line.startswith("  API "))
    assert api.endswith("sandbox (testmiljö)"), api


def test_a_swedish_validate_without_a_key_says_its_prediction_rests_on_the_journal_in_swedish(
    swedish: Path, api: Sandbox
) -> None:
    """`importer validate` with no API key to ask the API with predicts from this machine's
    journal alone and warns so: under `sv` that warning is Swedish too, naming the variable
    to set, on the command line and in report.html."""
    done = importer(swedish, "validate", str(SAMPLE), api=api, key="")
    assert done.returncode == 1, done.stdout + done.stderr
    said = "bygger bara på den här datorns journal (ingen API-nyckel i AMILI_API_KEY"
    assert said in done.stdout, done.stdout
    page = next((swedish / "reports").glob("*/report.html")).read_text(encoding="utf-8")
    assert said in page
    for shown in (done.stdout, page):
        assert "rests on this machine's journal alone" not in shown
    (warning,) = report_of(swedish)["warnings"][-1:]
    assert warning["code"] == "journal_alone"
    assert "rests on this machine's journal alone" in warning["message"]  # json: English
