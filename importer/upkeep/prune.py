"""`importer prune --older-than DAYS`: what a year of nightly imports leaves on disk, cleared
out once nobody needs it — never what someone still has to act on.

Removed when older than the cut-off: an import's report folder (`<report dir>/<import id>/`,
wherever it was last written), a drop's summary folder (`<report dir>/drops/<id>/`), and —
only when the inboxes are named (`--archives`), because bookkeeping rules keep source
documents for years — the archived originals under an inbox's `done/YYYY-MM-DD/` and
`failed/YYYY-MM-DD/` (a creditor's subfolder inbox included).

Never removed: anything of an import with rows still needing a person or still open (its
report folder, a summary naming it, its archived file, found by its SHA-256); an archived
file that cannot be read (whose import cannot be told); anything in `processing/` (a file a
drop has not finished); a folder whose name is no import of this journal; anything behind a
symbolic link. The journal's rows are kept: a pruned import's
report can be written again with `importer report ID`. The overview page (index.html) is
written again after a prune, so it links nothing removed.

A folder's age is that of its newest file, so a report a rerun rewrote last week is a week
old whatever day its import began; an archive's age is the day in its folder name."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from importer.drop.inbox import DONE, FAILED, sub_inboxes
from importer.errors import ConfigError
from importer.journal import Journal
from importer.pipeline.earlier_imports import file_sha256
from importer.pipeline.history import import_figures
from importer.pipeline.overview import write_overview
from importer.words import Language, text

DAYS_MAX = 36_500
"""The oldest cut-off `--older-than` takes, a century: past it the cut-off date falls outside
what a date holds (`timedelta`'s limit is 999,999,999 days, a date's year 1), and no report
or archive of an importer is that old."""


@dataclass(slots=True)
class PruneResult:
    dry_run: bool
    removed: list[Path] = field(default_factory=list)
    """What was removed (in a dry run: what would be)."""
    kept: list[tuple[Path, str]] = field(default_factory=list)
    """Old enough, kept all the same, and why (the import with open items)."""
    bytes: int = 0


def prune(
    journal: Journal,
    report_dir: Path,
    older_than_days: float,
    *,
    archives: Sequence[Path] = (),
    dry_run: bool = False,
    now: datetime | None = None,
    language: Language = "en",
    zone: str | None = None,
) -> PruneResult:
    """Remove what is older than `older_than_days` (see the module's docstring); with
    `dry_run` only say what would go."""
    if not 0 <= older_than_days <= DAYS_MAX:  # NaN too
        raise ConfigError(
            f"--older-than {older_than_days:g}: a number of days from 0 to {DAYS_MAX}"
        )
    cutoff = (now or datetime.now(UTC)) - timedelta(days=older_than_days)
    still_open = _open_imports(journal, language)
    result = PruneResult(dry_run)
    for import_id, folder in _report_folders(journal, report_dir):
        if _newest(folder) < cutoff:
            _judge(result, folder, still_open.get(import_id))
    drops = report_dir / "drops"
    for folder in _subfolders(drops):
        if _newest(folder) < cutoff:
            named = [still_open[i] for i in _import_ids(folder) if i in still_open]
            _judge(result, folder, named[0] if named else None)
    by_sha = _open_by_sha(journal, still_open)
    for inbox in archives:
        for day_folder in _archive_days(Path(inbox), cutoff.date()):
            for path in sorted(p for p in day_folder.iterdir() if not p.is_symlink()):
                if not path.is_file():
                    continue
                sha256 = file_sha256(path)
                if sha256 is None:  # whose original it is cannot be told: never removed
                    result.kept.append((path, text("record.unreadable", language)))
                    continue
                _judge(result, path, by_sha.get(sha256))
            if not dry_run and not any(day_folder.iterdir()):
                day_folder.rmdir()
    if not dry_run:
        write_overview(journal, report_dir, language=language, zone=zone)  # it linked what is gone
    return result


def _judge(result: PruneResult, path: Path, open_import: str | None) -> None:
    if open_import is not None:
        result.kept.append((path, open_import))
        return
    result.bytes += _size(path)
    result.removed.append(path)
    if result.dry_run:
        return
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()


def _open_imports(journal: Journal, language: Language) -> dict[str, str]:
    """{import id: why it is kept, in `language`} for every import with something open."""
    found = {}
    for record in journal.imports.all():
        figures = import_figures(journal, record)
        if figures.open_items:
            found[record.id] = text(
                "record.open_items", language, id=record.id, open=figures.open_text(language)
            )
        elif record.state == "open":
            found[record.id] = text("record.not_finished", language, id=record.id)
    return found


def _open_by_sha(journal: Journal, still_open: dict[str, str]) -> dict[str, str]:
    return {
        record.sha256: still_open[record.id]
        for record in journal.imports.all()
        if record.sha256 and record.id in still_open
    }


def _report_folders(journal: Journal, report_dir: Path) -> Iterator[tuple[str, Path]]:
    """Each import's report folder that is there: where it was last written, and the
    configured one."""
    for record in journal.imports.all():
        seen = set()
        for folder in (journal.notes.report_dir(record.id), report_dir / record.id):
            if folder is None or folder.name != record.id or folder in seen:
                continue
            seen.add(folder)
            if folder.is_dir() and not folder.is_symlink():
                yield record.id, folder


def _subfolders(folder: Path) -> list[Path]:
    if not folder.is_dir() or folder.is_symlink():
        return []
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.is_symlink())


def _archive_days(inbox: Path, before: date) -> Iterator[Path]:
    """`done/YYYY-MM-DD/` and `failed/YYYY-MM-DD/` folders of the inbox and of its
    creditors' inboxes, for days before `before`. `processing/` is never among them."""
    if not inbox.is_dir():
        raise ConfigError(f"--archives {inbox}: there is no such inbox folder")
    inboxes = [inbox, *(sub.path for sub in sub_inboxes(inbox)[0])]
    for base in inboxes:
        for kind in (DONE, FAILED):
            for day_folder in _subfolders(base / kind):
                try:
                    day = date.fromisoformat(day_folder.name)
                except ValueError:
                    continue  # not a folder a drop made
                if day < before:
                    yield day_folder


def _import_ids(folder: Path) -> set[str]:
    """The import ids a drop summary names (any `import_id` or `file_import_report` in its
    summary.json, or in a notification it still owes); a summary that cannot be read names
    what it might: kept by the caller only if it names an open import, so an unreadable one
    is judged by age alone."""
    ids: set[str] = set()
    # owed/: a notification not yet sent names its import as the summary does
    for path in [*folder.glob("*.json"), *folder.glob("owed/*.json")]:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        ids.update(_values(document, ("import_id", "file_import_report")))
    return ids


def _values(document: Any, keys: Iterable[str]) -> Iterator[str]:
    keys = tuple(keys)
    if isinstance(document, dict):
        for key, value in document.items():
            if key in keys and isinstance(value, str):
                yield value
            else:
                yield from _values(value, keys)
    elif isinstance(document, list):
        for item in document:
            yield from _values(item, keys)


def _newest(folder: Path) -> datetime:
    stamps = [folder.stat().st_mtime]
    for root, _dirs, files in os.walk(folder):
        stamps.extend(Path(root, name).lstat().st_mtime for name in files)
    return datetime.fromtimestamp(max(stamps), UTC)


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(
        Path(root, name).lstat().st_size for root, _dirs, files in os.walk(path) for name in files
    )
