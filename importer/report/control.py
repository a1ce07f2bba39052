"""Control totals that reconcile to the file: what finance compares with the creditor's own
system's total for the file.

Every row's amount counts where it can be read — the request's amount, or for a row that has
none (invalid: a missing invoice, a bad date) the amount its cell shows, read as the file's
other amounts were (`AmountReading`: the pipeline, which knows how amounts are read, hands it
to the renderer) — so "amount read" is the file's total and the outcomes' amounts add up to
it; rows whose amount cannot be read are counted apart. Rows that have no
outcome at all (a total row left out, hidden rows left out) are lines of their own
(`left_out_lines`), taken from the import's warnings."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from importer.outcomes import ImportWarning
from importer.report.model import LEFT_OUT, ControlLine, Summary
from importer.report.settings import AmountReading

__all__ = ["AmountReading", "left_out_lines", "reconciling_lines"]

_KINDS = {"total_row_left_out": "total_rows", "hidden_rows_skipped": "hidden_rows"}
"""Warning code -> the control line of the rows it names."""
_LABELS = {"total_rows": "label.left_out.total_rows", "hidden_rows": "label.left_out.hidden_rows"}
"""Each control line's label (a key of `importer.words`)."""


def left_out_lines(warnings: Sequence[ImportWarning]) -> dict[str, ControlLine]:
    """The control lines of the rows with no outcome (`LEFT_OUT`, zero included), from the
    import's warnings: each total row left out, and the hidden rows left out."""
    lines = {kind: ControlLine() for kind in LEFT_OUT}
    for warning in warnings:
        kind = _KINDS.get(warning.code)
        if kind is None:
            continue
        line = lines[kind]
        line.rows += len(warning.rows)
        if warning.amount is not None:
            line.amount += Decimal(warning.amount)
    return lines


def reconciling_lines(summary: Summary) -> list[tuple[str, int, Decimal | None]]:
    """The lines the control totals show below the outcomes, as (label key, rows, amount):
    the rows without a readable amount (counted among the outcomes, no amount), the rows
    whose amount a `rerun --fix` changed (with the change), then each kind of row with no
    outcome that the file holds — what reconciles the amount read with a total the
    creditor's system made. Lines of zero rows are left out."""
    lines: list[tuple[str, int, Decimal | None]] = []
    if summary.rows_without_amount:
        lines.append(("label.rows_without_amount", summary.rows_without_amount, None))
    if summary.corrected.rows:
        lines.append(("label.corrected", summary.corrected.rows, summary.corrected.amount))
    for kind in LEFT_OUT:
        line = summary.left_out.get(kind)
        if line is not None and line.rows:
            lines.append((_LABELS[kind], line.rows, line.amount))
    return lines
