"""Driving the real command line in tests: `python -m importer` as a subprocess, in a work
folder with its own config.yaml, against a sandbox over a real socket."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import requests

from importer.sandbox import Sandbox

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "samples" / "credits.csv"
CREDITOR = "5f1a2b3c4d5e6f7a8b9c0d1e"
SECRET = "s3cr3t-key-never-printed-0123456789"

Main = Callable[..., tuple[int, str, str]]
"""The `main` fixture: `importer ARGS` in-process -> (exit code, stdout, stderr)."""


def importer(workdir: Path, *args: str, api: Sandbox | None = None, key: str = SECRET):
    env = {k: v for k, v in os.environ.items() if k != "IMPORTER_CONFIG"}
    env["AMILI_API_KEY"] = key
    cmd = [sys.executable, "-m", "importer", *args]
    if api is not None:
        cmd += ["--api-url", api.url]
    return subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=120)


def report_of(workdir: Path, import_id: str = "*") -> dict:
    """The report.json of `import_id` (by default the latest import's)."""
    reports = sorted((workdir / "reports").glob(f"{import_id}/report.json"))
    assert reports, "no report written"
    return json.loads(reports[-1].read_text(encoding="utf-8"))


def creditings(api: Sandbox) -> list[dict]:
    response = requests.get(
        api.url + "/creditor--creditings",
        params={"max_results": "100"},
        headers={"x-api-key": api.api_key},
        timeout=10,
    )
    response.raise_for_status()
    return response.json()["_items"]


def one_line(err: str) -> str:
    """The one `importer:` line on stderr; fails on a traceback or on more than one."""
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.startswith("importer:")]
    assert len(lines) == 1, err
    if os.environ.get("IMPORTER_SHOW_LINES"):
        print("\nONE LINE:", lines[0], file=sys.__stderr__)
    return lines[0]


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def give_up_at_once(workdir: Path) -> None:
    """Add to `workdir`'s config.yaml: an API that does not answer is given up after one retry
    without a wait (by default the retries wait 0.5 + 1 + 2 + 4 + 8 s), for tests of what a
    run says after an outage rather than of how long it tries."""
    with (workdir / "config.yaml").open("a", encoding="utf-8") as config:
        config.write("api:\n  max_attempts: 2\n  backoff_base: 0\n")
