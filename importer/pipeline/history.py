"""The imports the journal knows, as an operator asks about them: which imports (since a
date, for a creditor, open or finished), and one import's summary with its rows needing
attention. A library function each, so `importer imports` and `importer show` stay adapters
and a script can ask the same from Python."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, get_args

from importer import logs
from importer.attention import (
    ATTENTION_KINDS,
    attention_kind,
    held_back,
    row_next_step,
    shares_rejection,
)
from importer.errors import ConfigError, ImporterError
from importer.journal import Cached, ImportRecord, Journal
from importer.outcomes import Outcome
from importer.pipeline.amounts_read import AmountReader, amount_reading
from importer.refusal import Refusal
from importer.report.cells import money_text
from importer.report.json_writer import read_head
from importer.report.model import Report
from importer.report.render import build_report, kept_refusal
from importer.report.settings import SourceDialect
from importer.row_detail import reason_with_detail
from importer.words import Language, number_text, reason_text, text

Status = Literal["open", "finished"]

log = logs.get_logger("importer.overview")

CACHE_SHAPE = "figures-2"
"""Names the rule the cached figures were computed by (`journal.figure_cache`): an entry of
another shape is computed again. Change it with a change to what a list's figures mean
(the attention rule, the amounts' rule), so no host reads figures an older rule made.
"figures-2": a workbook's number cells beside decimal-comma texts, and negative amounts
taken absolute, read as the report reads them."""


@dataclass(frozen=True, slots=True)
class ImportFigures:
    """What an operator looks at first in a list of imports: whose money, how much was read,
    credited and settled, and how many rows still need a person, by kind."""

    creditors: list[str]
    amount_read: Decimal
    """Every amount that could be read, whatever became of its row (the control total)."""
    amount_credited: Decimal
    amount_settled: Decimal
    attention: dict[str, int]
    """Rows needing attention (`importer.attention`) per `ATTENTION_KINDS` word, zero
    included."""
    resolved: int = 0
    """Rows a person marked as handled (no longer needing attention)."""

    @property
    def open_items(self) -> int:
        return sum(self.attention.values())

    def text(self, language: Language = "en") -> str:
        """One line: creditor, amounts, open items (for a list of imports), in `language`."""
        creditors = text("record.creditor", language, creditors=", ".join(self.creditors) or "-")
        return f"{creditors}  {self.amounts_text(language)}  {self.open_text(language)}"

    def amounts_text(self, language: Language = "en") -> str:
        """`read 4 389.50 SEK   credited …   settled …`, in `language` (its words and its
        way of writing numbers)."""
        return "   ".join(
            text(f"figures.{name}", language, amount=number_text(amount, language))
            for name, amount in (
                ("read", self.amount_read),
                ("credited", self.amount_credited),
                ("settled", self.amount_settled),
            )
        )

    def open_text(self, language: Language = "en", *, prefix: bool = True) -> str:
        """`open 4: invalid 1, rejected 1, warning 1, error 1`, or `nothing open`, in
        `language`; without `prefix` the count only (`4: invalid 1, …`), for a line that
        is labelled already."""
        if not self.open_items:
            resolved = self.resolved
            return text("figures.nothing_open", language) + (
                " " + text("figures.resolved", language, count=resolved) if resolved else ""
            )
        kinds = ", ".join(
            f"{text('figures.kind.' + kind, language)} {n}"
            for kind, n in self.attention.items()
            if n
        )
        shown = f"{self.open_items}: {kinds}"
        return text("figures.open", language, text=shown) if prefix else shown

    def cached(self, counts: dict[Outcome, int]) -> str:
        """These figures and the outcome counts beside them as `journal.figure_cache` keeps
        them: JSON, amounts as their exact decimal text (never a float, never rounded)."""
        return json.dumps(
            {
                "shape": CACHE_SHAPE,
                "outcomes": {outcome.value: n for outcome, n in counts.items()},
                "creditors": self.creditors,
                "amounts": [
                    str(amount)
                    for amount in (self.amount_read, self.amount_credited, self.amount_settled)
                ],
                "attention": self.attention,
                "resolved": self.resolved,
            }
        )

    @classmethod
    def of_cached(cls, text: str) -> tuple[dict[Outcome, int], ImportFigures] | None:
        """The counts and figures `cached` wrote; None for an entry of another shape, one
        that does not read, or one no rows could give (it is computed again)."""
        try:
            kept = json.loads(text)
            if kept.get("shape") != CACHE_SHAPE or list(kept["attention"]) != list(ATTENTION_KINDS):
                return None
            counts = {outcome: int(kept["outcomes"][outcome.value]) for outcome in Outcome}
            read, credited, settled = (Decimal(a) for a in kept["amounts"])
            attention = {kind: int(n) for kind, n in kept["attention"].items()}
            creditors = [str(c) for c in kept["creditors"]]
            figures = cls(creditors, read, credited, settled, attention, int(kept["resolved"]))
        except (KeyError, TypeError, ValueError, ArithmeticError, AttributeError, RecursionError):
            return None  # RecursionError: json reads an array nested too deep as none
        if not all(a.is_finite() for a in (read, credited, settled)) or any(
            n < 0 for n in (*counts.values(), *attention.values(), figures.resolved)
        ):
            return None  # no rows give NaN, Infinity or a count below zero
        return counts, figures

    def as_json(self) -> dict[str, Any]:
        return {
            "creditor": self.creditors,
            "amount_read": money_text(self.amount_read),
            "amount_credited": money_text(self.amount_credited),
            "amount_settled": money_text(self.amount_settled),
            "attention": dict(self.attention),
            "open_items": self.open_items,
            "resolved": self.resolved,
        }


def import_figures(journal: Journal, record: ImportRecord) -> ImportFigures:
    """An import's figures from the journal's rows, the rule of which row needs a person
    taken from `importer.attention` (the one place that says so)."""
    attention = dict.fromkeys(ATTENTION_KINDS, 0)
    resolved = 0
    groups = journal.figures.row_groups(record.id)
    invalid = sum(g.rows for g in groups if g.outcome is Outcome.INVALID)
    held = held_back(record.warnings, {"invalid": invalid})
    for group in groups:
        resolved += group.rows if group.resolved else 0
        if row_next_step(
            group.outcome,
            group.status,
            group.errors,
            dry_run=record.dry_run,
            resolved=group.resolved,
            held=held,
        ):
            attention[attention_kind(group.outcome, group.status, group.errors)] += group.rows
    amounts = journal.figures.amounts(record.id)
    read = amounts.read + (_invalid_cells_read(journal, record) if invalid else Decimal(0))
    creditors = journal.imports.creditors(record.id)
    return ImportFigures(creditors, read, amounts.credited, amounts.settled, attention, resolved)


def _invalid_cells_read(journal: Journal, record: ImportRecord) -> Decimal:
    """What the amount cells of the rows without a request (invalid rows) show: the report's
    control total counts them (`importer.report.blocks.summarise`), so the figure a list of
    imports calls "read" is the report's and the file's, not only what could be sent."""
    dialect = SourceDialect.of_notes(journal.notes.source_notes(record.id), record.format)
    reader = AmountReader(dialect, record.columns)
    total = Decimal(0)
    for rows in journal.figures.unread_sources(record.id):
        total += sum(filter(None, reader.rows_read(rows)), Decimal(0))
    return total


@dataclass(frozen=True, slots=True)
class ImportEntry:
    """One import, its rows counted by outcome, and its figures; unpacks and indexes as the
    tuple `(record, counts)`, as it did before it carried figures, so callers' scripts keep
    working."""

    record: ImportRecord
    counts: dict[Outcome, int]
    figures: ImportFigures

    def __iter__(self) -> Iterator[Any]:
        return iter((self.record, self.counts))

    def __getitem__(self, index: int) -> Any:
        return (self.record, self.counts)[index]

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
            **self.figures.as_json(),
        }


def list_imports(
    journal: Journal,
    *,
    since: date | None = None,
    creditor: str | None = None,
    status: Status | None = None,
    attention: bool = False,
) -> list[ImportEntry]:
    """Every import, oldest first, filtered: started on or after `since` (UTC date), with a
    row for `creditor`, in `status`, and with `attention` only those with a row still
    needing a person. A `status` no import has is refused: it would list nothing, read as
    "none open" (the command line offers only the two).

    An import's counts and figures are those `journal.figure_cache` kept at its revision
    now; the others are computed from its rows and kept, with the revision read before
    anything of the import was (so a write meanwhile leaves them stale, never wrong), in
    one short write after all are computed."""
    if status is not None and status not in get_args(Status):
        raise ConfigError(f"status {status!r}: an import's status is 'open' or 'finished'")
    cached = journal.figure_cache.current()  # first: every read below is as new or newer
    entries, computed = [], []
    for record in journal.imports.all():
        started = record.started if record.started.tzinfo else record.started.replace(tzinfo=UTC)
        if since is not None and started.astimezone(UTC).date() < since:
            continue
        entry = _dry_run_entry(journal, record) if record.dry_run else None
        if entry is None:
            entry = _cached_entry(record, cached.get(record.id))
        if entry is None:
            entry = ImportEntry(
                record, journal.imports.outcome_counts(record.id), import_figures(journal, record)
            )
            if not record.dry_run and record.id in cached:
                revision = cached[record.id].revision
                computed.append((record.id, revision, entry.figures.cached(entry.counts)))
        if creditor is not None and creditor not in _creditors(journal, entry):
            continue
        if status is not None and entry.status != status:
            continue
        if attention and not entry.figures.open_items:
            continue
        entries.append(entry)
    _keep(journal, computed)
    return entries


def _creditors(journal: Journal, entry: ImportEntry) -> list[str]:
    """Whose rows the import holds, as the journal says: a dry run's figures name its
    report's creditors, its rows in the journal (none: nothing was sent) name none."""
    if entry.record.dry_run:
        return journal.imports.creditors(entry.record.id)
    return entry.figures.creditors


def _cached_entry(record: ImportRecord, cached: Cached | None) -> ImportEntry | None:
    kept = (
        None
        if cached is None or cached.figures is None
        else ImportFigures.of_cached(cached.figures)
    )
    return None if kept is None else ImportEntry(record, *kept)


def _keep(journal: Journal, computed: list[tuple[str, int, str]]) -> None:
    """The figures computed, kept for the next list; a journal that refuses the write
    (read-only, locked, a full disk) fails nothing: the figures are computed again next
    time."""
    try:
        journal.figure_cache.store(computed)
    except ImporterError as exc:
        log.debug("overview.figures_not_kept", imports=len(computed), error=str(exc))


def _dry_run_entry(journal: Journal, record: ImportRecord) -> ImportEntry | None:
    """A dry run's entry from its report.json: the journal records that the dry run
    happened, not its rows (nothing was sent), so its figures are the report's. None when
    the report is gone (then the journal's, without rows, is all there is)."""
    folder = journal.notes.report_dir(record.id)
    head = None if folder is None else read_head(folder / "report.json")
    summary = head.get("summary") if head else None
    if not isinstance(summary, dict) or head is None:
        return None
    try:
        counts = {outcome: int(summary["outcomes"].get(outcome.value, 0)) for outcome in Outcome}
        read = Decimal(str(summary["amount_read"]))
    except (KeyError, TypeError, ValueError, ArithmeticError, AttributeError):
        return None
    attention = dict.fromkeys(ATTENTION_KINDS, 0)
    attention[Outcome.INVALID.value] = counts[Outcome.INVALID]  # in a dry run, only these
    creditors = [str(c) for c in head.get("creditor") or []]
    figures = ImportFigures(creditors, read, Decimal(0), Decimal(0), attention)
    return ImportEntry(record, counts, figures)


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
    figures: ImportFigures
    attention: list[AttentionLine] = field(default_factory=list)
    refusal: Refusal | None = None
    """Why the file was refused as a whole, as the journal keeps it (to word in any language)."""


def show_import(
    journal: Journal, import_id: str, report_csv: Path, language: Language = "en"
) -> ImportView:
    """One import's report (from the journal) and its rows needing attention, in words;
    a row's next step names `report_csv`, the report.csv the import's report folder holds."""
    report = build_report(journal, import_id, amount_reading)
    record = journal.imports.get(import_id)
    assert record is not None  # build_report found it
    figures = import_figures(journal, record)
    creditors, refusal = journal.imports.creditors(import_id), kept_refusal(journal, record)
    view = ImportView(report, creditors, report_csv, figures, refusal=refusal)
    dry_run, shared = report.dry_run, shares_rejection(report.warnings)
    held = report.held_back
    for row in report.rows:
        resolved = row.resolution is not None
        step = row_next_step(
            row.outcome,
            row.status,
            row.errors,
            dry_run=dry_run,
            shared=shared,
            resolved=resolved,
            held=held,
        )
        if step is None:
            continue
        reasons = [reason_with_detail(e, language) for e in row.errors]
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
