"""Correction files for `importer rerun --fix`: read, matched to the import's rows by key
(never by position: `pipeline.correction_match`) and applied.

The usual workflow is to open the import's report.csv or report.xlsx, fix the failed rows and
save it; or to export the corrected rows again in the original format. A correction row that
cannot be matched to exactly one row rejects the whole correction file before anything
changes, naming the rows.

A workbook is read from its first sheet whose header matches the column mapping: report.xlsx
opens on its rows (or its summary, which is skipped), and a creditor's own workbook on its
data.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from importer.config import Config
from importer.errors import FileRejected, RerunRefused
from importer.journal import ImportRecord, Journal, JournalRow, NewRow
from importer.mapping import ColumnMap, Mapper
from importer.outcomes import Outcome
from importer.pipeline.actor import current_actor
from importer.pipeline.amounts_read import cell_reader
from importer.pipeline.audit import changed_cells, correction_entry, untouched
from importer.pipeline.correction_match import ROW_HEADERS, cell_text, match_corrections
from importer.pipeline.correction_origin import check_origin
from importer.pipeline.reference import (
    IMPORTED_BEFORE,
    content_key,
    reimport_salt,
    row_reference,
)
from importer.pipeline.typed_cells import TypedCells
from importer.refusal import Refusal
from importer.report.cells import FORMULA_START
from importer.report.settings import SourceDialect
from importer.sources import Cell, SourceFile, read_source, sheet_count
from importer.validation import Validator
from importer.words import text


def _restore(cell: Cell) -> Cell:
    """Undo report.csv's formula neutralisation (`'=…` → `=…`), so a corrected cell reads as
    the person typed it."""
    if isinstance(cell, str) and len(cell) > 1 and cell[0] == "'" and cell[1] in FORMULA_START:
        return cell[1:]
    return cell


def apply_fixes(
    config: Config,
    journal: Journal,
    record: ImportRecord,
    fix: Path,
    *,
    creditor: str | None = None,
    by: str | None = None,
) -> list[str]:
    """Replace rows with their corrections, matched by key (see the module docstring). A
    credited (or duplicate) row is final, an `unknown` one must be reconciled first and a
    resolved one was handled by a person: corrections for them are not applied, and the
    operator is told which. Returns those notes. A correction matching no row, or several,
    rejects the whole correction file before anything changes.

    Before any row changes, the import's audit trail records who (this process's OS user
    and host, and `by`, a name given beside them), when, the fix file's name and SHA-256
    and every cell changed (`importer.pipeline.audit`: an untouched copy is no change)."""
    kept: dict[str, list[int]] = {}
    originals = journal.rows.all(record.id)
    dialect = SourceDialect.of_notes(journal.notes.source_notes(record.id), record.format)
    corrections = read_corrections(
        config, fix, record, originals, creditor=creditor, journal=journal, dialect=dialect
    )
    current = {row.row: row for row in originals}
    resolved = journal.audit.resolutions(record.id)
    applied: list[NewRow] = []
    for new in corrections:
        outcome = current[new.row].outcome
        if outcome in (Outcome.CREDITED, Outcome.DUPLICATE, Outcome.UNKNOWN):
            kept.setdefault(outcome.value, []).append(new.row)
        elif new.row in resolved:
            kept.setdefault("resolved", []).append(new.row)
        else:
            applied.append(new)
    changes = [
        change
        for new in applied
        for change in changed_cells(record.columns, new.row, current[new.row].source, new.source)
    ]
    journal.audit.append(record.id, correction_entry(fix, changes, current_actor(by)))
    for new in applied:
        if new.request is not None and config.reference.generate:
            new.request.setdefault("creditor_reference", _reference(config, record, current, new))
        journal.rows.replace(record.id, new)
        current[new.row] = replace(current[new.row], request=new.request)
    language = config.report.language
    return [
        text(
            "fix.left_alone",
            language,
            count=len(rows),
            kind=text(f"fix.kind.{outcome}", language),
            file=fix.name,
            rows=_row_list(rows),
        )
        for outcome, rows in kept.items()
    ]


def _reference(
    config: Config, record: ImportRecord, rows: dict[int, JournalRow], new: NewRow
) -> str:
    """A corrected row's generated reference, derived from its new content like any row's
    (`pipeline.reference`). Its occurrence comes after every other identical row of the
    import (those the file had, corrections applied before it), and never repeats another
    row's reference: a row made valid by a correction was not counted at intake, so the
    rows identical to it after it already hold the occurrences from its position on — and
    a second row under one reference would be found "already credited" and never sent."""
    assert new.request is not None
    key = content_key(new.request)
    others = [r.request for n, r in rows.items() if n != new.row and r.request is not None]
    taken = {request.get("creditor_reference") for request in others}
    occurrence = 1 + sum(1 for request in others if content_key(request) == key)
    salt = reimport_salt(
        record.sha256,
        repeats_allowed=config.dedupe.repeats == "allow",
        imported_before=any(w.code == IMPORTED_BEFORE for w in record.warnings),
    )
    reference = row_reference(new.request, occurrence, salt)
    while reference in taken:
        occurrence += 1
        reference = row_reference(new.request, occurrence, salt)
    return reference


def _row_list(rows: list[int], shown: int = 10) -> str:
    text = ", ".join(map(str, rows[:shown]))
    return text + (f" and {len(rows) - shown} more" if len(rows) > shown else "")


def _imports_creditor(
    record: ImportRecord, originals: Sequence[JournalRow], creditor: str | None
) -> str | None:
    """The creditor corrections are read for: corrections stay with their import's
    creditor. Without --creditor, an import of one creditor names it (the correction file
    need not); a --creditor the import's rows do not carry is refused, changing nothing."""
    known = sorted({row.request["creditor"] for row in originals if row.request})
    if creditor is None:
        return known[0] if len(known) == 1 else None
    if known and creditor not in known:
        raise RerunRefused(
            f"--creditor {creditor} is not the creditor of import {record.id} "
            f"({', '.join(known)}); corrections keep their import's creditor: nothing was changed"
        )
    return creditor


def read_corrections(
    config: Config,
    path: Path,
    record: ImportRecord,
    originals: Sequence[JournalRow],
    *,
    creditor: str | None = None,
    journal: Journal | None = None,
    dialect: SourceDialect | None = None,
) -> list[NewRow]:
    """The corrections of `path` as new rows of `record` (whose rows are `originals`): the
    rows it changes. A row given back as it is (report.xlsx opened, saved and fed back
    unchanged) is no correction; `dialect`, the import's, tells how its amounts read, so a
    typed amount or date cell holding the row's own value counts as unchanged.

    Raises FileRejected, changing nothing, when the file cannot be read, is another import's
    report (`correction_origin`; `journal` names that import by a crediting's `_id`), or a
    correction row cannot be matched to exactly one row of the import."""
    creditor = _imports_creditor(record, originals, creditor)
    mapper = Mapper(config, creditor=creditor)
    sheets, others = _read(config, path, mapper)
    owners = journal.dedupe if journal is not None else None
    check_origin(path.name, record, originals, sheets, others, ROW_HEADERS, owners)
    dialect = dialect or SourceDialect()
    typed = TypedCells(mapper.fields_of(record.columns), cell_reader(dialect), dialect.workbook)
    current = {row.row: list(row.source) for row in originals}
    found = _sheet_corrections(config, record, originals, mapper, creditor, typed, *sheets[0])
    key, corrections = found
    if key != "row" or len(sheets) == 1:
        return [new for new in corrections if list(new.source) != current.get(new.row)]
    # report.xlsx shows a failed row on "Needs attention" and on "All rows": a person may
    # correct either copy. The copy whose cells differ from the row's is the correction; two
    # different corrections of one row are not guessed at.
    chosen = {new.row: (new, sheets[0][0].sheet) for new in corrections}
    clashes: list[tuple[int, str, str]] = []  # row, and the two sheets (`refusal.fix_sheets`)
    for source, columns in sheets[1:]:
        _, more = _sheet_corrections(
            config, record, originals, mapper, creditor, typed, source, columns
        )
        for new in more:
            if untouched(new.source, current.get(new.row)):
                continue
            held, sheet = chosen.get(new.row, (None, None))
            if held is None or untouched(held.source, current.get(new.row)):
                chosen[new.row] = (new, source.sheet)
            elif list(new.source) != list(held.source):
                clashes.append((new.row, str(sheet), str(source.sheet)))
    if clashes:
        raise FileRejected(path.name, Refusal("fix_sheets", clashes=clashes))
    changed = [new for _, (new, _) in sorted(chosen.items())]
    return [new for new in changed if list(new.source) != current.get(new.row)]


def _sheet_corrections(
    config: Config,
    record: ImportRecord,
    originals: Sequence[JournalRow],
    mapper: Mapper,
    creditor: str | None,
    typed: TypedCells,
    source: SourceFile,
    columns: ColumnMap,
) -> tuple[str, list[NewRow]]:
    """One sheet's (or a CSV file's) corrections, and the key they were matched by."""
    mapped = mapper.map_rows(source, columns)
    match = match_corrections(source.name, record, originals, mapper, columns, mapped)
    numbers = match.rows
    # Keep only the original file's columns: outcome columns of a report are not source cells.
    # A header the original file has twice is matched by order of appearance.
    positions: dict[str, list[int]] = {}
    for index, header in enumerate(columns.headers):
        positions.setdefault(header, []).append(index)
    seen: Counter[str] = Counter()
    picks: list[int | None] = []
    for header in record.columns:
        found = positions.get(header, [])
        picks.append(found[seen[header]] if seen[header] < len(found) else None)
        seen[header] += 1
    # A column the correction file lacks (the original format holding just the corrected
    # rows and the columns being fixed) keeps the row's cells: a date, credit note or
    # reference is not dropped because its column was left out.
    current = {row.row: row.source for row in originals}
    sent = {row.row: row.request for row in originals}
    for api_field, column in mapper.fields_of(record.columns).items():
        if api_field not in columns.fields:
            mapped.columns[api_field] = [cell_text(current[n], column) for n in numbers]
    validator = Validator(config, creditor=creditor)
    checked = validator.validate_columns(mapped.columns, len(numbers), numbers)
    corrections: list[NewRow] = []
    for index, (number, texts, result) in enumerate(
        zip(numbers, mapped.sources, checked, strict=True)
    ):
        kept = current[number]
        cells = [
            (texts[i] if i < len(texts) else "")
            if i is not None
            else (kept[k] if k < len(kept) else "")
            for k, i in enumerate(picks)
        ]
        typed.as_written(cells, kept, mapped.columns, index, validator.amount_reader)
        problems = mapped.problems.get(index)
        if problems:
            corrections.append(NewRow(number, cells, None, problems, Outcome.INVALID))
        elif result.request is None:
            corrections.append(NewRow(number, cells, None, result.errors, Outcome.INVALID))
        else:
            request = result.request.model_dump(exclude_none=True)
            typed.amount_as_written(cells, kept, request, sent.get(number))
            corrections.append(NewRow(number, cells, request))
    return match.key, corrections


def _read(
    config: Config, path: Path, mapper: Mapper
) -> tuple[list[tuple[SourceFile, ColumnMap]], list[SourceFile]]:
    """The correction file and its columns: for a workbook, every sheet with a header (at
    least one), first to last; and the sheets without one (a report's Summary)."""
    sheets = sheet_count(path)
    candidates: list[str | int | None] = (
        [config.input.sheet] if sheets is None or config.input.sheet is not None else []
    )
    if not candidates:
        candidates = list(range(sheets or 0))
    first_problem: FileRejected | None = None
    found: list[tuple[SourceFile, ColumnMap]] = []
    others: list[SourceFile] = []
    for sheet in candidates:
        source = read_source(
            path,
            encoding=config.input.encoding,
            delimiter=config.input.delimiter,
            sheet=sheet,
        )
        source = replace(
            source,
            records=[(n, tuple(_restore(cell) for cell in cells)) for n, cells in source.records],
        )
        try:
            found.append((source, mapper.find_columns(source)))
        except FileRejected as problem:
            first_problem = first_problem or problem
            others.append(source)
    if found:
        return found, others
    raise first_problem or FileRejected(path.name, Refusal("no_sheets"))
