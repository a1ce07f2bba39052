"""One signal is enough: SIGINT or SIGTERM ends every wait of a run — a
Retry-After of 300 s, the settle time before an earlier run's request is looked up, a body
trickled a byte a second — within about a second, writes the report and exits 3. A second
signal exits at once, and what was recorded is still in the journal (`importer report ID`
writes it). A FIFO as input is refused before it is opened, so it cannot block a run.

Real processes, real signals, a hostile server on a real socket. The bounds asserted are
generous (5 s against waits of 300 s) so a loaded machine does not make them flaky."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote

import pytest
from cli_support import CREDITOR, SAMPLE, SECRET, importer, importer_process
from hostile import Answer, HostileServer, json_answer

from importer.stopping import STOPPING, Stage, StopFlag, installed

LONG = 300  # every wait below would last this long without the signal


def _config(workdir: Path, **api: object) -> None:
    lines = "".join(f"  {key}: {value}\n" for key, value in api.items())
    (workdir / "config.yaml").write_text(
        f"defaults:\n  creditor: {CREDITOR}\nreport:\n  dir: reports\njournal:\n  path: j.sqlite\n"
        + (f"api:\n{lines}" if lines else ""),
        encoding="utf-8",
    )


def _start(workdir: Path, url: str, *args: str, file: Path = SAMPLE) -> subprocess.Popen[str]:
    env = {**os.environ, "AMILI_API_KEY": SECRET, "PYTHONUNBUFFERED": "1"}
    env.pop("IMPORTER_CONFIG", None)
    return subprocess.Popen(
        [sys.executable, "-m", "importer", "run", str(file), "--api-url", url, *args],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(condition: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the run never reached the wait"
        time.sleep(0.05)


def _signal_and_time(process: subprocess.Popen[str], sig: int) -> tuple[float, str, str]:
    time.sleep(0.3)  # well inside the wait
    sent = time.monotonic()
    process.send_signal(sig)
    out, err = process.communicate(timeout=60)
    return time.monotonic() - sent, out, err


def _holds_an_import(journal: Path, pid: int) -> bool:
    """Process `pid` holds the lock of an import in `journal`: it is working on it."""
    with sqlite3.connect(journal, timeout=5) as db:
        held = db.execute("SELECT pid FROM locks WHERE key LIKE 'import:%'").fetchall()
    db.close()
    return (pid,) in held


def _notes_unknown(
    behaviour: Callable[[str, str, bytes], Answer],
) -> Callable[[str, str, bytes], Answer]:
    """`behaviour`, except that the credit-note lookup made before the first POST finds
    none credited: the run reaches the POST whose wait is under test."""

    def answer(method: str, path: str, body: bytes) -> Answer:
        if method == "GET" and "$in" in unquote(path):
            return json_answer(200, {"_items": [], "_meta": {"total": 0}})
        return behaviour(method, path, body)

    return answer


def _report(workdir: Path) -> dict:
    reports = sorted((workdir / "reports").glob("*/report.json"))
    assert reports, "no report written"
    return json.loads(reports[-1].read_text(encoding="utf-8"))


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_retry_after_of_300_s_ends_at_the_signal(workdir: Path, sig: int):
    busy = json_answer(429, {"_status": "ERR"}, **{"Retry-After": str(LONG)})
    with HostileServer(_notes_unknown(lambda *_: busy)) as server:
        _config(workdir)
        process = _start(workdir, server.url)
        _wait_for(lambda: any(r.method == "POST" for r in server.requests))
        elapsed, _out, err = _signal_and_time(process, sig)
    assert process.returncode == 3, err
    assert elapsed < 5, elapsed
    assert "Traceback" not in err
    rows = _report(workdir)["rows"]
    posted = [r for r in rows if r["attempts"] and r["outcome"] != "duplicate"]  # decided first
    assert [r["outcome"] for r in posted] == ["not_sent"]  # certainly not stored
    assert [r.method for r in server.requests].count("POST") == 1


def test_a_trickled_body_ends_at_the_signal_and_the_row_stays_unknown(workdir: Path):
    trickle = Answer(201, (b" " for _ in range(LONG)), pause=1.0)
    with HostileServer(_notes_unknown(lambda method, *_: trickle)) as server:
        _config(workdir, read_timeout=LONG, response_deadline=LONG)
        process = _start(workdir, server.url)
        _wait_for(lambda: any(r.method == "POST" for r in server.requests))
        elapsed, _out, err = _signal_and_time(process, signal.SIGTERM)
    assert process.returncode == 3, err
    assert elapsed < 5, elapsed
    rows = _report(workdir)["rows"]
    attempted = [r for r in rows if r["attempts"] and r["outcome"] != "duplicate"]
    assert [r["outcome"] for r in attempted] == ["unknown"]  # the request left: look it up
    assert attempted[0]["attempts"][-1]["note"] == "interrupted: the answer was not awaited"
    assert [r.method for r in server.requests][-1:] == ["POST"]  # no lookup, no repost
    assert [r.method for r in server.requests].count("POST") == 1


@pytest.mark.slow
def test_the_settle_wait_of_a_resumed_run_ends_at_the_signal(workdir: Path):
    """The first run leaves its one row unknown (the connection dropped after the request
    was sent, and lookups fail); the second must wait before looking it up — until
    signalled. (One row: rows of other cases would go ahead meanwhile, by design.)"""

    posted = []

    def behaviour(method: str, path: str, body: bytes) -> Answer:
        if method == "POST":
            posted.append(path)
            raise OSError("drop the connection: the request may have been stored")
        if not posted:  # the look-up before sending: nothing is there yet
            return json_answer(200, {"_items": [], "_meta": {"total": 0}})
        return json_answer(503, {"_status": "ERR"})

    one = workdir / "one.csv"
    one.write_text("Fakturanummer;Belopp\nF-1001;10,00\n", encoding="utf-8")
    with HostileServer(behaviour) as server:
        # The first run settles for 1 s, then its lookup fails: it stops with the row unknown
        # (run in this process: only the second is signalled).
        _config(workdir, read_timeout=1, settle_seconds=1, max_attempts=1)
        first = importer(workdir, "run", str(one), "--api-url", server.url)
        assert first.returncode == 3, first.stderr
        seen = len(server.requests)
        _config(workdir, read_timeout=LONG, response_deadline=LONG, max_attempts=1)
        process = _start(workdir, server.url, file=one)
        # The first run's reports are there already: what shows the second run is past its
        # start (signal handlers installed) is its lock on the import it resumes.
        _wait_for(lambda: _holds_an_import(workdir / "j.sqlite", process.pid))
        time.sleep(1.0)  # the second run is in its settle wait now
        elapsed, out, err = _signal_and_time(process, signal.SIGTERM)
        assert len(server.requests) == seen  # nothing was looked up or sent while waiting
    assert process.returncode == 3, err
    assert elapsed < 5, elapsed
    assert "run the same command again" in out + err
    assert [r["outcome"] for r in _report(workdir)["rows"] if r["attempts"]] == ["unknown"]


def test_a_second_signal_exits_at_once_and_the_journal_keeps_the_outcomes(workdir: Path):
    """The first signal's work is stuck: another process holds the journal's write lock,
    so recording the stop waits in SQLite (up to 30 s, inside one C call). The second signal
    ends the process at once all the same; the journal keeps what was recorded, and
    `importer report ID` writes the report from it."""
    busy = json_answer(429, {"_status": "ERR"}, **{"Retry-After": str(LONG)})
    with HostileServer(lambda *_: busy) as server:
        _config(workdir)
        process = _start(workdir, server.url)
        _wait_for(lambda: len(server.requests) >= 1)
        holder = sqlite3.connect(workdir / "j.sqlite", isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            process.send_signal(signal.SIGTERM)
            time.sleep(1.0)
            assert process.poll() is None  # stuck behind the lock, as intended
            sent = time.monotonic()
            process.send_signal(signal.SIGTERM)
            _out, err = process.communicate(timeout=30)
            elapsed = time.monotonic() - sent
        finally:
            holder.execute("ROLLBACK")
            holder.close()
    assert process.returncode == 3, err
    assert elapsed < 5, elapsed
    assert "stopped at once" in err
    assert "Traceback" not in err
    assert "Exception ignored" not in err
    listed = importer(workdir, "imports")
    assert listed.returncode == 0, listed.stderr
    import_id = listed.stdout.splitlines()[1].split()[0]
    again = importer(workdir, "report", import_id)
    assert again.returncode == 0, again.stderr
    report = _report(workdir)
    assert report["summary"]["rows"] == len(report["rows"]) == 8
    assert sum(report["summary"]["outcomes"].values()) == 8


def test_a_fifo_is_refused_without_blocking(workdir: Path):
    fifo = workdir / "credits.csv"
    os.mkfifo(fifo)
    started = time.monotonic()
    # A real process: a blocking open would end at its timeout, where this process would hang.
    result = importer_process(workdir, "run", str(fifo))  # no writer: opening it blocks forever
    assert time.monotonic() - started < 30
    assert result.returncode == 2, result.stderr
    assert "credits.csv: is not a regular file" in result.stdout + result.stderr


def test_the_handlers_are_the_callers_again_after_the_run():
    """In-process (a Python caller running the CLI): inside the block one real SIGTERM sets
    the flag and nothing more; after it, the caller's own handlers and wakeup fd are back."""
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    flag = StopFlag()
    with installed(Stage(flag, STOPPING)):
        os.kill(os.getpid(), signal.SIGTERM)
        assert flag.wait(5), "the signal never reached the flag"
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before
    assert signal.set_wakeup_fd(-1) == -1  # none was left behind


def test_each_signal_sets_the_next_stage_and_the_handlers_come_back():
    """A drop's two stages: the first signal sets the first flag only, the second the next;
    after the block the caller's handlers are back (no handler is left behind to raise)."""
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    files, rows = StopFlag(), StopFlag()
    with installed(Stage(files, "files\n"), Stage(rows, "rows\n")):
        os.kill(os.getpid(), signal.SIGINT)
        assert files.wait(5)
        time.sleep(0.2)
        assert not rows.is_set()
        os.kill(os.getpid(), signal.SIGTERM)
        assert rows.wait(5)
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before


def test_a_closed_registration_is_no_longer_called():
    flag = StopFlag()
    called: list[str] = []
    kept = flag.register(lambda: called.append("kept"))
    with flag.register(lambda: called.append("gone")):
        assert flag.registered == 2
    assert flag.registered == 1
    kept.close()
    kept.close()  # twice is harmless
    assert flag.registered == 0
    again = flag.register(lambda: called.append("again"))
    flag.set()
    assert called == ["again"]
    late = flag.register(lambda: called.append("late"))  # set already: called at once
    assert called == ["again", "late"]
    again.close()
    late.close()
