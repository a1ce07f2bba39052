"""The journal's schema as an ordered list of migrations, applied by `PRAGMA user_version`.

A journal is a years-long record of money moved: a journal written by any earlier release
must open in every later one, with nothing lost. So the schema is never edited in place; each
change is one more function at the end of `MIGRATIONS`, and a journal at version N runs
migrations N+1, N+2, … in order, each in its own transaction that also bumps
`user_version` — a crash mid-upgrade leaves the journal at the last version fully reached. A
fresh journal is version 0 and runs them all.

How to add a migration
----------------------
1. Write `def _vN_what_it_does(db: sqlite3.Connection) -> None` below the last one, with a
   docstring saying why, and append it to `MIGRATIONS`. Its number is its position (1-based);
   `SCHEMA_VERSION` follows by itself.
2. Never edit, reorder or remove a migration once it is on main: journals out there are at
   its version and will never run it again. Fix a released migration's mistake with a new one.
3. Write the SQL out in full, as it is today: no imported column list or constant whose
   meaning may change later (schema 1 spells out the request columns for that reason). Call
   code of the package only where the migration means "as this program computes it" and say
   so (migration 2). Plain statements through `db.execute` — no `executescript`, which
   commits the transaction the migration runs in.
4. Add a test in tests/journal/test_migrations.py that builds a journal at the previous
   version (`journal_at(path, N - 1)`, i.e. `migrate(db, path, up_to=N - 1)`, plus the rows
   your migration must carry over), opens it with `Journal`, and checks what your migration
   changed and what it kept. The tests of the release journal (tests/data/journals/) must
   keep passing: every import, row, claim and correction it holds is still found.

Concurrency: two importers may open a fresh (or old) journal at once. Each migration runs
under `BEGIN IMMEDIATE` and reads `user_version` again inside it, so the second process waits
for the first and then finds nothing left to do. A journal newer than this program (a
`user_version` past `SCHEMA_VERSION`) is refused before anything is read or sent.

Journals written before this module existed have `user_version` 0 and `meta.schema_version`
'1': their tables are exactly schema 1, so they are stamped version 1 without running its
DDL. `meta.schema_version` stays '1' as they wrote it; `user_version` is the version.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

from importer.api.identity import api_identity
from importer.errors import JournalTooNew, JournalUnavailable
from importer.journal.server import JournalServer

Migration = Callable[[sqlite3.Connection], None]


def _v1_schema(db: sqlite3.Connection) -> None:
    """The schema of the first release: imports, their rows (request fields as columns, so
    duplicate checks are indexed lookups), attempts, raw answers, locks, credit-note claims,
    uncertain rows and the cells a correction replaced."""
    statements = (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE imports (
    id TEXT PRIMARY KEY,
    file_name TEXT NOT NULL,
    file_path TEXT NOT NULL,
    sha256 TEXT,
    format TEXT,
    rows INTEGER NOT NULL DEFAULT 0,
    columns TEXT NOT NULL DEFAULT '[]',
    base_url TEXT NOT NULL,
    dry_run INTEGER NOT NULL,
    sandbox INTEGER NOT NULL,
    all_or_nothing INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL,
    started TEXT NOT NULL,
    finished TEXT,
    file_errors TEXT NOT NULL DEFAULT '[]',
    warnings TEXT NOT NULL DEFAULT '[]'
)""",
        """CREATE TABLE locks (
    key TEXT PRIMARY KEY,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    since TEXT NOT NULL
)""",
        "CREATE INDEX imports_sha ON imports (sha256, state)",
        """CREATE TABLE rows (
    import_id TEXT NOT NULL,
    row INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    errors TEXT,
    source TEXT NOT NULL,
    creditor TEXT,
    case_id TEXT,
    invoice_number TEXT,
    currency TEXT,
    amount TEXT,
    origin TEXT,
    credit_invoice TEXT,
    client_registration_date TEXT,
    creditor_reference TEXT,
    account TEXT,
    crediting_id TEXT,
    status TEXT,
    status_reason_locale TEXT,
    settled_amount TEXT,
    case_invoice_number TEXT,
    case_reference_number TEXT,
    http_status INTEGER,
    duplicate_of TEXT,
    intent_at TEXT,
    PRIMARY KEY (import_id, row)
) WITHOUT ROWID""",
        """CREATE INDEX rows_credit_invoice
    ON rows (creditor, credit_invoice) WHERE outcome = 'credited'""",
        """CREATE TABLE attempts (
    import_id TEXT NOT NULL,
    row INTEGER NOT NULL,
    at TEXT NOT NULL,
    outcome TEXT NOT NULL,
    http_status INTEGER,
    note TEXT
)""",
        "CREATE INDEX attempts_row ON attempts (import_id, row)",
        """CREATE INDEX rows_credited_amount
    ON rows (creditor, amount) WHERE outcome = 'credited'""",
        """CREATE TABLE claims (
    api TEXT NOT NULL,
    creditor TEXT NOT NULL,
    credit_invoice TEXT NOT NULL,
    import_id TEXT NOT NULL,
    row INTEGER NOT NULL,
    PRIMARY KEY (api, creditor, credit_invoice)
) WITHOUT ROWID""",
        """CREATE TABLE uncertain (
    import_id TEXT NOT NULL,
    row INTEGER NOT NULL,
    PRIMARY KEY (import_id, row)
) WITHOUT ROWID""",
        """CREATE TABLE corrected (
    import_id TEXT NOT NULL,
    row INTEGER NOT NULL,
    original_source TEXT NOT NULL,
    PRIMARY KEY (import_id, row)
) WITHOUT ROWID""",
        """CREATE TABLE answers (
    import_id TEXT NOT NULL,
    row INTEGER NOT NULL,
    at TEXT NOT NULL,
    raw TEXT NOT NULL
)""",
        "INSERT INTO meta VALUES ('schema_version', '1')",
    )
    for statement in statements:
        db.execute(statement)


def _v2_api_identity(db: sqlite3.Connection) -> None:
    """Imports recorded before the API's name was normalised are keyed by its identity, like
    every import recorded since (the duplicate checks and `imports.find` compare
    `base_url` with the identity). Once: the release before ran this on every open. It
    calls the package's `api_identity` on purpose — the identity this program computes; a
    change to it needs a migration of its own that re-keys the imports."""
    db.create_function("api_identity", 1, api_identity, deterministic=True)
    db.execute(
        "UPDATE imports SET base_url = api_identity(base_url)"
        " WHERE base_url <> api_identity(base_url)"
    )


def _v3_report_notes_as_columns(db: sqlite3.Connection) -> None:
    """An import's source dialect and report folder were `meta` keys (`dialect:<id>`, a JSON
    object; `report_dir:<id>`, a path): they become columns of `imports`, read with the
    import and gone with it. The keys are moved, then deleted (a key of an import the
    journal does not hold describes nothing and goes too)."""
    db.execute("ALTER TABLE imports ADD COLUMN source_delimiter TEXT")
    db.execute("ALTER TABLE imports ADD COLUMN source_decimal TEXT")
    db.execute("ALTER TABLE imports ADD COLUMN report_dir TEXT")
    db.execute(
        "UPDATE imports SET source_delimiter = json_extract(m.value, '$.delimiter'),"
        " source_decimal = json_extract(m.value, '$.decimal')"
        " FROM meta AS m WHERE m.key = 'dialect:' || imports.id"
    )
    db.execute(
        "UPDATE imports SET report_dir = m.value"
        " FROM meta AS m WHERE m.key = 'report_dir:' || imports.id"
    )
    db.execute("DELETE FROM meta WHERE key GLOB 'dialect:*' OR key GLOB 'report_dir:*'")


def _v4_audit_trail(db: sqlite3.Connection) -> None:
    """Who changed an import by hand, when and how: every `rerun --fix` (the fix file's name
    and SHA-256, every cell changed, old and new) and every `resolve`/reopen (the rows and the
    note), with the OS user and host always and a name when given. Append-only: triggers
    refuse every UPDATE and DELETE, so the trail cannot be edited through SQL either."""
    statements = (
        """CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    import_id TEXT NOT NULL,
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    os_user TEXT NOT NULL,
    host TEXT NOT NULL,
    by_name TEXT,
    note TEXT,
    fix_file TEXT,
    fix_sha256 TEXT,
    rows TEXT NOT NULL,
    changes TEXT NOT NULL
)""",
        "CREATE INDEX audit_import ON audit (import_id, id)",
        """CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END""",
        """CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END""",
    )
    for statement in statements:
        db.execute(statement)


def _v5_resolutions(db: sqlite3.Connection) -> None:
    """Rows a person marked as handled (`importer resolve`): the row leaves "needs
    attention" and rerun leaves it alone. The row points at the audit entry that resolved it
    (who, when, the note); reopening deletes the row here and appends to the audit."""
    db.execute(
        """CREATE TABLE resolutions (
    import_id TEXT NOT NULL,
    row INTEGER NOT NULL,
    audit_id INTEGER NOT NULL,
    PRIMARY KEY (import_id, row)
) WITHOUT ROWID"""
    )


def _v6_source_notes(db: sqlite3.Connection) -> None:
    """What the reports need to know of an import's file besides its dialect — where its
    amount and date columns are, how its amounts read (a JSON object) — so a report rendered
    again types the workbook's cells and reconciles the amounts read as the first one did.
    Imports from before have none: their reports fall back to text cells."""
    db.execute("ALTER TABLE imports ADD COLUMN source_notes TEXT")


def _v7_drop_nights(db: sqlite3.Connection) -> None:
    """A night's drop summary kept in the journal, so that the drops of several hosts sharing
    one journal (a server) add up in one summary a night and tell each piece of news once
    (`journal.nights`). The summary is the JSON `drop.summary` writes, under the night's
    name."""
    db.execute("CREATE TABLE drop_nights (night TEXT PRIMARY KEY, summary TEXT NOT NULL)")


def _v8_import_figures(db: sqlite3.Connection) -> None:
    """A list of imports (and the overview page, written after every command) read every
    row of every import the journal ever held: 0.18 s more per 50,000-row import, for ever.
    Each import gets a revision, bumped in the transaction of every write that changes what
    its figures are made of (`journal.figure_cache`), and `import_figures` keeps the figures
    last computed with the revision they were read at: an entry whose revision is the
    import's is used, any other is computed again. Money in the JSON is decimal text."""
    db.execute("ALTER TABLE imports ADD COLUMN revision INTEGER NOT NULL DEFAULT 0")
    db.execute(
        """CREATE TABLE import_figures (
    import_id TEXT PRIMARY KEY,
    revision INTEGER NOT NULL,
    figures TEXT NOT NULL
)"""
    )


MIGRATIONS: Sequence[Migration] = (
    # Append only: never edit, reorder or remove a released entry (see the module docstring).
    _v1_schema,
    _v2_api_identity,
    _v3_report_notes_as_columns,
    _v4_audit_trail,
    _v5_resolutions,
    _v6_source_notes,
    _v7_drop_nights,
    _v8_import_figures,
)

SCHEMA_VERSION = len(MIGRATIONS)
"""The version a journal has once this program opened it."""


def user_version(db: sqlite3.Connection) -> int:
    (version,) = db.execute("PRAGMA user_version").fetchone()
    return int(version)


def _released_before_migrations(db: sqlite3.Connection) -> bool:
    """A journal of the release before numbered migrations: `user_version` 0, yet its
    `meta` says schema 1 (written right after its tables)."""
    has_meta = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'"
    ).fetchone()
    if has_meta is None:
        return False
    marker = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    return marker is not None and marker[0] == "1"


def _foreign(db: sqlite3.Connection) -> bool:
    """Tables in a file at version 0 that no release of the importer wrote: another
    program's database given as the journal."""
    return db.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone() is not None


def migrate(
    db: sqlite3.Connection,
    path: Path,
    *,
    up_to: int = SCHEMA_VERSION,
    migrations: Sequence[Migration] = MIGRATIONS,
) -> int:
    """Bring the journal at `db` (autocommit mode) to version `up_to`, one migration per
    transaction; returns how many ran. `up_to` below the latest is for the tests of a
    migration (a journal at the version before it). Raises `JournalTooNew` for a journal a
    newer importer wrote, `JournalUnavailable` for a database no importer wrote; SQLite's own
    errors (busy, damaged) are left to the caller, which knows how to wait or say so."""
    refuse_newer(user_version(db), len(migrations), path)
    ran = 0
    while user_version(db) < up_to:
        db.execute("BEGIN IMMEDIATE")
        try:
            found = user_version(db)  # again: another process may have migrated meanwhile
            refuse_newer(found, len(migrations), path)
            version = _adopted(db, path, found)
            if version == found and version < up_to:
                migrations[version](db)
                version += 1
                ran += 1
            db.execute(f"PRAGMA user_version = {int(version)}")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
    return ran


def refuse_newer(version: int, known: int, path: Path | JournalServer) -> None:
    """`JournalTooNew` for a journal at a version past the `known` migrations, on either
    database."""
    if version > known:
        raise JournalTooNew(
            f"journal {path} was written by a newer importer (schema {version}, "
            f"this program knows {known}): upgrade the importer; nothing was sent"
        )


def unknown_version(version: int, path: Path | JournalServer) -> JournalUnavailable:
    """The refusal of a journal at a version no importer writes (below 0; on a server, one
    between 0 and the baseline): another tool's, or a hand's."""
    return JournalUnavailable(
        f"journal {path}: schema version {version}, which no importer writes (not a "
        "journal, or damaged); nothing was sent. Restore it from a backup"
    )


def _adopted(db: sqlite3.Connection, path: Path, version: int) -> int:
    """The version of a journal at `user_version` `version`: 1 for a journal of the release
    before numbered migrations (stamped, its DDL not run again), else `version` itself;
    refuses a database with tables no release of the importer wrote, and a version below 0."""
    if version < 0:  # read as a position, -3 would run the last three migrations
        raise unknown_version(version, path)
    if version != 0:
        return version
    if _released_before_migrations(db):
        return 1
    if _foreign(db):
        raise JournalUnavailable(
            f"journal {path}: holds tables the importer did not write (not a journal);"
            " nothing was sent. Name another journal file"
        )
    return 0
