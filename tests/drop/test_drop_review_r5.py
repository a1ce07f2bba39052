"""Review R5: hostile cases of `importer drop` as a real process against the sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from drop_support import (
    OTHER_CREDITOR,
    creditings_of,
    run_drop,
    setup_work,
    write_two_creditor_cases,
)
from pipeline.exactly_once_support import CREDITOR, KEY, write_credits

from importer.sandbox import Sandbox


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Sandbox]:
    cases = tmp_path / "cases.json"
    write_two_creditor_cases(cases)
    with Sandbox(db_path=tmp_path / "api.sqlite", cases_path=cases, api_key=KEY) as sandbox:
        yield sandbox


@pytest.mark.parametrize("says", [f"defaults:\n  creditor: {CREDITOR}\n", "input: {}\n"])
def test_creditor_option_holds_for_a_drop_pointed_at_a_creditors_subfolder(
    tmp_path: Path, api: Sandbox, says: str
) -> None:
    """`importer drop INBOX/other --creditor OTHER`: `--creditor` is the creditor of every row
    of the files directly in the inbox given, as for `run`. The folder's config.yaml (naming
    the main creditor, or none) must neither credit them to the main creditor — OTHER's file
    with invoice numbers the main creditor also has — nor refuse the creditor the operator
    named."""
    work, inbox = setup_work(tmp_path)
    other = inbox / "other"
    other.mkdir()
    (other / "config.yaml").write_text(says, "utf-8")
    write_credits(other / "theirs.csv", [f"EO-{n:04d}" for n in range(1, 11)], 3, seed=21)
    done = run_drop(work, other, api.url, "--creditor", OTHER_CREDITOR)
    assert creditings_of(api.url, CREDITOR) == [], done.stdout + done.stderr
    assert "theirs.csv" in done.stdout
    assert not (other / "theirs.csv").exists()  # imported (its rows OTHER's), not left waiting
