"""The drop tests' API: the sandbox over a real socket, with open cases for two creditors
(`drop_support.write_two_creditor_cases`). A module needing another API defines its own
`api` fixture, which takes precedence."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from drop_support import write_two_creditor_cases
from pipeline.exactly_once_support import KEY

from importer.sandbox import Sandbox


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Sandbox]:
    cases = tmp_path / "cases.json"
    write_two_creditor_cases(cases)
    with Sandbox(db_path=tmp_path / "api.sqlite", cases_path=cases, api_key=KEY) as sandbox:
        yield sandbox
