"""`importer show` of an import refused as a whole says why, as its report does: in Swedish
under `report.language: sv` (worded from the refusal the journal keeps), in the English printed
until now otherwise — and an import refused before refusals were kept (its journal holds only
the English sentence) is shown with that sentence under either language, never an error. Its
next step sends the reader to the file's errors; they are on the screen, not only in a report
that may be gone. A night's summary that changes language between passes says every refusal in
the language of the summary. Real files, the real command line in process, the sandbox over a real
socket, the journal in SQLite on disk."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pg_support
import pytest
import yaml
from cli_support import CREDITOR, Main, report_of
from pipeline.server_journal_support import server_section
from test_swedish_refusals import DOUBLE_EN, DOUBLE_SV, configured

from importer.sandbox import Sandbox

SAID = {
    "sv": f"  filen avvisades: {DOUBLE_SV}",
    "en": f"  file rejected: {DOUBLE_EN}",
}


def _refused(main: Main, workdir: Path, api: Sandbox) -> str:
    """The id of the import of a file with two amount columns, refused as a whole."""
    path = workdir / "dubbel.csv"
    path.write_text("Fakturanummer;Belopp;Belopp\nF-1001;10,00;1\n", "utf-8")
    code, _, stderr = main("run", str(path), "--api-url", api.url)
    assert code == 2, stderr
    return str(report_of(workdir)["file_import_report"])


@pytest.mark.parametrize("language", ["sv", "en"])
def test_importer_show_says_why_a_file_was_refused_in_the_reports_language(
    main: Main, workdir: Path, api: Sandbox, language: str
) -> None:
    configured(workdir, language)
    import_id = _refused(main, workdir, api)
    code, stdout, stderr = main("show", import_id)
    assert code == 0, stderr
    assert SAID[language] in stdout.splitlines(), stdout


@pytest.mark.parametrize("language", ["sv", "en"])
def test_an_import_refused_before_refusals_were_kept_is_shown_and_reported_with_its_english(
    main: Main, workdir: Path, api: Sandbox, language: str
) -> None:
    configured(workdir, language)
    import_id = _refused(main, workdir, api)
    with sqlite3.connect(workdir / "j.sqlite") as db:  # as a journal of the last release
        db.execute("UPDATE imports SET source_notes=NULL WHERE id=?", (import_id,))
    code, stdout, stderr = main("show", import_id)
    assert code == 0, stderr
    assert f"  {SAID[language].split(': ')[0].strip()}: {DOUBLE_EN}" in stdout.splitlines()
    code, _, stderr = main("report", import_id)
    assert code == 0, stderr
    html = (workdir / "reports" / import_id / "report.html").read_text(encoding="utf-8")
    assert "all mean amount; keep one of them</li>" in html
    code, stdout, stderr = main("imports")
    assert code == 0, stderr
    assert import_id in stdout


def _night_in_two_languages(
    main: Main,
    workdir: Path,
    api: Sandbox,
    between: Callable[[Path], None] | None = None,
    configure: Callable[[str], None] | None = None,
) -> list[str]:
    """A pass in Swedish refusing a file with two amount columns, then (after `between` is
    given the night's summary.json) a pass in English refusing an empty file: the lines of
    the night's summary.txt. `configure` writes the configuration of a language."""
    language_is = configure or (lambda language: configured(workdir, language))
    inbox = workdir / "inbox"
    inbox.mkdir()
    language_is("sv")
    (inbox / "dubbel.csv").write_text("Fakturanummer;Belopp;Belopp\nF-1001;10,00;1\n", "utf-8")
    (inbox / "dubbel.csv.done").touch()
    assert main("drop", str(inbox), "--api-url", api.url)[0] == 2
    [kept] = (workdir / "reports" / "drops").glob("*/summary.json")
    if between is not None:
        between(kept)
    language_is("en")
    (inbox / "tom.csv").write_bytes(b"")
    (inbox / "tom.csv.done").touch()
    assert main("drop", str(inbox), "--api-url", api.url)[0] == 2
    return kept.with_suffix(".txt").read_text(encoding="utf-8").splitlines()


def test_a_night_whose_language_changes_says_every_refusal_in_the_language_of_its_summary(
    main: Main, workdir: Path, api: Sandbox
) -> None:
    lines = _night_in_two_languages(main, workdir, api)
    assert f"  dubbel.csv: {DOUBLE_EN}" in lines, lines


@pytest.mark.parametrize(
    "kept",
    [
        None,  # as the last release wrote it: no refusal kept
        {"file": "dubbel.csv", "code": "from_a_later_version", "facts": {}},
        {"file": "dubbel.csv", "code": "same_field", "facts": {"row": 1}},  # another's facts
        {"code": "same_field", "facts": {"row": 1, "columns": [], "field": "amount"}},
    ],
)
def test_a_night_summary_written_before_refusals_were_kept_says_its_reason_as_it_was_worded(
    main: Main, workdir: Path, api: Sandbox, kept: dict | None
) -> None:
    """A summary.json whose refusal is absent or one this version cannot word (a later
    version's code, facts its words do not name, no file) says the reason as worded."""

    def rewritten(summary: Path) -> None:
        night = json.loads(summary.read_text(encoding="utf-8"))
        for item in night["files"]:
            if kept is None:
                del item["refusal"]
            else:
                item["refusal"] = kept
        summary.write_text(json.dumps(night), encoding="utf-8")

    lines = _night_in_two_languages(main, workdir, api, rewritten)
    assert f"  dubbel.csv: {DOUBLE_SV}" in lines, lines


def test_a_refused_file_that_cannot_be_moved_to_failed_is_said_to_stay_in_processing(
    main: Main, workdir: Path, api: Sandbox
) -> None:
    inbox = workdir / "inbox"
    inbox.mkdir()
    (inbox / "failed").write_text("a file where the folder should be\n", "utf-8")
    configured(workdir, "en")
    (inbox / "dubbel.csv").write_text("Fakturanummer;Belopp;Belopp\nF-1001;10,00;1\n", "utf-8")
    (inbox / "dubbel.csv.done").touch()
    code, stdout, _ = main("drop", str(inbox), "--api-url", api.url)
    assert code == 3, stdout
    assert (inbox / "processing" / "dubbel.csv").is_file()
    [kept] = (workdir / "reports" / "drops").glob("*/summary.json")
    [item] = json.loads(kept.read_text(encoding="utf-8"))["files"]
    assert item["state"] == "unfinished"
    lines = kept.with_suffix(".txt").read_text(encoding="utf-8").splitlines()
    said = [line for line in lines if "could not be moved to failed/" in line]
    assert said, lines
    assert "stays in processing/" in said[0]
    assert said[0] in stdout


def test_a_night_on_a_server_journal_whose_language_changes_says_every_refusal_in_its_language(
    main: Main, workdir: Path, api: Sandbox, pg_server: pg_support.PgServer, pg_database: str
) -> None:
    def configured_on_the_server(language: str) -> None:
        config = {
            "defaults": {"creditor": CREDITOR},
            "report": {"dir": "reports", "language": language},
            "journal": server_section(pg_server, pg_database),
            "drop": {"ready": "marker", "settle_seconds": 0},
        }
        (workdir / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")

    lines = _night_in_two_languages(main, workdir, api, configure=configured_on_the_server)
    assert f"  dubbel.csv: {DOUBLE_EN}" in lines, lines
