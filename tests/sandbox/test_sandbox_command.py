"""`python -m importer.sandbox` (what `importer sandbox` runs): URL on the first stdout line,
clean stop on SIGTERM/SIGINT, help text stating the rules and the default key."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

import importer
from importer.sandbox import DEFAULT_API_KEY
from importer.sandbox.command import DESCRIPTION, EPILOG, add_arguments

PACKAGE_ROOT = str(Path(importer.__file__).resolve().parent.parent)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "IMPORTER_SANDBOX_KEY"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [PACKAGE_ROOT, env.get("PYTHONPATH")]))
    return env


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "importer.sandbox", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_prints_url_first_and_stops_cleanly(stop_signal):
    proc = _start("--port", "0")
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        response = requests.get(f"{url}/cases", headers={"x-api-key": DEFAULT_API_KEY}, timeout=5)
        assert response.status_code == 200
        proc.send_signal(stop_signal)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert out == ""
    assert "Traceback" not in err


def test_flags_reach_the_sandbox(tmp_path):
    db = tmp_path / "cli.sqlite"
    proc = _start("--port", "0", "--api-key", "cli-key", "--db", str(db), "--rate-limit", "50")
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert requests.get(f"{url}/cases", headers={"x-api-key": "cli-key"}).status_code == 200
        assert (
            requests.get(f"{url}/cases", headers={"x-api-key": DEFAULT_API_KEY}).status_code == 401
        )
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert db.exists()


def test_bad_cases_file_is_one_line_and_exit_2(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "importer.sandbox", "--cases", str(tmp_path / "absent.json")],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=30,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert "absent.json" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_help_states_the_crediting_rules_and_the_default_key():
    result = subprocess.run(
        [sys.executable, "-m", "importer.sandbox", "--help"],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=30,
    )
    assert result.returncode == 0
    for text in (
        "crediting.case_closed",
        "crediting.amount_exceeds_remaining",
        '"completed"',
        DEFAULT_API_KEY,
        "IMPORTER_SANDBOX_KEY",
        "--drop-rate",
    ):
        assert text in result.stdout
    assert DEFAULT_API_KEY in EPILOG and "crediting.case_closed" in EPILOG and DESCRIPTION


def test_add_arguments_parses_every_flag():
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    flags = {
        "--host": "0.0.0.0",
        "--port": "8080",
        "--db": "x.sqlite",
        "--cases": "c.json",
        "--api-key": "k",
        "--latency-ms": "5",
        "--latency-jitter-ms": "7",
        "--fail-rate": "0.1",
        "--drop-rate": "0.2",
        "--rate-limit": "30",
        "--seed": "9",
    }
    args = parser.parse_args([part for pair in flags.items() for part in pair])
    assert vars(args) == {
        "host": "0.0.0.0",
        "port": 8080,
        "db": "x.sqlite",
        "cases": "c.json",
        "api_key": "k",
        "latency_ms": 5,
        "latency_jitter_ms": 7,
        "fail_rate": 0.1,
        "drop_rate": 0.2,
        "rate_limit": 30,
        "seed": 9,
    }
    for bad in (
        ["--fail-rate", "2"],
        ["--rate-limit", "0"],
        ["--port", "70000"],
        ["--latency-jitter-ms", "-1"],
    ):
        with pytest.raises(SystemExit):
            parser.parse_args(bad)
