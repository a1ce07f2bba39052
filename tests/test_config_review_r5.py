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


@pytest.mark.parametrize(
    ("setting", "choices"),
    [
        ("drop:\n  ready: yes\n", "'marker', 'stable' or 'either'"),
        ("report:\n  language: no\n", "'en' or 'sv'"),  # Norwegian, read by YAML as false
        ("dedupe:\n  repeats: on\n", "'duplicate' or 'allow'"),
        ("input:\n  decimal_separator: yes\n", "'.' or ','"),
    ],
)
def test_a_choice_given_true_names_the_choices(tmp_path: Path, setting: str, choices: str) -> None:
    """A setting that is one of a few words (`drop.ready`, `report.language`) given YAML's
    yes/no is refused with the words it takes, as before the true/false refusal — not with
    "expected a number or a text", which no such setting takes."""
    path = tmp_path / "config.yaml"
    path.write_text(setting, encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    assert choices in refused.value.message
    assert "a number" not in refused.value.message
