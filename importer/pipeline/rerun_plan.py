"""Before a rerun sends anything: whether the import may be posted again at all
(`rerunnable`), and, for `importer rerun --dry-run`, what it would send (`dry_run_plan`).

A rerun posts again every row that is not final (`not_sent`, `rejected`, and `unknown` rows
once a lookup finds no crediting), and every invalid row that `--fix` corrects. Corrections reach
money, so an operator can see them first: this module lists each row that would be sent, with
its amount, and for a corrected row the cells it had. Nothing is written: not the journal, not
the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from importer.api.identity import api_identity
from importer.config import Config
from importer.errors import ImportNotFound, RerunRefused
from importer.exit_codes import ExitCode
from importer.journal import ImportRecord, Journal, JournalRow, NewRow
from importer.outcomes import Outcome
from importer.pipeline.corrections import read_corrections
from importer.pipeline.results import ImportResult
from importer.report.settings import SourceDialect
from importer.row_detail import row_detail
from importer.words import Language, error_text, number_text, text

_RESENT = (Outcome.NOT_SENT, Outcome.REJECTED, Outcome.UNKNOWN)
_FINAL_OR_UNKNOWN = (Outcome.CREDITED, Outcome.DUPLICATE, Outcome.UNKNOWN)
_SHOWN = 50


@dataclass(frozen=True, slots=True)
class Plan:
    text: str
    exit_code: ExitCode


def plan(
    record: ImportRecord,
    originals: Sequence[JournalRow],
    fixes: Sequence[NewRow],
    language: Language = "en",
) -> Plan:
    """The rows a rerun of `record` would send, given its rows and the corrections, in the
    words and numbers of `language` (`report.language`: a person reads it before money moves)."""
    corrected = {fix.row: fix for fix in fixes}
    lines = [text("plan.head", language, id=record.id, file=record.file_name)]
    total = Decimal(0)
    count = 0
    invalid: list[str] = []
    kept: list[int] = []
    for original in originals:
        fix = corrected.get(original.row)
        if fix is not None and original.outcome in _FINAL_OR_UNKNOWN:
            kept.append(original.row)  # as `Importer._apply_fixes` leaves them
            fix = None
        if original.outcome not in _RESENT and original.outcome is not Outcome.INVALID:
            continue  # credited or duplicate: final
        request = original.request if fix is None else fix.request
        if fix is None and original.outcome is Outcome.INVALID:
            request = None  # a credit-note conflict keeps its request, but is not sent
        if request is None:
            errors = fix.errors if fix is not None else original.errors
            reasons = "; ".join(
                row_detail(e, language) or error_text(e.code, language) for e in errors
            )
            invalid.append(f"{text('plan.row', language)} {original.row} ({reasons})")
            continue
        count += 1
        amount = Decimal(str(request["amount"]))
        total += amount
        if count <= _SHOWN:
            target = request.get("invoice_number") or request.get("case")
            note = ""
            if original.outcome is Outcome.UNKNOWN:
                note = "  " + text("plan.looked_up", language)
            if fix is not None:
                was = ", ".join(
                    f"{header} {old!r}"
                    for header, old, new in zip(
                        record.columns, original.source, fix.source, strict=False
                    )
                    if old != new
                )
                was = was or text("plan.same_cells", language)
                note += "  " + text("plan.corrected", language, was=was)
            shown = number_text(amount, language)
            lines.append(
                f"  {text('plan.row', language)} {original.row:<6} {target}  {shown} SEK{note}"
            )
    if count > _SHOWN:
        lines.append("  " + text("plan.more", language, count=count - _SHOWN))
    lines.append(
        text("plan.would_send", language, count=count, amount=number_text(total, language))
    )
    if invalid:
        lines.append(text("plan.still_invalid", language, rows=", ".join(invalid[:_SHOWN])))
    if kept:
        lines.append(text("plan.kept", language, rows=", ".join(map(str, kept))))
    code = ExitCode.ATTENTION if invalid else ExitCode.OK
    return Plan("\n".join(lines), code)


def rerunnable(
    journal: Journal, target_name: str, creditor: str | None, import_id: str
) -> ImportRecord:
    """The import `rerun` may post again against this API, or why not: none such, a dry run,
    rejected as a whole, made against another API, or (`rerun --creditor`, the operator
    saying whose import it is) rows of another creditor: all before anything is sent."""
    record = journal.imports.get(import_id)
    if record is None:
        raise ImportNotFound(f"no import {import_id} in the journal {journal.path}")
    if record.dry_run:
        raise RerunRefused(f"import {import_id} was a dry run; run the file instead")
    if record.state == "rejected":
        raise RerunRefused(
            f"import {import_id} was rejected as a whole; fix the file and run it again"
        )
    if api_identity(record.base_url) != target_name:
        raise RerunRefused(
            f"import {import_id} was made against {record.base_url}, not "
            f"{target_name}; rerun it against the same API (--api-url)"
        )
    if creditor is not None:
        others = {
            row.request["creditor"]
            for row in journal.rows.all(record.id, [Outcome.NOT_SENT, Outcome.REJECTED])
            if row.request is not None and row.request.get("creditor") != creditor
        }
        if others:
            raise RerunRefused(
                f"import {record.id} ({record.file_name}) has rows of creditor "
                f"{', '.join(sorted(others))}, not {creditor} given with --creditor; "
                "nothing was sent"
            )
    return record


def dry_run_plan(
    config: Config, journal: Journal, record: ImportRecord, fix: Path | None, creditor: str | None
) -> ImportResult:
    """`rerun --dry-run`: what would be sent, corrections applied; nothing changes."""
    rows = journal.rows.all(record.id)
    dialect = SourceDialect.of_notes(journal.notes.source_notes(record.id), record.format)
    fixes = fix and read_corrections(
        config, fix, record, rows, creditor=creditor, journal=journal, dialect=dialect
    )
    shown_plan = plan(record, rows, fixes or [], config.report.language)
    return ImportResult(record.file_name, shown_plan.exit_code, record.id, message=shown_plan.text)
