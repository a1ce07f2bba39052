"""Closing-summary and rejection wording: a correction that matches no row
says "matches" (one) or "match" (several); a file rejected as a whole names the creditor
`--creditor` gave, and without one says no row was read — never "as given on each row".
Through the real command line against the sandbox over a real socket."""

from __future__ import annotations

from pathlib import Path

from cli_support import CREDITOR, importer, report_of

from importer.sandbox import Sandbox

RAGGED = "Fakturanummer,Belopp,Kreditfaktura\nF-1,1 250,50,K1\nF-2,99,90,K2\nF-3,10,K3\n"


def _no_default(workdir: Path) -> None:
    (workdir / "config.yaml").write_text(
        "report:\n  dir: reports\njournal:\n  path: j.sqlite\n", encoding="utf-8"
    )


def test_a_rejected_file_names_the_creditor_given(workdir: Path, api: Sandbox) -> None:
    _no_default(workdir)
    credits = workdir / "credits.csv"
    credits.write_text(RAGGED, encoding="utf-8")
    done = importer(workdir, "run", "--creditor", CREDITOR, str(credits), api=api)
    assert done.returncode == 2
    assert f"  creditor          {CREDITOR}\n" in done.stdout
    assert "as given on each row" not in done.stdout
    done = importer(workdir, "run", str(credits), api=api)
    assert done.returncode == 2
    assert "as given on each row" not in done.stdout
    assert "  creditor          - (the file was rejected before its rows were read)" in (
        done.stdout
    )


def test_one_unmatched_correction_matches_no_row(workdir: Path, api: Sandbox) -> None:
    data = workdir / "export.csv"
    data.write_text("Fakturanummer;Belopp;Kreditfaktura\nF-1002;0;KF-2\n", encoding="utf-8")
    assert importer(workdir, "run", str(data), api=api).returncode == 1
    import_id = str(report_of(workdir)["file_import_report"])
    fix = workdir / "fixed.csv"
    fix.write_text("Fakturanummer;Belopp;Kreditfaktura\nF-1002;20,00;KF-99\n", encoding="utf-8")
    done = importer(workdir, "rerun", import_id, "--fix", str(fix), api=api)
    assert done.returncode == 2
    assert "row 2 (credit note KF-99) matches no row of the import" in done.stderr
