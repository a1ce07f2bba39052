"""The creditor is explicit: `--creditor ID` on run, validate and rerun names
it; the console summary and report.json (`creditor`) say whose money moved; a file with no
creditor column, no `--creditor` and no `defaults.creditor` is rejected as a whole naming the
three ways; a row naming another creditor than `--creditor` is never sent."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import CREDITOR, creditings, importer, report_of

from importer.sandbox import Sandbox

OTHER = "aaaaaaaaaaaaaaaaaaaaaaaa"


@pytest.fixture
def bare(tmp_path: Path) -> Path:
    """A work folder whose configuration names no creditor."""
    work = tmp_path / "bare"
    work.mkdir()
    (work / "config.yaml").write_text(
        "report:\n  dir: reports\njournal:\n  path: j.sqlite\n", encoding="utf-8"
    )
    return work


def _credits(folder: Path, text: str = "Fakturanummer;Belopp\r\nF-1001;10,00\r\n") -> Path:
    path = folder / "credits.csv"
    path.write_bytes(text.encode("cp1252"))
    return path


def test_no_creditor_anywhere_rejects_the_file_naming_three_ways(bare: Path, api: Sandbox) -> None:
    done = importer(bare, "run", str(_credits(bare)), api=api)
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert "no creditor is named for this file" in line
    for way in ("creditor column", "--creditor ID", "defaults.creditor"):
        assert way in line
    assert creditings(api) == []


def test_creditor_option_names_the_creditor_everywhere(bare: Path, api: Sandbox) -> None:
    done = importer(bare, "run", str(_credits(bare)), "--creditor", CREDITOR.upper(), api=api)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"creditor          {CREDITOR}" in done.stdout
    assert report_of(bare)["creditor"] == [CREDITOR]
    assert [c["creditor"] for c in creditings(api)] == [CREDITOR]


def test_validate_takes_the_creditor_option(bare: Path) -> None:
    done = importer(bare, "validate", str(_credits(bare)), "--creditor", CREDITOR)
    assert done.returncode == 0, done.stderr
    assert report_of(bare)["creditor"] == [CREDITOR]


def test_a_bad_creditor_option_is_a_usage_error(bare: Path) -> None:
    done = importer(bare, "validate", str(_credits(bare)), "--creditor", "acme")
    assert done.returncode == 2
    assert done.stderr.startswith("importer: --creditor: Creditor id acme is not a valid id")
    assert not (bare / "reports").exists()


def test_a_row_of_another_creditor_is_not_sent(workdir: Path, api: Sandbox) -> None:
    credits = _credits(
        workdir,
        f"Borgenär;Fakturanummer;Belopp\r\n{CREDITOR};F-1001;10,00\r\n{OTHER};F-1002;20,00\r\n",
    )
    done = importer(workdir, "run", str(credits), "--creditor", CREDITOR, api=api)
    assert done.returncode == 1
    rows = {row["row"]: row for row in report_of(workdir)["rows"]}
    assert rows[2]["outcome"] == "credited"
    assert rows[3]["outcome"] == "invalid"
    assert rows[3]["errors"][0]["code"] == "creditor_conflict"
    assert [c["invoice_number"] for c in creditings(api)] == ["F-1001"]


def test_a_file_of_two_creditors_names_both(workdir: Path) -> None:
    credits = _credits(
        workdir,
        f"Borgenär;Fakturanummer;Belopp\r\n{OTHER};F-1001;10,00\r\n{CREDITOR};F-1002;20,00\r\n",
    )
    done = importer(workdir, "validate", str(credits))
    assert done.returncode == 0
    assert report_of(workdir)["creditor"] == [OTHER, CREDITOR]
    assert f"creditor          {OTHER}, {CREDITOR}" in done.stdout


def test_rerun_refuses_another_creditor(workdir: Path, api: Sandbox) -> None:
    credits = _credits(workdir, "Fakturanummer;Belopp\r\nF-1001;10,00\r\nNO-SUCH-INVOICE;5,00\r\n")
    first = importer(workdir, "run", str(credits), api=api)
    assert first.returncode == 1
    import_id = report_of(workdir)["file_import_report"]
    again = importer(workdir, "rerun", import_id, "--creditor", OTHER, api=api)
    assert again.returncode == 2
    assert f"not {OTHER} given with --creditor; nothing was sent" in again.stderr
    same = importer(workdir, "rerun", import_id, "--creditor", CREDITOR, api=api)
    assert same.returncode == 1, same.stderr
