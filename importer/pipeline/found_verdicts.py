"""The verdict on a row the look-up before sending found credited at the API.

What is found is judged by `pipeline.ownership`:

* credited by another import the journal knows → `duplicate`, pointing at it;
* under a generated reference, unknown to the journal (a lost or restored journal, another
  host's) → this row's: `credited` with the `_id` found, its status read back as usual —
  unless the row has no date: then the same content has the same reference in every file,
  and last month's crediting of the same invoice and amount is this row's only if this
  journal sent the row before it was created; otherwise the row is held for a person;
* under a file's own reference (or by content), it counts only if it credits exactly this
  row's credit; when the journal cannot say whose it is (a lost journal, a file without
  dates) the row is held for a person (`invalid`, `crediting_found_unclear`, exit 1) —
  never silently called credited or duplicate. A reused reference of another credit
  (November's, for December's row) is not this row's: the row is sent."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from importer.config import Config
from importer.journal import Journal, JournalRow
from importer.outcomes import Outcome, RowError
from importer.pipeline.dedupe_rules import Verdict, earlier_of_crediting, note_verdict
from importer.pipeline.ownership import created_before, same_case_and_amount, same_credit

UNCLEAR = "crediting_found_unclear"
MEANWHILE = "credited_by_another_importer"


@dataclass(slots=True)
class Found:
    """What the API's answer decides for a block of rows."""

    credited: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    """Rows the API already holds as credited by them: (row, the crediting found)."""
    verdicts: list[Verdict] = field(default_factory=list)
    """Rows not to be sent: duplicates of another import's row, or held for a person."""
    taken: set[tuple[str | None, int | None]] = field(default_factory=set)
    """Earlier rows (import, row) a duplicate here points at."""
    doubled: set[str] = field(default_factory=set)
    """References of rows this run sent (`decide`'s `sent`) under which the API holds a
    crediting besides this run's: another importer credited the row too."""


@dataclass(frozen=True, slots=True)
class Asked:
    """One row's question: under which values of which field it is looked up."""

    row: JournalRow
    field: str
    values: tuple[str, ...]
    generated: bool


def unique_note(config: Config, request: dict[str, Any]) -> bool:
    """The row carries a credit note that credits one thing only (credit-note dedupe)."""
    return bool(config.dedupe.credit_invoice and request.get("credit_invoice"))


class FoundJudge:
    """Whose the creditings found for a row are, and so what becomes of the row."""

    def __init__(self, config: Config, journal: Journal, base_url: str) -> None:
        self._config = config
        self._journal = journal
        self._api = base_url

    def _duplicate(
        self, import_id: str, jrow: JournalRow, crediting: dict[str, Any], owner: tuple[str, int]
    ) -> Verdict:
        """The verdict on a row another import of the journal credited: by its credit note
        when it has one (found right before sending, under the reference that carries the
        note: as the look-up by note would have said), else by its reference."""
        request = jrow.request or {}
        if not unique_note(self._config, request):
            return duplicate_verdict(jrow.row, crediting, owner)
        # The journal's row, not the reference, says whose it is: not this row's own.
        earlier = replace(earlier_of_crediting(crediting, owner), reference=None)
        language = self._config.report.language
        return note_verdict(jrow.row, request, earlier, import_id, language)

    def _sent_before(self, import_id: str, row: int, crediting: dict[str, Any]) -> bool:
        """This journal knows an attempt of this row, and the crediting was not created
        before it: what that attempt stored."""
        first = self._journal.dedupe.first_attempt_at(import_id, row)
        return first is not None and not created_before(crediting, first)

    def _note_held_here(self, import_id: str, row: int, request: dict[str, Any]) -> bool:
        if not unique_note(self._config, request):
            return False
        holder = self._journal.claims.holder(
            self._api, request["creditor"], request["credit_invoice"], import_id, row
        )
        return holder is not None

    def judge(
        self,
        import_id: str,
        question: Asked,
        creditings: list[dict[str, Any]],
        owners: dict[str, tuple[str, int]],
        found: Found,
        while_posting: bool = False,
    ) -> None:
        """Add to `found` what these creditings, found for the question's row, decide for it
        (`owners`: the journal's row of each crediting it knows, by `_id`): `credited`, a
        verdict, or nothing — the row is sent. `while_posting`: asked right before sending."""
        jrow = question.row
        request = jrow.request or {}
        here = (import_id, jrow.row)
        own = [c for c in creditings if owners.get(str(c.get("_id"))) == here]
        if own:
            found.credited.append((jrow.row, own[0]))
            return
        # Another row of this very import holds it: identical rows of one file are separate
        # credits (a look-up by content, or a resumed import, finds the first one's for the
        # second), so it is neither this row's nor an earlier credit this row repeats.
        creditings = [c for c in creditings if not _another_row_here(owners, c, here)]
        if not creditings:
            return
        first = None
        if question.generated:
            matching = creditings
            unclear = len(creditings) > 1 or not same_case_and_amount(creditings[0], request)
        else:
            first = self._journal.dedupe.first_attempt_at(import_id, jrow.row)
            sameness = [(c, same_credit(c, request)) for c in creditings]
            matching = [
                c for c, same in sameness if same is not False and not created_before(c, first)
            ]
            if not matching:
                return  # a reused reference of another credit: this row is sent
            unclear = any(same is None for c, same in sameness if c in matching)
        others = [owners[str(c.get("_id"))] for c in matching if str(c.get("_id")) in owners]
        if others and not unclear:
            if self._config.dedupe.repeats == "duplicate" or question.generated:
                earlier = next(c for c in matching if str(c.get("_id")) in owners)
                found.verdicts.append(self._duplicate(import_id, jrow, earlier, others[0]))
                found.taken.add(others[0])
            return  # repeats allowed: the same credit again, on purpose
        if (
            question.generated
            and not unclear
            and self._note_held_here(import_id, jrow.row, request)
        ):
            # Another row of this journal holds the credit note's claim: its POST is stored,
            # its outcome not yet recorded. The claim decides (`sending`), and says whose the
            # crediting is — not "another importer's", nor (asked before posting) one "an
            # earlier run this journal does not know of" that this row would call its own.
            return
        if question.generated and not unclear and while_posting:
            # Asked right before sending: the row was not at the API when this run's posting
            # began (the look-up before posting would have decided it), and this run has not
            # sent it (a row it sent is `unknown` or final, never asked here). So the crediting
            # is another importer's, made meanwhile: not this run's, whatever a lost journal
            # would look like — a report calling it this run's credit counts it twice.
            found.verdicts.append(_credited_meanwhile(jrow.row, matching[0]))
            return
        if question.generated and not unclear:
            if (
                not request.get("client_registration_date")
                and not unique_note(self._config, request)
                and not self._sent_before(import_id, jrow.row, matching[0])
            ):
                # Without a date the same content is the same reference in every file:
                # last month's crediting of the same invoice and amount cannot be told from
                # this file's own, credited by a run this journal lost. (A credit note
                # credits one thing: under its reference it is this row's, as by note.)
                found.verdicts.append(_held(jrow.row, matching, question))
                return
            found.credited.append((jrow.row, matching[0]))
            return
        if not unclear and len(matching) == 1 and first is not None:
            # Created after this row's first attempt left, and no other row's: its own.
            found.credited.append((jrow.row, matching[0]))
            return
        found.verdicts.append(_held(jrow.row, matching, question))


def _another_row_here(
    owners: dict[str, tuple[str, int]], crediting: dict[str, Any], here: tuple[str, int]
) -> bool:
    owner = owners.get(str(crediting.get("_id")))
    return owner is not None and owner[0] == here[0] and owner != here


def duplicate_verdict(row: int, crediting: dict[str, Any], owner: tuple[str, int]) -> Verdict:
    crediting_id = str(crediting.get("_id"))
    return Verdict(
        row,
        Outcome.DUPLICATE,
        [
            RowError(
                field="creditor_reference",
                code="row_already_credited",
                message=(
                    f"Amili already holds this credit as {crediting_id} (import {owner[0]} "
                    f"row {owner[1]}), found by its reference; not sent again. If it is a "
                    "new credit, run with --allow-repeats."
                ),
            )
        ],
        {"file_import_report": owner[0], "row": owner[1], "_id": crediting_id},
        "found credited at the API",
    )


def _credited_meanwhile(row: int, crediting: dict[str, Any]) -> Verdict:
    """The verdict on a row another importer (not this journal) credited while this run was
    posting: a duplicate of that crediting, which only the API knows."""
    crediting_id = str(crediting.get("_id"))
    return Verdict(
        row,
        Outcome.DUPLICATE,
        [
            RowError(
                field="creditor_reference",
                code=MEANWHILE,
                message=(
                    f"Amili received this credit as {crediting_id} from another importer "
                    "(not this journal) while this import was being sent; not sent again. "
                    "Another importer is crediting the same rows: check which one should."
                ),
            )
        ],
        {"_id": crediting_id},
        "found at the API right before sending: credited by another importer meanwhile",
    )


def _held(row: int, creditings: list[dict[str, Any]], question: Asked) -> Verdict:
    ids = ", ".join(str(c.get("_id")) for c in creditings)
    if question.field == "creditor_reference":
        how = f"under reference {question.values[0]}"
    else:
        how = f"for the same {question.field.replace('_', ' ')} and amount"
    no_date = not (question.row.request or {}).get("client_registration_date")
    why = (
        "the file gives no date to tell one credit from another"
        if no_date
        else "this journal does not know it (a lost or restored journal, or another host's)"
    )
    return Verdict(
        row,
        Outcome.INVALID,
        [
            RowError(
                field="creditor_reference",
                code=UNCLEAR,
                message=(
                    f"Amili already holds {len(creditings)} crediting(s) {how} ({ids}), and "
                    f"whether one is this row's cannot be told: {why}. Not sent: check in "
                    "Amili, and credit it by hand if it is another credit."
                ),
            )
        ],
        None,
        "found at the API, whose cannot be told",
    )
