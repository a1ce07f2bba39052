"""The golden corpus holds: every real export file in tests/data/golden/ still produces the
report rows checked in beside it (regenerate them only on purpose with
tests/data/golden/regenerate.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from golden_support import cases, golden_report


@pytest.mark.parametrize("case", cases(), ids=lambda case: case.name)
def test_golden_case(case: Path) -> None:
    expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    assert golden_report(case) == expected


def test_the_corpus_is_not_empty() -> None:
    assert len(cases()) >= 8
