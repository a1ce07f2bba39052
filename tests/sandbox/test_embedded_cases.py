"""The embedded sandbox (`--api-url sandbox`, the default) takes your own cases from
`sandbox.cases` in config.yaml, as `importer sandbox --cases` does: they are added to the
database it keeps beside the journal, even one seeded before, where cases it already has keep
their balances. A cases file that is not there is refused at load, in one line."""

from __future__ import annotations

import json
from pathlib import Path

from cli_support import SAMPLE, importer, one_line, report_of

MINE = "6a0b1c2d3e4f5a6b7c8d9e0f"
"""A creditor the packaged sample cases do not have."""


def _my_cases(path: Path) -> None:
    case = {
        "_id": "64b0c0ffee00000000009001",
        "creditor": MINE,
        "account": "70a1b2c3d4e5f60718293a4b",
        "debt": {"invoice_number": "MY-1"},
        "reference_number": "79990001",
        "currency": "SEK",
        "local_remaining_capital_amount": 500.0,
        "state": "open",
    }
    path.write_text(json.dumps([case]), encoding="utf-8")


def test_the_embedded_sandbox_credits_your_own_cases(workdir: Path) -> None:
    first = importer(workdir, "run", "--api-url", "sandbox", str(SAMPLE))  # seeds the samples
    assert first.returncode == 1, first.stderr
    _my_cases(workdir / "my-cases.json")
    config = workdir / "config.yaml"
    config.write_text(
        config.read_text(encoding="utf-8") + "sandbox:\n  cases: my-cases.json\n", "utf-8"
    )
    mine = workdir / "mine.csv"
    mine.write_text("invoice_number;amount\nMY-1;120,00\n", encoding="utf-8")
    done = importer(workdir, "run", "--api-url", "sandbox", "--creditor", MINE, str(mine))
    assert done.returncode == 0, done.stdout + done.stderr
    report = report_of(workdir)
    assert report["summary"]["outcomes"]["credited"] == 1
    assert report["rows"][0]["settled_amount"] == "120.00"

    again = workdir / "again.csv"  # a later run: the case keeps its balance (380.00 left)
    again.write_text("invoice_number;amount\nMY-1;400,00\n", encoding="utf-8")
    later = importer(workdir, "run", "--api-url", "sandbox", "--creditor", MINE, str(again))
    assert later.returncode == 1
    assert report_of(workdir)["rows"][0]["settled_amount"] == "380.00"


def test_a_cases_file_that_is_not_there_is_one_line(workdir: Path) -> None:
    config = workdir / "config.yaml"
    config.write_text(
        config.read_text(encoding="utf-8") + "sandbox:\n  cases: nowhere.json\n", "utf-8"
    )
    done = importer(workdir, "run", str(SAMPLE))
    assert done.returncode == 2
    assert one_line(done.stderr) == (
        f"importer: sandbox.cases: {workdir / 'nowhere.json'} is not a file"
    )
