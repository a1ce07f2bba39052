"""Whose a crediting found right before sending is, when the journal is shared.

Two importers sharing one journal post the same credit note: one claims it and sends it, and
until its answer is recorded, the other's look-up right before sending finds a crediting the
journal does not yet know. That crediting is not "another importer's" (a journal this one does
not share): the claim says whose it is, and the row loses the claim as a credit-note
duplicate. A real journal in SQLite on disk; the API's answer is given as the look-up would."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from importer.config import Config, DefaultsConfig, JournalConfig, ReportConfig
from importer.journal import ImportRecord, Journal, NewRow
from importer.pipeline.found_verdicts import MEANWHILE, Asked, Found, FoundJudge
from importer.pipeline.reference import row_reference

CREDITOR = "5f1a2b3c4d5e6f7a8b9c0d1e"
API = "http://localhost:1"


def _config(tmp_path: Path) -> Config:
    return Config(
        defaults=DefaultsConfig(creditor=CREDITOR),
        report=ReportConfig(dir=tmp_path / "reports", formats=["json"]),
        journal=JournalConfig(path=tmp_path / "journal.sqlite"),
    )


def _request() -> dict[str, Any]:
    request: dict[str, Any] = {
        "creditor": CREDITOR,
        "invoice_number": "EO-0001",
        "currency": "SEK",
        "amount": Decimal("10.00"),
        "origin": "creditor_system",
        "credit_invoice": "KF-1",
    }
    return {**request, "creditor_reference": row_reference(request, 1)}


def _import(journal: Journal, import_id: str) -> None:
    journal.imports.create(
        ImportRecord(
            id=import_id,
            file_name=f"{import_id}.csv",
            file_path=f"/inbox/{import_id}.csv",
            sha256=import_id,
            format="csv",
            rows=1,
            columns=["invoice_number", "amount", "credit_invoice"],
            base_url=API,
            dry_run=False,
            sandbox=False,
            all_or_nothing=False,
            state="open",
            started=datetime(2026, 12, 7, 15, 0, tzinfo=UTC),
            finished=None,
            file_errors=[],
            warnings=[],
        ),
        [NewRow(2, ["EO-0001", "10.00", "KF-1"], _request())],
    )


def _judged_right_before_sending(
    config: Config, journal: Journal, *, while_posting: bool = True
) -> Found:
    row = journal.rows.get("imp-e", 2)
    assert row is not None
    crediting = {**_request(), "_id": "a" * 24}  # stored at the API, not yet in the journal
    question = Asked(row, "creditor_reference", (crediting["creditor_reference"],), True)
    found = Found()
    FoundJudge(config, journal, API).judge(
        "imp-e", question, [crediting], {}, found, while_posting=while_posting
    )
    return found


def test_a_note_found_while_another_row_of_the_journal_holds_its_claim_is_left_to_the_claim(
    tmp_path: Path,
) -> None:
    config = _config(tmp_path)
    with Journal(config.journal.path) as journal:
        _import(journal, "imp-d")
        _import(journal, "imp-e")
        assert journal.claims.take(API, CREDITOR, "KF-1", "imp-d", 2) is None  # d's POST left
        found = _judged_right_before_sending(config, journal)
    # No verdict: the row goes on to claim the note, loses it to imp-d's row, and is recorded
    # as its credit-note duplicate (the claim's reason), not as another importer's credit.
    assert (found.credited, found.verdicts) == ([], [])


def test_a_note_found_that_no_row_of_the_journal_holds_is_another_importers_credit(
    tmp_path: Path,
) -> None:
    config = _config(tmp_path)
    with Journal(config.journal.path) as journal:
        _import(journal, "imp-e")
        found = _judged_right_before_sending(config, journal)
    assert [(v.row, v.errors[0].code) for v in found.verdicts] == [(2, MEANWHILE)]
    assert found.credited == []


def test_a_note_found_before_posting_while_another_row_holds_its_claim_is_not_called_this_rows(
    tmp_path: Path,
) -> None:
    """The look-up before posting (not right before sending) finds the crediting another
    import of the journal just made under the same content reference: without the claim's
    word it was called this row's own, "credited by an earlier run this journal does not know
    of" — two reports claiming one crediting."""
    config = _config(tmp_path)
    with Journal(config.journal.path) as journal:
        _import(journal, "imp-d")
        _import(journal, "imp-e")
        assert journal.claims.take(API, CREDITOR, "KF-1", "imp-d", 2) is None  # d's POST left
        found = _judged_right_before_sending(config, journal, while_posting=False)
    assert (found.credited, found.verdicts) == ([], [])
