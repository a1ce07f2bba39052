"""What a correction changed, as the import's audit trail records it: every cell, old and
new, by the file's own column header, the fix file's name and SHA-256, and who.

A correction row whose cells are the row's own is no correction: the copy of a failed row on
report.xlsx's other sheet, or a row Excel saved again unchanged. One rule (`untouched`) for
choosing which copy of a row corrects it and for what the trail calls a change."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from itertools import zip_longest
from pathlib import Path

from importer.journal import AuditEntry, CellChange, utcnow
from importer.pipeline.actor import Actor
from importer.sources import Cell


def untouched(cells: Sequence[Cell] | Sequence[str], current: Sequence[str] | None) -> bool:
    """A correction row whose cells are the row's own: an untouched copy, no correction."""
    return current is not None and list(cells) == list(current)


def changed_cells(
    columns: Sequence[str], row: int, old: Sequence[str], new: Sequence[Cell] | Sequence[str]
) -> list[CellChange]:
    """The cells of `row` a correction changes, by the file's own column header (or its
    position, for a cell past the header): none for an untouched copy."""
    if untouched(new, old):
        return []
    changes = []
    for index, (before, after) in enumerate(zip_longest(old, new, fillvalue="")):
        if str(before) != str(after):
            column = columns[index] if index < len(columns) else f"column {index + 1}"
            changes.append(CellChange(row=row, column=column, old=str(before), new=str(after)))
    return changes


def correction_entry(fix: Path, changes: list[CellChange], actor: Actor) -> AuditEntry:
    """The audit entry of one `rerun --fix` with `fix`: recorded even when no cell changed
    (someone ran a fix file, and which one, is part of the record)."""
    return AuditEntry(
        at=utcnow(),
        action="correct",
        os_user=actor.os_user,
        host=actor.host,
        by=actor.by,
        fix_file=fix.name,
        fix_sha256=hashlib.sha256(fix.read_bytes()).hexdigest(),
        rows=sorted({change.row for change in changes}),
        changes=changes,
    )
