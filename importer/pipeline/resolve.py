"""Marking rows as handled by a person (`importer resolve`), and reopening them.

A row needing attention that a person has dealt with outside the importer (credited by hand
in Amili, a conflict the creditor settled, a warning checked) would otherwise stay "needs
attention" forever. Resolving records who (`importer.pipeline.actor`), when and why in the
import's append-only audit trail; the row then needs attention no more (`importer.attention`)
and a rerun leaves it alone. Nothing is sent.

An `unknown` row cannot be resolved: its crediting may exist, and only the look-up a rerun
makes first can say — resolving it by hand would hide a row that may have been credited, or
never. A row that needs no attention, or is resolved already, is refused too, so the trail
holds only real decisions. Refusals change nothing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from importer.attention import held_back, row_next_step
from importer.errors import ImportNotFound, ResolveRefused
from importer.journal import ROW_MAX, AuditEntry, ImportRecord, Journal, utcnow
from importer.outcomes import Outcome
from importer.pipeline.actor import Actor
from importer.pipeline.history import import_figures


def resolve_rows(
    journal: Journal,
    import_id: str,
    rows: Sequence[int],
    *,
    note: str,
    actor: Actor,
    reopen: bool = False,
    now: datetime | None = None,
) -> AuditEntry:
    """Resolve (or with `reopen`, reopen) `rows` of the import, recorded in its audit trail;
    an import left with nothing open is finished. Returns the entry recorded."""
    record = journal.imports.get(import_id)
    if record is None:
        raise ImportNotFound(f"no import {import_id} in the journal {journal.path}")
    if record.dry_run:
        raise ResolveRefused(f"import {import_id} was a dry run: nothing of it needs resolving")
    if not note.strip():
        raise ResolveRefused("--note is empty: say what was done or decided, for the record")
    wanted = sorted(set(rows))
    # Not while another importer posts the import: a row resolved as it is being sent would
    # be both handled by hand and credited.
    with journal.locks.for_import(import_id):
        return _record(journal, record, wanted, note, actor, reopen=reopen, now=now)


def _record(
    journal: Journal,
    record: ImportRecord,
    wanted: list[int],
    note: str,
    actor: Actor,
    *,
    reopen: bool,
    now: datetime | None,
) -> AuditEntry:
    import_id = record.id
    resolved = journal.audit.resolutions(import_id)
    invalid = journal.imports.outcome_counts(import_id)[Outcome.INVALID]
    held = held_back(record.warnings, {"invalid": invalid})
    for row in wanted:
        _check(journal, import_id, row, resolved.get(row), reopen=reopen, held=held)
    entry = AuditEntry(
        at=now or utcnow(),
        action="reopen" if reopen else "resolve",
        os_user=actor.os_user,
        host=actor.host,
        by=actor.by,
        note=note.strip(),
        rows=wanted,
    )
    journal.audit.append(import_id, entry)
    if not reopen and record.state == "open":
        figures = import_figures(journal, record)
        if (
            not figures.open_items
            and not journal.imports.outcome_counts(import_id)[Outcome.UNKNOWN]
        ):
            journal.imports.set_state(import_id, "finished", entry.at)
    return entry


def _check(
    journal: Journal,
    import_id: str,
    row: int,
    resolution: AuditEntry | None,
    *,
    reopen: bool,
    held: bool,
) -> None:
    """Refuses a row that cannot be resolved (`held`: an all-or-nothing import held back by
    its invalid rows, whose other rows wait for their correction: see `held_back`)."""
    found = journal.rows.get(import_id, row) if row <= ROW_MAX else None
    if found is None:
        raise ResolveRefused(f"import {import_id} has no row {row}; nothing was recorded")
    if reopen:
        if resolution is None:
            raise ResolveRefused(f"row {row} is not resolved; nothing was recorded")
        return
    if resolution is not None:
        raise ResolveRefused(
            f"row {row} was resolved already ({resolution.at:%Y-%m-%d %H:%M} UTC by "
            f"{resolution.os_user}@{resolution.host}); nothing was recorded"
        )
    if found.outcome is Outcome.UNKNOWN:
        raise ResolveRefused(
            f"row {row} is unknown: whether it was credited is not known until it is looked "
            f"up; run importer rerun {import_id} first (it looks the row up before sending "
            "anything), then resolve what is left; nothing was recorded"
        )
    if row_next_step(found.outcome, found.status, found.errors, held=held) is None:
        shown = found.outcome.value + (f", {found.status}" if found.status else "")
        raise ResolveRefused(f"row {row} needs no attention ({shown}); nothing was recorded")
