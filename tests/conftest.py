"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from importer.sandbox import Sandbox


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A fresh local Amili sandbox over a real socket: temporary database seeded with the
    packaged sample cases (samples/cases.json), key "test-key", stopped after the test."""
    with Sandbox(api_key="test-key") as sb:
        yield sb
