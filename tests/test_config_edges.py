"""Configuration edge values are refused when the configuration is loaded: exit 2,
one line naming the setting, nothing read and nothing posted. A journal SQLite calls damaged
gets an honest exit-2 message, never "the journal is consistent"."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

import pytest
from cli_support import CREDITOR, SAMPLE, importer, in_process, one_line, report_of
from pydantic import ValidationError

from importer.config import Config
from importer.config_load import load_config, with_settings
from importer.errors import ConfigError

BASE = f"defaults:\n  creditor: {CREDITOR}\njournal:\n  path: j.sqlite\n"


def _one_line_exit_2(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0], lines[0]


@pytest.mark.parametrize(
    ("setting", "words"),
    [
        ("api:\n  read_timeout: .inf\n", ("api.read_timeout", "finite")),
        ("api:\n  connect_timeout: .nan\n", ("api.connect_timeout",)),
        ("api:\n  backoff_base: 1e300\n", ("api.backoff_base", "60")),
        ("api:\n  backoff_cap: 1e300\n", ("api.backoff_cap",)),
        ("api:\n  read_timeout: 86400\n", ("api.read_timeout", "3600")),
        ("api:\n  api_key_env: ''\n", ("api.api_key_env",)),
        ("api:\n  api_key_env: 'MY KEY'\n", ("api.api_key_env",)),
        ("api:\n  max_response_bytes: 10\n", ("api.max_response_bytes",)),
        ("api:\n  read_timeout: 200\n", ("response_deadline", "read_timeout")),
    ],
)
def test_edge_values_are_refused_at_load(workdir: Path, setting: str, words: tuple[str, ...]):
    (workdir / "config.yaml").write_text(BASE + setting, encoding="utf-8")
    result = importer(workdir, "run", str(SAMPLE))
    _one_line_exit_2(result, "config.yaml", *words)
    assert not (workdir / "j.sqlite").exists()  # refused before anything was opened


@pytest.mark.parametrize(
    ("setting", "words"),
    [
        ("api:\n  settle_seconds: 1e12\n", ("api.settle_seconds", "3600")),
        ("posting:\n  max_rate: 1e-9\n", ("posting.max_rate",)),
        ("drop:\n  settle_seconds: 999999\n", ("drop.settle_seconds", "3600")),
        ("drop:\n  interval: .inf\n", ("drop.interval", "finite")),
    ],
)
def test_waits_beyond_an_hour_are_refused_at_load(
    workdir: Path, setting: str, words: tuple[str, ...]
):
    """A settle time past an hour, or a max_rate slower than one request an hour (a wait of
    1e9 s between requests), is an edge value like any timeout beyond an hour: exit 2 at load,
    one line naming the setting. Both were accepted and parked rows (or the whole run)."""
    (workdir / "config.yaml").write_text(BASE + setting, encoding="utf-8")
    result = importer(workdir, "run", str(SAMPLE))
    _one_line_exit_2(result, "config.yaml", *words)
    assert not (workdir / "j.sqlite").exists()


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("inf", ("--interval", "drop.interval", "finite")),
        ("999999", ("--interval", "drop.interval", "3600")),
        ("0", ("--interval", "drop.interval", "greater than 0")),
        ("soon", ("--interval", "a number of seconds")),
    ],
)
def test_a_drop_interval_beyond_an_hour_is_refused_on_the_command_line(
    workdir: Path, value: str, words: tuple[str, ...]
):
    """The command line's overrides are held to the configuration's own limits: a watch
    polling every `inf` seconds would never poll again."""
    (workdir / "config.yaml").write_text(BASE, encoding="utf-8")
    (workdir / "inbox").mkdir()
    result = importer(workdir, "drop", "inbox", "--watch", "--interval", value)
    assert result.returncode == 2, result.stderr
    line = one_line(result.stderr) if "importer:" in result.stderr else result.stderr
    for word in words:
        assert word in line, line
    assert not (workdir / "j.sqlite").exists()


def test_a_loaded_configuration_cannot_be_changed_behind_its_checks():
    """Settings change only through `with_settings`, which checks the limits again: a
    setting assigned directly would skip them."""
    config = Config()
    with pytest.raises(ValidationError):
        config.drop.settle_seconds = 999999
    with pytest.raises(ConfigError, match=r"setting api.read_timeout: .*3600"):
        with_settings(config, {"api.read_timeout": 86400})
    changed = with_settings(config, {"drop.interval": 5})
    assert (changed.drop.interval, config.drop.interval) == (5, 60)


def test_config_naming_a_folder(workdir: Path):
    result = importer(workdir, "run", "--config", str(workdir), str(SAMPLE))
    _one_line_exit_2(result, str(workdir), "is a folder")


def test_report_dir_naming_a_file(workdir: Path):
    (workdir / "taken").write_text("not a folder", encoding="utf-8")
    (workdir / "config.yaml").write_text(BASE + "report:\n  dir: taken\n", encoding="utf-8")
    result = importer(workdir, "run", str(SAMPLE))
    _one_line_exit_2(result, "report.dir", "taken", "is a file")
    (workdir / "config.yaml").write_text(BASE, encoding="utf-8")
    result = importer(workdir, "run", "--report-dir", "config.yaml", str(SAMPLE))
    _one_line_exit_2(result, "report.dir", "config.yaml", "is a file")


def test_importer_config_set_but_empty(workdir: Path):
    env = {**os.environ, "IMPORTER_CONFIG": "", "AMILI_API_KEY": "k"}
    result = in_process(["run", str(SAMPLE)], cwd=workdir, env=env)
    _one_line_exit_2(result, "IMPORTER_CONFIG", "empty")


def test_ca_bundle_that_is_not_a_file(workdir: Path):
    (workdir / "config.yaml").write_text(BASE + "api:\n  ca_bundle: nowhere.pem\n", "utf-8")
    result = importer(workdir, "run", str(SAMPLE))
    _one_line_exit_2(result, "api.ca_bundle", "nowhere.pem")


def test_damaged_journal_is_named_honestly(workdir: Path):
    first = importer(workdir, "run", str(SAMPLE))
    assert first.returncode == 1, first.stderr
    import_id = report_of(workdir)["file_import_report"]
    journal = workdir / "j.sqlite"
    with sqlite3.connect(journal) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        (root,) = db.execute("SELECT rootpage FROM sqlite_master WHERE name='rows'").fetchone()
        (page_size,) = db.execute("PRAGMA page_size").fetchone()
    db.close()
    with journal.open("r+b") as handle:  # the rows table's first page, past its header
        handle.seek(page_size * (root - 1) + 200)
        handle.write(b"\xff" * (page_size - 200))
    # `show` and `run` read the damaged rows; `imports` would not: it lists the figures the
    # journal kept for each import (`journal.figure_cache`), read from elsewhere.
    for args in (("show", import_id), ("run", "--force", str(SAMPLE))):
        result = importer(workdir, *args)
        assert result.returncode == 2, result.stderr
        assert "damaged" in result.stderr
        assert "malformed" in result.stderr
        assert "consistent" not in result.stderr
        assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("setting", "words"),
    [
        ("posting:\n  lanes: true\n", ("posting.lanes", "true/false")),
        ("api:\n  max_attempts: yes\n", ("api.max_attempts", "true/false")),
        ("api:\n  read_timeout: on\n", ("api.read_timeout", "true/false")),
        ("input:\n  sheet: true\n", ("input.sheet", "true/false")),
        ("report:\n  xlsx_all_rows: false\n", ("report.xlsx_all_rows", "true/false")),
    ],
)
def test_yaml_yes_and_no_are_no_numbers(workdir: Path, setting: str, words: tuple[str, ...]):
    """YAML reads `true`, `yes` and `on` as booleans, which pydantic would take for 1 (and
    `false` for 0): `lanes: true` ran one lane without a word. A switch where a number is
    expected is a typo, refused at load."""
    (workdir / "config.yaml").write_text(BASE + setting, encoding="utf-8")
    result = importer(workdir, "run", str(SAMPLE))
    _one_line_exit_2(result, "config.yaml", *words)
    assert not (workdir / "j.sqlite").exists()


def test_switches_still_take_yaml_yes_and_no(workdir: Path):
    (workdir / "config.yaml").write_text(
        BASE + "reference:\n  generate: no\ndedupe:\n  credit_invoice: yes\n", encoding="utf-8"
    )
    result = importer(workdir, "validate", str(SAMPLE))
    assert result.returncode == 1, result.stderr  # the sample's invalid rows, nothing else


# ---- the refusal of YAML's true/false where a setting is no switch names what the


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
