"""The report's vocabulary (docs/outcomes.md): what happened to a row, why it was not credited, and
the exit code a run's outcomes add up to (docs/reports.md).

Shared by validation (which produces row errors), the journal (which stores them), the client
(which classifies API answers into them) and the report (which renders them)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from importer.exit_codes import ExitCode


class Outcome(StrEnum):
    CREDITED = "credited"
    INVALID = "invalid"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"
    NOT_SENT = "not_sent"
    UNKNOWN = "unknown"

    @property
    def is_final(self) -> bool:
        """A final row is never posted again by a rerun."""
        return self in (Outcome.CREDITED, Outcome.INVALID, Outcome.DUPLICATE)


OUTCOME_ORDER: tuple[Outcome, ...] = tuple(Outcome)


class RowError(BaseModel):
    """Why a row was not credited: the field it concerns (or "" for the row as a whole), a
    stable code machines can match on, and a sentence a finance person understands."""

    model_config = ConfigDict(frozen=True)

    field: str
    code: str
    message: str


FILE_REJECTED = "file_rejected"
"""The error code of a file refused as a whole (its import's one file error, no rows)."""

CREDITED_TWICE = "credited_twice"
"""The error code on a credited row whose reference the API holds more than once: its outcome
stands, a person reverses all but one."""


def exit_code_for(
    outcomes: Mapping[str, int],
    statuses: Mapping[str, int],
    *,
    dry_run: bool = False,
    rejected: bool = False,
    all_or_nothing: bool = False,
) -> ExitCode:
    """The exit code (docs/outcomes.md), from a report's summary counts: 2 when the file was
    `rejected` as a
    whole, 3 when rows are left without a final answer, 1 when rows need a person (invalid,
    rejected, status warning or error), else 0. Duplicates are protection working, not a
    problem: they do not raise the code on their own."""
    if rejected:
        return ExitCode.USAGE
    if dry_run:
        return ExitCode.ATTENTION if outcomes.get("invalid") else ExitCode.OK
    if all_or_nothing and outcomes.get("invalid") and not outcomes.get("credited"):
        return ExitCode.ATTENTION
    if outcomes.get("not_sent") or outcomes.get("unknown"):
        return ExitCode.INCOMPLETE
    if any(outcomes.get(o) for o in ("invalid", "rejected")) or any(
        statuses.get(s) for s in ("warning", "error")
    ):
        return ExitCode.ATTENTION
    return ExitCode.OK


def worst(codes: Iterable[ExitCode]) -> ExitCode:
    """Several files in one run: the most serious code wins (3 > 2 > 1 > 0)."""
    order = [ExitCode.OK, ExitCode.ATTENTION, ExitCode.USAGE, ExitCode.INCOMPLETE]
    return max(codes, key=order.index, default=ExitCode.OK)


class ImportWarning(BaseModel):
    """Something about the file a person should know that changes no row's outcome and does
    not raise the exit code: report.json's `warnings` (docs/reports.md).

    `code` is stable (machines match on it); `message` is the sentence for people; `rows`
    are the spreadsheet row numbers concerned; `amount` (a decimal string, "1234.00") is the
    amount a left-out total row held; `sheet` names a workbook sheet. Codes:

    - `total_row_left_out`: a row that sums the rows above, not a credit (one per row);
    - `hidden_rows_imported` / `hidden_rows_skipped`: rows hidden in the workbook, and what
      `input.hidden_rows` did with them;
    - `hidden_sheet`: a hidden sheet of the workbook that was not read;
    - `daylight_saving_gap` / `daylight_saving_overlap`: naive times that do not exist, or
      occur twice, on the day the clocks change (read with the offset before the change);
    - `columns_not_sent`: columns the API sets itself; `all_or_nothing`: nothing was posted;
    - `api_lookup_refused`: the API refused the look-up before sending and
      `dedupe.require_api_lookup` is false: the journal alone decided (a weakened guarantee);
    - `journal_alone`: a dry run could not ask the API; its prediction rests on the journal;
    - `imported_before`: run with repeats allowed, every row the file would credit was at the
      API already under its plain reference, so the references were left plain
      (`pipeline.generated_references`).
    """

    model_config = ConfigDict(frozen=True)

    code: str
    message: str
    rows: list[int] = Field(default_factory=list)
    amount: str | None = None
    sheet: str | None = None

    @classmethod
    def stored(cls, value: object) -> ImportWarning:
        """A warning as the journal keeps it (an object; a plain text in older journals)."""
        if isinstance(value, str):
            return cls(code="note", message=value)
        return cls.model_validate(value)
