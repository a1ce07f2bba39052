"""What the journal keeps about an import's report beside the import record: the source
file's dialect (report.csv follows it whenever the report is rendered again) and the folder the
report was last written to (`importer show` names it). Columns of `imports` (migration 3;
journals of earlier releases kept them as `meta` keys, moved there by that migration)."""

from __future__ import annotations

from pathlib import Path

from importer.journal.schema import Store, reads


class ReportNotes(Store):
    """The report's dialect and folder, per import."""

    def set_source_dialect(
        self, import_id: str, delimiter: str | None, decimal: str | None
    ) -> None:
        """Keep the file's delimiter and decimal mark, so report.csv can follow them whenever
        the report is rendered again."""
        with self._transaction() as db:
            db.execute(
                "UPDATE imports SET source_delimiter=?, source_decimal=? WHERE id=?",
                (delimiter, decimal, import_id),
            )

    def set_report_dir(self, import_id: str, folder: Path) -> None:
        """Keep the folder the import's report was last written to (`report.dir` or
        `--report-dir`), so `importer show` names the report.csv that is really there."""
        with self._transaction() as db:
            db.execute(
                "UPDATE imports SET report_dir=? WHERE id=?", (str(folder.resolve()), import_id)
            )

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
