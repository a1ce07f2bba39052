"""Writes `release-1.sqlite`: a journal as the release before numbered migrations writes it
(its schema is migration 1 of `importer.journal.migrations`; `PRAGMA user_version` 0,
`meta.schema_version` '1'). The tests open a copy of it and find every import, row, claim,
correction and outcome it holds, so a migration that loses or changes any of them fails.

Run with the code of commit a9e72ed (the last commit before the migrations), through the real
command line against the embedded sandbox over a real socket:

    mkdir /tmp/release && git archive a9e72ed | tar -x -C /tmp/release
    PYTHONPATH=/tmp/release python tests/data/journals/make_release_journal.py

It holds:

* the sample import (samples/credits.csv plus an invalid row 10, `;` and decimal comma):
  credited rows with status completed, warning and error, invalid rows, a row the API
  rejects and a duplicate credit note; credit-note claims for the rows sent; its report
  dialect and folder in `meta`;
* a `rerun --fix` of that import correcting its invalid row 6, which is then credited (the
  `corrected` table); row 10 stays invalid;
* an interrupted import: its one row's answer was lost (the sandbox drops every answer,
  `reconcile: manual`), so the row stays `unknown`;
* an import cut by an outage (every POST answered 503): its one row is `not_sent`, the
  import still `open`.

Do not run it again to "refresh" the file: it is the record of what that release wrote.
"""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import importer as importer_package
from importer.sandbox import Sandbox

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
OUT = HERE / "release-1.sqlite"
CODE = Path(importer_package.__file__).resolve().parents[1]
"""The importer this script runs: the one on PYTHONPATH (the release's code)."""
KEY = "release-journal-key-0123456789"
CREDITOR = "5f1a2b3c4d5e6f7a8b9c0d1e"
INVALID_ROW = "F-1004;tio kronor;SEK;KF-5008;2026-11-23;Belopp i ord: ogiltig rad\n"
"""Row 10 of the first import: invalid, and left so (the fix corrects row 6 only)."""


def importer(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"AMILI_API_KEY": KEY, "PYTHONPATH": str(CODE), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-m", "importer", *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def expect(done: subprocess.CompletedProcess[str], code: int) -> None:
    if done.returncode != code:
        raise SystemExit(
            f"expected exit {code}, got {done.returncode}:\n{done.stdout}{done.stderr}"
        )


def config(workdir: Path, journal: Path, **extra: object) -> None:
    settings: dict[str, object] = {
        "defaults": {"creditor": CREDITOR},
        "report": {"dir": "reports"},
        "journal": {"path": str(journal)},
        "api": {"read_timeout": 1.0, "settle_seconds": 1.0},
        **extra,
    }
    (workdir / "config.yaml").write_text(json.dumps(settings), encoding="utf-8")


def fix_invalid_row(workdir: Path, import_id: str) -> Path:
    """report.csv as a person fixes it: the three-decimal amount of row 6 made right, the
    other rows taken out (the invalid row 10 is left for later)."""
    report = workdir / "reports" / import_id / "report.csv"
    with report.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    amount, row_col = rows[0].index("Belopp"), rows[0].index("row")
    (six,) = [line for line in rows[1:] if line[row_col] == "6"]
    six[amount] = "12,35"
    fix = workdir / "fixed.csv"
    with fix.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows([rows[0], six])
    return fix


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        journal = work / "journal.sqlite"
        config(work, journal)
        credits = work / "credits.csv"
        sample = (REPO / "samples" / "credits.csv").read_text(encoding="utf-8")
        credits.write_text(sample + INVALID_ROW, encoding="utf-8")
        with Sandbox(db_path=work / "api.sqlite", api_key=KEY) as api:
            expect(importer(work, "run", str(credits), "--api-url", api.url), 1)
            (import_id,) = [p.name for p in (work / "reports").iterdir()]
            fix = fix_invalid_row(work, import_id)
            expect(importer(work, "rerun", import_id, "--fix", str(fix), "--api-url", api.url), 1)
        lost = work / "lost.csv"
        lost.write_text("Fakturanummer;Belopp;Kreditfaktura\nF-1004;10,00;KF-6001\n", "utf-8")
        config(work, journal, reconcile="manual")
        with Sandbox(db_path=work / "api-drops.sqlite", api_key=KEY, drop_rate=1.0) as api:
            expect(importer(work, "run", str(lost), "--api-url", api.url), 3)
        outage = work / "outage.csv"
        outage.write_text("Fakturanummer;Belopp;Kreditfaktura\nF-1006;5,00;KF-7001\n", "utf-8")
        config(work, journal, api={"read_timeout": 1.0, "max_attempts": 1})
        with Sandbox(db_path=work / "api-down.sqlite", api_key=KEY, fail_rate=1.0) as api:
            expect(importer(work, "run", str(outage), "--api-url", api.url), 3)
        with sqlite3.connect(journal) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copyfile(journal, OUT)
    print(f"{OUT} ({OUT.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
