"""Drops from several hosts on one inbox, with one journal on a PostgreSQL server: what only
a shared journal makes possible, and what it demands. Each host is a working folder of its
own (config.yaml, reports, HOME) beside one inbox and one server database; the drops are
`python -m importer drop` processes, the sandbox answers over a real socket and is the judge
of what was credited (tests/pg_support.py starts the server)."""

from __future__ import annotations

import json
from pathlib import Path

import pg_support
from cli_support import one_line
from drop_support import OTHER_CREDITOR, THEIRS, archived, creditings_of, run_drop, summaries
from notify.notify_support import receiver
from pipeline.exactly_once_support import CREDITOR, importer_env, write_credits
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
