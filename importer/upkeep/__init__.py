"""Running the importer for a year: a consistent copy of the journal while importers run
(`backup`), and clearing out report folders, drop summaries and archived files nobody needs
any more (`prune`). It sits on top of the drop stage (it knows the inbox's layout) and never
sends anything."""

from __future__ import annotations

from importer.upkeep.backup import BackupResult, backup_journal
from importer.upkeep.prune import PruneResult, prune

__all__ = ["BackupResult", "PruneResult", "backup_journal", "prune"]
