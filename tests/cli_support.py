"""Driving the real command line in tests: `importer ARGS` in a work folder with its own
config.yaml, against a sandbox over a real socket — in this process (`importer`, `in_process`)
or as `python -m importer`, a real process (`importer_process`), where the test proves
something only a process shows: signals, a kill, the environment it starts with, what its
interpreter prints."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
import zipfile
from collections.abc import Callable, Mapping, Sequence
from contextlib import redirect_stderr, redirect_stdout
from datetime import datetime
from pathlib import Path
from typing import Any

import requests

from importer import cli, logs
from importer.sandbox import Sandbox

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "samples" / "credits.csv"
CREDITOR = "5f1a2b3c4d5e6f7a8b9c0d1e"
SECRET = "s3cr3t-key-never-printed-0123456789"

Main = Callable[..., tuple[int, str, str]]
"""The `main` fixture: `importer ARGS` in-process -> (exit code, stdout, stderr)."""


def in_process(
    argv: Sequence[str], *, cwd: Path, env: Mapping[str, str]
) -> subprocess.CompletedProcess[str]:
    """`importer ARGV` run by `cli.main` in this process as `python -m importer` would run it in
    `cwd` with exactly `env`: the same exit code (a `SystemExit`'s, 1 and the traceback on
    stderr for an exception that escapes), stdout and stderr, without a process's start-up
    (half a second of CPU each, hundreds of times a suite). What a process would leave
    behind is put back: the working folder, the environment, the SIGINT/SIGTERM handlers and
    the event log's configuration. Called from a thread other than the main one (where
    signal handlers cannot be set, and two runs would share the working folder), it starts
    the real process instead."""
    cmd = [sys.executable, "-m", "importer", *argv]
    if threading.current_thread() is not threading.main_thread():
        return subprocess.run(
            cmd, cwd=cwd, env=dict(env), capture_output=True, text=True, timeout=120
        )
    out, err = io.StringIO(), io.StringIO()
    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    saved_signals = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    os.environ.clear()
    os.environ.update(env)
    time.tzset()  # the zone a process started with TZ would have
    try:
        os.chdir(cwd)
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = cli.main(list(argv))
            except SystemExit as exit_:
                code = _exit_status(exit_.code)
            except Exception:
                traceback.print_exc()
                code = 1
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        time.tzset()
        for sig, handler in saved_signals.items():
            signal.signal(sig, handler)
        logs.reset()
    return subprocess.CompletedProcess(cmd, code, out.getvalue(), err.getvalue())


def _exit_status(code: object) -> int:
    """The status the interpreter exits with for `SystemExit(code)` (a text is printed)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def unmeasured(env: Mapping[str, str]) -> dict[str, str]:
    """`env` without coverage's variables (`COVERAGE_PROCESS_CONFIG`, set under `patch =
    subprocess`, and `COVERAGE_PROCESS_START`), so that coverage does not start in a process
    given it: for a process whose lines the coverage floor should not count or could never
    get (a benchmark, the sandbox, which the floor leaves out, a process the test kills with
    SIGKILL, whose data would never be written), where measuring only costs CPU (a third more
    for an importer process). Should coverage rename them, those processes are measured
    again: slower, never wrong."""
    return {name: value for name, value in env.items() if not name.startswith("COVERAGE_")}


def cli_env(key: str = SECRET) -> dict[str, str]:
    """This process's environment without IMPORTER_CONFIG, with `key` as the API key."""
    env = {k: v for k, v in os.environ.items() if k != "IMPORTER_CONFIG"}
    env["AMILI_API_KEY"] = key
    return env


def importer(
    workdir: Path, *args: str, api: Sandbox | None = None, key: str = SECRET
) -> subprocess.CompletedProcess[str]:
    """`importer ARGS` (with `--api-url` of `api`) run in `workdir`, in this process."""
    argv = [*args, "--api-url", api.url] if api is not None else list(args)
    return in_process(argv, cwd=workdir, env=cli_env(key))


def importer_process(
    workdir: Path, *args: str, api: Sandbox | None = None, key: str = SECRET
) -> subprocess.CompletedProcess[str]:
    """`python -m importer ARGS` as a real process: for what only a process shows."""
    cmd = [sys.executable, "-m", "importer", *args]
    if api is not None:
        cmd += ["--api-url", api.url]
    return subprocess.run(
        cmd, cwd=workdir, env=cli_env(key), capture_output=True, text=True, timeout=120
    )


def searchable_bytes(path: Path) -> bytes:
    """A file's bytes as a search for a secret must see them: a workbook's parts (report.xlsx
    is a zip) unpacked too, where their text is compressed out of a plain search's sight."""
    data = path.read_bytes()
    if not zipfile.is_zipfile(path):
        return data
    with zipfile.ZipFile(path) as packed:
        return b"\n".join([data, *(packed.read(name) for name in packed.namelist())])


def report_of(workdir: Path, import_id: str = "*") -> dict:
    """The report.json of `import_id` (by default the latest import's: the one started last,
    as ids name the second only and two runs in-process share one)."""
    reports = [
        json.loads(path.read_text(encoding="utf-8"))
        for path in (workdir / "reports").glob(f"{import_id}/report.json")
    ]
    assert reports, "no report written"
    return max(reports, key=lambda report: (started_at(report), report["file_import_report"]))


def started_at(record: Mapping[str, Any]) -> datetime:
    """When a report.json or summary.json says its import or pass started, as a time to
    compare: as text, a moment on a whole second is written without its fraction
    (`…:13Z`) and sorts after every later moment of that second (`…:13.268000Z`)."""
    return datetime.fromisoformat(record["started"])


def corrected_report_csv(report_csv: Path, row: int, cells: Mapping[str, str], to: Path) -> Path:
    """`report_csv` with `row`'s `cells` (column -> text) changed, every other cell as it
    was, saved to `to` as a person saves it (UTF-8 with a BOM, `;`): a `rerun --fix` file."""
    with report_csv.open(encoding="utf-8-sig", newline="") as handle:
        table = list(csv.reader(handle, delimiter=";"))
    head = table[0]
    for line in table[1:]:
        if line[head.index("row")] == str(row):
            for column, value in cells.items():
                line[head.index(column)] = value
    with to.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows(table)
    return to


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
