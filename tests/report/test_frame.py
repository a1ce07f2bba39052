"""`load_report` gives analysts an import's report as a DataFrame: one row per input row in
file order, money as exact `Decimal`, dates as UTC timestamps, the head in `attrs` — read from a
real report.json that a real import against the sandbox wrote."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from cli_support import SAMPLE, importer, report_of

from importer import load_report
from importer.errors import ConfigError
from importer.sandbox import Sandbox


@pytest.fixture
def imported(workdir: Path, api: Sandbox) -> dict:
    done = importer(workdir, "run", str(SAMPLE), api=api)
    assert done.returncode == 1, done.stderr
    return report_of(workdir)


def test_one_row_per_input_row_with_money_as_decimal(workdir: Path, imported: dict) -> None:
    frame = load_report(workdir / "reports" / imported["file_import_report"] / "report.json")
    assert list(frame["row"]) == [row["row"] for row in imported["rows"]]
    assert list(frame["outcome"]) == [row["outcome"] for row in imported["rows"]]
    settled = frame.loc[frame["row"] == 4, "settled_amount"].item()
    assert settled == Decimal("300.00")
    assert isinstance(settled, Decimal)
    credited = frame[frame["outcome"] == "credited"]
    total = sum(credited["settled_amount"], Decimal(0))
    assert total == Decimal(imported["summary"]["amount_settled"])
    assert all(isinstance(a, Decimal) for a in frame["amount"].dropna())


def test_errors_codes_status_and_head(workdir: Path, imported: dict) -> None:
    frame = load_report(workdir / "reports" / imported["file_import_report"])
    invalid = frame[frame["row"] == 6].iloc[0]
    assert invalid["error_codes"]
    assert invalid["errors"].startswith("amount: ")
    assert frame["http_status"].dtype == "Int64"
    assert frame.attrs["file_import_report"] == imported["file_import_report"]
    assert frame.attrs["summary"]["rows"] == len(frame)
    assert isinstance(frame.attrs["started"], pd.Timestamp)


def test_by_import_id_through_the_configuration(
    workdir: Path, imported: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(workdir)
    frame = load_report(imported["file_import_report"])
    assert len(frame) == imported["summary"]["rows"]


def test_dates_are_utc_timestamps(tmp_path: Path) -> None:
    report = tmp_path / "minimal.json"  # not a whole report.json: only what the frame reads
    report.write_text(
        '{"file_import_report": "x", "rows": [{"row": 2, "outcome": "not_sent", "request": '
        '{"amount": 100.5, "client_registration_date": "Fri, 20 Nov 2026 00:00:00 GMT"}}]}',
        encoding="utf-8",
    )
    frame = load_report(report)
    moment = frame.loc[0, "client_registration_date"]
    assert moment == pd.Timestamp("2026-11-20T00:00:00Z")
    assert frame.loc[0, "amount"] == Decimal("100.5")


def test_unknown_import_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="no report found for nope"):
        load_report("nope")
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"not a readable report\.json"):
        load_report(tmp_path / "broken.json")
