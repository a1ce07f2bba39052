"""Running the importer for a year: a consistent copy of the journal while importers run
(`backup`), its history moved to a PostgreSQL server (`journal_copy`), and clearing out
report folders, drop summaries and archived files nobody needs any more (`prune`). It sits on
top of the drop stage (it knows the inbox's layout) and never sends anything."""

from __future__ import annotations

from importer.upkeep.backup import BackupResult, backup_journal
from importer.upkeep.journal_copy import CopyResult, copy_journal, copy_target
from importer.upkeep.prune import PruneResult, prune

__all__ = [
    "BackupResult",
    "CopyResult",
    "PruneResult",
    "backup_journal",
    "copy_journal",
    "copy_target",
    "prune",
]
