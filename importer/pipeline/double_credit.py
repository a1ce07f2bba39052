"""Detecting what settling cannot prevent: a reference credited twice.

The settle time keeps a late-stored request from being posted again, but an API may store a
request later still. So every row that had more than one attempt, or an uncertain one, is
noted in the journal (`journal.uncertain`), and after posting — once the settle time has
passed since its last attempt — it is looked up by its reference once more. Two or more
creditings that may be the row's (`pipeline.ownership.could_be_its`: not another row's, nor
an older credit under a reused reference): the row keeps its outcome and is flagged
`credited_twice` with every `_id`, the import exits 1, and a sentence tells a person to
reverse one. Nothing is reversed
automatically: a reversal is money too."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from importer.journal import Journal, JournalRow
from importer.outcomes import CREDITED_TWICE, Outcome, RowError
from importer.pipeline.ownership import could_be_its, created_before, same_credit
from importer.pipeline.reference import content_key

Find = Callable[[str, str], list[dict[str, Any]]]
"""(creditor, reference) -> the creditings the API holds (`ApiClient.find_by_reference`)."""
FindIn = Callable[[str, str, list[str]], dict[str, list[dict[str, Any]]]]
"""(creditor, field, values) -> the creditings by value (`CreditingQueries.find_in`)."""


class DoubleCredits:
    """The look-up after posting, over the rows of one import noted as uncertain."""

    def __init__(self, journal: Journal, base_url: str) -> None:
        self._journal = journal
        self._api = base_url

    def due(self, import_id: str, settle: float) -> float | None:
        """When the last noted credited row's last attempt has settled (epoch seconds);
        None when no credited row is noted."""
        rows = self._credited(import_id)
        if not rows:
            return None
        moments = [r.intent_at.timestamp() for r in rows if r.intent_at is not None]
        return max(moments, default=0.0) + settle

    def check(self, import_id: str, find: Find) -> int:
        """Look every noted credited row up once more; flag those credited twice. Returns
        how many were flagged. Rows still `unknown` stay noted for the next run."""
        flagged = 0
        for jrow in self._credited(import_id):
            request = jrow.request or {}
            reference = request.get("creditor_reference")
            if reference:
                found = could_be_its(
                    self._journal.dedupe,
                    self._api,
                    import_id,
                    jrow,
                    find(request["creditor"], reference),
                )
                if len(found) > 1:
                    self._flag(import_id, jrow, f"with reference {reference}", found)
                    flagged += 1
            self._journal.uncertain.forget(import_id, jrow.row)
        return flagged

    def sweep(self, import_id: str, find_in: FindIn) -> int:
        """Every credited row of the import looked up once more by its reference, in `$in`
        batches (`api.queries`): the look-up before sending is made for all rows before the
        first is posted, so a second importer with a journal of its own, started while this
        one posted, found only what was posted by then and sent the rest too. Whichever
        finishes last finds both creditings of such a row: it is flagged `credited_twice`
        (exit 1), never left looking credited once. Returns how many were flagged."""
        settled = [
            r
            for r in self._journal.rows.all(import_id, [Outcome.CREDITED, Outcome.UNKNOWN])
            if r.request
        ]
        unreferenced = [r for r in settled if not (r.request or {}).get("creditor_reference")]
        rows = [
            r
            for r in settled
            if r.outcome is Outcome.CREDITED and (r.request or {}).get("creditor_reference")
        ]
        wanted: dict[str, set[str]] = {}
        for jrow in rows:
            request = jrow.request or {}
            wanted.setdefault(request["creditor"], set()).add(request["creditor_reference"])
        found: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for creditor, references in wanted.items():
            for reference, creditings in find_in(
                creditor, "creditor_reference", sorted(references)
            ).items():
                found[(creditor, reference)] = creditings
        flagged = 0
        for jrow in rows:
            request = jrow.request or {}
            reference = request["creditor_reference"]
            held = found.get((request["creditor"], reference), [])
            if len(held) < 2:
                continue
            theirs = could_be_its(self._journal.dedupe, self._api, import_id, jrow, held)
            if len(theirs) > 1:
                self._flag(import_id, jrow, f"with reference {reference}", theirs)
                flagged += 1
        return flagged + self._sweep_by_content(import_id, unreferenced, find_in)

    def _sweep_by_content(
        self, import_id: str, unreferenced: list[JournalRow], find_in: FindIn
    ) -> int:
        """The sweep for rows without any reference (`reference.generate: false`, no
        reference column): looked up by their case or invoice number, as before sending.
        Identical rows of one file are separate credits, so rows are counted by content:
        more creditings of one content than this import's rows of it (credited or still
        unknown) that may be theirs — the same credit (`same_credit`), not another row's of
        the journal, not older than the rows' first attempt — flag each credited one."""
        groups: dict[tuple[str, ...], list[JournalRow]] = {}
        for jrow in unreferenced:
            groups.setdefault(content_key(jrow.request or {}), []).append(jrow)
        if not any(r.outcome is Outcome.CREDITED for rows in groups.values() for r in rows):
            return 0
        wanted: dict[tuple[str, str], set[str]] = {}
        for rows in groups.values():
            creditor, name, value = _by_content(rows[0].request or {})
            wanted.setdefault((creditor, name), set()).add(value)
        found: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        for (creditor, name), values in wanted.items():
            for value, creditings in find_in(creditor, name, sorted(values)).items():
                found[(creditor, name, value)] = creditings
        owners = self._journal.dedupe.credited_rows_of(
            self._api, (str(c.get("_id")) for cs in found.values() for c in cs)
        )
        flagged = 0
        for rows in groups.values():
            request = rows[0].request or {}
            here = {(import_id, r.row) for r in rows}
            firsts = [self._journal.dedupe.first_attempt_at(import_id, r.row) for r in rows]
            first = min((f for f in firsts if f is not None), default=None)
            theirs = [
                c
                for c in found.get(_by_content(request), [])
                if owners.get(str(c.get("_id")), (import_id, rows[0].row)) in here
                and same_credit(c, request) is not False
                and not created_before(c, first)
            ]
            if len(theirs) <= len(rows):
                continue
            for jrow in rows:
                if jrow.outcome is Outcome.CREDITED:
                    self._flag(import_id, jrow, f"of this credit for {len(rows)} row(s)", theirs)
                    flagged += 1
        return flagged

    def _credited(self, import_id: str) -> list[JournalRow]:
        rows = (
            self._journal.rows.get(import_id, n)
            for n in self._journal.uncertain.credited(import_id)
        )
        return [row for row in rows if row is not None]

    def _flag(
        self, import_id: str, jrow: JournalRow, how: str, found: list[dict[str, Any]]
    ) -> None:
        """`how`: what the creditings were found as ("with reference R", or by content)."""
        ids = ", ".join(str(c.get("_id")) for c in found)
        error = RowError(
            field="creditor_reference",
            code=CREDITED_TWICE,
            message=(
                f"Amili holds {len(found)} creditings {how} ({ids}): "
                "this row was credited more than once. Reverse all but one of them in Amili."
            ),
        )
        kept = [e for e in jrow.errors if e.code != CREDITED_TWICE]
        self._journal.rows.flag(import_id, jrow.row, [*kept, error], f"credited {len(found)} times")


def _by_content(request: dict[str, Any]) -> tuple[str, str, str]:
    """(creditor, field, value) a row without a reference is looked up by: its case, else
    its invoice number (as `pipeline.api_lookup` asks before sending)."""
    name = "case" if request.get("case") else "invoice_number"
    return str(request.get("creditor")), name, str(request.get(name))
