"""Asking the API before a row is sent: **the API is the record, the journal its cache.**

A journal restored from a backup, lost with a disk, or another host's knows nothing of what
was credited through another journal; the API does. So before any row is sent for the first
time — and before any row without a committed outcome is sent on a resume — the API is asked
whether it already holds that row: `$in` look-ups of 100 references a request, paged
(`api.queries`). A row's generated reference is the same whatever the journal
(`pipeline.reference`); a reference the file supplied is looked up the same way; a row with
no reference at all (`reference.generate: false`) by its case or invoice number. Rows with a
credit note are asked about by their note instead (`pipeline.dedupe`): a crediting of the
note is found whatever its reference.

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
  (November's, for December's row) is not this row's: the row is sent.

If the look-up fails nothing is posted (the run stops, exit 3, and resumes). If the API
refuses its filter the run stops with exit 2 (`LookupRefused`) unless
`dedupe.require_api_lookup: false`, which each report then names as a weakened guarantee."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from importer.api.queries import PAGE_SIZE
from importer.config import Config
from importer.journal import Journal, JournalRow
from importer.outcomes import Outcome, RowError
from importer.pipeline.dedupe_rules import Verdict, earlier_of_crediting, note_verdict
from importer.pipeline.ownership import created_before, same_case_and_amount, same_credit
from importer.pipeline.reference import (
    is_generated,
    legacy_origin,
    occurrences,
    reimport_salt,
    row_reference,
)

Find = Callable[[str, str, Iterable[str]], dict[str, list[dict[str, Any]]]]
"""(creditor, field, values) -> the API's creditings by value (`CreditingQueries.find_in`)."""

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
class _Asked:
    """One row's question: under which values of which field it is looked up."""

    row: JournalRow
    field: str
    values: tuple[str, ...]
    generated: bool


class ApiLookup:
    """The look-up before sending, over one import's rows, at one target."""

    def __init__(self, config: Config, journal: Journal, base_url: str) -> None:
        self._config = config
        self._journal = journal
        self._api = base_url
        self._content_refs: tuple[str, dict[int, str]] | None = None
        """(import, today's reference of each of its rows), for an import begun with
        `<import id>/<row>` references."""

    def asks(self, request: dict[str, Any], *, notes_by_reference: bool = False) -> bool:
        """Whether a row is asked about by this look-up (a row with a credit note is asked
        about by its note, with credit-note dedupe on — before posting; right before it is
        sent, `notes_by_reference`, by its generated reference too, which carries the note:
        what another journal credited after the look-up by note is found there)."""
        if not self._unique_note(request):
            return True
        return notes_by_reference and is_generated(request.get("creditor_reference"))

    def _unique_note(self, request: dict[str, Any]) -> bool:
        """The row carries a credit note that credits one thing only (credit-note dedupe)."""
        return bool(self._config.dedupe.credit_invoice and request.get("credit_invoice"))

    def decide(
        self,
        import_id: str,
        rows: Sequence[JournalRow],
        find: Find,
        *,
        notes_by_reference: bool = False,
        sent: Mapping[str, tuple[str, str]] | None = None,
        while_posting: bool = False,
    ) -> Found:
        """What the API's answer decides for these rows. `sent`: references of rows this run
        sent, each with (creditor, the crediting's `_id`), asked in the same `$in` requests:
        those the API holds another crediting under are `Found.doubled`. `while_posting`:
        asked right before sending (`pipeline.lookup_ahead`), so a crediting found that this
        journal does not know is another importer's (`_judge`)."""
        sent = sent or {}
        asked = [
            self._question(import_id, r)
            for r in rows
            if r.request and self.asks(r.request, notes_by_reference=notes_by_reference)
        ]
        answers: dict[tuple[str, str], dict[str, list[dict[str, Any]]]] = {}
        wanted: dict[tuple[str, str], set[str]] = {}
        for question in asked:
            creditor = question.row.request["creditor"]  # type: ignore[index]
            wanted.setdefault((creditor, question.field), set()).update(question.values)
        for reference, (creditor, _) in sent.items():
            wanted.setdefault((creditor, "creditor_reference"), set()).add(reference)
        jobs = [
            (creditor, name, chunk)
            for (creditor, name), values in wanted.items()
            for chunk in _chunks(sorted(values), PAGE_SIZE)
        ]
        for (creditor, name, _), answer in zip(jobs, self._ask(find, jobs), strict=True):
            merged = answers.setdefault((creditor, name), {})
            for value, holding in answer.items():
                merged.setdefault(value, []).extend(holding)
        found = Found()
        for reference, (creditor, own) in sent.items():
            holding = answers.get((creditor, "creditor_reference"), {}).get(reference, [])
            if any(str(c.get("_id")) != own for c in holding):
                found.doubled.add(reference)
        candidates: dict[int, list[dict[str, Any]]] = {}
        for question in asked:
            creditor = question.row.request["creditor"]  # type: ignore[index]
            by_value = answers[(creditor, question.field)]
            seen: dict[str, dict[str, Any]] = {}
            for value in question.values:
                for crediting in by_value.get(value, []):
                    seen.setdefault(str(crediting.get("_id")), crediting)
            if seen:
                candidates[question.row.row] = list(seen.values())
        if not candidates:
            return found
        owners = self._journal.dedupe.credited_rows_of(
            self._api, (str(c.get("_id")) for cs in candidates.values() for c in cs)
        )
        for question in asked:
            creditings = candidates.get(question.row.row)
            if creditings:
                self._judge(import_id, question, creditings, owners, found, while_posting)
        return found

    def _ask(
        self, find: Find, jobs: list[tuple[str, str, list[str]]]
    ) -> Iterator[dict[str, list[dict[str, Any]]]]:
        """The answers to these `$in` look-ups of 100 values each, in order. With lanes, as
        many at once as there are lanes (`find` asks through the calling thread's own
        connection): one round-trip per 100 rows one after another cost 10% of the posting
        time at 20 ms and 8 lanes (bench/lookup_bench.py)."""
        workers = min(self._config.posting.lanes, len(jobs))
        if workers <= 1:
            yield from (find(*job) for job in jobs)
            return
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lookup") as pool:
            yield from pool.map(lambda job: find(*job), jobs)

    # ------------------------------------------------------------------ questions

    def _question(self, import_id: str, jrow: JournalRow) -> _Asked:
        request = jrow.request or {}
        reference = request.get("creditor_reference")
        if reference:
            values = [reference]
            if legacy_origin(reference) is not None:  # begun before: asked under both
                values.append(self._content_reference(import_id, jrow.row))
            return _Asked(jrow, "creditor_reference", tuple(values), is_generated(reference))
        name = "case" if request.get("case") else "invoice_number"
        return _Asked(jrow, name, (str(request.get(name)),), generated=False)

    def _content_reference(self, import_id: str, row: int) -> str:
        """Today's generated reference of a row of an import begun with `<import id>/<row>`
        references, counted among the import's rows as intake would have."""
        if self._content_refs is None or self._content_refs[0] != import_id:
            rows = [r for r in self._journal.rows.all(import_id) if r.request is not None]
            record = self._journal.imports.get(import_id)
            salt = reimport_salt(
                record.sha256 if record else None,
                repeats_allowed=self._config.dedupe.repeats == "allow",
            )
            numbers = occurrences(r.request or {} for r in rows)
            self._content_refs = (
                import_id,
                {
                    r.row: row_reference(r.request or {}, n, salt)
                    for r, n in zip(rows, numbers, strict=True)
                },
            )
        return self._content_refs[1][row]

    # ------------------------------------------------------------------ verdicts

    def _duplicate(
        self, import_id: str, jrow: JournalRow, crediting: dict[str, Any], owner: tuple[str, int]
    ) -> Verdict:
        """The verdict on a row another import of the journal credited: by its credit note
        when it has one (found right before sending, under the reference that carries the
        note: as the look-up by note would have said), else by its reference."""
        request = jrow.request or {}
        if not self._unique_note(request):
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

    def _judge(
        self,
        import_id: str,
        question: _Asked,
        creditings: list[dict[str, Any]],
        owners: dict[str, tuple[str, int]],
        found: Found,
        while_posting: bool = False,
    ) -> None:
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
                and not self._unique_note(request)
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


def _another_row_here(
    owners: dict[str, tuple[str, int]], crediting: dict[str, Any], here: tuple[str, int]
) -> bool:
    owner = owners.get(str(crediting.get("_id")))
    return owner is not None and owner[0] == here[0] and owner != here


def _chunks(values: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


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


def _held(row: int, creditings: list[dict[str, Any]], question: _Asked) -> Verdict:
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
