"""Drops from several hosts on one inbox, with one journal on a PostgreSQL server: what only
a shared journal makes possible, and what it demands. Each host is a working folder of its
own (config.yaml, reports, HOME) beside one inbox and one server database; the drops are
`python -m importer drop` processes, the sandbox answers over a real socket and is the judge
of what was credited (tests/pg_support.py starts the server)."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pg_support
import pytest
from cli_support import one_line, unmeasured
from drop_support import (
    OTHER_CREDITOR,
    THEIRS,
    archived,
    as_host,
    creditings_of,
    run_drop,
    start_drop,
    summaries,
)
from notify.notify_support import receiver
from pipeline.exactly_once_support import (
    CREDITOR,
    CreditFile,
    all_creditings,
    importer_env,
    kill,
    sandbox_process,
    write_cases,
    write_credits,
)
from pipeline.server_journal_support import server_work

from importer.sandbox import Sandbox

OURS = [f"EO-{n:04d}" for n in range(1, 11)]


def host_env(work: Path, **extra: str) -> dict[str, str]:
    """The environment of the importer on the host `work` stands for: HOME its own."""
    return {**importer_env(), "HOME": str(work / "home"), **extra}


def shared_host(
    tmp_path: Path, name: str, pg_server: pg_support.PgServer, pg_database: str, **drop: object
) -> Path:
    """A host's working folder: its own config.yaml (the journal on the test server, the drop
    settings `drop`, settle time 0), its own reports and HOME."""
    work = server_work(
        tmp_path / name,
        pg_server,
        pg_database,
        drop={"settle_seconds": 0, **drop},
        api={"read_timeout": 1.0},
    )
    (work / "home").mkdir()
    return work


def test_a_drop_on_a_server_journal_is_refused_unless_files_are_ready_by_marker(
    tmp_path: Path, api: Sandbox, pg_server: pg_support.PgServer, pg_database: str
) -> None:
    """A server journal lets several hosts drain one inbox, and a host cannot see the
    processes of another host writing a file there: only the sender's marker says a file is
    finished. `stable` and `either` (the default) are refused in one line saying what to set,
    before anything is claimed or sent."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    file = write_credits(inbox / "credits.csv", OURS, 3, seed=3)
    (inbox / "credits.csv.done").touch()
    for ready in (None, "stable", "either"):
        settings = {} if ready is None else {"ready": ready}
        work = shared_host(tmp_path, f"host-{ready}", pg_server, pg_database, **settings)
        done = run_drop(work, inbox, api.url)
        assert done.returncode == 2, done.stdout + done.stderr
        line = one_line(done.stderr)
        assert f"drop.ready is {ready or 'either'}" in line
        assert "journal.url" in line
        assert "set drop.ready: marker" in line
        assert file.path.exists()  # not claimed
    assert creditings_of(api.url, CREDITOR) == []
    work = shared_host(tmp_path, "host-marker", pg_server, pg_database, ready="marker")
    done = run_drop(work, inbox, api.url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(creditings_of(api.url, CREDITOR)) == 3
    assert archived(inbox, "done") == ["credits.csv", "credits.csv.done"]


def test_a_creditors_folder_that_takes_files_without_a_marker_waits_on_a_server_journal(
    tmp_path: Path, api: Sandbox, pg_server: pg_support.PgServer, pg_database: str
) -> None:
    """A creditor's config.yaml may set drop.ready; on a server journal anything but marker
    refuses that folder (its files wait, exit 2) while the others are imported."""
    work = shared_host(tmp_path, "host", pg_server, pg_database, ready="marker")
    inbox = work / "inbox"
    other = inbox / "other"
    other.mkdir(parents=True)
    (other / "config.yaml").write_text(
        f"defaults:\n  creditor: {OTHER_CREDITOR}\ndrop:\n  ready: stable\n", "utf-8"
    )
    (other / "config.yaml").chmod(0o644)
    write_credits(other / "theirs.csv", THEIRS, 2, seed=4)
    (other / "theirs.csv.done").touch()
    write_credits(inbox / "ours.csv", OURS, 2, seed=5)
    (inbox / "ours.csv.ok").touch()
    done = run_drop(work, inbox, api.url)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "other: not processed" in done.stdout
    assert "set drop.ready: marker" in done.stdout
    assert (other / "theirs.csv").exists()
    assert creditings_of(api.url, OTHER_CREDITOR) == []
    assert len(creditings_of(api.url, CREDITOR)) == 2


@pytest.mark.slow
def test_two_hosts_draining_one_inbox_keep_one_summary_a_night_told_once_per_news(
    tmp_path: Path, api: Sandbox, pg_server: pg_support.PgServer, pg_database: str
) -> None:
    """Host A imports one file, host B the next: the night's summary is one (in the shared
    journal), holding both files; B's notification carries both, A's quiet pass afterwards
    tells nothing, and no file is listed twice."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    notify = {"when": "always", "webhook": {"url_env": "HOOK"}}
    hosts = [
        server_work(
            tmp_path / name,
            pg_server,
            pg_database,
            drop={"settle_seconds": 0, "ready": "marker"},
            api={"read_timeout": 1.0},
            notify=notify,
        )
        for name in ("host-a", "host-b")
    ]
    first, second = hosts
    with receiver() as box:
        envs = []
        for work in hosts:
            (work / "home").mkdir()
            envs.append(host_env(work, HOOK=box.url))
        write_credits(inbox / "first.csv", OURS, 2, seed=21)
        (inbox / "first.csv.done").touch()
        done = run_drop(first, inbox, api.url, env=envs[0])
        assert done.returncode == 0, done.stdout + done.stderr
        write_credits(inbox / "second.csv", OURS, 3, seed=22)
        (inbox / "second.csv.done").touch()
        done = run_drop(second, inbox, api.url, env=envs[1])
        assert done.returncode == 0, done.stdout + done.stderr
        assert "first.csv" in done.stdout  # the night so far: the other host's file too
        quiet = run_drop(first, inbox, api.url, env=envs[0])
        assert quiet.returncode == 0, quiet.stdout + quiet.stderr
        assert quiet.stdout == ""  # no news: nothing printed, nothing sent
    assert len(box.bodies) == 2  # one per pass that brought news, not one per host
    told = [sorted(f["file"] for f in body["summary"]["files"]) for body in box.bodies]
    assert told == [["first.csv"], ["first.csv", "second.csv"]]
    (night,) = summaries(second)
    assert sorted(f["file"] for f in night["files"]) == ["first.csv", "second.csv"]
    with pg_server.connect(pg_database) as db:
        ((kept,),) = db.execute("SELECT summary FROM drop_nights").fetchall()
    assert sorted(f["file"] for f in json.loads(kept)["files"]) == ["first.csv", "second.csv"]
    assert len(creditings_of(api.url, CREDITOR)) == 5


def other_machine() -> str:
    """A host name for a drop that stands for another machine (`drop_support.as_host`);
    where this machine cannot give a process a host name of its own (no `unshare`, no
    right to), the test is skipped, or fails where PostgreSQL tests are required (CI)."""
    name = "drill-host-b"
    try:
        tried = subprocess.run(
            as_host(name, ["hostname"]), capture_output=True, text=True, timeout=30
        )
    except OSError as exc:
        pg_support.unavailable(f"no unshare to run a drop as another host: {exc}")
    if tried.returncode != 0 or tried.stdout.strip() != name:
        pg_support.unavailable(f"unshare --uts cannot name a host: {tried.stderr.strip()}")
    return name


def assert_each_row_once(url: str, files: list[CreditFile]) -> None:
    """The API holds one crediting per row of `files` (their credit notes are unique across
    them), with the row's amount: none twice, none missing, none foreign."""
    expected = {note: amount for f in files for _, amount, note in f.rows.values()}
    creditings = all_creditings(url)
    counts = Counter(c["credit_invoice"] for c in creditings)
    twice = sorted(note for note, n in counts.items() if n > 1)
    assert not twice, f"{len(twice)} credit note(s) credited more than once, e.g. {twice[:5]}"
    missing = sorted(set(expected) - set(counts))
    assert not missing, f"{len(missing)} row(s) never credited, e.g. {missing[:5]}"
    assert set(counts) == set(expected), "creditings of no row of the files"
    for crediting in creditings:
        assert Decimal(str(crediting["amount"])) == expected[crediting["credit_invoice"]]


def mid_file(pg_server: pg_support.PgServer, database: str, pid: int, rows: int) -> bool:
    """`pid` holds an import's lock and that import has `rows` rows credited: it is posting a
    file, part of it sent."""
    with pg_server.connect(database) as db:
        if db.execute("SELECT to_regclass('locks')").fetchone() == (None,):
            return False  # not created yet
        ((count,),) = db.execute(
            "SELECT count(*) FROM rows r JOIN locks l ON l.key = 'import:' || r.import_id"
            " WHERE l.pid = %s AND r.outcome = 'credited'",
            (pid,),
        ).fetchall()
    return int(count) >= rows


@pytest.mark.slow
def test_two_hosts_drain_one_inbox_and_one_killed_mid_file_every_row_is_credited_once(
    tmp_path: Path, pg_server: pg_support.PgServer, pg_database: str
) -> None:
    """Two drops (two hosts: working folders and HOMEs of their own) drain one inbox of six
    files into one server journal at once; one is killed with SIGKILL mid-file. The survivor
    finishes its pass, the killed one started again resumes its file: every row of every
    file once at the API, every file in done/, none left, none failed, and the night's
    summary lists each file once. The killed one is started again while the survivor is
    mid-file: the survivor's file in processing/ is not the restarted one's to resume."""
    invoices = write_cases(tmp_path / "cases.json", 20)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    files = []
    for n in range(6):
        files.append(write_credits(inbox / f"night-{n}.csv", invoices, 50, seed=100 + n))
        (inbox / f"night-{n}.csv.done").touch()
    hosts = [
        shared_host(tmp_path, name, pg_server, pg_database, ready="marker")
        for name in ("host-a", "host-b")
    ]
    envs = [host_env(work) for work in hosts]
    other = other_machine()
    # 20 ms a request, one lane: a file takes a second, so the kill lands mid-file
    with sandbox_process(tmp_path, cases=tmp_path / "cases.json", latency_ms=20) as url:
        first = start_drop(hosts[0], inbox, url, env=unmeasured(envs[0]))  # to be killed
        second = start_drop(hosts[1], inbox, url, env=envs[1], host=other)
        deadline = time.monotonic() + 60
        while not mid_file(pg_server, pg_database, first.pid, 10):
            assert first.poll() is None, "the first drop ended: " + "".join(first.communicate())
            assert time.monotonic() < deadline, "the first drop did not get going"
            time.sleep(0.02)
        code, _, err = kill(first, signal.SIGKILL)
        assert code == -signal.SIGKILL, err
        assert [p.name for p in (inbox / "processing").glob("*.csv")]  # left mid-file
        while not mid_file(pg_server, pg_database, second.pid, 1):  # the survivor mid-file:
            assert second.poll() is None, "the survivor ended too soon for this test"
            time.sleep(0.02)  # its file is in processing/ when the restarted one looks there
        again = run_drop(hosts[0], inbox, url, env=envs[0])
        assert again.returncode == 0, again.stdout + again.stderr
        out, err = second.communicate(timeout=120)
        assert second.returncode == 0, out + err
        assert_each_row_once(url, files)
    names = [f"night-{n}.csv" for n in range(6)]
    assert archived(inbox, "done") == sorted([*names, *(f"{name}.done" for name in names)])
    assert not list((inbox / "processing").iterdir())
    assert not (inbox / "failed").exists()
    assert sorted(p.name for p in inbox.iterdir() if not p.name.startswith(".")) == [
        "done",
        "processing",
    ]
    with pg_server.connect(pg_database) as db:
        ((kept,),) = db.execute("SELECT summary FROM drop_nights").fetchall()
    listed = Counter(f["file"] for f in json.loads(kept)["files"])
    assert listed == Counter(names), listed


HOLD_CLAIM = """
import os, sys
from importer.journal import Journal
from importer.journal.server import JournalServer
journal = Journal(JournalServer(sys.argv[1], os.environ["IMPORTER_TEST_PG_PASSWORD"]))
with journal.locks.for_claimed(sys.argv[2]):
    print("HOLDING", flush=True)
    sys.stdin.read()  # until the test closes stdin
"""
"""Another host's drop at work on a file it claimed: it holds that file's lock in the server
journal (`sys.argv[1]`, the file's path `sys.argv[2]`) until its stdin closes."""


def test_a_file_another_hosts_drop_holds_in_processing_is_left_to_it_and_the_rest_imported(
    tmp_path: Path, api: Sandbox, pg_server: pg_support.PgServer, pg_database: str
) -> None:
    """A pass that finds in processing/ a file another host's live drop holds neither imports
    it nor stops at it (exit 3, nothing more claimed): it imports the inbox's other files,
    and says nothing of the held one. Once the holder is gone, the next pass resumes it."""
    work = shared_host(tmp_path, "host", pg_server, pg_database, ready="marker")
    inbox = work / "inbox"
    (inbox / "processing").mkdir(parents=True)
    held = write_credits(inbox / "processing" / "held.csv", OURS, 3, seed=41)
    write_credits(inbox / "fresh.csv", OURS, 2, seed=42)
    (inbox / "fresh.csv.done").touch()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_CLAIM, pg_server.url(pg_database), str(held.path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=importer_env(),
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "HOLDING"
        done = run_drop(work, inbox, api.url)
        assert done.returncode == 0, done.stdout + done.stderr
        assert held.path.exists()  # left to its holder
        assert len(creditings_of(api.url, CREDITOR)) == 2  # fresh.csv's rows only
        assert "held.csv" not in done.stdout
        assert "drop.held_elsewhere" in done.stderr
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    again = run_drop(work, inbox, api.url)
    assert again.returncode == 0, again.stdout + again.stderr
    assert len(creditings_of(api.url, CREDITOR)) == 5
    assert archived(inbox, "done") == ["fresh.csv", "fresh.csv.done", "held.csv"]


@pytest.mark.slow
def test_on_a_server_journal_one_host_still_runs_one_drop_of_an_inbox_at_a_time(
    tmp_path: Path, pg_server: pg_support.PgServer, pg_database: str
) -> None:
    """The inbox lock is per host on a server journal, not gone: a second drop of the same
    host (a cron pass overlapping a long one) exits 0 at once, naming the first."""
    invoices = write_cases(tmp_path / "cases.json", 20)
    work = shared_host(tmp_path, "host", pg_server, pg_database, ready="marker")
    inbox = work / "inbox"
    inbox.mkdir()
    write_credits(inbox / "long.csv", invoices, 80, seed=51)
    (inbox / "long.csv.done").touch()
    with sandbox_process(tmp_path, cases=tmp_path / "cases.json", latency_ms=20) as url:
        first = start_drop(work, inbox, url)
        deadline = time.monotonic() + 60
        while not mid_file(pg_server, pg_database, first.pid, 1):
            assert first.poll() is None, "".join(first.communicate())
            assert time.monotonic() < deadline, "the first drop did not get going"
            time.sleep(0.02)
        second = run_drop(work, inbox, url)
        out, err = first.communicate(timeout=120)
        assert first.returncode == 0, out + err
    assert second.returncode == 0, second.stdout + second.stderr
    assert "being processed by another drop (importer drop since" in second.stdout
    assert f"pid {first.pid})" in second.stdout
    assert (inbox / f".drop.{socket.gethostname()}.lock").is_file()
