"""The SQLite journal: what is written is what is read back, a row's
intent survives the process being killed, and two processes never work on one import.

Real SQLite files in tmp_path; crashes and rival lock holders are real subprocesses."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from journal.journal_place_support import HOLD_LOCK, PLACE_SCRIPT, place_arg

from importer.errors import ImporterError, ImportLocked
from importer.journal import ImportRecord, Journal, NewRow
from importer.journal.server import JournalServer
from importer.outcomes import ImportWarning, Outcome, RowError

CREDITOR = "5f1a2b3c4d5e6f7a8b9c0d1e"
OTHER_CREDITOR = "0123456789abcdef01234567"
SHA = "3fa2c1d9" + "0" * 56
BASE_URL = "http://localhost:8080"  # an API identity, as a target names it
STARTED = datetime(2025, 7, 4, 14, 35, 29, 123000, tzinfo=UTC)


def record(import_id: str, **overrides) -> ImportRecord:
    values = dict(
        id=import_id,
        file_name="credits.csv",
        file_path="/inbox/credits.csv",
        sha256=SHA,
        format="csv",
        rows=3,
        columns=["Fakturanummer", "Belopp", "Notering"],
        base_url=BASE_URL,
        dry_run=False,
        sandbox=False,
        all_or_nothing=False,
        state="open",
        started=STARTED,
        finished=None,
        file_errors=[],
        warnings=[],
    )
    values.update(overrides)
    return ImportRecord(**values)


def request(invoice: str, amount: str, **extra: str) -> dict:
    return {
        "creditor": CREDITOR,
        "invoice_number": invoice,
        "currency": "SEK",
        "amount": Decimal(amount),
        "origin": "creditor_system",
        **extra,
    }


def three_rows() -> list[NewRow]:
    return [
        NewRow(2, ["F-1001", "100.00", "a"], request("F-1001", "100.00", credit_invoice="K1")),
        NewRow(
            3,
            ["", "zero", "b"],
            None,
            [RowError(field="amount", code="amount_not_a_number", message="not a number")],
            Outcome.INVALID,
        ),
        NewRow(4, ["F-1002", "0.10", "c"], request("F-1002", "0.10", credit_invoice="K2")),
    ]


@pytest.fixture
def journal(journal_place: Path | JournalServer):
    with Journal(journal_place) as j:
        yield j


def run_python(code: str, *args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


# ------------------------------------------------------------------ imports and rows


def test_import_and_rows_read_back_exactly(journal_place: Path | JournalServer) -> None:
    path = journal_place
    if isinstance(path, Path):
        path = path.parent / "sub" / "journal.sqlite"  # the folder is created
    rec = record(
        "imp-1",
        warnings=[
            ImportWarning(
                code="columns_not_sent",
                message="column(s) account are set by Amili and were not sent",
            ),
            ImportWarning(code="total_row_left_out", message="Summa", rows=[9], amount="10.00"),
        ],
        file_errors=[RowError(field="", code="file_rejected", message="Åtgärda filen")],
    )
    with Journal(path) as j:
        j.imports.create(rec, three_rows())
    with Journal(path) as j:  # read from disk, not from a cache
        got = j.imports.get("imp-1")
        rows = j.rows.all("imp-1")
    assert got == rec
    assert got.started == STARTED  # milliseconds and the time zone survive
    assert [r.row for r in rows] == [2, 3, 4]
    assert [r.outcome for r in rows] == [Outcome.NOT_SENT, Outcome.INVALID, Outcome.NOT_SENT]
    assert rows[0].request == request("F-1001", "100.00", credit_invoice="K1")
    amount = rows[2].request["amount"]
    assert isinstance(amount, Decimal)
    assert str(amount) == "0.10"
    assert rows[1].request is None
    assert rows[1].errors == [
        RowError(field="amount", code="amount_not_a_number", message="not a number")
    ]
    assert rows[0].errors == []
    assert rows[0].source == ["F-1001", "100.00", "a"]


def test_case_id_request_round_trips(journal: Journal) -> None:
    by_case = {
        "creditor": CREDITOR,
        "case": "64b0c0ffee00000000000001",
        "currency": "SEK",
        "amount": Decimal("1234567.89"),
        "origin": "creditor_system",
        "client_registration_date": "Fri, 04 Jul 2025 14:35:29 GMT",
        "creditor_reference": "ref-ö-1",
    }
    journal.imports.create(record("imp-1"), [NewRow(2, ["x"], by_case)])
    assert journal.rows.get("imp-1", 2).request == by_case
    assert journal.rows.get("imp-1", 3) is None


@pytest.mark.parametrize(
    "cells",
    [
        ["plain", "cells"],
        ["Ärende å ä ö", "Belopp: 1 234,50 kr", "日本語 😀"],
        ["a\x1fb", "c"],  # the unit separator inside a cell
        ["\x1f", "", "\x1f\x1f"],
        ["", "", ""],
        [""],
        ["only"],
        [],
        ['{"json": [1, 2]}', "J", "U"],  # looks like the packed forms
    ],
)
def test_source_cells_round_trip(journal_place: Path | JournalServer, cells: list[str]) -> None:
    path = journal_place
    with Journal(path) as j:
        j.imports.create(record("imp-1"), [NewRow(2, cells, None, outcome=Outcome.INVALID)])
    with Journal(path) as j:
        assert j.rows.get("imp-1", 2).source == cells


def test_rows_filter_by_outcome_and_counts(journal: Journal) -> None:
    journal.imports.create(record("imp-1"), three_rows())
    journal.imports.create(record("imp-2"), three_rows())  # another import is not counted
    journal.rows.record("imp-1", 4, Outcome.REJECTED, http_status=422)
    assert [r.row for r in journal.rows.all("imp-1", [Outcome.NOT_SENT])] == [2]
    assert [r.row for r in journal.rows.all("imp-1", [Outcome.INVALID, Outcome.REJECTED])] == [3, 4]
    assert journal.rows.all("imp-1", [Outcome.CREDITED]) == []
    assert journal.rows.all("imp-1", []) == []
    counts = journal.imports.outcome_counts("imp-1")
    assert counts[Outcome.NOT_SENT] == 1
    assert counts[Outcome.INVALID] == 1
    assert counts[Outcome.REJECTED] == 1
    assert sum(counts.values()) == 3
    assert set(counts) == set(Outcome)


def test_pending_rows_come_in_order_a_chunk_at_a_time_while_they_change(
    journal: Journal,
) -> None:
    rows = [
        NewRow(n, [f"F{n}"], {"invoice_number": f"F{n}", "amount": Decimal(1)}) for n in range(2, 9)
    ]
    rows[2] = NewRow(4, ["bad"], None, outcome=Outcome.INVALID)
    journal.imports.create(record("imp-1"), rows)
    journal.imports.create(record("imp-2"), rows)  # another import's rows are not handed out
    journal.rows.mark_intent("imp-1", 6)  # a request whose answer never came: still to settle
    seen = []
    for jrow in journal.rows.pending("imp-1", [Outcome.NOT_SENT, Outcome.UNKNOWN], size=2):
        seen.append((jrow.row, jrow.outcome))
        journal.rows.record("imp-1", jrow.row, Outcome.CREDITED)  # the loop settles each row
    assert seen == [
        (2, Outcome.NOT_SENT), (3, Outcome.NOT_SENT), (5, Outcome.NOT_SENT),
        (6, Outcome.UNKNOWN), (7, Outcome.NOT_SENT), (8, Outcome.NOT_SENT),
    ]  # fmt: skip
    assert list(journal.rows.pending("imp-1", [Outcome.NOT_SENT, Outcome.UNKNOWN])) == []
    assert list(journal.rows.pending("imp-1", [])) == []


def test_each_row_keeps_when_its_last_request_left(journal: Journal) -> None:
    # The settle time runs per row from its own last attempt.
    journal.imports.create(record("imp-1"), three_rows())
    assert journal.rows.get("imp-1", 2).intent_at is None  # type: ignore[union-attr]
    journal.rows.mark_intent("imp-1", 2)
    first = journal.rows.get("imp-1", 2).intent_at  # type: ignore[union-attr]
    assert first is not None
    assert first.tzinfo is not None
    journal.rows.mark_intent("imp-1", 2)  # posted again
    again = journal.rows.get("imp-1", 2)
    assert again is not None
    assert again.intent_at is not None
    assert again.intent_at >= first
    assert again.outcome is Outcome.UNKNOWN
    assert journal.rows.get("imp-1", 4).intent_at is None  # type: ignore[union-attr]


def test_create_import_is_all_or_nothing(journal: Journal) -> None:
    rows = three_rows()
    rows.append(NewRow(2, ["again"], None, outcome=Outcome.INVALID))  # primary key clash
    with pytest.raises((sqlite3.IntegrityError, ImporterError)):
        journal.imports.create(record("imp-1"), rows)
    assert journal.imports.get("imp-1") is None
    assert journal.rows.all("imp-1") == []


def test_rows_made_while_they_are_stored_that_fail_midway_leave_no_import(
    journal: Journal,
) -> None:
    # An import's rows are made block by block as the journal stores them (only a block's
    # requests alive at once): a failure after some rows are in leaves no half import.
    def made() -> Iterator[NewRow]:
        yield from three_rows()
        raise MemoryError("the fourth row could not be made")

    with pytest.raises(MemoryError):
        journal.imports.create(record("imp-1"), made())
    assert journal.imports.get("imp-1") is None
    assert journal.rows.all("imp-1") == []
    journal.imports.create(record("imp-1"), three_rows())  # the id was never taken
    assert [r.row for r in journal.rows.all("imp-1")] == [r.row for r in three_rows()]


# ----------------------------------------------------------------- intent and outcome


CRASH_AFTER_INTENT = (
    PLACE_SCRIPT
    + """
import os, signal, sys
from importer.journal import Journal
from importer.outcomes import Outcome
j = Journal(journal_place(sys.argv[1]))
j.rows.record("imp-1", 2, Outcome.CREDITED, http_status=201, crediting={"_id": "a" * 24})
j.rows.mark_intent("imp-1", 4)
if sys.argv[2] == "kill":
    os.kill(os.getpid(), signal.SIGKILL)
os._exit(0)
"""
)


@pytest.mark.parametrize("how", ["kill", "exit"])
def test_intent_survives_a_crash(journal_place: Path | JournalServer, how: str) -> None:
    path = journal_place
    with Journal(path) as j:
        j.imports.create(record("imp-1"), three_rows())
    proc = run_python(CRASH_AFTER_INTENT, place_arg(path), how)
    _, err = proc.communicate(timeout=30)
    expected = -signal.SIGKILL if how == "kill" else 0
    assert proc.returncode == expected, err
    with Journal(path) as j:
        rows = {r.row: r for r in j.rows.all("imp-1")}
    assert rows[2].outcome is Outcome.CREDITED
    assert rows[2].crediting_id == "a" * 24
    assert rows[4].outcome is Outcome.UNKNOWN  # sent or not: must be looked up, not reposted
    assert rows[4].request == request("F-1002", "0.10", credit_invoice="K2")
    assert rows[3].outcome is Outcome.INVALID


def test_mark_intent_makes_the_row_unknown(journal: Journal) -> None:
    journal.imports.create(record("imp-1"), three_rows())
    journal.rows.mark_intent("imp-1", 2)
    assert journal.rows.get("imp-1", 2).outcome is Outcome.UNKNOWN
    assert journal.rows.get("imp-1", 4).outcome is Outcome.NOT_SENT
    assert journal.imports.outcome_counts("imp-1")[Outcome.UNKNOWN] == 1


def test_record_stores_crediting_fields_and_attempts(journal: Journal) -> None:
    journal.imports.create(record("imp-1"), three_rows())
    journal.rows.mark_intent("imp-1", 2)
    journal.rows.record("imp-1", 2, Outcome.UNKNOWN, note="no answer within the read timeout")
    crediting = {
        "_id": "6b05fcd187c57bc7cb84475a",
        "status": "warning",
        "status_reason_locale": "crediting.amount_exceeds_remaining",
        "settled_amount": Decimal("300.00"),
        "case_invoice_number": "F-1002",
        "case_reference_number": "70010002",
    }
    journal.rows.record(
        "imp-1", 2, Outcome.CREDITED, http_status=201, crediting=crediting, note="reconciled"
    )
    errors = [RowError(field="invoice_number", code="api_rejected", message="okänt ärende")]
    journal.rows.record("imp-1", 4, Outcome.REJECTED, http_status=422, errors=errors)
    journal.rows.record("imp-1", 3, Outcome.INVALID, errors=[], attempt=False)

    row = journal.rows.get("imp-1", 2)
    assert row.outcome is Outcome.CREDITED
    assert row.crediting_id == "6b05fcd187c57bc7cb84475a"
    assert row.status == "warning"
    assert row.status_reason_locale == "crediting.amount_exceeds_remaining"
    assert row.settled_amount == Decimal("300.00")
    assert str(row.settled_amount) == "300.00"
    assert row.case_invoice_number == "F-1002"
    assert row.case_reference_number == "70010002"
    assert row.http_status == 201
    assert row.request == request("F-1001", "100.00", credit_invoice="K1")  # untouched

    rejected = journal.rows.get("imp-1", 4)
    assert rejected.outcome is Outcome.REJECTED
    assert rejected.errors == errors
    assert rejected.http_status == 422
    assert rejected.crediting_id is None

    attempts = journal.history.attempts("imp-1")
    assert [(a[1], a[2], a[3]) for a in attempts[2]] == [
        ("unknown", None, "no answer within the read timeout"),
        ("credited", 201, "reconciled"),
    ]
    assert [(a[1], a[2]) for a in attempts[4]] == [("rejected", 422)]
    assert 3 not in attempts  # attempt=False records no attempt
    for at, *_ in attempts[2]:
        assert datetime.fromisoformat(at).tzinfo is not None


def test_record_float_settled_amount_is_exact_text(journal: Journal) -> None:
    journal.imports.create(record("imp-1"), three_rows())
    journal.rows.record(
        "imp-1", 2, Outcome.CREDITED, crediting={"_id": "b" * 24, "settled_amount": 0.3}
    )
    assert journal.rows.get("imp-1", 2).settled_amount == Decimal("0.3")


def test_statuses_read_back_update_status_only(journal: Journal) -> None:
    journal.imports.create(record("imp-1"), three_rows())
    journal.rows.record("imp-1", 2, Outcome.CREDITED, http_status=201, crediting={"_id": "c" * 24})
    journal.rows.record("imp-1", 3, Outcome.CREDITED, http_status=201, crediting={"_id": "d" * 24})
    assert journal.statuses.awaiting("imp-1") == [(2, "c" * 24), (3, "d" * 24)]
    read = {"status": "completed", "settled_amount": Decimal("100.00"), "case_invoice_number": "F1"}
    journal.statuses.record("imp-1", [(2, read)])
    row = journal.rows.get("imp-1", 2)
    assert (row.outcome, row.crediting_id, row.status) == (
        Outcome.CREDITED,
        "c" * 24,
        "completed",
    )
    assert row.settled_amount == Decimal("100.00")
    assert row.case_invoice_number == "F1"
    assert len(journal.history.attempts("imp-1")[2]) == 1  # a status read is not an attempt
    assert journal.statuses.awaiting("imp-1") == [(3, "d" * 24)]


def test_duplicate_of_round_trips(journal: Journal) -> None:
    journal.imports.create(record("imp-1"), three_rows())
    original = {"file_import_report": "imp-0", "row": 7, "_id": "d" * 24}
    journal.rows.record("imp-1", 4, Outcome.DUPLICATE, duplicate_of=original)
    assert journal.rows.get("imp-1", 4).duplicate_of == original
    assert journal.rows.get("imp-1", 2).duplicate_of is None


# ------------------------------------------------------------------------ lookups


def test_credited_notes_across_imports(journal: Journal) -> None:
    journal.imports.create(record("imp-1"), three_rows())
    journal.imports.create(record("imp-2"), three_rows())
    other = [
        NewRow(
            2,
            ["x"],
            {**request("F-1001", "1.00"), "creditor": OTHER_CREDITOR, "credit_invoice": "K1"},
        )
    ]
    journal.imports.create(record("imp-3"), other)

    def found(creditor: str, notes: list[str], *, api: str = BASE_URL, but: str = "new") -> dict:
        return {
            note: (c.import_id, c.row, c.crediting_id, c.request["amount"])
            for note, c in journal.dedupe.credited_notes(
                api, creditor, notes, exclude_import=but
            ).items()
        }

    # not credited yet anywhere: rows that were only read, rejected or unknown do not count
    assert found(CREDITOR, ["K1"]) == {}
    journal.rows.record("imp-1", 2, Outcome.REJECTED, http_status=422)
    journal.rows.mark_intent("imp-2", 2)
    assert found(CREDITOR, ["K1"]) == {}
    assert not journal.dedupe.has_credited(CREDITOR, base_url=BASE_URL)

    journal.rows.record("imp-2", 2, Outcome.CREDITED, crediting={"_id": "e" * 24})
    assert found(CREDITOR, ["K1", "K2"]) == {"K1": ("imp-2", 2, "e" * 24, Decimal("100.00"))}
    assert found(CREDITOR, ["K1"], but="imp-2") == {}  # an import's own rows are not "earlier"
    assert found(OTHER_CREDITOR, ["K1"]) == {}  # per creditor

    journal.rows.record("imp-1", 2, Outcome.CREDITED, crediting={"_id": "f" * 24})
    assert found(CREDITOR, ["K1"]) == {"K1": ("imp-1", 2, "f" * 24, Decimal("100.00"))}  # first
    # per API: a credit note credited in the sandbox does not block the real one
    assert found(CREDITOR, ["K1"], api="sandbox") == {}
    assert journal.dedupe.has_credited(CREDITOR, base_url=BASE_URL)
    assert (
        journal.dedupe.has_credited(CREDITOR, base_url=BASE_URL, exclude_import="imp-1")
        is not False
    )
    assert not journal.dedupe.has_credited(CREDITOR, base_url="sandbox")
    assert not journal.dedupe.has_credited(OTHER_CREDITOR, base_url=BASE_URL)
    amounts = journal.dedupe.credited_with_amounts(
        BASE_URL, CREDITOR, [Decimal("100.00")], exclude_import="imp-2"
    )
    assert [(c.import_id, c.row) for c in amounts] == [("imp-1", 2)]


def test_a_credit_note_is_claimed_by_one_row_in_flight_or_credited(journal: Journal) -> None:
    journal.imports.create(record("imp-1"), three_rows())
    journal.imports.create(record("imp-2"), three_rows())
    assert journal.claims.holder(BASE_URL, CREDITOR, "K1", "imp-2", 2) is None  # unclaimed
    assert journal.claims.take(BASE_URL, CREDITOR, "K1", "imp-1", 2) is None  # claimed, intent set
    assert journal.rows.get("imp-1", 2).outcome is Outcome.UNKNOWN  # type: ignore[union-attr]
    # asking who holds it claims nothing, and a row's own claim is not another's
    asked = journal.claims.holder(BASE_URL, CREDITOR, "K1", "imp-2", 2)
    assert asked is not None
    assert (asked.import_id, asked.row) == ("imp-1", 2)
    assert journal.rows.get("imp-2", 2).outcome is Outcome.NOT_SENT  # type: ignore[union-attr]
    assert journal.claims.holder(BASE_URL, CREDITOR, "K1", "imp-1", 2) is None
    holder = journal.claims.take(BASE_URL, CREDITOR, "K1", "imp-2", 2)
    assert holder is not None
    assert (holder.import_id, holder.row) == ("imp-1", 2)
    assert journal.rows.get("imp-2", 2).outcome is Outcome.NOT_SENT  # type: ignore[union-attr]
    assert journal.claims.take("sandbox", CREDITOR, "K1", "imp-2", 2) is None  # another API
    journal.rows.record("imp-1", 2, Outcome.REJECTED, http_status=422)  # certainly not stored
    assert journal.claims.holder(BASE_URL, CREDITOR, "K1", "imp-2", 2) is None  # a stale claim
    assert journal.claims.take(BASE_URL, CREDITOR, "K1", "imp-2", 2) is None


def test_a_reference_counts_as_sent_by_the_journal_only_when_its_row_was_sent_and_credited(
    journal: Journal,
) -> None:
    """`sent_references`: credited through this journal (its intent recorded), not merely
    found credited at the API, as after a lost journal."""
    rows = [
        NewRow(2, ["F-1"], request("F-1", "1.00", creditor_reference="R-sent")),
        NewRow(3, ["F-2"], request("F-2", "2.00", creditor_reference="R-found")),
        NewRow(4, ["F-3"], request("F-3", "3.00", creditor_reference="R-open")),
    ]
    journal.imports.create(record("imp-1"), rows)
    journal.rows.mark_intent("imp-1", 2)
    journal.rows.record("imp-1", 2, Outcome.CREDITED, http_status=201, crediting={"_id": "a" * 24})
    journal.rows.record("imp-1", 3, Outcome.CREDITED, crediting={"_id": "b" * 24})  # found only
    assert journal.dedupe.sent_references(BASE_URL, CREDITOR, ["R-x", "R-sent"])
    assert not journal.dedupe.sent_references(BASE_URL, CREDITOR, ["R-found", "R-open"])
    assert not journal.dedupe.sent_references("sandbox", CREDITOR, ["R-sent"])
    assert not journal.dedupe.sent_references(BASE_URL, OTHER_CREDITOR, ["R-sent"])


CLAIM_RACE = (
    PLACE_SCRIPT
    + """
import sys
from importer.journal import Journal
j = Journal(journal_place(sys.argv[1]))
import_id, notes = sys.argv[2], int(sys.argv[3])
print("ready", flush=True)
sys.stdin.readline()  # every racer connected: go
api, creditor = "http://localhost:8080", "5f1a2b3c4d5e6f7a8b9c0d1e"
won = [n for n in range(notes)
       if j.claims.take(api, creditor, f"K{n}", import_id, n + 2) is None]
print(" ".join(map(str, won)), flush=True)
"""
)


def test_importers_racing_for_the_same_credit_notes_each_win_a_note_once(
    journal_place: Path | JournalServer,
) -> None:
    # Two hosts posting different files with the same credit notes: each process claims
    # every note at once; whatever the interleaving, each note has one winner.
    notes = 150
    rows = [
        NewRow(n + 2, [f"F{n}"], request(f"F{n}", "1.00", credit_invoice=f"K{n}"))
        for n in range(notes)
    ]
    with Journal(journal_place) as j:
        for import_id in ("imp-1", "imp-2", "imp-3"):
            j.imports.create(record(import_id), rows)
    racers = [
        run_python(CLAIM_RACE, place_arg(journal_place), import_id, str(notes))
        for import_id in ("imp-1", "imp-2", "imp-3")
    ]
    for racer in racers:
        assert racer.stdout.readline().strip() == "ready", racer.stderr.read()
    for racer in racers:
        racer.stdin.write("go\n")
        racer.stdin.flush()
    won = []
    for racer in racers:
        out, err = racer.communicate(timeout=120)
        assert racer.returncode == 0, err
        won.extend(int(n) for n in out.split())
    assert sorted(won) == list(range(notes))
    with Journal(journal_place) as j:
        in_flight = [
            (import_id, r.row)
            for import_id in ("imp-1", "imp-2", "imp-3")
            for r in j.rows.all(import_id, [Outcome.UNKNOWN])
        ]
    assert len(in_flight) == notes  # each note's one winner went on to send it


def test_find_import_by_sha_url_and_state(journal: Journal) -> None:
    hour = timedelta(hours=1)
    journal.imports.create(record("old", state="finished", started=STARTED), [])
    journal.imports.create(record("new", state="finished", started=STARTED + hour), [])
    journal.imports.create(
        record("dry", state="finished", dry_run=True, started=STARTED + 2 * hour), []
    )
    journal.imports.create(record("open", state="open", started=STARTED + 3 * hour), [])
    journal.imports.create(
        record("elsewhere", state="finished", base_url="sandbox", started=STARTED + 4 * hour), []
    )
    journal.imports.create(
        record("other-file", state="finished", sha256="9" * 64, started=STARTED + 5 * hour), []
    )

    assert journal.imports.find(SHA, BASE_URL, state="finished").id == "new"
    assert journal.imports.find(SHA, BASE_URL, state="open").id == "open"
    assert journal.imports.find(SHA, BASE_URL, state="rejected") is None
    assert journal.imports.find(SHA, "sandbox", state="finished").id == "elsewhere"
    assert journal.imports.find("9" * 64, "sandbox", state="finished") is None
    assert journal.imports.find("1" * 64, BASE_URL, state="finished") is None

    journal.imports.set_state("open", "finished", STARTED + 6 * hour)
    assert journal.imports.find(SHA, BASE_URL, state="open") is None
    assert journal.imports.get("open").finished == STARTED + 6 * hour
    assert [i.id for i in journal.imports.all()] == [
        "old",
        "new",
        "dry",
        "open",
        "elsewhere",
        "other-file",
    ]


def test_only_dry_runs_are_never_found(journal: Journal) -> None:
    journal.imports.create(record("dry", state="finished", dry_run=True), [])
    assert journal.imports.find(SHA, BASE_URL, state="finished") is None


def test_new_import_id_is_unique_within_one_second(journal: Journal) -> None:
    first = journal.imports.new_id(SHA, STARTED)
    assert first == "20250704-143529-3fa2c1d9"
    second = journal.imports.new_id(SHA, STARTED + timedelta(milliseconds=500))
    assert second != first  # asked twice before either is created
    journal.imports.create(record(first), [])
    journal.imports.create(record(second), [])
    third = journal.imports.new_id(SHA, STARTED)
    assert len({first, second, third}) == 3
    assert journal.imports.new_id(None, STARTED).startswith("20250704-143529-")
    # a different file in the same second needs no suffix
    assert journal.imports.new_id("abcdef12" + "0" * 56, STARTED) == "20250704-143529-abcdef12"


def test_new_import_id_unique_across_journal_instances(
    journal_place: Path | JournalServer,
) -> None:
    path = journal_place
    with Journal(path) as a:
        first = a.imports.new_id(SHA, STARTED)
        a.imports.create(record(first), [])
    with Journal(path) as b:
        assert b.imports.new_id(SHA, STARTED) != first


# ---------------------------------------------------------------------------- lock


def lock_holder(tmp_path: Path) -> tuple[int | None, str | None, str | None]:
    with sqlite3.connect(tmp_path / "journal.sqlite") as db:
        found = db.execute("SELECT pid, host, since FROM locks WHERE key='import:imp-1'").fetchone()
    return found or (None, None, None)


def test_lock_held_by_a_live_process_names_it_then_dead_holder_is_taken_over(
    tmp_path: Path,
) -> None:
    path = tmp_path / "journal.sqlite"
    journal = Journal(path)
    journal.imports.create(record("imp-1"), three_rows())
    holder = run_python(HOLD_LOCK, str(path), "imp-1")
    try:
        line = holder.stdout.readline()
        assert line.startswith("HOLDING"), line + holder.stderr.read()
        with pytest.raises(ImportLocked) as caught:
            journal.locks.acquire("imp-1")
        message = str(caught.value)
        assert f"process {holder.pid}" in message
        assert socket.gethostname() in message
        assert "imp-1" in message
        # a process that does not hold the lock cannot release it
        journal.locks.release("imp-1")
        assert lock_holder(tmp_path)[0] == holder.pid
        with pytest.raises(ImportLocked):
            journal.locks.acquire("imp-1")
    finally:
        holder.kill()
        holder.wait(timeout=10)  # reaped: the pid no longer exists
        holder.stdout.close()
        holder.stderr.close()
        holder.stdin.close()
    assert lock_holder(tmp_path)[0] == holder.pid  # the dead holder's lock is still recorded
    journal.locks.acquire("imp-1")  # stale: taken over
    assert lock_holder(tmp_path)[:2] == (os.getpid(), socket.gethostname())
    journal.locks.acquire("imp-1")  # re-entrant for the holder

    rival = run_python(HOLD_LOCK, str(path), "imp-1")
    out, err = rival.communicate("", timeout=30)
    assert rival.returncode == 3, out + err
    assert f"process {os.getpid()}" in out

    journal.locks.release("imp-1")
    assert lock_holder(tmp_path) == (None, None, None)
    follower = run_python(HOLD_LOCK, str(path), "imp-1")
    out, err = follower.communicate("", timeout=30)
    assert follower.returncode == 0, out + err
    assert out.startswith("HOLDING")
    assert "RELEASED" in out
    journal.close()


def test_lock_of_another_host_is_never_taken_over_on_sqlite(tmp_path: Path) -> None:
    # on a server the lock is the holder's session (tests/journal/test_server_locks.py)
    journal = Journal(tmp_path / "journal.sqlite")
    journal.imports.create(record("imp-1"), three_rows())
    with sqlite3.connect(tmp_path / "journal.sqlite") as db:
        db.execute(
            "INSERT INTO locks VALUES ('import:imp-1', ?, 'other-host.example', 'x')",
            (os.getpid() + 1,),
        )
    with pytest.raises(ImportLocked, match=r"other-host\.example"):
        journal.locks.acquire("imp-1")
    journal.close()


def test_a_killed_holder_not_yet_reaped_is_stale(tmp_path: Path) -> None:
    """A SIGKILLed holder whose parent has not waited for it is a zombie: signal 0 still
    finds its pid, but it will never release the lock. `importer rerun` right after the
    kill takes the lock over instead of telling the operator to wait for a dead process."""
    path = tmp_path / "journal.sqlite"
    journal = Journal(path)
    journal.imports.create(record("imp-1"), three_rows())
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(path), "imp-1"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().startswith("HOLDING")
        os.kill(holder.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # dead, but not reaped: a zombie
            with open(f"/proc/{holder.pid}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                    break
            time.sleep(0.02)
        journal.locks.acquire("imp-1")  # the zombie's lock is stale: taken over
        with sqlite3.connect(path) as db:
            found = db.execute("SELECT pid, host FROM locks WHERE key='import:imp-1'").fetchone()
        assert tuple(found) == (os.getpid(), socket.gethostname())
    finally:
        holder.kill()
        holder.wait(timeout=10)
        for stream in (holder.stdin, holder.stdout):
            if stream is not None:
                stream.close()
    journal.close()


# ---------------------------------------------------------------------- corrections


def test_replace_row(journal: Journal) -> None:
    journal.imports.create(record("imp-1"), three_rows())
    journal.rows.record(
        "imp-1",
        4,
        Outcome.REJECTED,
        http_status=422,
        errors=[RowError(field="invoice_number", code="api_rejected", message="unknown")],
    )
    fixed = NewRow(4, ["F-1004", "12,50", "rättad"], request("F-1004", "12.50"))
    journal.rows.replace("imp-1", fixed)
    row = journal.rows.get("imp-1", 4)
    assert row.outcome is Outcome.NOT_SENT
    assert row.source == ["F-1004", "12,50", "rättad"]
    assert row.request == request("F-1004", "12.50")  # credit_invoice K2 is gone
    assert row.errors == []
    assert row.http_status is None
    assert [(a[1], a[3]) for a in journal.history.attempts("imp-1")[4]] == [
        ("rejected", None),
        ("not_sent", "corrected"),
    ]
    # a correction that is itself invalid
    bad = [RowError(field="amount", code="amount_zero", message="must be more than 0")]
    journal.rows.replace("imp-1", NewRow(4, ["F-1004", "0", ""], None, bad, Outcome.INVALID))
    row = journal.rows.get("imp-1", 4)
    assert (row.outcome, row.request, row.errors) == (Outcome.INVALID, None, bad)
    # the other rows are untouched
    assert journal.rows.get("imp-1", 2).request == request("F-1001", "100.00", credit_invoice="K1")
    assert journal.rows.get("imp-1", 2).source == ["F-1001", "100.00", "a"]


def test_journal_that_cannot_be_opened_is_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "a-folder.sqlite"
    folder.mkdir()
    with pytest.raises(ImporterError, match="cannot be opened"):
        Journal(folder)


def test_find_import_counts_an_import_for_the_creditors_its_rows_were_credited_for(
    journal: Journal,
) -> None:
    """A file imported for CREDITOR and moved into OTHER_CREDITOR's folder is not already
    imported for OTHER_CREDITOR; rows naming their own creditor are, wherever they move."""

    def rows(creditor: str | None) -> list[NewRow]:
        if creditor is None:  # an invalid row: no request, whose it was is not known
            return [NewRow(2, ["x"], None, [], Outcome.INVALID)]
        return [NewRow(2, ["F-1", "1.00"], {**request("F-1", "1.00"), "creditor": creditor})]

    journal.imports.create(record("mine"), rows(CREDITOR))
    journal.imports.create(record("theirs", sha256="2" * 64), rows(OTHER_CREDITOR))
    journal.imports.create(record("unknown", sha256="3" * 64), rows(None))

    def found(sha: str, creditor: str | None) -> str | None:
        match = journal.imports.find(sha, BASE_URL, state="open", creditor=creditor)
        return None if match is None else match.id

    assert found(SHA, CREDITOR) == "mine"
    assert found(SHA, OTHER_CREDITOR) is None  # moved to another creditor: not imported
    assert found(SHA, None) == "mine"  # nobody says whose: the bytes decide
    assert found("2" * 64, OTHER_CREDITOR) == "theirs"
    assert found("2" * 64, CREDITOR) is None
    assert found("3" * 64, OTHER_CREDITOR) == "unknown"
