"""Which rows need a person, and what that person should do next.

One place for the rule, because the workbook's "Needs attention" sheet, report.html, the
closing summary and `importer show` must all agree on it: invalid, rejected, credited with
status `warning` or `error` or credited twice, credit-note conflicts, `not_sent` and
`unknown` rows need attention; credited/completed and duplicate rows do not, and neither does
a row a person marked as handled (`importer resolve`). In a dry run
nothing was sent, so a valid row (`not_sent`, "would be sent") needs nobody; only invalid
rows do. Nor does a valid row an all-or-nothing import held back for its invalid rows
(`held_back`): correcting those posts it, and listed beside them it buried the rows to fix
(the first 500 of report.html, Excel's last row)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from importer.outcomes import CREDITED_TWICE, ImportWarning, Outcome, RowError

CONFLICT_CODES = frozenset({"credit_invoice_conflict"})
ANSWER_UNUSABLE = "api_answer_unusable"
"""A credited row whose answer from the API did not fit (importer.api.answers): money moved
and a person checks the crediting."""
"""Codes of an invalid row that a person must decide, not correct."""

KEY_REFUSED = "api_key_refused"
"""The API refused the key: every row would be refused alike, so the run stopped."""
CREDITOR_UNKNOWN = "creditor_unknown"
"""Every row sent was refused because the API does not know the creditor."""
SAME_REASON = "same_reason_every_row"
"""Every row sent was refused for one and the same reason."""
FILE_PROBLEMS = frozenset({KEY_REFUSED, CREDITOR_UNKNOWN, SAME_REASON})
"""Warning codes of problems that posting found to be the import's, not its rows': told once,
with the fix of their cause, instead of a row problem on every row (the rows keep their
outcome: a rejected row stays `rejected`). Set and cleared by `importer.pipeline.file_problems`."""


ALL_OR_NOTHING = "all_or_nothing"
"""The warning of an all-or-nothing import that posted nothing because rows are invalid."""


def held_back(warnings: Sequence[ImportWarning], outcomes: Mapping[str, int]) -> bool:
    """An all-or-nothing import stopped by its invalid rows: its `not_sent` rows wait for
    their correction (`rerun --fix`), not for the API — a plain rerun posts nothing while an
    invalid row is left, so "after the outage" would send a person the wrong way."""
    return bool(outcomes.get("invalid")) and any(w.code == ALL_OR_NOTHING for w in warnings)


def file_problems(warnings: Sequence[ImportWarning]) -> frozenset[str]:
    """The codes of `FILE_PROBLEMS` among an import's warnings."""
    return frozenset(w.code for w in warnings) & FILE_PROBLEMS


def shares_rejection(warnings: Sequence[ImportWarning]) -> bool:
    """Every row sent was refused for the import's own problem (see `FILE_PROBLEMS`)."""
    return bool(file_problems(warnings) & {CREDITOR_UNKNOWN, SAME_REASON})


def row_next_step(
    outcome: Outcome,
    status: str | None,
    errors: Sequence[RowError],
    *,
    dry_run: bool = False,
    shared: bool = False,
    resolved: bool = False,
    held: bool = False,
) -> str | None:
    """The catalogue key (`importer.words`) of the next step for a row, or None when the row
    needs nobody — a row a person marked as handled (`resolved`) needs nobody any more.
    `shared`: the rejected rows were refused for the import's own problem, whose fix the
    import's next step gives (not a correction of each row). `held`: the import is an
    all-or-nothing one stopped by its invalid rows (`held_back`)."""
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
        return "next.rejected_shared" if shared else "next.rejected"
    if outcome is Outcome.NOT_SENT:
        return None if held else "next.not_sent"
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
    problems: Collection[str] = (),
    sandbox: bool = False,
    resolved: Mapping[str, int] | None = None,
    held: bool = False,
) -> list[str]:
    """The catalogue keys of what to do next for a whole import, most urgent first: an
    outage is fixed by a plain rerun (a refused key by setting the key first), then the
    import's own problem (`problems`: the creditor unknown, one reason for every row sent),
    then rows to correct (`rerun --fix`), then credited rows to check. Exactly one key
    ("nothing to do") when nothing is left. `resolved` counts the rows a person resolved per
    `ATTENTION_KINDS` word: they need no step. `held`: an all-or-nothing import stopped by
    its invalid rows (`held_back`): its one step is to correct them, which posts every row."""
    outcomes, statuses = still_open(outcomes, statuses, resolved)
    if rejected_file:
        return ["next.import_file"]
    if dry_run:
        return ["next.import_dry_run"] if outcomes.get("invalid") else ["next.import_done"]
    if held:
        return ["next.import_all_or_nothing"]
    steps = []
    if outcomes.get("not_sent") or outcomes.get("unknown"):
        steps.append("next.import_key_refused" if KEY_REFUSED in problems else "next.import_outage")
    shared = CREDITOR_UNKNOWN in problems or SAME_REASON in problems
    if CREDITOR_UNKNOWN in problems:
        steps.append(f"next.import_creditor_unknown{'_sandbox' if sandbox else ''}")
    elif SAME_REASON in problems:
        steps.append("next.import_same_reason")
    if outcomes.get("invalid") or (outcomes.get("rejected") and not shared):
        steps.append("next.import_fix")
    if statuses.get("warning") or statuses.get("error"):
        steps.append("next.import_check")
    return steps or ["next.import_done"]
