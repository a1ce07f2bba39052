"""The importer end to end with its journal on a PostgreSQL server (`journal.url`): the
sample credits as it does on SQLite, every command that reads the journal reads it there,
the password is never shown, a run killed with SIGKILL and run again credits each row once,
and a server that drops the run's session stops it (exit 3) and the same command finishes
it. Real parts: the CLI as a subprocess, the sandbox over a socket, a real server
(tests/pg_support.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pg_support
import pytest
from cli_support import CREDITOR, SAMPLE, SECRET, creditings, importer, one_line, report_of
from exactly_once_support import (
    KEY,
    all_creditings,
    assert_exactly_once,
    kill,
    run_importer,
    run_until_done,
    sandbox_process,
    start_importer,
    stored_total,
    write_cases,
    write_config,
    write_credits,
)
from hostile_api import HostileApi, Lie, Misbehaviour, Relay, hostile_api
from server_journal_support import ServerJournal, server_section, server_work

from importer.journal.pg_migrations import MIGRATION_LOCK
from importer.journal.postgres import PgConnection
from importer.journal.server import server_of
from importer.sandbox import Sandbox

SAMPLE_OUTCOMES = [  # the sample shows every outcome (tests/test_cli.py), on either journal
    (2, "credited", "completed"),
    (3, "credited", "completed"),
    (4, "credited", "warning"),
    (5, "credited", "error"),
    (6, "invalid", None),
    (7, "rejected", None),
    (8, "duplicate", None),
    (9, "credited", "completed"),
]


def write_server_config(work: Path, server: pg_support.PgServer, database: str) -> None:
    config = {
        "defaults": {"creditor": CREDITOR},
        "report": {"dir": "reports"},
        "journal": server_section(server, database),
        "drop": {"ready": "marker"},  # a shared journal's inbox may be shared: markers only
    }
    (work / "config.yaml").write_text(json.dumps(config), encoding="utf-8")


def every_byte_under(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def posting_until(process: subprocess.Popen[str], url: str, rows: int) -> None:
    """Wait (up to a minute) until the API holds `rows` creditings or the importer ended."""
    deadline = time.monotonic() + 60
    while process.poll() is None and stored_total(url) < rows:
        assert time.monotonic() < deadline, "the run did not get going"
        time.sleep(0.01)


def test_the_sample_on_a_server_journal_credits_and_reads_back_as_on_sqlite(
    workdir: Path, api: Sandbox, pg_server: pg_support.PgServer, pg_database: str
) -> None:
    write_server_config(workdir, pg_server, pg_database)
    done = importer(workdir, "run", str(SAMPLE), api=api)
    assert done.returncode == 1, done.stderr
    report = report_of(workdir)
    got = [(r["row"], r["outcome"], r["status"]) for r in report["rows"]]
    assert got == SAMPLE_OUTCOMES
    assert not (workdir / "j.sqlite").exists()  # no SQLite journal beside it
    with pg_server.connect(pg_database) as db:
        assert db.execute("SELECT id, state FROM imports").fetchall() == [
            (report["file_import_report"], "finished")
        ]
    outputs = [done]
    for command in (
        ["show", report["file_import_report"]],
        ["imports"],
        ["report", report["file_import_report"]],
    ):
        shown = importer(workdir, *command)
        assert shown.returncode == 0, shown.stderr
        outputs.append(shown)
    again = importer(workdir, "run", str(SAMPLE), api=api)
    assert again.returncode == 0, again.stderr
    assert "already imported" in again.stdout
    assert len(creditings(api)) == 5
    outputs.append(again)
    config = importer(workdir, "config")
    assert config.returncode == 0, config.stderr
    assert pg_server.url(pg_database) in config.stdout
    assert f"journal password: read from ${pg_support.PASSWORD_ENV} (set; never shown)" in (
        config.stdout
    )
    outputs.append(config)
    for output in outputs:
        assert pg_support.PASSWORD not in output.stdout + output.stderr
        assert SECRET not in output.stdout + output.stderr
    assert pg_support.PASSWORD.encode() not in every_byte_under(workdir)


def test_backup_of_a_server_journal_is_refused_naming_pg_dump(
    workdir: Path, pg_server: pg_support.PgServer, pg_database: str
) -> None:
    write_server_config(workdir, pg_server, pg_database)
    done = importer(workdir, "backup", str(workdir / "copy.sqlite"))
    assert done.returncode == 2
    assert "back it up with pg_dump" in one_line(done.stderr)
    assert not (workdir / "copy.sqlite").exists()


@pytest.mark.slow
def test_a_run_killed_mid_file_and_run_again_credits_each_row_once_on_a_server(
    tmp_path: Path, pg_server: pg_support.PgServer, pg_database: str
) -> None:
    invoices = write_cases(tmp_path / "cases.json", 20)
    file = write_credits(tmp_path / "credits.csv", invoices, 300, seed=7)
    work = server_work(tmp_path / "work", pg_server, pg_database, posting={"lanes": 4})
    with sandbox_process(tmp_path, cases=tmp_path / "cases.json", latency_ms=5) as url:
        process = start_importer(work, file.path, url, to_be_killed=True)
        posting_until(process, url, 100)
        code, _, err = kill(process, signal.SIGKILL)
        assert code == -signal.SIGKILL, err
        with pg_server.connect(pg_database) as db:  # killed mid-file: work left
            assert db.execute("SELECT state FROM imports").fetchall() == [("open",)]
        run_until_done(work, file.path, url)
        assert_exactly_once(url, file)
    with pg_server.connect(pg_database) as db:
        assert db.execute("SELECT state FROM imports").fetchall() == [("finished",)]
        outcomes = db.execute("SELECT outcome, count(*) FROM rows GROUP BY outcome").fetchall()
    assert outcomes == [("credited", 300)]


@pytest.mark.slow
def test_a_server_that_drops_the_session_mid_run_stops_it_and_the_same_command_finishes(
    tmp_path: Path, pg_server: pg_support.PgServer, pg_database: str
) -> None:
    invoices = write_cases(tmp_path / "cases.json", 20)
    file = write_credits(tmp_path / "credits.csv", invoices, 200, seed=11)
    work = server_work(tmp_path / "work", pg_server, pg_database)
    with sandbox_process(tmp_path, cases=tmp_path / "cases.json", latency_ms=10) as url:
        process = start_importer(work, file.path, url)
        posting_until(process, url, 40)
        with pg_server.admin() as admin:  # a failover, a restart: the session is gone
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (pg_database,),
            )
        out, err = process.communicate(timeout=60)
        assert process.returncode == 3, out + err
        line = one_line(err)
        assert f"journal {pg_server.url(pg_database)}: cannot be" in line
        assert pg_support.PASSWORD not in out + err
        assert stored_total(url) < 200
        run_until_done(work, file.path, url)
        assert_exactly_once(url, file)


@pytest.mark.slow
def test_two_importers_on_one_server_journal_credit_one_file_once_though_one_is_killed(
    tmp_path: Path, pg_server: pg_support.PgServer, pg_database: str
) -> None:
    """Two working folders (two hosts' worth: their own config, reports, sandbox nothing
    shared but the server and the file): the second is refused while the first holds the
    file, the first is killed mid-file, and the second, run again, finishes the first's
    import; the first, restarted, finds it imported. Each row once at the API."""
    invoices = write_cases(tmp_path / "cases.json", 20)
    file = write_credits(tmp_path / "credits.csv", invoices, 300, seed=13)
    first, second = (
        server_work(tmp_path / host, pg_server, pg_database, posting={"lanes": 4})
        for host in ("host-a", "host-b")
    )
    # 100 ms a request at 4 lanes: the 240 rows left when the second is refused take six
    # seconds, longer than a refused importer takes to start and stop on a loaded machine
    # (at 5 ms the first had finished before it was killed).
    with sandbox_process(tmp_path, cases=tmp_path / "cases.json", latency_ms=100) as url:
        process = start_importer(first, file.path, url, to_be_killed=True)
        posting_until(process, url, 60)
        refused = run_importer(second, file.path, url)
        assert refused.returncode == 3, refused.stdout + refused.stderr
        assert f"process {process.pid}" in one_line(refused.stderr)
        code, _, err = kill(process, signal.SIGKILL)
        assert code == -signal.SIGKILL, err
        assert stored_total(url) < 300
        run_until_done(second, file.path, url)  # the killed one's lock died with its session
        assert_exactly_once(url, file)
        again = run_importer(first, file.path, url)
        assert again.returncode == 0, again.stderr
        assert "already imported" in again.stdout
        assert_exactly_once(url, file)
    with pg_server.connect(pg_database) as db:
        assert db.execute("SELECT state FROM imports").fetchall() == [("finished",)]


def test_resolve_rerun_prune_and_a_drop_work_on_a_server_journal(
    workdir: Path, api: Sandbox, pg_server: pg_support.PgServer, pg_database: str
) -> None:
    write_server_config(workdir, pg_server, pg_database)
    assert importer(workdir, "run", str(SAMPLE), api=api).returncode == 1
    import_id = report_of(workdir)["file_import_report"]
    resolved = importer(workdir, "resolve", import_id, "6", "--note", "credited by hand")
    assert resolved.returncode == 0, resolved.stderr
    rerun = importer(workdir, "rerun", import_id, api=api)
    assert rerun.returncode in (0, 1), rerun.stderr
    assert "Traceback" not in rerun.stderr
    shown = importer(workdir, "show", import_id)
    assert "credited by hand" in shown.stdout
    pruned = importer(workdir, "prune", "--older-than", "0", "--dry-run")
    assert pruned.returncode == 0, pruned.stderr
    inbox = workdir / "inbox"
    inbox.mkdir()
    (inbox / "again.csv").write_bytes(SAMPLE.read_bytes())
    (inbox / "again.csv.done").touch()  # ready now, not once unchanged for a minute
    dropped = importer(workdir, "drop", str(inbox), api=api)
    assert dropped.returncode == 0, dropped.stdout + dropped.stderr
    assert "already imported" in dropped.stdout
    assert len(creditings(api)) == 5  # nothing was credited twice by any of them
    with pg_server.connect(pg_database) as db:
        assert db.execute("SELECT action FROM audit").fetchall() == [("resolve",)]
        assert db.execute("SELECT row FROM resolutions").fetchall() == [(6,)]
    for output in (resolved, rerun, shown, pruned, dropped):
        assert pg_support.PASSWORD not in output.stdout + output.stderr


@pytest.mark.slow
def test_a_server_that_stops_answering_mid_run_stops_it_within_its_deadline_and_resumes(
    tmp_path: Path, pg_server: pg_support.PgServer, pg_database: str
) -> None:
    """The server's backend stopped mid-run (a hung process, a stalled disk) while its
    machine still acknowledges TCP, which keepalives cannot tell from a live server: the
    deadline on each round trip (1 s here, `journal.statement_timeout`) stops the run in one
    line saying so, exit 3; once the server runs again, the import's lock is free and the
    same command finishes the file, each row once at the API."""
    invoices = write_cases(tmp_path / "cases.json", 20)
    file = write_credits(tmp_path / "credits.csv", invoices, 200, seed=17)
    work = tmp_path / "work"
    work.mkdir()
    journal = {**server_section(pg_server, pg_database), "statement_timeout": 1}
    write_config(work, journal=journal)
    with sandbox_process(tmp_path, cases=tmp_path / "cases.json", latency_ms=10) as url:
        process = start_importer(work, file.path, url)
        try:
            posting_until(process, url, 40)
            with pg_server.frozen(pg_database):
                began = time.monotonic()
                try:
                    out, err = process.communicate(timeout=60)
                except subprocess.TimeoutExpired:
                    pytest.fail("the run still waits on the server 60 s after it stopped answering")
                took = time.monotonic() - began
        finally:
            if process.poll() is None:
                kill(process, signal.SIGKILL)
        assert process.returncode == 3, out + err
        assert took < 30, took  # 1 s, a tick, two graces of 1 s, and a loaded machine
        line = one_line(err)
        assert f"journal {pg_server.url(pg_database)}: cannot be" in line
        assert "(the server did not answer within 1 second, journal.statement_timeout)" in line
        assert pg_support.PASSWORD not in out + err
        assert stored_total(url) < 200
        run_until_done(work, file.path, url)
        assert_exactly_once(url, file)


def test_an_answer_holding_a_nul_or_half_a_character_is_kept_and_the_run_finishes_on_a_server(
    tmp_path: Path, pg_server: pg_support.PgServer, pg_database: str
) -> None:
    """PostgreSQL's text holds no NUL character, SQLite's does, and neither journal encodes
    half a character (a JSON escape of a lone surrogate): an API answer with either (a body
    that is not JSON, a field's JSON escape) is kept in the server's journal, the row looked
    up and credited, the run finished (exit 1: the unusable reason needs a look), each row
    once."""
    cases = tmp_path / "cases.json"
    write_cases(cases, 5)
    write_config(tmp_path, journal=server_section(pg_server, pg_database))
    file = tmp_path / "credits.csv"
    file.write_text(
        "invoice_number,amount\n" + "".join(f"EO-{n + 1:04d},{n + 1}.00\n" for n in range(4)),
        "utf-8",
    )
    lies = [
        Lie(201, b"Created\x00"),
        Lie(201, b'{"_status": "OK", "status_reason_locale": "st\\u0000ngd"}'),
        Lie(201, b'{"_id": "half", "status": "completed", "status_reason_locale": "a\\ud800"}'),
    ]

    def lie(n: int, body: bytes) -> Misbehaviour:
        return lies[n] if n < len(lies) else Relay()

    with (
        Sandbox(db_path=tmp_path / "api.sqlite", cases_path=cases, api_key=KEY) as sandbox,
        hostile_api(HostileApi(sandbox.url, on_post=lie)) as api,
    ):
        done = run_importer(tmp_path, file, api.url)
        # the crediting whose reason is unusable needs a look (exit 1), nothing else does
        assert done.returncode == 1, done.stdout + done.stderr
        assert "internal error" not in done.stderr
        assert len(api.posts()) == 4  # every row sent once, none again
        assert len(all_creditings(sandbox.url)) == 4
    kept = [
        text
        for (text,) in ServerJournal(pg_server, pg_database).query(
            "SELECT raw FROM answers ORDER BY row"
        )
    ]
    assert any(text.startswith("Created") for text in kept), kept


def test_a_server_that_freezes_while_the_run_opens_the_journal_stops_it_within_its_deadline(
    tmp_path: Path, pg_server: pg_support.PgServer, pg_database: str
) -> None:
    """The run opens the journal while another host's migration holds the migrations' lock;
    when it is granted, the run's backend is frozen (a hung process, a stalled disk): the
    run stops within its deadline (2 s here), not the migrations' hour: exit 2, nothing
    sent, as when the server cannot be reached as a run starts."""
    invoices = write_cases(tmp_path / "cases.json", 5)
    file = write_credits(tmp_path / "credits.csv", invoices, 20, seed=23)
    work = tmp_path / "work"
    work.mkdir()
    journal = {**server_section(pg_server, pg_database), "statement_timeout": 2}
    write_config(work, journal=journal)
    PgConnection.open(server_of(pg_server.url(pg_database), pg_support.PASSWORD_ENV)).close()
    frozen: list[int] = []
    with (
        sandbox_process(tmp_path, cases=tmp_path / "cases.json", latency_ms=1) as url,
        pg_server.connect(pg_database) as other_host,
    ):
        other_host.execute("BEGIN")  # another host's migration
        other_host.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        process = start_importer(work, file.path, url)
        try:
            frozen.append(an_importers_session(pg_server, pg_database))
            os.kill(frozen[0], signal.SIGSTOP)
            other_host.execute("COMMIT")  # granted to a backend that runs no more
            try:
                out, err = process.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                pytest.fail("the run still waits on the server 60 s after it stopped answering")
        finally:
            for pid in frozen:
                os.kill(pid, signal.SIGCONT)
            if process.poll() is None:
                kill(process, signal.SIGKILL)
        assert process.returncode == 2, out + err
        assert "cannot be opened (the server did not answer within 2 seconds" in one_line(err)
        assert stored_total(url) == 0


def an_importers_session(server: pg_support.PgServer, database: str) -> int:
    """The backend of an importer's session (within 60 s), once it has asked for the
    migrations' lock the other host holds."""
    with server.admin() as admin:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            found = admin.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s"
                " AND application_name LIKE 'importer %%' AND query LIKE '%%advisory%%'",
                (database,),
            ).fetchall()
            if found:
                return int(found[0][0])
            time.sleep(0.05)
    pytest.fail("no importer asked for the migrations' lock")
