"""SQLite's errors never leave the journal raw: every public method of `Journal`, read or write,
turns them into the exception tree — a damaged file into `JournalDamaged`, anything else
SQLite refuses on a read into `JournalUnreadable` (writes: `JournalFailed`, tested with the
pipeline). Real journal files, really damaged: the root page of every table and index is
overwritten on disk, as a failing disk or a bad copy would leave it."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from importer.errors import JournalDamaged, JournalUnreadable
from importer.journal import AuditEntry, ImportRecord, Journal, NewRow
from importer.journal.server import JournalServer
from importer.outcomes import Outcome

CREDITOR = "5f1a2b3c4d5e6f7a8b9c0d1e"
API = "http://localhost:8080"
SHA = "3fa2c1d9" + "0" * 56


def _record() -> ImportRecord:
    return ImportRecord(
        id="imp-1",
        file_name="credits.csv",
        file_path="/inbox/credits.csv",
        sha256=SHA,
        format="csv",
        rows=2,
        columns=["Fakturanummer", "Belopp", "Kreditfaktura"],
        base_url=API,
        dry_run=False,
        sandbox=False,
        all_or_nothing=False,
        state="open",
        started=datetime(2025, 7, 4, 14, 35, 29, tzinfo=UTC),
        finished=None,
        file_errors=[],
        warnings=[],
    )


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
        journal.create_import(_record(), [_row(2, "F-1", "K1"), _row(3, "F-2", "K2")])
        journal.set_source_dialect("imp-1", ";", ",")
        assert journal.claim(API, CREDITOR, "K1", "imp-1", 2) is None
        journal.record("imp-1", 2, Outcome.CREDITED, http_status=201, crediting={"_id": "c1"})
        journal.note_uncertain("imp-1", 2)
        journal.replace_row("imp-1", _row(3, "F-3", "K3"))


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
    "new_import_id": lambda j: j.new_import_id(SHA, datetime(2025, 7, 4, tzinfo=UTC)),
    "get_import": lambda j: j.get_import("imp-1"),
    "imports": lambda j: j.imports(),
    "find_import": lambda j: j.find_import(SHA, API, state="open"),
    "outcome_counts": lambda j: j.outcome_counts("imp-1"),
    "creditors": lambda j: j.creditors("imp-1"),
    "rows": lambda j: j.rows("imp-1"),
    "pending": lambda j: list(j.pending("imp-1", [Outcome.NOT_SENT])),
    "iter_rows": lambda j: list(j.iter_rows("imp-1", 10)),
    "get_row": lambda j: j.get_row("imp-1", 2),
    "flagged": lambda j: j.flagged("imp-1"),
    "raw_answers": lambda j: j.raw_answers("imp-1", 2),
    "latest_intent": lambda j: j.latest_intent("imp-1"),
    "awaiting_status": lambda j: j.awaiting_status("imp-1"),
    "unread_statuses": lambda j: j.unread_statuses("imp-1"),
    "attempts": lambda j: j.attempts("imp-1"),
    "original_sources": lambda j: j.original_sources("imp-1"),
    "has_credited": lambda j: j.has_credited(CREDITOR, base_url=API),
    "credited_notes": lambda j: j.credited_notes(API, CREDITOR, ["K1"], exclude_import="x"),
    "credited_with_amounts": lambda j: list(
        j.credited_with_amounts(API, CREDITOR, [Decimal("10.00")], exclude_import="x")
    ),
    "report_dir": lambda j: j.report_dir("imp-1"),
    "source_dialect": lambda j: j.source_dialect("imp-1"),
    "uncertain_credited": lambda j: j.uncertain_credited("imp-1"),
    "credited_twice": lambda j: j.credited_twice("imp-1"),
    "row_groups": lambda j: j.row_groups("imp-1"),
    "amounts": lambda j: j.amounts("imp-1"),
    "audit_trail": lambda j: j.audit_trail("imp-1"),
    "resolutions": lambda j: j.resolutions("imp-1"),
    "credited_rows_of": lambda j: j.credited_rows_of("http://localhost:8080", ["a" * 24]),
    "first_attempt_at": lambda j: j.first_attempt_at("imp-1", 2),
    "crediting_owner": lambda j: j.crediting_owner("a" * 24),
    # writes
    "create_import": lambda j: j.create_import(_record().model_copy(update={"id": "imp-2"}), []),
    "set_state": lambda j: j.set_state("imp-1", "finished"),
    "add_warning": lambda j: j.add_warning("imp-1", "a warning"),
    "remove_warnings": lambda j: j.remove_warnings("imp-1", {"api_key_refused"}),
    "source_notes": lambda j: j.source_notes("imp-1"),
    "set_source_dialect": lambda j: j.set_source_dialect("imp-1", ",", "."),
    "set_report_dir": lambda j: j.set_report_dir("imp-1", Path("reports")),
    "mark_intent": lambda j: j.mark_intent("imp-1", 3),
    "record": lambda j: j.record("imp-1", 3, Outcome.NOT_SENT, http_status=503),
    "flag": lambda j: j.flag("imp-1", 2, [], "looked up"),
    "record_verdicts": lambda j: j.record_verdicts(
        "imp-1", [(3, Outcome.DUPLICATE, [], None, "duplicate")]
    ),
    "record_statuses": lambda j: j.record_statuses("imp-1", [(2, {"status": "completed"})]),
    "replace_row": lambda j: j.replace_row("imp-1", _row(3, "F-4", "K4")),
    "claim": lambda j: j.claim(API, CREDITOR, "K9", "imp-1", 3),
    "note_uncertain": lambda j: j.note_uncertain("imp-1", 3),
    "forget_uncertain": lambda j: j.forget_uncertain("imp-1", 2),
    "point_at_originals": lambda j: j.point_at_originals("imp-1"),
    "acquire_lock": lambda j: j.acquire_lock("imp-1"),
    "release_lock": lambda j: j.release_lock("imp-1"),
    "import_lock": lambda j: _with(j.import_lock("imp-1")),
    "file_lock": lambda j: _with(j.file_lock(SHA, API, "credits.csv")),
    "check_writable": lambda j: j.check_writable(),
    "append_audit": lambda j: j.append_audit(
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


def test_every_public_method_of_the_journal_is_checked_here() -> None:
    # A method added to Journal without a line above fails here: add it, and if it reads
    # outside a transaction, mark it `@reads`.
    public = {
        name
        for name in dir(Journal)
        if not name.startswith("_") and callable(getattr(Journal, name))
    }
    assert public - {"close"} == set(CALLS)


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
        assert journal.get_row("imp-1", 2) is not None
        with sqlite3.connect(path) as by_hand:  # someone "tidying" the file with sqlite3
            by_hand.execute("DROP TABLE attempts")
        by_hand.close()
        with pytest.raises(JournalUnreadable) as raised:
            journal.attempts("imp-1")
        assert str(raised.value) == (
            f"journal {path}: cannot be read (no such table: attempts); nothing more was "
            "sent. Once that is fixed, run the same command again: the journal says where "
            "it stopped"
        )
        assert raised.value.exit_code == 3
        assert isinstance(raised.value.__cause__, sqlite3.OperationalError)
        assert journal.get_row("imp-1", 2) is not None  # the rest still reads
