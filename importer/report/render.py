"""Builds the report model from the journal — the only source a report is rendered from, so
a report can be regenerated at any time and a rerun updates it in place."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from importer.attention import still_open
from importer.errors import ImportNotFound, RerunRefused
from importer.exit_codes import ExitCode
from importer.journal import AuditEntry, ImportRecord, Journal, JournalRow
from importer.outcomes import Outcome, exit_code_for
from importer.refusal import Refusal
from importer.report.blocks import BLOCK_ROWS, AmountFill, RowBlock, build_summary, summarise
from importer.report.control import AmountReading, left_out_lines
from importer.report.model import (
    Attempt,
    AuditRecord,
    FileInfo,
    Report,
    ReportRow,
    Resolution,
    Summary,
)
from importer.report.settings import ReportSettings, SourceDialect
from importer.report.writers import write_reports

_ROW = ReportRow(row=0, outcome=Outcome.NOT_SENT)
"""What every row of `report_of` is copied from, with all its fields updated."""


def _renderable(journal: Journal, import_id: str) -> ImportRecord:
    record = journal.imports.get(import_id)
    if record is None:
        raise ImportNotFound(f"no import {import_id} in the journal {journal.path}")
    if record.dry_run and record.state != "rejected":  # a rejected file has no rows anyway
        raise RerunRefused(
            f"import {import_id} was a dry run: it keeps no rows in the journal; "
            "validate the file again to get its report"
        )
    return record


def build_report(journal: Journal, import_id: str, read: AmountReading | None = None) -> Report:
    """The report of an import, from what the journal holds now, every row a model (for a
    Python caller; the report files are rendered by `render_from_journal`). `read`: how an
    invalid row's amount is read from its cell, for the control totals (none: not read)."""
    record = _renderable(journal, import_id)
    fill = None if read is None else read(_dialect(journal, record), record.columns)
    report = report_of(
        record,
        journal.rows.all(import_id),
        journal.history.attempts(import_id),
        journal.history.original_sources(import_id),
        resolutions(journal, import_id),
        fill,
    )
    report.audit = audit_records(journal.audit.trail(import_id))
    return report


def resolutions(journal: Journal, import_id: str) -> dict[int, Resolution]:
    """{row: who resolved it, when, why} for the import's rows resolved now."""
    return {
        row: Resolution(
            at=entry.at, os_user=entry.os_user, host=entry.host, by=entry.by, note=entry.note
        )
        for row, entry in journal.audit.resolutions(import_id).items()
    }


def audit_records(entries: Iterable[AuditEntry]) -> list[AuditRecord]:
    return [AuditRecord.model_validate(entry.model_dump()) for entry in entries]


def report_summary(journal: Journal, import_id: str, read: AmountReading | None = None) -> Report:
    """The report of an import without its rows, from the journal, nothing written (what a
    caller tells of an import whose report files could not be written)."""
    return _head(journal, _renderable(journal, import_id), read)


def _dialect(journal: Journal, record: ImportRecord) -> SourceDialect:
    return SourceDialect.of_notes(journal.notes.source_notes(record.id), record.format)


def kept_refusal(journal: Journal, record: ImportRecord) -> Refusal | None:
    """Why the file was refused, as the journal kept it (None: not refused, or refused before
    refusals were kept — its report then says the English it journaled)."""
    if record.state != "rejected":
        return None
    kept = journal.notes.source_notes(record.id).get("refusal")
    return Refusal.from_json(kept) if isinstance(kept, dict) else None


def _head(journal: Journal, record: ImportRecord, read: AmountReading | None) -> Report:
    """The report without its rows: one pass over the journal's rows for the summary."""
    fill = None if read is None else read(_dialect(journal, record), record.columns)
    summary = summarise(_journal_blocks(journal, record), read=fill)
    kinds = summary.resolved_kinds
    flagged = journal.figures.flagged(record.id) - kinds.get("credited_twice", 0)
    head = report_head(record, summary, flagged=flagged - kinds.get("answer_unusable", 0) > 0)
    head.audit = audit_records(journal.audit.trail(record.id))
    return head


def render_from_journal(
    journal: Journal,
    import_id: str,
    directory: Path,
    formats: list[str],
    settings: ReportSettings | None = None,
    read: AmountReading | None = None,
) -> tuple[Report, dict[str, Path]]:
    """Write an import's report files from the journal, block by block: one pass for the
    summary (the head of report.json comes first), one to write the rows. Memory stays one
    block whatever the size of the import. Returns the report without its rows (the rows
    are in the files) and the paths. `read`: as for `build_report`."""
    record = _renderable(journal, import_id)
    head = _head(journal, record, read)
    settings = replace(
        settings or ReportSettings(),
        source=_dialect(journal, record),
        amount_reading=read,
        refusal=kept_refusal(journal, record),
    )
    return head, write_reports(head, directory, formats, _journal_blocks(journal, record), settings)


def _journal_blocks(journal: Journal, record: ImportRecord) -> Iterator[RowBlock]:
    headers = record.columns
    no_attempts: list[tuple[str, str, int | None, str | None]] = []
    resolved = resolutions(journal, record.id)
    for chunk in journal.rows.chunks(record.id, BLOCK_ROWS):
        span = (chunk[0].row, chunk[-1].row)
        attempts = journal.history.attempts(record.id, span)
        originals = journal.history.original_sources(record.id, span)
        yield RowBlock.of_values(
            [
                _row_values(
                    r,
                    headers,
                    attempts.get(r.row, no_attempts),
                    originals.get(r.row),
                    resolved.get(r.row),
                )
                for r in chunk
            ]
        )


def report_of(
    record: ImportRecord,
    rows: Iterable[JournalRow],
    attempts: dict[int, list[tuple[str, str, int | None, str | None]]],
    originals: dict[int, list[str]] | None = None,
    resolved: dict[int, Resolution] | None = None,
    read: AmountFill | None = None,
) -> Report:
    """An import's report with every row a model, from the journal's values (already
    checked where they were stored), each a copy of `_ROW` updated with a row's values:
    pydantic's fastest public way to an unvalidated model. Measured on 20,000 rows (CPU):
    98 ms, against 139 ms for `model_construct`, 222 ms for `model_validate` and 31 ms for
    the former construction through BaseModel's slots. The report files never need models
    (`_journal_blocks`)."""
    originals = originals or {}
    resolved = resolved or {}
    headers = record.columns
    no_attempts: list[tuple[str, str, int | None, str | None]] = []
    report_rows = [
        _ROW.model_copy(
            update=_row_values(
                r,
                headers,
                attempts.get(r.row, no_attempts),
                originals.get(r.row),
                resolved.get(r.row),
            )
        )
        for r in rows
    ]
    flagged = any(
        r.outcome is Outcome.CREDITED and r.errors and r.resolution is None for r in report_rows
    )
    report = report_head(record, build_summary(report_rows, read), flagged=flagged)
    report.rows = report_rows
    return report


def report_head(record: ImportRecord, summary: Summary, *, flagged: bool = False) -> Report:
    """The report of an import without its rows (`rows` empty): what a caller gets back from
    a dry run, whose rows are streamed into the report files and never held as models
    (see `importer.report.write_reports`)."""
    # A row a person resolved needs nobody: the exit code leaves it out (it stays counted
    # under its outcome in the summary).
    outcomes, statuses = still_open(summary.outcomes, summary.statuses, summary.resolved_kinds)
    exit_code = exit_code_for(
        outcomes,
        statuses,
        rejected=record.state == "rejected",
        dry_run=record.dry_run,
        all_or_nothing=record.all_or_nothing,
    )
    if exit_code is ExitCode.OK and flagged:
        # Credited rows a person must look at (credited twice, an answer that did not fit):
        # the run itself exits 1 for them (importer.pipeline.run).
        exit_code = ExitCode.ATTENTION
    return Report(
        exit_code=int(exit_code),
        file_import_report=record.id,
        file=FileInfo(
            name=record.file_name,
            sha256=record.sha256 or "",
            format=record.format or "unknown",
            rows=record.rows,
        ),
        api={"base_url": record.base_url},
        creditor=summary.creditors,
        dry_run=record.dry_run,
        sandbox=record.sandbox,
        started=record.started,
        finished=record.finished,
        file_errors=record.file_errors,
        warnings=record.warnings,
        columns=record.columns,
        summary=summary.model_copy(update={"left_out": left_out_lines(record.warnings)}),
        rows=[],
    )


def _row_values(
    jrow: JournalRow,
    headers: list[str],
    attempts: Any,
    original: list[str] | None = None,
    resolution: Resolution | None = None,
) -> dict[str, Any]:
    """A journal row as the values of a `ReportRow`, under its field names: what a block of
    report files is made of (`RowBlock.of_values`), and what a report of models is built
    from (`report_of`)."""
    return {
        "row": jrow.row,
        "outcome": jrow.outcome,
        "id": jrow.crediting_id,
        "status": jrow.status,
        "status_reason_locale": jrow.status_reason_locale,
        "settled_amount": jrow.settled_amount,
        "http_status": jrow.http_status,
        "errors": jrow.errors,
        # The body as sent; the report serialises its Decimal amount as a JSON number.
        "request": jrow.request,
        "source": dict(zip(headers, jrow.source, strict=False)),
        "original_source": None if original is None else dict(zip(headers, original, strict=False)),
        "duplicate_of": jrow.duplicate_of,
        "case_invoice_number": jrow.case_invoice_number,
        "case_reference_number": jrow.case_reference_number,
        "attempts": [
            Attempt(
                at=datetime.fromisoformat(at),
                outcome=Outcome(outcome),
                http_status=http_status,
                note=note,
            )
            for at, outcome, http_status, note in attempts
        ],
        "resolution": resolution,
    }
