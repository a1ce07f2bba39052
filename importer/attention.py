"""Which rows need a person, and what that person should do next.

One place for the rule, because the workbook's "Needs attention" sheet, report.html, the
closing summary and `importer show` must all agree on it: invalid, rejected, credited with
status `warning` or `error` or credited twice, credit-note conflicts, `not_sent` and
`unknown` rows need attention; credited/completed and duplicate rows do not, and neither does
a row a person marked as handled (`importer resolve`). In a dry run
nothing was sent, so a valid row (`not_sent`, "would be sent") needs nobody; only invalid
rows do."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from importer.outcomes import CREDITED_TWICE, Outcome, RowError

CONFLICT_CODES = frozenset({"credit_invoice_conflict"})
ANSWER_UNUSABLE = "api_answer_unusable"
"""A credited row whose answer from the API did not fit (importer.api.answers): money moved
and a person checks the crediting."""
"""Codes of an invalid row that a person must decide, not correct."""


def row_next_step(
    outcome: Outcome,
    status: str | None,
    errors: Sequence[RowError],
    *,
    dry_run: bool = False,
    resolved: bool = False,
) -> str | None:
    """The catalogue key (`importer.words`) of the next step for a row, or None when the row
    needs nobody — a row a person marked as handled (`resolved`) needs nobody any more."""
    if resolved:
        return None
    if outcome is Outcome.INVALID:
        if any(error.code in CONFLICT_CODES for error in errors):
            return "next.conflict"
        return "next.invalid_dry_run" if dry_run else "next.invalid"
    if dry_run:
        return None
    if outcome is Outcome.CREDITED:
        if any(error.code == CREDITED_TWICE for error in errors):
            return "next.credited_twice"
        if status in ("warning", "error"):
            return f"next.{status}"
        if any(error.code == ANSWER_UNUSABLE for error in errors):
            return "next.answer_unusable"
        return None
    if outcome is Outcome.REJECTED:
        return "next.rejected"
    if outcome is Outcome.NOT_SENT:
        return "next.not_sent"
    if outcome is Outcome.UNKNOWN:
        return "next.unknown"
    return None


ATTENTION_KINDS: tuple[str, ...] = (
    "invalid",
    "rejected",
    "unknown",
    "not_sent",
    "warning",
    "error",
    "credited_twice",
    "answer_unusable",
)
"""What a row needing attention is counted as in a list of imports, in this order."""


def attention_kind(outcome: Outcome, status: str | None, errors: Sequence[RowError]) -> str:
    """The `ATTENTION_KINDS` word a row needing attention is counted under: its outcome, or
    for a credited row what makes a person look at it (credited twice before its status)."""
    if outcome is not Outcome.CREDITED:
        return outcome.value
    if any(error.code == CREDITED_TWICE for error in errors):
        return "credited_twice"
    if status in ("warning", "error"):
        return status
    return "answer_unusable"


def still_open(
    outcomes: Mapping[str, int],
    statuses: Mapping[str, int],
    resolved: Mapping[str, int] | None,
) -> tuple[Mapping[str, int], Mapping[str, int]]:
    """A summary's counts per outcome and per status without the rows a person resolved
    (`resolved`: per `ATTENTION_KINDS` word): what the next steps and the exit code weigh."""
    if not resolved:
        return outcomes, statuses
    return (
        {k: n - resolved.get(k, 0) for k, n in outcomes.items()},
        {k: n - resolved.get(k, 0) for k, n in statuses.items()},
    )


def import_next_steps(
    outcomes: Mapping[str, int],
    statuses: Mapping[str, int],
    *,
    dry_run: bool,
    rejected_file: bool,
    resolved: Mapping[str, int] | None = None,
) -> list[str]:
    """The catalogue keys of what to do next for a whole import, most urgent first: an
    outage is fixed by a plain rerun, then rows to correct (`rerun --fix`), then credited
    rows to check. Exactly one key ("nothing to do") when nothing is left. `resolved`
    counts the rows a person resolved per `ATTENTION_KINDS` word: they need no step."""
    outcomes, statuses = still_open(outcomes, statuses, resolved)
    if rejected_file:
        return ["next.import_file"]
    if dry_run:
        return ["next.import_dry_run"] if outcomes.get("invalid") else ["next.import_done"]
    steps = []
    if outcomes.get("not_sent") or outcomes.get("unknown"):
        steps.append("next.import_outage")
    if outcomes.get("invalid") or outcomes.get("rejected"):
        steps.append("next.import_fix")
    if statuses.get("warning") or statuses.get("error"):
        steps.append("next.import_check")
    return steps or ["next.import_done"]
