"""A report row as a person reads it: outcome, status and reason in words, the next step,
the requested and settled amounts as Decimals. Shared by report.xlsx and report.html so both
say the same thing in the same language.

Built only for the rows a writer shows (every row of a small import, the rows needing
attention of a large one): a 200,000-row dry run picks its few invalid rows by outcome first
and words just those."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import compress, repeat
from operator import is_
from typing import Any

from importer.attention import ANSWER_UNUSABLE, row_next_step
from importer.outcomes import CREDITED_TWICE, Outcome, RowError
from importer.report.blocks import RowBlock, block_amounts
from importer.row_detail import details_text
from importer.words import Language, error_text, outcome_text, reason_text, text

_GREEN = "#C6EFCE"
_RED = "#FFC7CE"
_AMBER = "#FFEB9C"
_ORANGE = "#F8CBAD"
_GREY = "#D9D9D9"

OUTCOME_FILLS: dict[str, str] = {
    "credited": _GREEN,
    "credited/warning": _AMBER,
    "credited/error": _RED,
    Outcome.INVALID.value: _RED,
    Outcome.REJECTED.value: _RED,
    Outcome.DUPLICATE.value: _GREY,
    Outcome.NOT_SENT.value: _ORANGE,
    Outcome.UNKNOWN.value: _ORANGE,
}
"""Fill of the outcome cell (Excel's own "Good"/"Bad"/"Neutral" tints): green is done, red
needs fixing, amber/orange needs a look or a rerun, grey was deliberately skipped. A credited
row whose crediting ended in status `warning`/`error` is coloured by that status, because it
is credited but still not in order."""


def fill_key(outcome: Outcome, status: str | None) -> str:
    if outcome is Outcome.CREDITED and status in ("warning", "error"):
        return f"credited/{status}"
    return outcome.value


@dataclass(frozen=True, slots=True)
class WordedRow:
    row: int
    outcome: Outcome
    status: str | None
    outcome_text: str
    reason: str
    next_step: str
    next_step_key: str | None
    """The catalogue key of `next_step` (None: the row needs nobody)."""
    details: str
    requested: Decimal | None
    settled: Decimal | None
    crediting_id: str | None
    duplicate_of: dict[str, Any] | None
    http_status: int | None
    attempts: int
    source: list[str]


def report_labels(own: Sequence[str], keys: Sequence[str], language: Language) -> list[str]:
    """The headers of the report's columns after the file's own (`keys`: catalogue keys, or
    a name such as `_id` shown as it is). One that a column of the file already has (a file
    with its own "Meddelande") is told apart, "Meddelande (rapport)", on every page and
    sheet alike, and again if the file has that name too. The row number keeps its name:
    `rerun --fix` finds it as the last of the file's and the report's "Row"."""
    taken = {header.strip().casefold() for header in own}
    labels = []
    for key in keys:
        shown = text(key, language) if key.startswith("label.") else key
        while key != "label.row" and shown.casefold() in taken:  # the file may have both
            shown += text("label.report_column", language)
        taken.add(shown.casefold())
        labels.append(shown)
    return labels


_NEEDS_A_PERSON = frozenset({Outcome.INVALID, Outcome.REJECTED, Outcome.NOT_SENT, Outcome.UNKNOWN})
_HELD_NEED_A_PERSON = _NEEDS_A_PERSON - {Outcome.NOT_SENT}


def attention_indices(block: RowBlock, *, dry_run: bool, held: bool = False) -> list[int]:
    """Positions of the block's rows that need a person: exactly the rows for which
    `importer.attention.row_next_step` has a step (a test holds the two equal), picked by a
    comprehension over the outcome column — a function call per row cost half a second of a
    200,000-row `validate` — and for a dry run (only invalid rows) by one C-level pass.
    `held`: an all-or-nothing import held back by its invalid rows, whose `not_sent` rows
    need nobody (`importer.attention.held_back`)."""
    outcomes = block.outcome
    if dry_run:
        invalid = map(is_, outcomes, repeat(Outcome.INVALID))
        return list(compress(range(len(outcomes)), invalid))
    needs = _HELD_NEED_A_PERSON if held else _NEEDS_A_PERSON
    credited, flagged = Outcome.CREDITED, ("warning", "error")
    statuses = block.status or [None] * len(outcomes)
    found = [
        i
        for i, (o, s, e) in enumerate(zip(outcomes, statuses, block.errors, strict=True))
        if o in needs or (o is credited and (s in flagged or (e and _flagged_credit(e))))
    ]
    resolved = block.resolution
    return found if resolved is None else [i for i in found if resolved[i] is None]


def _flagged_credit(errors: Sequence[RowError]) -> bool:
    """A credited row flagged as credited twice, or whose answer did not fit (rare: checked
    only for rows with errors)."""
    return any(error.code in (CREDITED_TWICE, ANSWER_UNUSABLE) for error in errors)


def worded_rows(
    block: RowBlock,
    columns: Sequence[str],
    indices: Sequence[int],
    *,
    language: Language,
    import_id: str,
    dry_run: bool,
    report_csv: str,
    shared: bool = False,
    held: bool = False,
) -> Iterator[WordedRow]:
    """The rows of `block` at `indices`, in words (`shared`, `held`: see `row_next_step`)."""
    if not indices:
        return
    amounts = block_amounts(block)
    keyed = block.keyed
    for index in indices:
        outcome = block.outcome[index]
        status = block.status[index] if block.status else None
        errors: Sequence[RowError] = block.errors[index]
        reason_key = block.status_reason_locale[index] if block.status_reason_locale else None
        resolved = block.resolution is not None and block.resolution[index] is not None
        step = row_next_step(
            outcome,
            status,
            errors,
            dry_run=dry_run,
            shared=shared,
            resolved=resolved,
            held=held,
        )
        if dry_run and outcome is Outcome.NOT_SENT:
            shown = text("label.would_be_sent", language)
        else:
            shown = outcome_text(outcome.value, status, language)
        reasons = [error_text(error.code, language) for error in errors]
        if reason_key:
            reasons.append(reason_text(reason_key, language) or "")
        attempts = block.attempts[index] if block.attempts else []
        if not reasons and outcome in (Outcome.NOT_SENT, Outcome.UNKNOWN) and attempts:
            reasons.append(attempts[-1].note or "")
        source = block.source[index]
        cells = [source.get(c, "") for c in columns] if keyed else list(source)
        yield WordedRow(
            row=block.row[index],
            outcome=outcome,
            status=status,
            outcome_text=shown,
            reason=" ".join(r for r in dict.fromkeys(reasons) if r),
            next_step="" if step is None else text(step, language, id=import_id, csv=report_csv),
            next_step_key=step,
            details=details_text(errors, language),
            requested=amounts[index],
            settled=block.settled_amount[index] if block.settled_amount else None,
            crediting_id=block.id[index] if block.id else None,
            duplicate_of=block.duplicate_of[index] if block.duplicate_of else None,
            http_status=block.http_status[index] if block.http_status else None,
            attempts=len(attempts),
            source=cells,
        )
