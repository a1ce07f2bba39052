"""What the journal keeps about an import's report beside the import record: the source
file's dialect (report.csv follows it whenever the report is rendered again) and the folder the
report was last written to (`importer show` names it). Kept in `meta`, a key-value table every
journal already has, so no schema migration is needed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from importer.journal.schema import Store


class ReportNotes(Store):
    """The report's dialect and folder, per import (keys `dialect:<id>`, `report_dir:<id>`)."""

    def set_source_dialect(
        self,
        import_id: str,
        delimiter: str | None,
        decimal: str | None,
        notes: dict[str, Any] | None = None,
    ) -> None:
        """Keep the file's delimiter and decimal mark, so report.csv can follow them whenever
        the report is rendered again; `notes`: what else the reports need to know of the
        file (where its amount and date columns are, how its amounts read), kept beside them
        and given back by `source_notes`."""
        value = json.dumps({**(notes or {}), "delimiter": delimiter, "decimal": decimal})
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (f"dialect:{import_id}", value))

    def set_report_dir(self, import_id: str, folder: Path) -> None:
        """Keep the folder the import's report was last written to (`report.dir` or
        `--report-dir`), so `importer show` names the report.csv that is really there."""
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                (f"report_dir:{import_id}", str(folder.resolve())),
            )

    def report_dir(self, import_id: str) -> Path | None:
        """The folder the import's report was last written to; None when not kept (an import
        journaled before this was kept, or whose report was never written)."""
        row = self._db.execute(
            "SELECT value FROM meta WHERE key=?", (f"report_dir:{import_id}",)
        ).fetchone()
        return None if row is None else Path(row[0])

    def source_dialect(self, import_id: str) -> tuple[str | None, str | None]:
        """(delimiter, decimal mark) of the import's file; (None, None) when not kept."""
        row = self._db.execute(
            "SELECT value FROM meta WHERE key=?", (f"dialect:{import_id}",)
        ).fetchone()
        if row is None:
            return None, None
        data = json.loads(row[0])
        return data.get("delimiter"), data.get("decimal")

    def source_notes(self, import_id: str) -> dict[str, Any]:
        """Everything `set_source_dialect` kept (delimiter, decimal and notes); empty when
        nothing was kept."""
        row = self._db.execute(
            "SELECT value FROM meta WHERE key=?", (f"dialect:{import_id}",)
        ).fetchone()
        if row is None:
            return {}
        notes: dict[str, Any] = json.loads(row[0])
        return notes
