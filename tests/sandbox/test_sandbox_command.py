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
    key_file = tmp_path / "key.txt"
    key_file.write_text("cli-key\n", encoding="utf-8")
    proc = _start(
        "--port", "0", "--api-key-file", str(key_file), "--db", str(db), "--rate-limit", "50"
    )  # fmt: skip
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


def test_key_stays_out_of_the_command_line(tmp_path):
    """The key comes from the environment (or a file), so `ps` never shows it;
    the deprecated --api-key still works but says why it should not be used."""
    env = {**_env(), "IMPORTER_SANDBOX_KEY": "env-key-0451"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "importer.sandbox", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        answer = requests.get(f"{url}/cases", headers={"x-api-key": "env-key-0451"}, timeout=5)
        assert answer.status_code == 200
        cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes()
        assert b"env-key-0451" not in cmdline
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "env-key-0451" not in err
    old = _start("--port", "0", "--api-key", "argv-key")
    try:
        assert old.stdout is not None
        old.stdout.readline()
        old.send_signal(signal.SIGTERM)
        _, err = old.communicate(timeout=10)
    finally:
        if old.poll() is None:
            old.kill()
    assert "--api-key is visible to every user in ps" in err


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
    assert "absent.json" in result.stderr
    assert "Traceback" not in result.stderr
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
    assert DEFAULT_API_KEY in EPILOG
    assert "crediting.case_closed" in EPILOG
    assert DESCRIPTION


def test_add_arguments_parses_every_flag():
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    flags = {
        "--host": "0.0.0.0",
        "--port": "8080",
        "--db": "x.sqlite",
        "--cases": "c.json",
        "--api-key": "k",
        "--api-key-file": "key.txt",
        "--latency-ms": "5",
        "--latency-jitter-ms": "7",
        "--fail-rate": "0.1",
        "--drop-rate": "0.2",
        "--fail-after-store-rate": "0.3",
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
        "api_key_file": "key.txt",
        "latency_ms": 5,
        "latency_jitter_ms": 7,
        "fail_rate": 0.1,
        "drop_rate": 0.2,
        "fail_after_store_rate": 0.3,
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
