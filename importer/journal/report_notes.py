"""What the journal keeps about an import's report beside the import record: the source
file's dialect (report.csv follows it whenever the report is rendered again) and the folder the
report was last written to (`importer show` names it). Columns of `imports` (migration 3;
journals of earlier releases kept them as `meta` keys, moved there by that migration)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from importer.journal.connection import JournalConnection
from importer.journal.figure_cache import bump_in
from importer.journal.schema import reads


class ReportNotes:
    """The report's dialect and folder, per import."""

    def __init__(self, db: JournalConnection) -> None:
        self._db = db

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
        with self._db.transaction() as db:
            db.execute(
                "UPDATE imports SET source_delimiter=?, source_decimal=?, source_notes=?"
                " WHERE id=?",
                (delimiter, decimal, json.dumps(notes or {}, ensure_ascii=False), import_id),
            )
            bump_in(db, import_id)  # the amounts of invalid rows are read in this dialect

    def set_report_dir(self, import_id: str, folder: Path) -> None:
        """Keep the folder the import's report was last written to (`report.dir` or
        `--report-dir`), so `importer show` names the report.csv that is really there. No
        figure reads it: the import's revision stays (`journal.figure_cache`)."""
        with self._db.transaction() as db:
            db.execute(
                "UPDATE imports SET report_dir=? WHERE id=?", (str(folder.resolve()), import_id)
            )

    def set_refusal(self, import_id: str, refusal: dict[str, Any]) -> None:
        """Keep why a file was refused as a whole (`importer.refusal.Refusal.as_json`), so
        its report is worded in the report's language whenever it is rendered; kept among
        the source notes (`source_notes()["refusal"]`): a rejected file has no dialect."""
        with self._db.transaction() as db:
            db.execute(
                "UPDATE imports SET source_notes=? WHERE id=?",
                (json.dumps({"refusal": refusal}, ensure_ascii=False), import_id),
            )
            bump_in(db, import_id)

    @reads
    def report_dir(self, import_id: str) -> Path | None:
        """The folder the import's report was last written to; None when not kept (an import
        journaled before this was kept, or whose report was never written)."""
        row = self._db.fetchall("SELECT report_dir FROM imports WHERE id=?", (import_id,))
        return Path(row[0][0]) if row and row[0][0] is not None else None

    @reads
    def source_dialect(self, import_id: str) -> tuple[str | None, str | None]:
        """(delimiter, decimal mark) of the import's file; (None, None) when not kept."""
        row = self._db.fetchall(
            "SELECT source_delimiter, source_decimal FROM imports WHERE id=?", (import_id,)
        )
        return (row[0][0], row[0][1]) if row else (None, None)

    @reads
    def source_notes(self, import_id: str) -> dict[str, Any]:
        """Everything `set_source_dialect` kept (delimiter, decimal and notes); empty when
        nothing was kept."""
        row = self._db.fetchall(
            "SELECT source_delimiter, source_decimal, source_notes FROM imports WHERE id=?",
            (import_id,),
        )
        if not row or (row[0][0] is None and row[0][1] is None and row[0][2] is None):
            return {}
        delimiter, decimal, notes = row[0]
        kept: dict[str, Any] = json.loads(notes) if notes else {}
        return {**kept, "delimiter": delimiter, "decimal": decimal}
