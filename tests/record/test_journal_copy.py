"""`importer journal copy --to URL` moves a SQLite journal's whole history into an empty
journal on a PostgreSQL server: every table the SQLite journal holds arrives with every value
exactly as it was (amounts, moments, JSON, NULLs, non-ASCII text), and `show`, `imports`,
`report` and `rerun` against the server journal answer as they did on SQLite; a journal of an
older release is copied as this program reads it (the file left as it was), a newer one
refused. A second copy, a database holding another program's tables and a table the server's
schema lacks are refused; a copy the server refuses midway leaves the server's journal empty;
the password never appears. Real parts: SQLite files on disk, the CLI as a subprocess, the
sandbox over a socket, a real throwaway PostgreSQL (tests/pg_support.py)."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
import threading
from pathlib import Path
from typing import Any

import pg_support
import pytest
from cli_support import (
    CREDITOR,
    SAMPLE,
    SECRET,
    creditings,
    importer,
    in_process,
    one_line,
    report_of,
)
from journal.test_migrations import LOST_IMPORT, OUTAGE_IMPORT, RELEASE_1, SAMPLE_IMPORT
from pipeline.exactly_once_support import (
    importer_env,
    sandbox_process,
    start_importer,
    write_cases,
    write_config,
    write_credits,
)

from importer.errors import ConfigError, InternalError, JournalFailed, UsageError
from importer.journal import SCHEMA_VERSION, Journal
from importer.journal.server import JournalServer
from importer.sandbox import Sandbox
from importer.upkeep import copy_journal


def _config(work: Path, name: str, journal: dict[str, str], *, password_env: bool = True) -> Path:
    named = {"password_env": pg_support.PASSWORD_ENV} if password_env else {}
    config = {
        "defaults": {"creditor": CREDITOR},
        "report": {"dir": "reports"},
        "journal": {**named, **journal},
    }
    path = work / name
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


def _target(server: pg_support.PgServer, database: str) -> JournalServer:
    return JournalServer(server.url(database), pg_support.PASSWORD)


def _tables(db: sqlite3.Connection) -> list[str]:
    return [
        name
        for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            " ORDER BY name"
        )
    ]


def _server_content(server: pg_support.PgServer, database: str) -> dict[str, list[Any]]:
    """Every table of the server's database (its schema table left out), each row a tuple of
    its columns by name, sorted."""
    with server.connect(database) as db:
        tables = [
            name
            for (name,) in db.execute(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = current_schema() AND table_name <> 'journal_schema'"
                " ORDER BY table_name"
            )
        ]
        return {
            table: sorted((tuple(sorted(row.items())) for row in _dict_rows(db, table)), key=repr)
            for table in tables
        }


def _dict_rows(db: Any, table: str) -> list[dict[str, Any]]:
    cursor = db.execute(f"SELECT * FROM {table}")
    names = [column.name for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _sqlite_content(path: Path, server_columns: dict[str, list[str]]) -> dict[str, list[Any]]:
    """Every table of the SQLite journal as `_server_content` shows the server's: the
    columns each table has on the server (`attempts.rowid` is SQLite's implicit one)."""
    with sqlite3.connect(path) as db:
        content = {}
        for table in _tables(db):
            columns = server_columns.get(table) or [
                c[1] for c in db.execute(f"PRAGMA table_info({table})")
            ]
            rows = db.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall()
            content[table] = sorted(
                (tuple(sorted(zip(columns, row, strict=True))) for row in rows), key=repr
            )
    db.close()
    return content


def _same_content(journal: Path, server: pg_support.PgServer, database: str) -> None:
    """Every table of the SQLite journal is on the server, row for row and value for value
    (type included: text stays text, an integer an integer, NULL NULL), and nothing else."""
    there = _server_content(server, database)
    columns = {table: [name for name, _ in rows[0]] for table, rows in there.items() if rows}
    here = _sqlite_content(journal, columns)
    assert sorted(here) == sorted(there)  # a table the copy forgot fails here
    for table in here:
        assert here[table] == there[table], table
        assert [[type(v) for _, v in row] for row in here[table]] == [
            [type(v) for _, v in row] for row in there[table]
        ], table


def _counts(server: pg_support.PgServer, database: str) -> dict[str, int]:
    return {table: len(rows) for table, rows in _server_content(server, database).items()}


def _copy(work: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return importer(work, "journal", "copy", *args)


def _without_paths(text: str, *folders: Path) -> str:
    for folder in folders:
        text = text.replace(str(folder), "<folder>")
    return re.sub(r"postgresql://\S+|\S*j\.sqlite", "<journal>", text)


# ------------------------------------------------------------------------ a whole journal


def test_a_journal_of_real_runs_reads_the_same_on_the_server_after_the_copy(
    workdir: Path, api: Sandbox, pg_server: pg_support.PgServer, pg_database: str
) -> None:
    sqlite_config = _config(workdir, "config.yaml", {"path": "j.sqlite"})
    server_config = _config(workdir, "server.yaml", {"url": pg_server.url(pg_database)})
    run = importer(workdir, "run", str(SAMPLE), api=api)
    assert run.returncode == 1, run.stderr
    import_id = report_of(workdir)["file_import_report"]
    resolved = importer(workdir, "resolve", import_id, "6", "--note", "rättat för hand ✓")
    assert resolved.returncode == 0, resolved.stderr

    copied = _copy(workdir, "--to", pg_server.url(pg_database))
    assert copied.returncode == 0, copied.stderr
    journal = workdir / "j.sqlite"
    lines = copied.stdout.splitlines()
    assert lines[0].startswith(f"journal {journal} copied to {pg_server.url(pg_database)} ")
    assert lines[0].endswith(": 1 imports, 8 rows")
    counts = _counts(pg_server, pg_database)
    assert lines[1] == "  counts checked table by table, the same in both: " + ", ".join(
        f"{table} {n}" for table, n in counts.items()
    )
    assert counts["claims"] == 6
    assert counts["audit"] == counts["resolutions"] == 1
    _same_content(journal, pg_server, pg_database)

    outputs = [run, resolved, copied]
    for command in (
        ["show", import_id],
        ["imports"],
        ["imports", "--json"],
        ["rerun", import_id, "--dry-run", "--api-url", api.url],
    ):
        on_sqlite = importer(workdir, *command, "--config", str(sqlite_config))
        on_server = importer(workdir, *command, "--config", str(server_config))
        assert on_server.returncode == on_sqlite.returncode, on_server.stderr
        assert _without_paths(on_server.stdout) == _without_paths(on_sqlite.stdout), command
        outputs += [on_sqlite, on_server]
    rendered = {}
    for name, config in (("sqlite", sqlite_config), ("server", server_config)):
        shown = importer(
            workdir, "report", import_id, "--config", str(config), "--report-dir", name
        )
        assert shown.returncode == 0, shown.stderr
        report = json.loads((workdir / name / import_id / "report.json").read_text("utf-8"))
        rendered[name] = report
        outputs.append(shown)
    assert rendered["server"] == rendered["sqlite"]

    # The server journal goes on where SQLite stopped: a rerun posts the rejected row again
    # (its attempt after the copied ones), a resolve is the audit trail's next entry.
    credited_before = len(creditings(api))
    again = importer(workdir, "rerun", import_id, "--config", str(server_config), api=api)
    assert again.returncode == 1, again.stderr
    assert len(creditings(api)) == credited_before  # nothing credited twice
    more = importer(
        workdir, "resolve", import_id, "4", "--note", "ok", "--config", str(server_config)
    )
    assert more.returncode == 0, more.stderr
    with pg_server.connect(pg_database) as db:
        (last,) = db.execute("SELECT row FROM attempts ORDER BY rowid DESC LIMIT 1").fetchone()
        assert last == 7
        ids = [i for (i,) in db.execute("SELECT id FROM audit ORDER BY id")]
        assert ids == [1, 2]
    outputs += [again, more]
    for output in outputs:
        assert pg_support.PASSWORD not in output.stdout + output.stderr
        assert SECRET not in output.stdout + output.stderr


def test_every_value_of_every_table_arrives_exactly(
    tmp_path: Path, pg_server: pg_support.PgServer, pg_database: str
) -> None:
    """The release journal (every outcome, claims, a correction) with values chosen to be
    lost by a careless copy: a long exact amount, a moment with its zone, JSON with quotes and
    non-ASCII, text with a newline and an emoji, a NULL beside them."""
    journal = tmp_path / "journal.sqlite"
    shutil.copyfile(RELEASE_1, journal)
    with Journal(journal):  # this program's schema, as the copy reads it
        pass
    with sqlite3.connect(journal) as db:
        db.execute(
            "UPDATE rows SET amount = '123456789012.07', creditor_reference = NULL,"
            " source = ?, client_registration_date = 'Fri, 04 Jul 2025 14:35:29 GMT'"
            " WHERE import_id = ? AND row = 2",
            (
                json.dumps({"Belopp": "1 234,50", "Namn": 'Åsa "Ö" ☃\n🧾'}, ensure_ascii=False),
                SAMPLE_IMPORT,
            ),
        )
        db.execute("INSERT INTO meta VALUES ('note', '2026-03-29T02:30:00.000+02:00 — Ärende ✓')")
    db.close()
    before = journal.read_bytes()
    done = copy_journal(journal, _target(pg_server, pg_database))
    assert journal.read_bytes() == before  # the file is only read
    assert done.count("imports") == 3
    _same_content(journal, pg_server, pg_database)
    with Journal(_target(pg_server, pg_database)) as server:
        row = server.rows.get(SAMPLE_IMPORT, 2)
        assert str(row.request["amount"]) == "123456789012.07"


def test_a_journal_of_an_older_release_is_copied_as_this_program_reads_it(
    tmp_path: Path, pg_server: pg_support.PgServer, pg_database: str
) -> None:
    journal = tmp_path / "journal.sqlite"
    shutil.copyfile(RELEASE_1, journal)
    done = copy_journal(journal, _target(pg_server, pg_database))
    assert journal.read_bytes() == RELEASE_1.read_bytes()  # migrated in its snapshot only
    assert done.count("imports") == 3
    with Journal(_target(pg_server, pg_database)) as server:
        ids = {record.id for record in server.imports.all()}
        assert ids == {SAMPLE_IMPORT, LOST_IMPORT, OUTAGE_IMPORT}
    upgraded = tmp_path / "upgraded.sqlite"
    shutil.copyfile(RELEASE_1, upgraded)
    with Journal(upgraded):
        pass
    _same_content(upgraded, pg_server, pg_database)


def test_a_journal_newer_than_the_program_is_refused(
    workdir: Path, pg_server: pg_support.PgServer, pg_database: str
) -> None:
    _config(workdir, "config.yaml", {"path": "j.sqlite"})
    journal = workdir / "j.sqlite"
    shutil.copyfile(RELEASE_1, journal)
    with sqlite3.connect(journal) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    refused = _copy(workdir, "--to", pg_server.url(pg_database))
    assert refused.returncode == 2
    assert one_line(refused.stderr) == (
        f"importer: journal {journal} was written by a newer importer (schema "
        f"{SCHEMA_VERSION + 1}, this program knows {SCHEMA_VERSION}): upgrade the importer;"
        " nothing was sent"
    )
    assert _counts(pg_server, pg_database) == {}  # the server was not even touched


# ------------------------------------------------------------------------ refused, empty


def test_a_second_copy_is_refused_and_changes_nothing(
    workdir: Path, api: Sandbox, pg_server: pg_support.PgServer, pg_database: str
) -> None:
    _config(workdir, "config.yaml", {"path": "j.sqlite"})
    assert importer(workdir, "run", str(SAMPLE), api=api).returncode == 1
    url = pg_server.url(pg_database)
    assert _copy(workdir, "--to", url).returncode == 0
    before = _server_content(pg_server, pg_database)
    again = _copy(workdir, "--to", url)
    assert again.returncode == 2
    assert one_line(again.stderr) == (
        f"importer: journal {url} already holds 1 import(s) (attempts 7, claims 6, "
        "import_figures 1, imports 1, rows 8): a journal is copied into an empty one only, so "
        "nothing was copied"
    )
    assert _server_content(pg_server, pg_database) == before


def test_a_database_holding_another_programs_tables_is_refused(
    workdir: Path, api: Sandbox, pg_server: pg_support.PgServer, pg_database: str
) -> None:
    _config(workdir, "config.yaml", {"path": "j.sqlite"})
    assert importer(workdir, "run", str(SAMPLE), api=api).returncode == 1
    with pg_server.connect(pg_database) as db:
        db.execute("CREATE TABLE invoices (id INTEGER, total NUMERIC)")
        db.execute("INSERT INTO invoices VALUES (1, 10.50)")
    url = pg_server.url(pg_database)
    refused = _copy(workdir, "--to", url)
    assert refused.returncode == 2
    assert one_line(refused.stderr) == (
        f"importer: journal {url}: the database holds tables the importer did not write (not "
        "a journal); nothing was sent. Name an empty database or an importer's journal"
    )
    assert _counts(pg_server, pg_database) == {"invoices": 1}


def test_a_value_the_server_refuses_midway_leaves_the_server_journal_empty(
    workdir: Path, api: Sandbox, pg_server: pg_support.PgServer, pg_database: str
) -> None:
    """SQLite keeps a text in an INTEGER column; the server refuses it. Every table before
    `rows` is written by then; the one transaction takes them all back. Once the value is
    fixed, the same command copies everything."""
    _config(workdir, "config.yaml", {"path": "j.sqlite"})
    assert importer(workdir, "run", str(SAMPLE), api=api).returncode == 1
    journal = workdir / "j.sqlite"
    with sqlite3.connect(journal) as db:
        db.execute("UPDATE rows SET http_status = 'two hundred and one' WHERE row = 9")
    db.close()
    url = pg_server.url(pg_database)
    failed = _copy(workdir, "--to", url)
    assert failed.returncode == 3
    line = one_line(failed.stderr)
    assert line.startswith(f"importer: journal copy to {url} failed while writing table rows (")
    assert "two hundred and one" in line
    assert line.endswith(
        "): nothing was copied, the server's journal is as it was; once that is fixed, run the "
        "same command again"
    )
    assert set(_counts(pg_server, pg_database).values()) == {0}
    assert pg_support.PASSWORD not in failed.stdout + failed.stderr

    with sqlite3.connect(journal) as db:
        db.execute("UPDATE rows SET http_status = 201 WHERE row = 9")
    db.close()
    again = _copy(workdir, "--to", url)
    assert again.returncode == 0, again.stderr
    _same_content(journal, pg_server, pg_database)


def test_a_table_the_server_journal_lacks_stops_the_copy_before_anything_is_written(
    tmp_path: Path, pg_server: pg_support.PgServer, pg_database: str
) -> None:
    """A migration that added a table to SQLite's journal without its server step: the
    copy walks SQLite's schema, so it refuses rather than leave the table behind."""
    journal = tmp_path / "journal.sqlite"
    shutil.copyfile(RELEASE_1, journal)
    with Journal(journal):
        pass
    with sqlite3.connect(journal) as db:
        db.execute("CREATE TABLE reminders (import_id TEXT, at TEXT)")
        db.execute("INSERT INTO reminders VALUES ('x', '2026-01-01T00:00:00.000Z')")
    db.close()
    with pytest.raises(InternalError) as refused:
        copy_journal(journal, _target(pg_server, pg_database))
    assert "(only in SQLite: reminders; only on the server: none)" in str(refused.value)
    assert set(_counts(pg_server, pg_database).values()) == {0}


def test_a_server_gone_midway_leaves_nothing_half_copied(
    tmp_path: Path, pg_server: pg_support.PgServer, pg_database: str
) -> None:
    """The session ended by the server while the copy writes (as a restart or a failover
    would): the copy stops in one line, and the server holds none of it."""
    journal = tmp_path / "journal.sqlite"
    shutil.copyfile(RELEASE_1, journal)
    Journal(_target(pg_server, pg_database)).close()  # the journal's tables, empty
    with pg_server.connect(pg_database) as db:  # a trigger ends the session writing `rows`
        db.execute(
            "CREATE FUNCTION end_me() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            " PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NEW; END $$"
        )
        db.execute(
            "CREATE TRIGGER end_me BEFORE INSERT ON rows FOR EACH ROW EXECUTE FUNCTION end_me()"
        )
    with pytest.raises(JournalFailed) as stopped:
        copy_journal(journal, _target(pg_server, pg_database))
    assert "failed while writing table rows" in str(stopped.value)
    assert "\n" not in str(stopped.value)
    assert set(_counts(pg_server, pg_database).values()) == {0}


def test_a_url_with_a_password_is_refused_without_echoing_it(workdir: Path) -> None:
    refused = _copy(workdir, "--to", "postgresql://importer:Hemligt-77@db.example.se/journal")
    assert refused.returncode == 2
    assert one_line(refused.stderr) == (
        "importer: journal copy --to must not carry a password: put it in an environment "
        "variable and name that variable in journal.password_env (or use PGPASSWORD or "
        "~/.pgpass); nothing was copied"
    )
    assert "Hemligt-77" not in refused.stdout + refused.stderr


def test_a_journal_file_that_is_not_there_is_refused(
    tmp_path: Path, pg_server: pg_support.PgServer, pg_database: str
) -> None:
    with pytest.raises(UsageError) as refused:
        copy_journal(tmp_path / "none.sqlite", _target(pg_server, pg_database))
    assert (
        str(refused.value) == f"journal {tmp_path / 'none.sqlite'}: there is no such file to copy"
    )


def test_journal_copy_has_help_with_an_example_and_only_its_options(workdir: Path) -> None:
    shown = importer(workdir, "journal", "copy", "--help")
    assert shown.returncode == 0
    assert "importer journal copy --to postgresql://" in shown.stdout.split("examples:")[1]
    assert "--api-url" not in shown.stdout
    assert "--journal" in shown.stdout
    assert "journal copy" in importer(workdir, "journal", "--help").stdout


# ------------------------------------------------------------------------ while importers run


@pytest.mark.slow
def test_copies_taken_while_an_importer_posts_are_consistent_snapshots(
    tmp_path: Path, pg_server: pg_support.PgServer, pg_database: str
) -> None:
    """Each copy holds every import with all its rows (written in one transaction), every
    claim with the row that holds it and every attempt with its row: never half a
    transaction, whatever the importer was doing when the snapshot was taken."""
    work = tmp_path / "work"
    work.mkdir()
    write_config(work)
    journal = work / "journal.sqlite"
    invoices = write_cases(tmp_path / "cases.json", 20)
    with sandbox_process(tmp_path, cases=tmp_path / "cases.json", latency_ms=5) as url:
        first = write_credits(work / "first.csv", invoices, 30, seed=1)
        assert (
            in_process(
                ["run", str(first.path), "--api-url", url], cwd=work, env=importer_env()
            ).returncode
            == 0
        )
        second = write_credits(work / "second.csv", invoices, 150, seed=2)
        posting = start_importer(work, second.path, url)
        databases = []
        try:
            while posting.poll() is None and len(databases) < 6:
                database = pg_server.database()
                copy_journal(journal, _target(pg_server, database))
                databases.append(database)
        finally:
            _out, err = posting.communicate(timeout=120)
        assert posting.returncode == 0, err
    assert len(databases) >= 2, "the importer finished before a second copy"
    credited = []
    for database in databases:
        with pg_server.connect(database) as db:
            for import_id, rows in db.execute("SELECT id, rows FROM imports"):
                (held,) = db.execute(
                    "SELECT count(*) FROM rows WHERE import_id = %s", (import_id,)
                ).fetchone()
                assert held == rows
            orphans = db.execute(
                "SELECT count(*) FROM claims c LEFT JOIN rows r"
                " ON (r.import_id, r.row) = (c.import_id, c.row) WHERE r.row IS NULL"
            ).fetchone()
            assert orphans == (0,)
            (done,) = db.execute("SELECT count(*) FROM rows WHERE outcome = 'credited'").fetchone()
            answered = db.execute(
                "SELECT count(DISTINCT (import_id, row)) FROM attempts WHERE outcome = 'credited'"
            ).fetchone()
            assert answered == (done,)
            credited.append(done)
    assert credited == sorted(credited)
    print(f"\ncredited rows in each copy: {credited}")
    assert credited[0] < 180  # the first copy was taken mid-file


def test_two_copies_at_once_into_one_database_copy_once(
    tmp_path: Path, pg_server: pg_support.PgServer, pg_database: str
) -> None:
    journal = tmp_path / "journal.sqlite"
    shutil.copyfile(RELEASE_1, journal)
    outcomes: list[object] = []

    def copy() -> None:
        try:
            outcomes.append(copy_journal(journal, _target(pg_server, pg_database)))
        except ConfigError as refused:
            outcomes.append(refused)

    threads = [threading.Thread(target=copy) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(type(o).__name__ for o in outcomes) == ["ConfigError", "CopyResult"]
    assert "already holds 3 import(s)" in str(
        next(o for o in outcomes if isinstance(o, ConfigError))
    )
    upgraded = tmp_path / "upgraded.sqlite"
    shutil.copyfile(RELEASE_1, upgraded)
    Journal(upgraded).close()
    _same_content(upgraded, pg_server, pg_database)


def test_the_password_may_come_from_pgpassword(
    workdir: Path, pg_server: pg_support.PgServer, pg_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without journal.password_env, libpq's own PGPASSWORD gives it, as for journal.url."""
    _config(workdir, "config.yaml", {"path": "j.sqlite"}, password_env=False)
    shutil.copyfile(RELEASE_1, workdir / "j.sqlite")
    monkeypatch.setenv("PGPASSWORD", pg_support.PASSWORD)
    copied = _copy(workdir, "--to", pg_server.url(pg_database))
    assert copied.returncode == 0, copied.stderr
    assert pg_support.PASSWORD not in copied.stdout + copied.stderr
    assert _counts(pg_server, pg_database)["imports"] == 3
