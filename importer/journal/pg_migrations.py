"""The journal's schema on a PostgreSQL server: the same logical list of migrations as on
SQLite (`journal.migrations`, whose version numbers these are), recorded in a table of its
own (`journal_schema`) where SQLite has `PRAGMA user_version`.

A server journal starts at the schema of the day PostgreSQL arrived (`BASELINE`, today's
version): one step creates every table as the SQLite migrations up to it leave them, and the
older SQLite steps (moving keys of a release that never ran on a server) do not apply. Each
migration appended to `journal.migrations` after it needs its server step here, in `STEPS`
under its number; a test holds the two lists and the two schemas equal.

Two importers opening a fresh journal at once: each migration runs in one transaction under
a transaction-level advisory lock, and reads the version again inside it, so the second
waits for the first and finds nothing left to do. It waits by asking for the lock again
and again, each ask one round trip on the journal's usual deadline, and only a step itself
gets the migrations' long one (`patient`): a wait for another host's long migration is
patient, a server that freezes while a run opens the journal stops the run as it does
mid-run."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext

from importer.errors import JournalUnavailable
from importer.journal.connection import JournalConnection
from importer.journal.migrations import SCHEMA_VERSION, refuse_newer, unknown_version
from importer.journal.server import JournalServer, advisory_key

BASELINE = 6
"""The version the first server step leaves a journal at: the schema as migrations 1 to 6
left it on SQLite."""

MIGRATION_LOCK = advisory_key("importer journal: migrations")
MIGRATION_WAIT_SECONDS = 3600.0
"""How long a run waits for another importer's migration before it stops."""
LOCK_POLL_SECONDS = 0.2


def _baseline(db: JournalConnection) -> None:
    """Every table of schema 6, with SQLite's types as PostgreSQL spells them. Two columns
    SQLite gives implicitly are explicit here: `attempts.rowid` (the order attempts were
    written, which the journal reads them in: `ORDER BY rowid` reads both) and `audit.id`."""
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
    warnings TEXT NOT NULL DEFAULT '[]',
    source_delimiter TEXT,
    source_decimal TEXT,
    report_dir TEXT,
    source_notes TEXT
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
)""",
        """CREATE INDEX rows_credit_invoice
    ON rows (creditor, credit_invoice) WHERE outcome = 'credited'""",
        """CREATE TABLE attempts (
    import_id TEXT NOT NULL,
    row INTEGER NOT NULL,
    at TEXT NOT NULL,
    outcome TEXT NOT NULL,
    http_status INTEGER,
    note TEXT,
    rowid BIGINT GENERATED ALWAYS AS IDENTITY
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
)""",
        """CREATE TABLE uncertain (
    import_id TEXT NOT NULL,
    row INTEGER NOT NULL,
    PRIMARY KEY (import_id, row)
)""",
        """CREATE TABLE corrected (
    import_id TEXT NOT NULL,
    row INTEGER NOT NULL,
    original_source TEXT NOT NULL,
    PRIMARY KEY (import_id, row)
)""",
        """CREATE TABLE answers (
    import_id TEXT NOT NULL,
    row INTEGER NOT NULL,
    at TEXT NOT NULL,
    raw TEXT NOT NULL
)""",
        """CREATE TABLE audit (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
        """CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'the audit trail is append-only'; END $$""",
        """CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
FOR EACH ROW EXECUTE FUNCTION audit_append_only()""",
        """CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
FOR EACH ROW EXECUTE FUNCTION audit_append_only()""",
        """CREATE TABLE resolutions (
    import_id TEXT NOT NULL,
    row INTEGER NOT NULL,
    audit_id INTEGER NOT NULL,
    PRIMARY KEY (import_id, row)
)""",
    )
    for statement in statements:
        db.execute(statement)


def _v7_drop_nights(db: JournalConnection) -> None:
    """`journal.migrations._v7_drop_nights` on the server: a night's drop summary, shared by
    the hosts whose drops write to this journal."""
    db.execute("CREATE TABLE drop_nights (night TEXT PRIMARY KEY, summary TEXT NOT NULL)")


def _v8_import_figures(db: JournalConnection) -> None:
    """`journal.migrations._v8_import_figures` on the server: each import's revision and
    the figures last computed at one. BIGINT: a revision is bumped twice per row posted."""
    db.execute("ALTER TABLE imports ADD COLUMN revision BIGINT NOT NULL DEFAULT 0")
    db.execute(
        """CREATE TABLE import_figures (
    import_id TEXT PRIMARY KEY,
    revision BIGINT NOT NULL,
    figures TEXT NOT NULL
)"""
    )


STEPS: Mapping[int, Callable[[JournalConnection], None]] = {
    BASELINE: _baseline,
    7: _v7_drop_nights,
    8: _v8_import_figures,
}
"""Version -> the server step that reaches it: the baseline, then one per migration
appended to `journal.migrations` after it (append only, as there)."""


def _version(db: JournalConnection) -> int | None:
    """The recorded version; None for a database without the version table."""
    if db.fetchall("SELECT to_regclass('journal_schema')")[0][0] is None:
        return None
    found = db.fetchall("SELECT version FROM journal_schema")
    return int(found[0][0]) if found else None


def migrate_server(
    db: JournalConnection,
    where: JournalServer,
    patient: Callable[[], AbstractContextManager[object]] = nullcontext,
) -> int:
    """Bring the server's journal to `SCHEMA_VERSION`, one step per transaction; returns
    how many ran. A journal a newer importer wrote is `JournalTooNew`; a database with
    tables but no journal is refused, as a foreign SQLite file is. `patient`: the
    connection's longer deadline, for a step (which may rebuild a large table) only."""
    ran = 0
    while True:
        with db.lock:
            db.execute("BEGIN")
            try:
                _wait_for_the_lock(db, where)
                found = _version(db)
                refuse_newer(found or 0, SCHEMA_VERSION, where)
                if found == SCHEMA_VERSION:
                    db.execute("COMMIT")
                    return ran
                if found is None:
                    _refuse_foreign(db, where)
                    db.execute("CREATE TABLE journal_schema (version INTEGER NOT NULL)")
                    db.execute("INSERT INTO journal_schema VALUES (0)")
                target, step = _next_step(found, where)
                with patient():
                    step(db)
                db.execute("UPDATE journal_schema SET version = ?", (target,))
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
            ran += 1


def _next_step(
    found: int | None, where: JournalServer
) -> tuple[int, Callable[[JournalConnection], None]]:
    """The version the next step brings a journal at `found` to, and that step; a version
    no step follows (below 0, between 0 and the baseline) is refused."""
    target = BASELINE if not found else found + 1
    if target not in STEPS:
        raise unknown_version(found or 0, where)
    return target, STEPS[target]


def _wait_for_the_lock(db: JournalConnection, where: JournalServer) -> None:
    """The migrations' lock, for this transaction: asked for until it is granted, each ask
    a round trip of its own, so another importer's long migration is waited for while a
    server that stops answering is noticed at the journal's usual deadline."""
    gives_up = time.monotonic() + MIGRATION_WAIT_SECONDS
    while not db.execute("SELECT pg_try_advisory_xact_lock(?)", (MIGRATION_LOCK,)).fetchone()[0]:
        if time.monotonic() > gives_up:
            raise JournalUnavailable(
                f"journal {where}: another importer has been migrating it for over "
                f"{MIGRATION_WAIT_SECONDS:g} seconds; nothing was sent. Run again once it is done"
            )
        time.sleep(LOCK_POLL_SECONDS)


def _refuse_foreign(db: JournalConnection, where: JournalServer) -> None:
    tables = db.fetchall(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()"
    )[0][0]
    if tables:
        raise JournalUnavailable(
            f"journal {where}: the database holds tables the importer did not write (not a "
            "journal); nothing was sent. Name an empty database or an importer's journal"
        )
