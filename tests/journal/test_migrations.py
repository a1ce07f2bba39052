"""The journal's schema is upgraded by ordered migrations (`importer.journal.migrations`): each
runs once, in its own transaction, recorded in `PRAGMA user_version`; a journal written by the
release before migrations opens with everything it holds; a journal newer than the program is
refused with one line; two processes opening a fresh journal at once both succeed.

Real SQLite files in tmp_path; the release's journal is tests/data/journals/release-1.sqlite,
written through the CLI by that release (its generator beside it says how)."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest
from cli_support import importer, one_line

from importer.errors import JournalTooNew, JournalUnavailable
from importer.journal import SCHEMA_VERSION, Journal
from importer.journal.migrations import MIGRATIONS, migrate, user_version
from importer.outcomes import Outcome
from importer.pipeline.history import list_imports

RELEASE_1 = Path(__file__).resolve().parents[1] / "data" / "journals" / "release-1.sqlite"
SAMPLE_IMPORT = "20261207-092722-4834a9cf"  # samples/credits.csv and row 10, then rerun --fix
LOST_IMPORT = "20261207-092725-cbdeb32c"  # its answer dropped, reconcile: manual
OUTAGE_IMPORT = "20261207-092726-9cbb9355"  # every POST answered 503
SAMPLE_API = "http://localhost:32787"
CREDITOR = "5f1a2b3c4d5e6f7a8b9c0d1e"
RELEASE_REPORTS = "/tmp/tmp9phlspdb/reports"


def raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def journal_at(path: Path, version: int) -> sqlite3.Connection:
    """A journal brought to `version` and no further, as a release of that version left it."""
    db = raw(path)
    migrate(db, path, up_to=version)
    assert user_version(db) == version
    return db


def add_import(db: sqlite3.Connection, import_id: str, base_url: str) -> None:
    """An import row as schema 1 holds it (no rows needed for these checks)."""
    db.execute(
        "INSERT INTO imports (id, file_name, file_path, base_url, dry_run, sandbox, state,"
        " started) VALUES (?, 'credits.csv', '/inbox/credits.csv', ?, 0, 0, 'finished',"
        " '2025-07-04T14:35:29.123Z')",
        (import_id, base_url),
    )


def schema_of(db: sqlite3.Connection) -> list[tuple[str, str, str]]:
    return db.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name"
    ).fetchall()


@pytest.fixture
def release_copy(tmp_path: Path) -> Path:
    path = tmp_path / "journal.sqlite"
    shutil.copyfile(RELEASE_1, path)
    return path


# ------------------------------------------------------------------------ the framework


def test_a_fresh_journal_runs_every_migration_once(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    with Journal(path):
        pass
    db = raw(path)
    assert user_version(db) == SCHEMA_VERSION == len(MIGRATIONS)
    assert migrate(db, path) == 0  # nothing left to run


def test_a_migration_that_fails_leaves_the_journal_at_the_version_before(
    tmp_path: Path,
) -> None:
    path = tmp_path / "journal.sqlite"
    db = journal_at(path, SCHEMA_VERSION)

    def half_done(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE half (x)")
        raise sqlite3.OperationalError("disk I/O error")

    with pytest.raises(sqlite3.OperationalError):
        migrate(db, path, up_to=SCHEMA_VERSION + 1, migrations=[*MIGRATIONS, half_done])
    assert user_version(db) == SCHEMA_VERSION
    assert db.execute("SELECT name FROM sqlite_master WHERE name='half'").fetchone() is None
    assert not db.in_transaction


def test_a_journal_newer_than_the_program_is_refused_in_one_line(
    tmp_path: Path, release_copy: Path
) -> None:
    db = raw(release_copy)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 2}")
    db.close()
    before = release_copy.read_bytes()
    with pytest.raises(JournalTooNew) as refused:
        Journal(release_copy)
    assert str(refused.value) == (
        f"journal {release_copy} was written by a newer importer (schema "
        f"{SCHEMA_VERSION + 2}, this program knows {SCHEMA_VERSION}): upgrade the importer;"
        " nothing was sent"
    )
    assert release_copy.read_bytes() == before

    work = tmp_path / "work"
    work.mkdir()
    (work / "config.yaml").write_text(f"journal:\n  path: {release_copy}\n", encoding="utf-8")
    shown = importer(work, "show", SAMPLE_IMPORT)
    assert shown.returncode == 2
    assert "written by a newer importer" in one_line(shown.stderr)


@pytest.mark.parametrize("version", [-1, -3])
def test_a_negative_schema_version_is_refused_and_runs_no_migration(
    release_copy: Path, version: int
) -> None:
    """No importer writes a negative `user_version` (another tool or damage did): it is
    refused before anything runs. Read as a position, -3 ran the last three migrations, then
    all from the first, and left the journal half upgraded and unopenable for good."""
    db = raw(release_copy)
    db.execute(f"PRAGMA user_version = {version}")
    db.close()
    before = release_copy.read_bytes()
    with pytest.raises(JournalUnavailable) as refused:
        Journal(release_copy)
    assert str(refused.value) == (
        f"journal {release_copy}: schema version {version}, which no importer writes (not a "
        "journal, or damaged); nothing was sent. Restore it from a backup"
    )
    assert release_copy.read_bytes() == before


def test_a_database_no_importer_wrote_is_not_taken_for_a_journal(tmp_path: Path) -> None:
    path = tmp_path / "accounts.sqlite"
    with raw(path) as db:
        db.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY)")
    with pytest.raises(JournalUnavailable, match="not a journal"):
        Journal(path)
    assert [name for (name,) in raw(path).execute("SELECT name FROM sqlite_master")] == ["accounts"]


def test_two_processes_opening_a_fresh_journal_at_once_both_succeed(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    gate = tmp_path / "gate"
    gate.mkdir()
    code = textwrap.dedent(
        """
        import sys, time
        from pathlib import Path
        from importer.journal import Journal
        gate, n = Path(sys.argv[2]), int(sys.argv[3])
        (gate / sys.argv[4]).touch()
        while len(list(gate.iterdir())) < n:  # every process imported: open together
            time.sleep(0.001)
        with Journal(Path(sys.argv[1])) as journal:
            print(len(journal.imports.all()))
        """
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(path), str(gate), "4", str(n)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    results = [(*p.communicate(timeout=60), p.returncode) for p in processes]
    assert [(out, code) for out, _, code in results] == [("0\n", 0)] * 4, results
    db = raw(path)
    assert user_version(db) == SCHEMA_VERSION
    assert db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchall() == [("1",)]


# ----------------------------------------------------------------- migration 1: schema


def test_schema_1_is_exactly_the_schema_the_release_wrote(tmp_path: Path) -> None:
    fresh = journal_at(tmp_path / "fresh.sqlite", 1)
    assert schema_of(fresh) == schema_of(raw(RELEASE_1))
    assert fresh.execute("SELECT * FROM meta").fetchall() == [("schema_version", "1")]


def test_a_journal_of_the_release_before_migrations_is_taken_as_schema_1(
    release_copy: Path,
) -> None:
    db = raw(release_copy)
    assert user_version(db) == 0
    before = schema_of(db)
    assert migrate(db, release_copy, up_to=1) == 0  # stamped, no DDL run
    assert user_version(db) == 1
    assert schema_of(db) == before


# -------------------------------------------------------------- migration 2: api identity


def test_migration_2_keys_imports_by_the_apis_identity_once(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    db = journal_at(path, 1)
    add_import(db, "imp-1", "http://127.0.0.1:8080/")
    add_import(db, "imp-2", "https://api.example.com/v1")
    db.close()
    with Journal(path) as journal:
        assert [(i.id, i.base_url) for i in journal.imports.all()] == [
            ("imp-1", "http://localhost:8080"),
            ("imp-2", "https://api.example.com/v1"),
        ]
    # Once, not on every open: a value written since is left as it is.
    with raw(path) as db:
        db.execute("UPDATE imports SET base_url='http://127.0.0.1:8080/' WHERE id='imp-1'")
    with Journal(path) as journal:
        assert journal.imports.get("imp-1").base_url == "http://127.0.0.1:8080/"  # type: ignore[union-attr]


# ------------------------------------------------------- migration 3: report notes as columns


def test_migration_3_moves_the_report_dialect_and_folder_from_meta_to_imports(
    tmp_path: Path,
) -> None:
    path = tmp_path / "journal.sqlite"
    db = journal_at(path, 2)
    add_import(db, "imp-1", "http://localhost:8080")
    add_import(db, "imp-2", "http://localhost:8080")
    add_import(db, "imp-3", "http://localhost:8080")
    db.executemany(
        "INSERT INTO meta VALUES (?, ?)",
        [
            ("dialect:imp-1", '{"delimiter": ";", "decimal": ","}'),
            ("report_dir:imp-1", "/srv/reports/imp-1"),
            ("dialect:imp-2", '{"delimiter": "\\t", "decimal": null}'),
            ("report_dir:gone", "/srv/reports/gone"),  # an import the journal does not hold
            ("checked_writable", "2026-11-30T08:00:00.000Z"),
        ],
    )
    db.close()
    with Journal(path) as journal:
        assert journal.notes.source_dialect("imp-1") == (";", ",")
        assert journal.notes.report_dir("imp-1") == Path("/srv/reports/imp-1")
        assert journal.notes.source_dialect("imp-2") == ("\t", None)
        assert journal.notes.report_dir("imp-2") is None
        assert journal.notes.source_dialect("imp-3") == (None, None)
        journal.notes.set_report_dir("imp-3", tmp_path / "out")
        journal.notes.set_source_dialect("imp-3", ",", ".")
        assert journal.notes.report_dir("imp-3") == (tmp_path / "out").resolve()
        assert journal.notes.source_dialect("imp-3") == (",", ".")
    assert raw(path).execute("SELECT key FROM meta ORDER BY key").fetchall() == [
        ("checked_writable",),
        ("schema_version",),
    ]


# --------------------------------------------------------- the release's journal, upgraded


def test_the_release_journal_opens_with_every_import_row_claim_correction_and_outcome(
    release_copy: Path,
) -> None:
    with Journal(release_copy) as journal:
        assert [(i.id, i.file_name, i.state, i.rows) for i in journal.imports.all()] == [
            (SAMPLE_IMPORT, "credits.csv", "finished", 9),
            (LOST_IMPORT, "lost.csv", "finished", 1),
            (OUTAGE_IMPORT, "outage.csv", "open", 1),
        ]
        sample = journal.rows.all(SAMPLE_IMPORT)
        assert [(r.row, r.outcome, r.status) for r in sample] == [
            (2, Outcome.CREDITED, "completed"),
            (3, Outcome.CREDITED, "completed"),
            (4, Outcome.CREDITED, "warning"),
            (5, Outcome.CREDITED, "error"),
            (6, Outcome.CREDITED, "completed"),  # corrected by rerun --fix, then credited
            (7, Outcome.REJECTED, None),
            (8, Outcome.DUPLICATE, None),
            (9, Outcome.CREDITED, "completed"),
            (10, Outcome.INVALID, None),
        ]
        by_row = {r.row: r for r in sample}
        assert by_row[4].request is not None
        assert by_row[4].request["amount"] == Decimal("450.00")
        assert by_row[4].settled_amount == Decimal("300.0")
        assert by_row[6].source[1] == "12,35"
        assert by_row[7].http_status == 422
        assert [e.code for e in by_row[7].errors]
        assert (by_row[10].request, [e.field for e in by_row[10].errors]) == (None, ["amount"])
        assert by_row[10].source[1] == "tio kronor"
        assert by_row[8].duplicate_of is not None
        assert by_row[8].duplicate_of["row"] == 2
        assert by_row[8].crediting_id == by_row[2].crediting_id
        assert all(by_row[n].crediting_id for n in (2, 3, 4, 5, 6, 9))
        # the correction: the cells the file first had
        originals = journal.history.original_sources(SAMPLE_IMPORT)
        assert sorted(originals) == [6]
        assert originals[6][1] == "12,345"
        assert journal.history.attempts(SAMPLE_IMPORT)[6][-1][1] == "credited"
        # claims: a credit note the release credited is still held by its row
        holder = journal.claims.take(SAMPLE_API, CREDITOR, "KF-5003", OUTAGE_IMPORT, 2)
        assert holder is not None
        assert (holder.import_id, holder.row) == (SAMPLE_IMPORT, 4)
        # the interrupted imports' rows, and the look-ups a rerun starts from
        (lost,) = journal.rows.all(LOST_IMPORT)
        assert (lost.outcome, lost.request is not None) == (Outcome.UNKNOWN, True)
        assert journal.rows.latest_intent(LOST_IMPORT) is not None
        (cut,) = journal.rows.all(OUTAGE_IMPORT)
        assert (cut.outcome, cut.http_status) == (Outcome.NOT_SENT, 503)
        counts = journal.imports.outcome_counts(SAMPLE_IMPORT)
        assert {o: n for o, n in counts.items() if n} == {
            Outcome.CREDITED: 6,
            Outcome.INVALID: 1,
            Outcome.REJECTED: 1,
            Outcome.DUPLICATE: 1,
        }
        assert journal.dedupe.credited_notes(SAMPLE_API, CREDITOR, ["KF-5001"], exclude_import="x")
        assert journal.imports.find(
            journal.imports.get(SAMPLE_IMPORT).sha256 or "",
            SAMPLE_API,
            state="finished",  # type: ignore[union-attr]
        )
        # what meta held, now columns
        for import_id in (SAMPLE_IMPORT, LOST_IMPORT, OUTAGE_IMPORT):
            assert journal.notes.source_dialect(import_id) == (";", ",")
            assert journal.notes.report_dir(import_id) == Path(RELEASE_REPORTS, import_id)


def test_a_second_open_of_the_upgraded_release_journal_changes_nothing(
    release_copy: Path,
) -> None:
    with Journal(release_copy):
        pass
    first = list(raw(release_copy).iterdump())
    assert user_version(raw(release_copy)) == SCHEMA_VERSION
    with Journal(release_copy):
        pass
    assert list(raw(release_copy).iterdump()) == first


def test_show_and_report_read_the_release_journal(tmp_path: Path, release_copy: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "config.yaml").write_text(
        f"journal:\n  path: {release_copy}\nreport:\n  dir: reports\n", encoding="utf-8"
    )
    listed = importer(work, "imports")
    assert listed.returncode == 0, listed.stderr
    assert "credited 6, invalid 1, rejected 1, duplicate 1" in listed.stdout
    assert "unknown 1" in listed.stdout
    assert "not_sent 1" in listed.stdout

    shown = importer(work, "show", SAMPLE_IMPORT)
    assert shown.returncode == 0, shown.stderr
    assert f"{RELEASE_REPORTS}/{SAMPLE_IMPORT}/" in shown.stdout  # the folder meta kept
    assert "credited/warning" in shown.stdout
    assert "credited/error" in shown.stdout
    assert "rejected" in shown.stdout
    assert "invalid" in shown.stdout

    lost = importer(work, "show", LOST_IMPORT)
    assert lost.returncode == 0, lost.stderr
    assert "unknown" in lost.stdout

    rendered = importer(work, "report", SAMPLE_IMPORT)
    assert rendered.returncode == 0, rendered.stderr
    report_csv = work / "reports" / SAMPLE_IMPORT / "report.csv"
    header = report_csv.read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.split(";")[:2] == ["Fakturanummer", "Belopp"]  # the dialect meta kept
    document = json.loads((report_csv.parent / "report.json").read_text(encoding="utf-8"))
    rows = {r["row"]: r for r in document["rows"]}
    assert rows[6]["original_source"]["Belopp"] == "12,345"  # the correction's first cells
    assert rows[6]["source"]["Belopp"] == "12,35"
    assert document["summary"]["outcomes"]["credited"] == 6


# ------------------------------------------------------- migration 6: what reports know of a file


def test_migration_6_keeps_what_the_reports_know_of_a_file_beside_its_dialect(
    tmp_path: Path,
) -> None:
    path = tmp_path / "journal.sqlite"
    db = journal_at(path, 5)
    add_import(db, "imp-1", "http://localhost:8080")
    db.execute("UPDATE imports SET source_delimiter=';', source_decimal=',' WHERE id='imp-1'")
    db.close()
    with Journal(path) as journal:
        # an import of the release before keeps its dialect, and knows nothing more
        assert journal.notes.source_notes("imp-1") == {"delimiter": ";", "decimal": ","}
        journal.notes.set_source_dialect("imp-1", ";", ",", {"amount_column": 1, "workbook": False})
        assert journal.notes.source_notes("imp-1") == {
            "amount_column": 1,
            "workbook": False,
            "delimiter": ";",
            "decimal": ",",
        }
        assert journal.notes.source_dialect("imp-1") == (";", ",")
    assert user_version(raw(path)) == len(MIGRATIONS)


# ------------------------------------------------------- migration 7: a night's drop summary


def test_migration_7_adds_the_drop_nights_and_keeps_the_imports(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    db = journal_at(path, 6)
    add_import(db, "imp-1", "http://localhost:8080")
    db.close()
    with Journal(path) as journal:
        assert journal.imports.get("imp-1") is not None
        assert journal.nights.get("2027-01-14") is None
        journal.nights.update("2027-01-14", lambda stored: '{"files": []}')
        assert journal.nights.get("2027-01-14") == '{"files": []}'
    assert user_version(raw(path)) == len(MIGRATIONS)


# ------------------------------------------- migration 8: each import's revision and figures


def test_migration_8_gives_each_import_a_revision_and_keeps_its_figures_from_then(
    tmp_path: Path,
) -> None:
    path = tmp_path / "journal.sqlite"
    db = journal_at(path, 7)
    add_import(db, "imp-1", "http://localhost:8080")
    db.execute(
        "INSERT INTO rows (import_id, row, outcome, source, creditor, amount)"
        " VALUES ('imp-1', 2, 'credited', '[]', ?, '12.50')",
        (CREDITOR,),
    )
    before = schema_of(db)
    db.close()
    with Journal(path) as journal:
        (entry,) = list_imports(journal)
        assert (entry.figures.amount_credited, entry.figures.creditors) == (
            Decimal("12.50"),
            [CREDITOR],
        )
        assert journal.figure_cache.current()["imp-1"] == (0, entry.figures.cached(entry.counts))
        assert [r.row for r in journal.rows.all("imp-1")] == [2]
    after = raw(path)
    assert user_version(after) == 8
    assert [c[1] for c in after.execute("PRAGMA table_info(import_figures)")] == [
        "import_id",
        "revision",
        "figures",
    ]
    assert after.execute("SELECT id, revision FROM imports").fetchall() == [("imp-1", 0)]
    # every table and index of schema 7 kept, imports with one column more
    kept = {name: sql for _, name, sql in schema_of(after)}
    for _, name, sql in before:
        assert kept[name] == sql or name == "imports"
