"""The importer, as a process, against a real Eve server: every row is posted once as Eve reads
the body, and a second import of the same credit notes finds them at the API by `$in` and
sends nothing. Eve models no crediting rules, so no stored crediting carries a `status`: the
import ends "status not read back" (exit 3), as it would against any API that answers 201 but
does not show the status — which is itself part of the contract (`docs/outcomes.md`)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import requests
from cli_support import CREDITOR, SECRET, in_process, report_of
from eve_server import eve_server

FILE = (
    "Fakturanummer;Belopp;Valuta;Kreditfaktura;Datum\n"
    "F-1001;1 250,00;SEK;KF-1;2026-11-20\n"
    "F-1002;10,50;SEK;KF-2;2026-11-21\n"
    "F-1002;10,50;SEK;KF-3;2026-11-21\n"
)


def _run(work: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "IMPORTER_CONFIG"}
    env["AMILI_API_KEY"] = SECRET
    return in_process(["run", "credits.csv", "--api-url", url, *args], cwd=work, env=env)


def test_each_row_reaches_eve_once_and_a_second_import_finds_its_credit_notes(
    tmp_path: Path,
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "credits.csv").write_text(FILE, encoding="utf-8")
    (work / "config.yaml").write_text(f"defaults:\n  creditor: {CREDITOR}\n", encoding="utf-8")
    with eve_server(SECRET) as url:
        first = _run(work, url)
        assert first.returncode == 3, first.stderr
        assert "could not be read back" in first.stderr
        report = report_of(work)
        assert report["summary"]["outcomes"]["credited"] == 3
        stored = requests.get(
            url + "/creditor--creditings",
            params={"max_results": "50"},
            headers={"x-api-key": SECRET},
            timeout=10,
        ).json()["_items"]
        by_note = {item["credit_invoice"]: item for item in stored}
        assert sorted(by_note) == ["KF-1", "KF-2", "KF-3"]
        assert by_note["KF-1"]["amount"] == 1250.0
        assert by_note["KF-2"]["client_registration_date"].endswith("GMT")
        assert {row["_id"] for row in report["rows"]} == {item["_id"] for item in stored}

        second = _run(work, url, "--force")
        assert second.returncode == 0, second.stderr
        again = report_of(work)
        assert again["summary"]["outcomes"]["duplicate"] == 3
        assert (
            len(
                requests.get(
                    url + "/creditor--creditings", headers={"x-api-key": SECRET}, timeout=10
                ).json()["_items"]
            )
            == 3
        )
