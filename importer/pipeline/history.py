"""The imports the journal knows, as an operator asks about them: which imports (since a
date, for a creditor, open or finished), and one import's summary with its rows needing
attention. A library function each, so `importer imports` and `importer show` stay adapters
and a script can ask the same from Python."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal, NamedTuple

from importer.attention import row_next_step
from importer.journal import ImportRecord, Journal
from importer.outcomes import Outcome
from importer.pipeline.amounts_read import amount_reading
from importer.report.model import Report
from importer.report.render import build_report
from importer.words import Language, error_text, reason_text, text

Status = Literal["open", "finished"]


class ImportEntry(NamedTuple):
    """One import and its rows counted by outcome; unpacks as `(record, counts)`."""

    record: ImportRecord
    counts: dict[Outcome, int]

    @property
    def status(self) -> Status:
        """`open` while rows may still be posted; a finished or rejected import is done."""
        return "open" if self.record.state == "open" else "finished"

    def as_json(self) -> dict[str, Any]:
        record = self.record
        return {
            "file_import_report": record.id,
            "file": record.file_name,
            "started": record.started.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "finished": None
            if record.finished is None
            else record.finished.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "status": self.status,
            "state": record.state,
            "dry_run": record.dry_run,
            "api": {"base_url": record.base_url},
            "rows": record.rows,
            "outcomes": {outcome.value: count for outcome, count in self.counts.items()},
        }


def list_imports(
    journal: Journal,
    *,
    since: date | None = None,
    creditor: str | None = None,
    status: Status | None = None,
) -> list[ImportEntry]:
    """Every import, oldest first, filtered: started on or after `since` (UTC date), with a
    row for `creditor`, in `status`."""
    entries = []
    for record in journal.imports():
        started = record.started if record.started.tzinfo else record.started.replace(tzinfo=UTC)
        if since is not None and started.astimezone(UTC).date() < since:
            continue
        if creditor is not None and creditor not in journal.creditors(record.id):
            continue
        entry = ImportEntry(record, journal.outcome_counts(record.id))
        if status is not None and entry.status != status:
            continue
        entries.append(entry)
    return entries


@dataclass(frozen=True, slots=True)
class AttentionLine:
    row: int
    outcome: str
    reason: str
    next_step: str


@dataclass(slots=True)
class ImportView:
    report: Report
    creditors: list[str]
    report_csv: Path
    """The report.csv of the folder the report was last written to."""
    attention: list[AttentionLine] = field(default_factory=list)


def show_import(
    journal: Journal, import_id: str, report_csv: Path, language: Language = "en"
) -> ImportView:
    """One import's report (from the journal) and its rows needing attention, in words;
    a row's next step names `report_csv`, the report.csv the import's report folder holds."""
    report = build_report(journal, import_id, amount_reading)
    view = ImportView(report, journal.creditors(import_id), report_csv)
    for row in report.rows:
        step = row_next_step(row.outcome, row.status, row.errors, dry_run=report.dry_run)
        if step is None:
            continue
        reasons = [error_text(e.code, language) + f" ({e.message})" for e in row.errors]
        if row.status_reason_locale:
            reasons.append(reason_text(row.status_reason_locale, language) or "")
        if not reasons and row.outcome in (Outcome.NOT_SENT, Outcome.UNKNOWN) and row.attempts:
            reasons.append(row.attempts[-1].note or "")
        view.attention.append(
            AttentionLine(
                row=row.row,
                outcome=row.outcome.value + (f"/{row.status}" if row.status else ""),
                reason=" ".join(r for r in reasons if r),
                next_step=text(step, language, id=import_id, csv=report_csv),
            )
        )
    return view


def parse_since(value: str) -> date:
    """`--since 2026-11-24` (a date, UTC) or a full ISO datetime (its UTC date)."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        return datetime.fromisoformat(value).astimezone(UTC).date()
