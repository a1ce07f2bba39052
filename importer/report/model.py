"""The report's model (docs/reports.md): what report.json holds, field by field, and how each
field is written to JSON."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from importer.api.request import body_of
from importer.attention import held_back
from importer.local_time import shown
from importer.outcomes import OUTCOME_ORDER, ImportWarning, Outcome, RowError
from importer.report.cells import as_utc, money_text
from importer.words import Language, rows_text, text


class Attempt(BaseModel):
    """One try at posting a row (or at reconciling it)."""

    at: datetime
    outcome: Outcome
    http_status: int | None = None
    note: str | None = None

    @field_serializer("at", when_used="json")
    def _at_json(self, value: datetime) -> datetime:
        return as_utc(value)


class Resolution(BaseModel):
    """A row a person marked as handled (`importer resolve`): it needs attention no more.
    `os_user` and `host` are recorded always; `by` is a name given beside them."""

    at: datetime
    os_user: str
    host: str
    by: str | None = None
    note: str | None = None

    @field_serializer("at", when_used="json")
    def _at_json(self, value: datetime) -> datetime:
        return as_utc(value)

    def text(self, zone: str | None = None) -> str:
        """`2026-12-07 10:30:00 +01:00 ops@batch-1 (Anna L): credited by hand`: the time in
        `zone` (`report.timezone`; None: the machine's) with its offset."""
        name = f" ({self.by})" if self.by else ""
        when = shown(self.at, zone)
        return f"{when} {self.os_user}@{self.host}{name}: {self.note or ''}".rstrip(": ")


class AuditChange(BaseModel):
    """One cell a correction changed (the file's own column header)."""

    row: int
    column: str
    old: str
    new: str


class AuditRecord(BaseModel):
    """One change made to the import by hand: a correction (`rerun --fix`: the fix file's
    name and SHA-256, every cell changed), a resolution or a reopening (the rows, the note).
    `os_user` and `host` always; `by` is a name given beside them."""

    at: datetime
    action: str
    """`correct`, `resolve` or `reopen`."""
    os_user: str
    host: str
    by: str | None = None
    note: str | None = None
    fix_file: str | None = None
    fix_sha256: str | None = None
    rows: list[int] = Field(default_factory=list)
    changes: list[AuditChange] = Field(default_factory=list)

    @field_serializer("at", when_used="json")
    def _at_json(self, value: datetime) -> datetime:
        return as_utc(value)

    def lines(self, language: Language = "en", zone: str | None = None) -> list[str]:
        """The entry as a person reads it, in `language` with its time in `zone` (the
        report's): a first line (when, what, which rows, who, the fix file or the note),
        then one line per cell changed."""
        who = f"{self.os_user}@{self.host}" + (f" ({self.by})" if self.by else "")
        head = text(
            "audit.head" if self.rows else "audit.head_no_row",  # a fix file that changed nothing
            language,
            when=shown(self.at, zone),
            action=text(f"audit.action.{self.action}", language),
            rows=rows_text(self.rows),
            who=who,
        )
        if self.fix_file:
            head += " " + text("audit.from", language, file=self.fix_file, sha256=self.fix_sha256)
        if self.note:
            head += f": {self.note}"
        return [head] + [
            "  "
            + text(
                "audit.change",
                language,
                row=c.row,
                column=c.column,
                old=repr(c.old),
                new=repr(c.new),
            )
            for c in self.changes
        ]


class ReportRow(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    row: int
    """Row number as a spreadsheet shows it (1-based, header and title rows counted)."""
    outcome: Outcome
    id: str | None = Field(default=None, alias="_id")
    status: str | None = None
    status_reason_locale: str | None = None
    settled_amount: Decimal | None = None
    http_status: int | None = None
    errors: list[RowError] = Field(default_factory=list)
    request: dict[str, Any] | None = None
    """The JSON body sent (or, in a dry run, that would be sent), written to report.json as
    the very bytes sent (`api.request.json_body`); fields that are None here were not sent
    and are left out."""
    source: dict[str, str] = Field(default_factory=dict)
    """The raw cells, keyed by the file's own header text, in the file's column order."""
    original_source: dict[str, str] | None = None
    """When `rerun --fix` replaced the row: the cells the file first had (the audit trail
    beside the corrected `source`); None for a row never corrected."""
    duplicate_of: dict[str, Any] | None = None
    """For `duplicate`: {"file_import_report", "row", "_id"} of the original."""
    case_invoice_number: str | None = None
    case_reference_number: str | None = None
    attempts: list[Attempt] = Field(default_factory=list)
    resolution: Resolution | None = None
    """Set when a person marked the row as handled: then it needs attention no more."""

    @field_serializer("settled_amount", when_used="json")
    def _settled_json(self, value: Decimal | None) -> str | None:
        return None if value is None else money_text(value)

    @field_serializer("request", when_used="json")
    def _request_json(self, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if value is None else body_of(value)


class FileInfo(BaseModel):
    name: str
    sha256: str
    format: str
    rows: int


class ControlLine(BaseModel):
    """A line of the control totals of its own: some of the file's rows (those with no
    outcome, or those a correction changed) and an amount, so the creditor's own total for
    the file can be found in the report whether it counts them or not."""

    rows: int = 0
    amount: Decimal = Decimal(0)
    """The sum of the amounts that could be read on those rows (for `Summary.corrected`,
    the change a correction made to them)."""

    @field_serializer("amount", when_used="json")
    def _amount_json(self, value: Decimal) -> str:
        return money_text(value)


LEFT_OUT: tuple[str, ...] = ("total_rows", "hidden_rows")
"""The rows with no outcome, in the order the control totals list them: total rows left out
(a total is not a credit) and hidden workbook rows left out (`input.hidden_rows: skip`)."""


class Summary(BaseModel):
    rows: int
    outcomes: dict[str, int]
    """Every outcome (docs/outcomes.md) as a key, zero included; they add up to `rows`."""
    statuses: dict[str, int]
    """Counts of `status` among credited rows (completed / warning / error)."""
    amount_requested: Decimal
    """Sum of `amount` over rows that were credited (what was asked for); in a dry run, over
    the rows that would be sent."""
    amount_settled: Decimal
    """Sum of `settled_amount` over credited rows."""
    amount_read: Decimal = Decimal(0)
    """Control total: the sum of every amount that could be read — the request's amount, or
    for a row without one (invalid) the amount its cell shows — whatever became of the row.
    It equals the sum of `amounts`."""
    amounts: dict[str, Decimal] = Field(default_factory=dict)
    """Control totals per outcome: the sum of the readable amounts of that outcome's rows
    (every outcome a key, zero included, when built by `summarise`)."""
    rows_without_amount: int = 0
    """Rows (counted in `outcomes`) whose amount could not be read: empty, or no number."""
    left_out: dict[str, ControlLine] = Field(default_factory=dict)
    """Rows of the file with no outcome (not counted in `rows`), by kind (`LEFT_OUT`):
    `total_rows`, `hidden_rows`; both keys when built from an import."""
    corrected: ControlLine = Field(default_factory=ControlLine)
    """Rows (counted in `outcomes`) whose amount a `rerun --fix` changed, and the change in
    all: each row's amount now less the amount its cell had in the file as sent (an amount
    that could not be read counts as none). `amount_read` less this amount is the file's
    total as it was sent, so the creditor's own total for the file is still found in the
    report after a correction."""
    resolved: int = 0
    """Rows a person marked as handled: they need attention no more (still counted under
    their outcome)."""
    resolved_kinds: dict[str, int] = Field(default_factory=dict, exclude=True)
    """The resolved rows per `importer.attention` kind (`invalid`, `warning`, …): what the
    exit code leaves out."""
    creditors: list[str] = Field(default_factory=list, exclude=True)
    """The creditor ids of the rows with a request, in order of first appearance; the
    report shows them as its top-level `creditor` (not part of `summary`)."""

    @field_serializer("amount_requested", "amount_settled", "amount_read", when_used="json")
    def _money_json(self, value: Decimal) -> str:
        return money_text(value)

    @field_serializer("amounts", when_used="json")
    def _amounts_json(self, value: dict[str, Decimal]) -> dict[str, str]:
        known = [o.value for o in OUTCOME_ORDER if o.value in value]
        keys = known + sorted(set(value) - set(known))
        return {key: money_text(value[key]) for key in keys}

    @field_serializer("outcomes", when_used="json")
    def _outcomes_json(self, value: dict[str, int]) -> dict[str, int]:
        return order_outcomes(value)

    @field_serializer("statuses", when_used="json")
    def _statuses_json(self, value: dict[str, int]) -> dict[str, int]:
        return order_statuses(value)


SCHEMA_VERSION = "2"
"""report.json's shape version: raised when a field changes meaning or goes away (adding a
field does not raise it). "1" was the report before `schema_version` existed."""


class Report(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    schema_version: str = SCHEMA_VERSION
    file_import_report: str
    """The import id."""
    file: FileInfo
    api: dict[str, str]
    """{"base_url": ...}; never the key."""
    creditor: list[str] = Field(default_factory=list)
    """The creditor(s) of the import: every creditor id its rows carry (valid rows: those
    with a request), in order of first appearance. A list even for one, so scripts read one
    shape; empty when no row is valid."""
    dry_run: bool = False
    sandbox: bool = False
    """True when the target was the embedded sandbox: no real credits were issued."""
    started: datetime
    finished: datetime | None = None
    exit_code: int | None = None
    """The import's exit code as the report stands (docs/reports.md); None for a report built
    by hand."""
    language: str = "en"
    """The language of `texts` (`report.language`)."""
    texts: dict[str, dict[str, str]] = Field(default_factory=dict)
    """Words for the keys this report uses, in `language`: {"outcome": {key: text},
    "status": {...}, "status_reason_locale": {...}, "error": {code: text}}. The rows keep the
    keys (the machine contract); a reader looks their text up here once."""
    file_errors: list[RowError] = Field(default_factory=list)
    """Why the file was rejected as a whole (then `rows` is empty), or file-level warnings."""
    warnings: list[ImportWarning] = Field(default_factory=list)
    """What a person should know about the file that changes no row's outcome (total rows
    left out, hidden rows and sheets, daylight-saving times): see `ImportWarning`."""
    columns: list[str] = Field(default_factory=list)
    """The file's own header texts in order (the original columns of report.csv/xlsx)."""
    audit: list[AuditRecord] = Field(default_factory=list)
    """Every change made to the import by hand, oldest first (append-only in the journal)."""
    summary: Summary
    rows: list[ReportRow]
    """Last, so report.json can stream rows after the head (see _write_json)."""

    @property
    def held_back(self) -> bool:
        """An all-or-nothing import stopped by its invalid rows: its `not_sent` rows wait for
        the correction, not for the API (`importer.attention.held_back`)."""
        return held_back(self.warnings, self.summary.outcomes)

    @field_serializer("started", "finished", when_used="json")
    def _time_json(self, value: datetime | None) -> datetime | None:
        return None if value is None else as_utc(value)


KNOWN_STATUSES: tuple[str, ...] = ("completed", "warning", "error")
"""The processing statuses of a stored crediting (docs/api.md); always present in
`Summary.statuses`, zero included, so a consumer never has to guess whether a key is missing
because it is zero or because it was forgotten."""


FORMATS: tuple[str, ...] = ("json", "csv", "xlsx", "html")


OUTCOME_COLUMNS: tuple[str, ...] = (
    "row",
    "outcome",
    "_id",
    "status",
    "status_reason_locale",
    "settled_amount",
    "http_status",
    "errors",
    "duplicate_of",
    "attempts",
    "resolved",
)
"""The columns appended after the file's own columns in report.csv / report.xlsx. The row
number column is called `row` so that a corrected report.csv can be fed back with
`importer rerun --fix report.csv`: the rows are matched by that number."""
IMPORT_COLUMN = "import"
"""report.csv's last column: the import id on every row, so a corrected report fed to
`rerun --fix` is known to be this import's (report.xlsx names it on its Summary sheet)."""


def _ordered_counts(order: tuple[str, ...]) -> Callable[[dict[str, int]], dict[str, int]]:
    """Counts in the vocabulary's order, then any other keys sorted: stable key order whoever
    built the Summary."""

    def ordered(counts: dict[str, int]) -> dict[str, int]:
        result = {key: counts[key] for key in order if key in counts}
        result.update(sorted((k, v) for k, v in counts.items() if k not in result))
        return result

    return ordered


order_outcomes = _ordered_counts(tuple(o.value for o in OUTCOME_ORDER))


order_statuses = _ordered_counts(KNOWN_STATUSES)
