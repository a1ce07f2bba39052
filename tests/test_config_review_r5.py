"""Review R5: the refusal of YAML's true/false where a setting is no switch names what the
setting is."""

from __future__ import annotations

from pathlib import Path

import pytest

from importer.config import load_config
from importer.errors import ConfigError


@pytest.mark.parametrize("section", ["api", "posting", "columns", "drop"])
def test_a_section_given_true_is_not_said_to_want_a_number(tmp_path: Path, section: str) -> None:
    """`api: yes` (a section switched on, as some tools' configurations do) is refused, and
    the message must not ask for "a number or a text": a section holds settings, as pydantic
    says for `api: 5`."""
    path = tmp_path / "config.yaml"
    path.write_text(f"{section}: yes\n", encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    message = refused.value.message
    assert f"setting {section}:" in message
    assert "a number or a text" not in message
    assert "dictionary" in message
