"""SQLite's errors never leave the journal raw: every public method of `Journal` and of each of
its parts (`journal.imports`, `journal.rows`, …), read or write, turns them into the
exception tree — a damaged file into `JournalDamaged`, anything else SQLite refuses on a read
into `JournalUnreadable` (writes: `JournalFailed`, tested with the pipeline). Real journal
files, really damaged: the root page of every table and index is overwritten on disk, as a
failing disk or a bad copy would leave it."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from cli_support import importer, one_line

# By the folder's name, as test_journal imports its support: tests/record/test_backup.py imports
# this module, and when tests/record runs without tests/journal this folder is not on sys.path.
from journal.test_journal import SHA, record

from importer.errors import JournalDamaged, JournalUnreadable
from importer.journal import AuditEntry, ImportRecord, Journal, NewRow
from importer.journal.server import JournalServer
from importer.outcomes import Outcome

CREDITOR = "5f1a2b3c4d5e6f7a8b9c0d1e"
API = "http://localhost:8080"


def _record() -> ImportRecord:
    return record("imp-1", rows=2, columns=["Fakturanummer", "Belopp", "Kreditfaktura"])


def _request(invoice: str, note: str) -> dict[str, Any]:
    return {
        "creditor": CREDITOR,
        "invoice_number": invoice,
        "currency": "SEK",
        "amount": Decimal("10.00"),
        "origin": "creditor_system",
        "credit_invoice": note,
    }


def _row(row: int, invoice: str, note: str) -> NewRow:
    return NewRow(row, [invoice, "10,00", note], _request(invoice, note))


def written_journal(path: Path | JournalServer) -> None:
    """A journal holding an import whose rows touched every table."""
    with Journal(path) as journal:
        journal.imports.create(_record(), [_row(2, "F-1", "K1"), _row(3, "F-2", "K2")])
        journal.notes.set_source_dialect("imp-1", ";", ",")
        assert journal.claims.take(API, CREDITOR, "K1", "imp-1", 2) is None
        journal.rows.record("imp-1", 2, Outcome.CREDITED, http_status=201, crediting={"_id": "c1"})
        journal.uncertain.note("imp-1", 2)
        journal.rows.replace("imp-1", _row(3, "F-3", "K3"))


def damage_every_table(path: Path) -> None:
    """Overwrite the root page of every table and index (not the schema on page 1) with
    garbage, the way a failing disk would: the journal still opens, every query of its
    tables meets the damage."""
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        (page_size,) = db.execute("PRAGMA page_size").fetchone()
        roots = [root for (root,) in db.execute("SELECT rootpage FROM sqlite_master") if root]
    db.close()
    data = bytearray(path.read_bytes())
    for root in roots:
        assert root > 1
        start = (root - 1) * page_size
        data[start : start + page_size] = b"\xa5" * page_size
    path.write_bytes(bytes(data))


def _with(manager: Any) -> None:
    with manager:
        pass


CALLS: dict[str, Callable[[Journal], object]] = {
    # reads
    "imports.new_id": lambda j: j.imports.new_id(SHA, datetime(2025, 7, 4, tzinfo=UTC)),
    "imports.get": lambda j: j.imports.get("imp-1"),
    "imports.all": lambda j: j.imports.all(),
    "imports.find": lambda j: j.imports.find(SHA, API, state="open"),
    "imports.outcome_counts": lambda j: j.imports.outcome_counts("imp-1"),
    "imports.creditors": lambda j: j.imports.creditors("imp-1"),
    "rows.all": lambda j: j.rows.all("imp-1"),
    "rows.pending": lambda j: list(j.rows.pending("imp-1", [Outcome.NOT_SENT])),
    "rows.chunks": lambda j: list(j.rows.chunks("imp-1", 10)),
    "rows.get": lambda j: j.rows.get("imp-1", 2),
    "figures.flagged": lambda j: j.figures.flagged("imp-1"),
    "history.raw_answers": lambda j: j.history.raw_answers("imp-1", 2),
    "rows.latest_intent": lambda j: j.rows.latest_intent("imp-1"),
    "statuses.awaiting": lambda j: j.statuses.awaiting("imp-1"),
    "statuses.unread": lambda j: j.statuses.unread("imp-1"),
    "history.attempts": lambda j: j.history.attempts("imp-1"),
    "history.original_sources": lambda j: j.history.original_sources("imp-1"),
    "dedupe.has_credited": lambda j: j.dedupe.has_credited(CREDITOR, base_url=API),
    "dedupe.credited_notes": lambda j: j.dedupe.credited_notes(
        API, CREDITOR, ["K1"], exclude_import="x"
    ),
    "dedupe.credited_with_amounts": lambda j: list(
        j.dedupe.credited_with_amounts(API, CREDITOR, [Decimal("10.00")], exclude_import="x")
    ),
    "notes.report_dir": lambda j: j.notes.report_dir("imp-1"),
    "notes.source_dialect": lambda j: j.notes.source_dialect("imp-1"),
    "uncertain.credited": lambda j: j.uncertain.credited("imp-1"),
    "uncertain.credited_twice": lambda j: j.uncertain.credited_twice("imp-1"),
    "figures.row_groups": lambda j: j.figures.row_groups("imp-1"),
    "figures.amounts": lambda j: j.figures.amounts("imp-1"),
    "figures.unread_sources": lambda j: list(j.figures.unread_sources("imp-1")),
    "figure_cache.current": lambda j: j.figure_cache.current(),
    "audit.trail": lambda j: j.audit.trail("imp-1"),
    "audit.resolutions": lambda j: j.audit.resolutions("imp-1"),
    "dedupe.credited_rows_of": lambda j: j.dedupe.credited_rows_of(
        "http://localhost:8080", ["a" * 24]
    ),
    "dedupe.first_attempt_at": lambda j: j.dedupe.first_attempt_at("imp-1", 2),
    "dedupe.sent_references": lambda j: j.dedupe.sent_references(API, CREDITOR, ["R-1"]),
    "dedupe.crediting_owner": lambda j: j.dedupe.crediting_owner("a" * 24),
    "claims.holder": lambda j: j.claims.holder(API, CREDITOR, "K9", "imp-1", 3),
    # writes
    "figure_cache.store": lambda j: j.figure_cache.store([("imp-1", 0, "{}")]),
    "imports.create": lambda j: j.imports.create(_record().model_copy(update={"id": "imp-2"}), []),
    "imports.set_state": lambda j: j.imports.set_state("imp-1", "finished"),
    "imports.add_warning": lambda j: j.imports.add_warning("imp-1", "a warning"),
    "imports.remove_warnings": lambda j: j.imports.remove_warnings("imp-1", {"api_key_refused"}),
    "notes.source_notes": lambda j: j.notes.source_notes("imp-1"),
    "notes.set_source_dialect": lambda j: j.notes.set_source_dialect("imp-1", ",", "."),
    "notes.set_report_dir": lambda j: j.notes.set_report_dir("imp-1", Path("reports")),
    "notes.set_refusal": lambda j: j.notes.set_refusal("imp-1", {"code": "empty", "facts": {}}),
    "rows.mark_intent": lambda j: j.rows.mark_intent("imp-1", 3),
    "rows.record": lambda j: j.rows.record("imp-1", 3, Outcome.NOT_SENT, http_status=503),
    "rows.flag": lambda j: j.rows.flag("imp-1", 2, [], "looked up"),
    "rows.record_verdicts": lambda j: j.rows.record_verdicts(
        "imp-1", [(3, Outcome.DUPLICATE, [], None, "duplicate")]
    ),
    "statuses.record": lambda j: j.statuses.record("imp-1", [(2, {"status": "completed"})]),
    "rows.replace": lambda j: j.rows.replace("imp-1", _row(3, "F-4", "K4")),
    "claims.take": lambda j: j.claims.take(API, CREDITOR, "K9", "imp-1", 3),
    "uncertain.note": lambda j: j.uncertain.note("imp-1", 3),
    "uncertain.forget": lambda j: j.uncertain.forget("imp-1", 2),
    "dedupe.point_at_originals": lambda j: j.dedupe.point_at_originals("imp-1"),
    "locks.acquire": lambda j: j.locks.acquire("imp-1"),
    "locks.release": lambda j: j.locks.release("imp-1"),
    "locks.for_import": lambda j: _with(j.locks.for_import("imp-1")),
    "locks.for_file": lambda j: _with(j.locks.for_file(SHA, API, "credits.csv")),
    "locks.for_claimed": lambda j: _with(j.locks.for_claimed("/inbox/processing/credits.csv")),
    "check_writable": lambda j: j.check_writable(),
    "nights.get": lambda j: j.nights.get("2027-01-14"),
    "nights.update": lambda j: j.nights.update("2027-01-14", lambda stored: "{}"),
    "audit.append": lambda j: j.audit.append(
        "imp-1",
        AuditEntry(
            at=datetime(2026, 12, 7, tzinfo=UTC),
            action="resolve",
            os_user="ops",
            host="batch-1",
            note="handled",
            rows=[2],
        ),
    ),
}


def _public_methods(kind: type) -> set[str]:
    return {
        name for name in dir(kind) if not name.startswith("_") and callable(getattr(kind, name))
    }


def test_every_public_method_of_the_journal_and_of_each_part_is_checked_here(
    tmp_path: Path,
) -> None:
    # A method added to Journal or to one of its parts (`journal.rows`, …), or a part added
    # to Journal, without a line above fails here: add it, and if it reads outside a
    # transaction, mark it `@reads`.
    with Journal(tmp_path / "journal.sqlite") as journal:
        parts = {name: part for name, part in vars(journal).items() if not name.startswith("_")}
    del parts["path"]
    assert all(type(part).__module__.startswith("importer.journal.") for part in parts.values())
    public = _public_methods(Journal) - {"close"}
    public |= {
        f"{name}.{method}" for name, part in parts.items() for method in _public_methods(type(part))
    }
    assert public == set(CALLS)


@pytest.fixture
def damaged_journal(tmp_path: Path) -> Path:
    path = tmp_path / "journal.sqlite"
    written_journal(path)
    damage_every_table(path)
    return path


@pytest.mark.parametrize("method", sorted(CALLS))
def test_a_damaged_journal_is_journal_damaged_from_every_method(
    damaged_journal: Path, method: str
) -> None:
    with Journal(damaged_journal) as journal, pytest.raises(JournalDamaged) as raised:
        CALLS[method](journal)
    assert str(raised.value).startswith(f"journal {damaged_journal}: SQLite reports the file")
    assert "nothing more was sent" in str(raised.value)
    assert isinstance(raised.value.__cause__, sqlite3.DatabaseError)


def test_a_read_sqlite_refuses_for_another_reason_is_journal_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    written_journal(path)
    with Journal(path) as journal:
        assert journal.rows.get("imp-1", 2) is not None
        with sqlite3.connect(path) as by_hand:  # someone "tidying" the file with sqlite3
            by_hand.execute("DROP TABLE attempts")
        by_hand.close()
        with pytest.raises(JournalUnreadable) as raised:
            journal.history.attempts("imp-1")
        assert str(raised.value) == (
            f"journal {path}: cannot be read (no such table: attempts); nothing more was "
            "sent. Once that is fixed, run the same command again: the journal says where "
            "it stopped"
        )
        assert raised.value.exit_code == 3
        assert isinstance(raised.value.__cause__, sqlite3.OperationalError)
        assert journal.rows.get("imp-1", 2) is not None  # the rest still reads


def damage_schema_text(path: Path) -> None:
    """Overwrite one byte of a table's `CREATE` statement on page 1 with a byte that is not
    UTF-8, the way a failing disk would: SQLite then calls the schema malformed and quotes
    the byte in its message, which is no longer text."""
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    data = path.read_bytes()
    assert data.count(b"CREATE TABLE claims (") == 1
    path.write_bytes(data.replace(b"CREATE TABLE claims (", b"CREATE TABLE claims \xff"))


def test_a_damaged_schema_whose_bytes_are_not_text_is_journal_damaged_at_opening(
    tmp_path: Path,
) -> None:
    path = tmp_path / "journal.sqlite"
    written_journal(path)
    damage_schema_text(path)
    with pytest.raises(JournalDamaged) as raised:
        Journal(path)
    assert str(raised.value).startswith(f"journal {path}: SQLite reports the file damaged (")
    assert "nothing more was sent" in str(raised.value)
    assert "\n" not in str(raised.value)

    (tmp_path / "config.yaml").write_text(f"journal:\n  path: {path}\n", encoding="utf-8")
    shown = importer(tmp_path, "show", "imp-1")
    assert shown.returncode == 2
    assert one_line(shown.stderr).startswith(f"importer: journal {path}: SQLite reports the file")
    assert "internal error" not in shown.stderr
