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

What is found is judged row by row (`pipeline.found_verdicts`).

If the look-up fails nothing is posted (the run stops, exit 3, and resumes). If the API
refuses its filter the run stops with exit 2 (`LookupRefused`) unless
`dedupe.require_api_lookup: false`, which each report then names as a weakened guarantee."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from importer.api.queries import PAGE_SIZE
from importer.config import Config
from importer.journal import Journal, JournalRow
from importer.pipeline.found_verdicts import Asked, Found, FoundJudge, unique_note
from importer.pipeline.reference import (
    IMPORTED_BEFORE,
    is_generated,
    legacy_origin,
    occurrences,
    reimport_salt,
    row_reference,
)

Find = Callable[[str, str, Iterable[str]], dict[str, list[dict[str, Any]]]]
"""(creditor, field, values) -> the API's creditings by value (`CreditingQueries.find_in`)."""


class ApiLookup:
    """The look-up before sending, over one import's rows, at one target."""

    def __init__(self, config: Config, journal: Journal, base_url: str) -> None:
        self._config = config
        self._journal = journal
        self._api = base_url
        self._judge = FoundJudge(config, journal, base_url)
        self._content_refs: tuple[str, dict[int, str]] | None = None
        """(import, today's reference of each of its rows), for an import begun with
        `<import id>/<row>` references."""

    def asks(self, request: dict[str, Any], *, notes_by_reference: bool = False) -> bool:
        """Whether a row is asked about by this look-up (a row with a credit note is asked
        about by its note, with credit-note dedupe on — before posting; right before it is
        sent, `notes_by_reference`, by its generated reference too, which carries the note:
        what another journal credited after the look-up by note is found there)."""
        if not unique_note(self._config, request):
            return True
        return notes_by_reference and is_generated(request.get("creditor_reference"))

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
        journal does not know is another importer's (`FoundJudge.judge`)."""
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
                self._judge.judge(import_id, question, creditings, owners, found, while_posting)
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

    def _question(self, import_id: str, jrow: JournalRow) -> Asked:
        request = jrow.request or {}
        reference = request.get("creditor_reference")
        if reference:
            values = [reference]
            if legacy_origin(reference) is not None:  # begun before: asked under both
                values.append(self._content_reference(import_id, jrow.row))
            return Asked(jrow, "creditor_reference", tuple(values), is_generated(reference))
        name = "case" if request.get("case") else "invoice_number"
        return Asked(jrow, name, (str(request.get(name)),), generated=False)

    def _content_reference(self, import_id: str, row: int) -> str:
        """Today's generated reference of a row of an import begun with `<import id>/<row>`
        references, counted among the import's rows as intake would have."""
        if self._content_refs is None or self._content_refs[0] != import_id:
            rows = [r for r in self._journal.rows.all(import_id) if r.request is not None]
            record = self._journal.imports.get(import_id)
            salt = reimport_salt(
                record.sha256 if record else None,
                repeats_allowed=self._config.dedupe.repeats == "allow",
                imported_before=any(w.code == IMPORTED_BEFORE for w in record.warnings)
                if record
                else False,
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


def _chunks(values: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
