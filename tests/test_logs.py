"""The event log (`importer.logs`): structlog is loaded only for an event at the CLI's level,
and then renders it as before (text or JSON lines on stderr)."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
import structlog
from cli_support import SAMPLE, Main

from importer import logs

_STRUCTLOG_LOADED = """
import sys
from importer.cli import main
code = main(sys.argv[1:])
print("structlog" in sys.modules, file=sys.stderr)
sys.exit(code)
"""


def _run(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _STRUCTLOG_LOADED, *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_quiet_validate_never_loads_structlog(workdir: Path) -> None:
    done = _run(workdir, "validate", str(SAMPLE))
    assert done.returncode == 1, done.stderr  # the sample has rows needing attention
    assert done.stderr.splitlines()[-1] == "False"


def test_verbose_loads_it_and_logs_each_event_as_text(workdir: Path) -> None:
    done = _run(workdir, "validate", "-v", str(SAMPLE))
    lines = done.stderr.splitlines()
    assert lines[-1] == "True"
    created = [line for line in lines if "import.created" in line]
    assert len(created) == 1
    assert "[info" in created[0]
    assert "file=credits.csv" in created[0]


def test_log_json_writes_one_json_object_per_event(main: Main) -> None:
    code, _, err = main("validate", "--log-json", str(SAMPLE))
    assert code == 1
    events = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    created = [e for e in events if e["event"] == "import.created"]
    assert len(created) == 1
    assert created[0]["level"] == "info"
    assert created[0]["file"] == "credits.csv"
    assert created[0]["timestamp"].endswith("Z")


def test_below_the_level_an_event_is_dropped_and_at_it_is_rendered(
    capsys: pytest.CaptureFixture[str],
) -> None:
    log = logs.get_logger("importer.test")
    logs.configure(logging.WARNING, json=True)
    try:
        log.info("quiet")
        log.debug("quieter")
        log.warning("loud", row=7)
        log.error("louder")
    finally:
        logs.reset()
    events = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [(e["event"], e["level"]) for e in events] == [("loud", "warning"), ("louder", "error")]
    assert events[0]["row"] == 7


def test_a_library_caller_who_never_configures_gets_every_event() -> None:
    log = logs.get_logger("importer.test")
    with structlog.testing.capture_logs() as captured:
        log.debug("detail", n=1)
        log.info("progress")
    assert [e["event"] for e in captured] == ["detail", "progress"]
