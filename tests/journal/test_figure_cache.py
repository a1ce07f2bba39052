"""The figures a list of imports keeps per import (`journal.figure_cache`) are never wrong:
every write of the journal that changes an import bumps its revision in its own
transaction, so the list after any write equals the figures computed from the rows; a write
made while a list computes leaves the entry it stores stale, never used; the entry of an
unchanged import is used without reading its rows; and a journal that refuses to keep the
figures fails no list. On each backend, real SQLite files and a real server."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from test_journal import record

from importer.journal import AuditEntry, ImportRecord, Journal, NewRow
from importer.journal.server import JournalServer
from importer.outcomes import ImportWarning, Outcome, RowError
from importer.pipeline.history import CACHE_SHAPE, ImportEntry, import_figures, list_imports

CREDITOR = "5f1a2b3c4d5e6f7a8b9c0d1e"
API = "http://localhost:8080"
CREDITING = "64b0c0ffee0000000000c001"
RELEASE_1 = Path(__file__).resolve().parents[1] / "data" / "journals" / "release-1.sqlite"


def _record(import_id: str = "imp-1") -> ImportRecord:
    return record(import_id, rows=4, columns=["invoice_number", "amount", "credit_invoice"])


def _row(row: int, invoice: str, amount: str, note: str) -> NewRow:
    request: dict[str, Any] = {
        "creditor": CREDITOR,
        "invoice_number": invoice,
        "currency": "SEK",
        "amount": Decimal(amount),
        "origin": "creditor_system",
        "credit_invoice": note,
    }
    return NewRow(row, [invoice, amount.replace(".", ","), note], request)


def _invalid(row: int) -> NewRow:
    error = RowError(field="amount", code="amount_not_a_number", message="not a number")
    return NewRow(row, ["F-9", "12,50 kr", "K9"], None, [error], Outcome.INVALID)


def written(journal: Journal) -> None:
    """imp-1: row 2 credited (settled), 3 and 4 not sent, 5 invalid; imp-2 beside it."""
    rows = [_row(2, "F-1", "10.00", "K1"), _row(3, "F-2", "20.50", "K2")]
    journal.imports.create(_record(), [*rows, _row(4, "F-3", "0.10", "K3"), _invalid(5)])
    journal.notes.set_source_dialect("imp-1", ";", ",", {"amount_column": 1})
    crediting = {"_id": CREDITING, "status": "completed", "settled_amount": "10.00"}
    journal.rows.record("imp-1", 2, Outcome.CREDITED, http_status=201, crediting=crediting)
    journal.uncertain.note("imp-1", 2)
    journal.imports.create(_record("imp-2"), [_row(2, "F-7", "7.00", "K7")])


def _resolve(rows: list[int], action: str = "resolve") -> AuditEntry:
    return AuditEntry.model_validate(
        {
            "at": datetime(2026, 12, 7, tzinfo=UTC),
            "action": action,
            "os_user": "ops",
            "host": "batch-1",
            "note": "handled by phone",
            "rows": rows,
        }
    )


def _duplicate_waiting(journal: Journal) -> None:
    pointer = {"file_import_report": "imp-1", "row": 2}
    journal.rows.record_verdicts("imp-1", [(3, Outcome.DUPLICATE, [], pointer, "duplicate")])
    journal.dedupe.point_at_originals("imp-1")


TWICE = RowError(field="_id", code="credited_twice", message="credited twice")

WRITES: dict[str, Callable[[Journal], object]] = {
    "imports.set_state": lambda j: j.imports.set_state("imp-1", "finished", datetime.now(UTC)),
    "imports.add_warning": lambda j: j.imports.add_warning(
        "imp-1", ImportWarning(code="all_or_nothing", message="held back")
    ),
    "imports.remove_warnings": lambda j: (
        j.imports.add_warning("imp-1", ImportWarning(code="all_or_nothing", message="held")),
        list_imports(j),  # kept with the warning: removing it must be seen
        j.imports.remove_warnings("imp-1", {"all_or_nothing"}),
    ),
    "notes.set_source_dialect": lambda j: j.notes.set_source_dialect("imp-1", ",", "."),
    "notes.set_refusal": lambda j: j.notes.set_refusal("imp-1", {"code": "empty", "facts": {}}),
    "rows.mark_intent": lambda j: j.rows.mark_intent("imp-1", 3),
    "rows.record": lambda j: j.rows.record(
        "imp-1", 3, Outcome.CREDITED, http_status=201, crediting={"_id": "c" * 24}
    ),
    "rows.flag": lambda j: j.rows.flag("imp-1", 2, [TWICE], "credited 2 times"),
    "rows.record_verdicts": lambda j: j.rows.record_verdicts(
        "imp-1", [(3, Outcome.DUPLICATE, [], None, "duplicate"), (4, Outcome.INVALID, [], None, "")]
    ),
    "rows.replace": lambda j: j.rows.replace("imp-1", _row(5, "F-9", "12.50", "K9")),
    "statuses.record": lambda j: j.statuses.record(
        "imp-1", [(2, {"status": "warning", "settled_amount": 4.5})]
    ),
    "claims.take": lambda j: j.claims.take(API, CREDITOR, "K2", "imp-1", 3),
    "uncertain.note": lambda j: j.uncertain.note("imp-1", 3),
    "uncertain.forget": lambda j: j.uncertain.forget("imp-1", 2),
    "dedupe.point_at_originals": _duplicate_waiting,
    "audit.append": lambda j: j.audit.append("imp-1", _resolve([3, 5])),
    "audit.append (reopen)": lambda j: (
        j.audit.append("imp-1", _resolve([3, 5])),
        list_imports(j),
        j.audit.append("imp-1", _resolve([5], "reopen")),
    ),
}
"""Every write of the journal that changes an import, as a list of imports sees it after."""

UNBUMPED = {
    "imports.create": "a new import: revision 0, nothing kept for it yet",
    "notes.set_report_dir": "no figure reads the report's folder",
    "figure_cache.store": "the cache itself",
    "locks.acquire": "a lock changes no figure",
    "locks.release": "a lock changes no figure",
    "locks.for_import": "a lock changes no figure",
    "locks.for_file": "a lock changes no figure",
    "locks.for_claimed": "a lock changes no figure",
    "nights.update": "a night's summary belongs to no import",
    "check_writable": "writes the journal's own note",
}


def from_scratch(journal: Journal) -> list[dict[str, Any]]:
    """Every import's entry computed from its rows, as before any cache."""
    return [
        ImportEntry(r, journal.imports.outcome_counts(r.id), import_figures(journal, r)).as_json()
        for r in journal.imports.all()
    ]


def listed(journal: Journal) -> list[dict[str, Any]]:
    return [entry.as_json() for entry in list_imports(journal)]


def test_every_write_of_the_journal_either_bumps_or_says_why_not(tmp_path: Path) -> None:
    # A write added to a part of the journal without a line in WRITES (tested below) or
    # UNBUMPED (with its reason) fails here. Reads are marked `@reads` (they wrap).
    with Journal(tmp_path / "journal.sqlite") as journal:
        parts = {n: type(p) for n, p in vars(journal).items() if not n.startswith("_")}
    del parts["path"]
    writes = {
        f"{name}.{method}"
        for name, kind in parts.items()
        for method in dir(kind)
        if not method.startswith("_")
        and callable(getattr(kind, method))
        and not hasattr(getattr(kind, method), "__wrapped__")
    } | {"check_writable"}
    assert writes == {name.split(" ")[0] for name in WRITES} | set(UNBUMPED)


@pytest.mark.parametrize("write", sorted(WRITES))
def test_after_each_write_the_list_equals_the_figures_from_scratch(
    journal_place: Path | JournalServer, write: str
) -> None:
    with Journal(journal_place) as journal:
        written(journal)
        kept = listed(journal)
        assert kept == from_scratch(journal)
        before = journal.figure_cache.current()
        assert all(entry.figures is not None for entry in before.values())  # both kept
        WRITES[write](journal)
        after = journal.figure_cache.current()
        assert after["imp-1"].revision > before["imp-1"].revision
        assert after["imp-1"].figures is None  # the entry kept is for another revision
        assert after["imp-2"] == before["imp-2"]  # the other import's entry stands
        assert listed(journal) == from_scratch(journal)


def test_a_write_that_changes_the_figures_is_seen_by_the_next_list(
    journal_place: Path | JournalServer,
) -> None:
    with Journal(journal_place) as journal:
        written(journal)
        first = listed(journal)[0]
        journal.rows.record("imp-1", 3, Outcome.CREDITED, http_status=201, crediting={})
        second = listed(journal)[0]
    assert (first["amount_credited"], second["amount_credited"]) == ("10.00", "30.50")
    assert (first["outcomes"]["credited"], second["outcomes"]["credited"]) == (1, 2)


def test_an_unchanged_import_is_listed_from_its_kept_figures_without_reading_its_rows(
    tmp_path: Path,
) -> None:
    path = tmp_path / "journal.sqlite"
    with Journal(path) as journal:
        written(journal)
        first = listed(journal)
    # rows taken away behind the journal's back (no revision bumped): a list that read
    # them would show it
    with sqlite3.connect(path) as by_hand:
        by_hand.execute("DELETE FROM rows WHERE import_id = 'imp-1'")
    by_hand.close()
    with Journal(path) as journal:
        assert listed(journal) == first
        journal.imports.set_state("imp-1", "open")  # a write: computed again, from the rows
        again = listed(journal)
    assert again[0]["outcomes"] == dict.fromkeys(again[0]["outcomes"], 0)
    assert again[1] == first[1]


def test_a_write_while_the_list_computes_leaves_the_kept_entry_stale_not_wrong(
    journal_place: Path | JournalServer,
) -> None:
    with Journal(journal_place) as journal, Journal(journal_place) as other_host:
        written(journal)
        amounts = journal.figures.amounts

        def amounts_then_a_write(import_id: str) -> Any:
            found = amounts(import_id)
            if import_id == "imp-1":  # read; now another importer credits a row
                other_host.rows.record("imp-1", 4, Outcome.CREDITED, http_status=201)
            return found

        journal.figures.amounts = amounts_then_a_write  # type: ignore[method-assign]
        listed(journal)
        journal.figures.amounts = amounts  # type: ignore[method-assign]
        assert journal.figure_cache.current()["imp-1"].figures is None
        assert listed(journal) == from_scratch(journal)
        assert listed(journal)[0]["outcomes"]["credited"] == 2


def test_a_journal_that_refuses_to_keep_the_figures_fails_no_list(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    with Journal(path) as journal:
        written(journal)
    with sqlite3.connect(path) as by_hand:  # every write of the cache refused, as a full disk
        by_hand.execute(
            "CREATE TRIGGER full BEFORE INSERT ON import_figures"
            " BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
        )
    by_hand.close()
    with Journal(path) as journal:
        assert listed(journal) == from_scratch(journal)
        assert all(entry.figures is None for entry in journal.figure_cache.current().values())


def test_a_dry_run_is_never_kept(journal_place: Path | JournalServer) -> None:
    with Journal(journal_place) as journal:
        journal.imports.create(_record().model_copy(update={"dry_run": True}), [])
        assert listed(journal) == from_scratch(journal)
        assert journal.figure_cache.current()["imp-1"].figures is None


def test_figures_kept_in_another_shape_are_computed_again(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    with Journal(path) as journal:
        written(journal)
        first = listed(journal)
    with sqlite3.connect(path) as by_hand:  # an older rule's entry, and one that does not read
        by_hand.execute(
            "UPDATE import_figures SET figures = replace(figures, ?, 'figures-1')"
            " WHERE import_id = 'imp-1'",
            (CACHE_SHAPE,),
        )
        by_hand.execute("UPDATE import_figures SET figures = '{' WHERE import_id = 'imp-2'")
    by_hand.close()
    with Journal(path) as journal:
        assert listed(journal) == first
        assert all(entry.figures is not None for entry in journal.figure_cache.current().values())


def test_the_release_journal_lists_the_same_figures_kept_as_from_its_rows(
    tmp_path: Path,
) -> None:
    path = tmp_path / "journal.sqlite"
    shutil.copyfile(RELEASE_1, path)
    with Journal(path) as journal:
        first = listed(journal)  # computed from the rows, then kept
        assert first == from_scratch(journal)
        assert len(first) == 3
        assert all(e.figures is not None for e in journal.figure_cache.current().values())
        assert listed(journal) == first  # from what was kept


def _kept_by_hand(path: Path, import_id: str, change: Callable[[dict[str, Any]], object]) -> None:
    with sqlite3.connect(path) as by_hand:
        (text,) = by_hand.execute(
            "SELECT figures FROM import_figures WHERE import_id=?", (import_id,)
        ).fetchone()
        kept = json.loads(text)
        change(kept)
        by_hand.execute(
            "UPDATE import_figures SET figures=? WHERE import_id=?", (json.dumps(kept), import_id)
        )
    by_hand.close()


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda kept: kept.update(amounts=["NaN", "sNaN", "Infinity"]), id="no-number"),
        pytest.param(lambda kept: kept["amounts"].__setitem__(0, "-Infinity"), id="infinite"),
        pytest.param(
            lambda kept: kept.update(outcomes={k: -5 for k in kept["outcomes"]}), id="negative"
        ),
        pytest.param(
            lambda kept: kept["attention"].__setitem__("invalid", -1), id="negative-attention"
        ),
        pytest.param(lambda kept: kept.update(resolved=-2), id="negative-resolved"),
    ],
)
def test_kept_figures_that_no_rows_could_give_are_computed_again(
    tmp_path: Path, change: Callable[[dict[str, Any]], object]
) -> None:
    # A money figure of NaN or Infinity, or a count below zero, is no import's: shown, it
    # would be read as the import's figures. Such an entry is computed from the rows again.
    path = tmp_path / "journal.sqlite"
    with Journal(path) as journal:
        written(journal)
        first = listed(journal)
    _kept_by_hand(path, "imp-1", change)
    with Journal(path) as journal:
        assert listed(journal) == first == from_scratch(journal)


def test_kept_figures_nested_past_what_json_reads_are_computed_again(tmp_path: Path) -> None:
    # json.loads raises RecursionError, not ValueError, on an array nested 100,000 deep:
    # the list ended in a raw RecursionError (every command writes the overview).
    path = tmp_path / "journal.sqlite"
    with Journal(path) as journal:
        written(journal)
        first = listed(journal)
    with sqlite3.connect(path) as by_hand:
        by_hand.execute(
            "UPDATE import_figures SET figures=? WHERE import_id='imp-1'", ("[" * 100_000,)
        )
    by_hand.close()
    with Journal(path) as journal:
        assert listed(journal) == first
