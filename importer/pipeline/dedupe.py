"""Dedupe (`duplicate` in docs/outcomes.md): before anything of an import is posted, mark the rows
that must not be — a dry run marks them the same way (`pipeline.prediction`).

It walks the rows still to be sent in file order, a block at a time, and asks what was
credited before (the rules are in `pipeline.dedupe_rules`):

1. **the API itself**, first: rows without a credit note by their reference
   (`pipeline.api_lookup`: the API is the record, the journal its cache), rows with one by
   their note: `where={"creditor": …, "credit_invoice": {"$in": […]}}`, 100 a request. A
   journal only knows what went through it; another machine, a lost or restored journal or a
   base URL spelled differently leave no trace there, but the crediting is at the API. If a
   look-up fails, the pass raises and nothing is posted (the run stops, exit 3, and the same
   command resumes it). An API that refuses the filter itself stops the run (exit 2,
   `LookupRefused`) unless `dedupe.require_api_lookup` is false: then it is noted once in
   the report's warnings as a weakened guarantee, and the journal alone decides;
2. earlier rows of this import (a credit note twice in one file);
3. the journal: other imports at the same API (credit notes, and repeated rows).

Where those earlier creditings are found is `pipeline.earlier_creditings`; here they are
weighed and the verdicts recorded.

Verdicts are recorded before the first POST, so a row's fate does not depend on which row
happens to be posted first. What a concurrent importer credits after this pass is caught by
the credit-note claim at the row's intent (`journal.claims`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import islice
from typing import Any

from importer import logs
from importer.config import Config
from importer.errors import LookupRefused, LookupRefusedWhilePosting, QueryRefused
from importer.journal import Journal, JournalRow
from importer.outcomes import ImportWarning, Outcome
from importer.pipeline.api_lookup import ApiLookup, Find
from importer.pipeline.dedupe_rules import (
    Earlier,
    Verdict,
    earlier_of_request,
    note_verdict,
    repeat_fingerprint,
    repeat_verdict,
)
from importer.pipeline.earlier_creditings import (
    credited_notes,
    file_of,
    notes_so_far,
    repeat_candidates,
)
from importer.pipeline.found_verdicts import Found
from importer.words import text

log = logs.get_logger("importer")

BLOCK = 1000
"""Rows decided per round: ten API lookups, two journal queries, one commit."""


class Dedupe:
    """The dedupe rules over one import's rows, as seen by one target."""

    def __init__(self, config: Config, journal: Journal, base_url: str) -> None:
        self.config = config
        self.journal = journal
        self.api = base_url
        """The target's identity: what the journal keys earlier creditings by."""
        self.lookup: Find | None = None
        """The API's answer (`CreditingQueries.find_in`); None where it cannot be asked (a
        dry run without an API key; an API that refused the filter, where the journal alone
        may decide)."""
        self.api_lookup = ApiLookup(config, journal, base_url)
        self._asked = [0, 0.0]
        """Look-up rounds asked of the API and the seconds they took, wall clock (logged as
        `dedupe.api_lookup`: bench/lookup_bench.py weighs them against posting)."""
        self._refusal = threading.Lock()
        self.found_unknown_at: float | None = None
        """When (epoch seconds) the look-up before posting last found rows credited that
        this journal does not know of (`pipeline.lookup_ahead` waits to see whether
        another importer is crediting them now)."""
        self.taken: set[tuple[str | None, int | None]] = set()
        """Earlier creditings (import, row) a row of this import already repeats: each
        answers for one row only, so a cumulative export's extra repeat is still sent."""

    def run(self, import_id: str, wanted: Iterable[Outcome], lookup: Find) -> None:
        """Before posting: record a verdict on every row still to be sent that must not be."""
        self.lookup = lookup
        self._asked = [0, 0.0]
        self.found_unknown_at = None
        wanted = list(wanted)
        in_file = notes_so_far(self.journal, import_id)
        self.taken = {
            (r.duplicate_of.get("file_import_report"), r.duplicate_of.get("row"))
            for r in self.journal.rows.pending(import_id, [Outcome.DUPLICATE])
            if r.duplicate_of
        }
        for block in _blocks(self.journal.rows.pending(import_id, wanted), BLOCK):
            sendable = [
                r for r in block if r.request is not None and r.outcome is not Outcome.UNKNOWN
            ]
            decided = self._ask_api(import_id, sendable)
            rows = [(r.row, r.request or {}) for r in sendable if r.row not in decided]
            verdicts = self.decide(import_id, rows, in_file)
            _record(self.journal, import_id, verdicts)
        log.info(
            "dedupe.api_lookup",
            import_id=import_id,
            asked=self._asked[0],
            seconds=round(self._asked[1], 3),
        )

    # ------------------------------------------------------------ in file order

    def _ask_api(self, import_id: str, block: list[JournalRow]) -> set[int]:
        """`ask_api`, counted in this pass's `dedupe.api_lookup`."""
        if self.lookup is None:
            return set()
        started = time.perf_counter()
        try:
            return self.ask_api(import_id, block)
        finally:
            self._asked[0] += 1
            self._asked[1] += time.perf_counter() - started

    def ask_api(
        self, import_id: str, block: list[JournalRow], *, while_posting: bool = False
    ) -> set[int]:
        """The API's answer on these rows (`pipeline.api_lookup`), recorded: rows it holds
        credited by them become `credited`, others' duplicates or held rows get their
        verdicts. Returns the rows so decided. Asked before posting (`run`) and again as
        the lanes are about to send the rows (`pipeline.lookup_ahead`, `while_posting`:
        rows with a credit note are asked by their generated reference too, and a refusal
        stops a run that has sent rows already)."""
        return self._answer(import_id, block, while_posting=while_posting)[0]

    def ask_while_posting(
        self, import_id: str, block: list[JournalRow], sent: Mapping[str, tuple[str, str]]
    ) -> tuple[set[int], set[str]]:
        """`ask_api` as the lanes are about to send the rows, asking in the same requests
        about rows this run sent (reference -> (creditor, its crediting's `_id`)). Returns
        the rows decided and the references of sent rows the API holds another crediting
        under (`pipeline.lookup_ahead`: another importer posting the same rows in step)."""
        return self._answer(import_id, block, while_posting=True, sent=sent)

    def _answer(
        self,
        import_id: str,
        block: list[JournalRow],
        *,
        while_posting: bool,
        sent: Mapping[str, tuple[str, str]] | None = None,
    ) -> tuple[set[int], set[str]]:
        lookup = self.lookup
        if lookup is None:
            return set(), set()
        try:
            found = self.api_lookup.decide(
                import_id,
                block,
                lookup,
                notes_by_reference=while_posting,
                sent=sent,
                while_posting=while_posting,
            )
        except QueryRefused as refused:
            self._refused(import_id, refused, while_posting=while_posting)
            return set(), set()
        _record_found(self.journal, import_id, found)
        self.taken |= found.taken
        if found.credited:
            self.found_unknown_at = time.time()
        decided = {row for row, _ in found.credited} | {v.row for v in found.verdicts}
        return decided, found.doubled

    def _refused(
        self, import_id: str, refused: QueryRefused, *, while_posting: bool = False
    ) -> None:
        """The API refused a look-up's filter: the run stops (exit 2; exit 3 once rows were
        sent), unless the setting accepts the journal alone — then noted once, as a
        weakened guarantee (lanes may meet the refusal at once: the first notes it)."""
        with self._refusal:
            if self.lookup is None:
                return
            _note_refusal(self.config, self.journal, import_id, refused, while_posting)
            self.lookup = None  # noted once: the API will not answer it later either

    def decide(
        self,
        import_id: str,
        rows: Sequence[tuple[int, dict[str, Any]]],
        in_file: dict[tuple[str, str], Earlier],
        repeated_notes: frozenset[int] | None = None,
    ) -> list[Verdict]:
        """Verdicts on these (row, request) pairs, in file order, after the rows whose credit
        notes are in `in_file` (which this extends — with the notes `repeated_notes` holds
        the `hash()` of, when given: the only ones a later row can repeat). A dry run calls
        it with the journal alone (`lookup` None) and records nothing."""
        notes_on = self.config.dedupe.credit_invoice
        with_note = [(n, r) for n, r in rows if notes_on and r.get("credit_invoice")]
        known = (
            credited_notes(self.journal, self.api, import_id, with_note, self._api_notes)
            if with_note
            else {}
        )
        repeats = self.config.dedupe.repeats == "duplicate"
        without_note = [(n, r) for n, r in rows if not (notes_on and r.get("credit_invoice"))]
        earlier_rows = (
            repeat_candidates(self.journal, self.api, import_id, without_note)
            if repeats and without_note
            else {}
        )
        verdicts: list[Verdict] = []
        for number, request in rows:
            note = request.get("credit_invoice") if notes_on else None
            if note:
                key = (request["creditor"], note)
                earlier = in_file.get(key) or known.get(key)
                if earlier is None:
                    if repeated_notes is None or hash(note) in repeated_notes:
                        in_file[key] = earlier_of_request(request, import_id, number, None)
                else:
                    language = self.config.report.language
                    verdict = note_verdict(number, request, earlier, import_id, language)
                    verdicts.append(verdict)
                    if verdict.outcome is Outcome.CREDITED:  # later rows of the note repeat it
                        in_file[key] = earlier_of_request(
                            request, import_id, number, verdict.crediting_id
                        )
            elif repeats:
                candidates = earlier_rows.get(repeat_fingerprint(request), [])
                found = next(
                    (e for e in candidates if (e.import_id, e.row) not in self.taken), None
                )
                if found is not None:
                    self.taken.add((found.import_id, found.row))
                    of_file = file_of(self.journal, found)
                    language = self.config.report.language
                    verdicts.append(repeat_verdict(number, found, of_file, language))
        return verdicts

    def _api_notes(
        self, import_id: str, creditor: str, notes: list[str]
    ) -> dict[str, list[dict[str, Any]]]:
        if self.lookup is None:
            return {}
        started = time.perf_counter()
        try:
            return self.lookup(creditor, "credit_invoice", notes)
        except QueryRefused as refused:
            self._refused(import_id, refused)
            return {}
        finally:
            self._asked[0] += 1
            self._asked[1] += time.perf_counter() - started


def _record(journal: Journal, import_id: str, verdicts: list[Verdict]) -> None:
    """The verdicts held back, in one commit; a row whose note's crediting is its own
    (under its own reference) is recorded `credited` with it, as a row found by its
    reference is (`_ask_api`), its status read back after posting as any crediting's."""
    held = [v for v in verdicts if v.outcome is not Outcome.CREDITED]
    for verdict in verdicts:
        if verdict.outcome is Outcome.CREDITED:
            crediting = {"_id": verdict.crediting_id}
            journal.rows.record(
                import_id, verdict.row, Outcome.CREDITED, crediting=crediting, note=verdict.note
            )
    if held:
        journal.rows.record_verdicts(
            import_id, ((v.row, v.outcome, v.errors, v.duplicate_of, v.note) for v in held)
        )
    if verdicts:
        log.info("dedupe.verdicts", import_id=import_id, rows=len(verdicts))


def _note_refusal(
    config: Config, journal: Journal, import_id: str, refused: QueryRefused, while_posting: bool
) -> None:
    """The API refused the look-up's filter: the run stops, unless the journal alone may
    decide — then every report names the weakened guarantee. Refused while posting, rows
    have been sent: the run could not finish (what it sent stays credited), and says so."""
    if config.dedupe.require_api_lookup and while_posting:
        raise LookupRefusedWhilePosting(
            f"{refused.message} while rows were being sent: the rows credited so far stay "
            "credited, the others were not sent (without that look-up another importer's "
            "creditings of them could not be found). Once the API answers the look-up "
            "again, run the same command to send them; dedupe.require_api_lookup: false "
            "sends them on this machine's journal alone"
        )
    if config.dedupe.require_api_lookup:
        raise LookupRefused(
            f"{refused.message}; nothing was sent: without that look-up a lost or "
            "restored journal could credit a row twice. Set dedupe.require_api_lookup: "
            "false to import on this machine's journal alone"
        )
    journal.imports.add_warning(
        import_id,
        ImportWarning(
            code="api_lookup_refused",
            message=text("warning.api_lookup_refused", "en", why=refused.message),
        ),
    )
    log.warning("dedupe.api_lookup_refused", import_id=import_id)


def _record_found(journal: Journal, import_id: str, found: Found) -> None:
    """The rows the API's answer decided, recorded: its creditings of rows this journal lost
    as `credited`, the rest's verdicts (duplicates, rows held for a person)."""
    for row, crediting in found.credited:
        journal.rows.record(
            import_id,
            row,
            Outcome.CREDITED,
            crediting=crediting,
            note="found at the API by its reference before sending: credited by an "
            "earlier run this journal does not know of; not sent again",
        )
    if found.verdicts:
        journal.rows.record_verdicts(
            import_id,
            ((v.row, v.outcome, v.errors, v.duplicate_of, v.note) for v in found.verdicts),
        )
    if found.credited or found.verdicts:
        log.info(
            "dedupe.found_at_api",
            import_id=import_id,
            credited=len(found.credited),
            verdicts=len(found.verdicts),
        )


def _blocks(rows: Iterator[JournalRow], size: int) -> Iterator[list[JournalRow]]:
    while block := list(islice(rows, size)):
        yield block
