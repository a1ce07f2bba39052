"""Helpers for the drop tests: an inbox in a work folder, `importer drop` in-process or as a
real process, and cases of two creditors so a test can tell whose account a credit reached."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from cli_support import in_process, started_at
from pipeline.exactly_once_support import CREDITOR, KEY, importer_env, write_config

OTHER_CREDITOR = "6a0b1c2d3e4f5a6b7c8d9e0f"
"""A second creditor with cases of its own (invoice numbers OT-…)."""

THEIRS = [f"OT-{n:04d}" for n in range(1, 11)]
"""The second creditor's invoice numbers (`write_two_creditor_cases`)."""


def write_two_creditor_cases(path: Path, count: int = 10) -> None:
    """`count` open cases for CREDITOR (EO-0001…) and as many for OTHER_CREDITOR (OT-0001…)."""
    cases = [
        {
            "_id": f"64b0c0ffee{base + n + 1:014x}",
            "creditor": creditor,
            "account": "70a1b2c3d4e5f60718293a4b",
            "debt": {"invoice_number": f"{prefix}-{n + 1:04d}"},
            "reference_number": f"7{base + n + 1:07d}",
            "currency": "SEK",
            "local_remaining_capital_amount": 100_000_000,
            "state": "open",
        }
        for prefix, creditor, base in (("EO", CREDITOR, 0), ("OT", OTHER_CREDITOR, 0x1000))
        for n in range(count)
    ]
    path.write_text(json.dumps(cases, indent=1), encoding="utf-8")


def setup_work(tmp_path: Path, api: dict[str, Any] | None = None, **drop: Any) -> tuple[Path, Path]:
    """A work folder with config.yaml (drop settings `drop`, settle time 0 unless given; api
    settings `api`) and an empty inbox inside it."""
    work = tmp_path / "work"
    work.mkdir()
    write_config(work, drop={"settle_seconds": 0, **drop}, api={"read_timeout": 1.0, **(api or {})})
    inbox = work / "inbox"
    inbox.mkdir()
    return work, inbox


def drop_cmd(inbox: Path, url: str, *extra: str, host: str | None = None) -> list[str]:
    """`importer drop`; with `host`, as a process of a machine of that name (`as_host`)."""
    command = [sys.executable, "-m", "importer", "drop", str(inbox), "--api-url", url, *extra]
    return command if host is None else as_host(host, command)


def as_host(host: str, command: list[str]) -> list[str]:
    """`command` in a UTS namespace of its own whose host name is `host`: to the importer it
    runs on another machine (what it records of its locks, the inbox lock it takes), while
    it shares this one's files and loopback. The same process (no fork), so its pid is the
    command's."""
    return ["unshare", "--uts", "sh", "-c", 'hostname "$0" && exec "$@"', host, *command]


def run_drop(
    work: Path,
    inbox: Path,
    url: str,
    *extra: str,
    timeout: float | None = None,
    env: dict[str, str] | None = None,
    host: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """`importer drop` run to its end: in this process (`cli_support.in_process`) unless a
    `timeout`, an `env` (a host's own HOME, say) or a `host` (as on a machine of that name,
    `as_host`) asks for a real process."""
    if timeout is None and env is None and host is None:
        return in_process(drop_cmd(inbox, url, *extra)[3:], cwd=work, env=importer_env())
    timeout = 120 if timeout is None else timeout
    return subprocess.run(
        drop_cmd(inbox, url, *extra, host=host),
        cwd=work,
        env=env or importer_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start_drop(
    work: Path,
    inbox: Path,
    url: str,
    *extra: str,
    env: dict[str, str] | None = None,
    host: str | None = None,
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        drop_cmd(inbox, url, *extra, host=host),
        cwd=work,
        env=env or importer_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def summaries(work: Path) -> list[dict[str, Any]]:
    """Every pass's summary.json, oldest first."""
    found = (work / "reports" / "drops").glob("*/summary.json")
    loaded = [json.loads(p.read_text(encoding="utf-8")) for p in found]
    return sorted(loaded, key=started_at)  # ids of one second sort at random; so does text


def creditings_of(url: str, creditor: str) -> list[dict[str, Any]]:
    response = requests.get(
        url + "/creditor--creditings",
        params={"where": json.dumps({"creditor": creditor}), "max_results": "500"},
        headers={"x-api-key": KEY},
        timeout=30,
    )
    response.raise_for_status()
    items: list[dict[str, Any]] = response.json()["_items"]
    return items


def archived(inbox: Path, kind: str) -> list[str]:
    """Names under `inbox/<kind>/<day>/`, sorted."""
    return sorted(p.name for p in (inbox / kind).glob("*/*"))


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
