"""What was credited before a row of this import: the earlier creditings the dedupe rules
(`pipeline.dedupe_rules`) weigh a row against, as the journal and the API know them.

A credit note is looked for at the API (by the note) and in the journal (other imports at the
same API); a repeated row in the journal's credited rows of earlier imports with the same
amounts; a row of this import already credited or in flight counts too (a resumed run). The
decision itself, and its recording, is `pipeline.dedupe`'s."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from importer.journal import Journal
from importer.outcomes import Outcome
from importer.pipeline.dedupe_rules import (
    Earlier,
    earlier_of_crediting,
    earlier_of_request,
    repeat_fingerprint,
)
from importer.pipeline.reference import is_generated, legacy_origin

AskNotes = Callable[[str, str, list[str]], dict[str, list[dict[str, Any]]]]
"""(import, creditor, credit notes) -> the API's creditings by note (empty where it cannot
be asked)."""


def credited_notes(
    journal: Journal,
    api: str,
    import_id: str,
    rows: list[tuple[int, dict[str, Any]]],
    ask: AskNotes,
) -> dict[tuple[str, str], Earlier]:
    """For each (creditor, credit note) of these rows: the earliest crediting known to
    the journal (another import at this API) or, failing that, to the API."""
    by_creditor: dict[str, set[str]] = {}
    references: set[str] = set()
    for _, request in rows:
        by_creditor.setdefault(request["creditor"], set()).add(request["credit_invoice"])
        if is_generated(request.get("creditor_reference")):
            references.add(request["creditor_reference"])
    known: dict[tuple[str, str], Earlier] = {}
    for creditor, notes in by_creditor.items():
        # Every crediting found counts: the rows decided here have no outcome in this
        # journal (not sent, refused, or one a lost journal forgot), this import's credited
        # and in-flight rows are decided first (in file order). One under a row's own
        # reference is that row's own (`dedupe_rules.is_own`), so it is the one kept when
        # the note was credited more than once.
        for note, found in ask(import_id, creditor, sorted(notes)).items():
            if found:
                chosen = next(
                    (c for c in found if c.get("creditor_reference") in references), found[0]
                )
                origin = legacy_origin(chosen.get("creditor_reference"))
                known[(creditor, note)] = earlier_of_crediting(chosen, origin)
        in_journal = journal.dedupe.credited_notes(api, creditor, notes, exclude_import=import_id)
        for note, earlier in in_journal.items():
            known[(creditor, note)] = earlier_of_request(
                earlier.request,
                earlier.import_id,
                earlier.row,
                earlier.crediting_id,
                earlier.case_invoice_number,
            )
    return known


def notes_so_far(journal: Journal, import_id: str) -> dict[tuple[str, str], Earlier]:
    """Credit notes this import already credited or has in flight (a resumed run)."""
    notes: dict[tuple[str, str], Earlier] = {}
    for row in journal.rows.all(import_id, [Outcome.CREDITED, Outcome.UNKNOWN]):
        request = row.request or {}
        if request.get("credit_invoice"):
            notes.setdefault(
                (request["creditor"], request["credit_invoice"]),
                earlier_of_request(request, import_id, row.row, row.crediting_id),
            )
    return notes


def repeat_candidates(
    journal: Journal, api: str, import_id: str, rows: list[tuple[int, dict[str, Any]]]
) -> dict[tuple[Any, ...], list[Earlier]]:
    """Credited rows of earlier imports that these rows may repeat, by fingerprint (all of
    them, in the journal's order: each answers for one repeated row)."""
    by_creditor: dict[str, list[dict[str, Any]]] = {}
    for _, request in rows:
        by_creditor.setdefault(request["creditor"], []).append(request)
    found: dict[tuple[Any, ...], list[Earlier]] = {}
    for creditor, of_creditor in by_creditor.items():
        if not journal.dedupe.has_credited(creditor, base_url=api, exclude_import=import_id):
            continue
        amounts = [r["amount"] for r in of_creditor]
        for crediting in journal.dedupe.credited_with_amounts(
            api, creditor, amounts, exclude_import=import_id
        ):
            fingerprint = repeat_fingerprint(crediting.request)
            found.setdefault(fingerprint, []).append(
                earlier_of_request(
                    crediting.request,
                    crediting.import_id,
                    crediting.row,
                    crediting.crediting_id,
                ),
            )
    return found


def file_of(journal: Journal, earlier: Earlier) -> str | None:
    """The file an earlier crediting was imported from, named in a repeat's verdict."""
    record = journal.imports.get(earlier.import_id) if earlier.import_id else None
    return record.file_name if record is not None else None
