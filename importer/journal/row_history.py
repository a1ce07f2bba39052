"""What happened to a row over time, beside its state (`rows`): every attempt, the answers
that did not fit a column as the API sent them, and the cells a correction replaced."""

from __future__ import annotations

from typing import Any

from importer.journal.connection import JournalConnection
from importer.journal.row_values import unpack_cells
from importer.journal.schema import reads


class RowHistory:
    """The attempts, raw answers and original cells of an import's rows."""

    def __init__(self, db: JournalConnection) -> None:
        self._db = db

    @reads
    def attempts(
        self, import_id: str, rows: tuple[int, int] | None = None
    ) -> dict[int, list[tuple[str, str, int | None, str | None]]]:
        """Each row's attempts in order: (at, outcome, http_status, note); `rows` limits it
        to the rows numbered first..last."""
        sql = "SELECT row, at, outcome, http_status, note FROM attempts WHERE import_id=?"
        params: list[Any] = [import_id]
        if rows is not None:
            sql += " AND row BETWEEN ? AND ?"
            params.extend(rows)
        out: dict[int, list[tuple[str, str, int | None, str | None]]] = {}
        for row, at, outcome, http_status, note in self._db.execute(
            sql + " ORDER BY rowid", params
        ):
            out.setdefault(row, []).append((at, outcome, http_status, note))
        return out

    @reads
    def raw_answers(self, import_id: str, row: int) -> list[str]:
        """The answers of a row that did not fit, as the API sent them."""
        return [
            raw
            for (raw,) in self._db.execute(
                "SELECT raw FROM answers WHERE import_id=? AND row=? ORDER BY at",
                (import_id, row),
            )
        ]

    @reads
    def original_sources(
        self, import_id: str, rows: tuple[int, int] | None = None
    ) -> dict[int, list[str]]:
        """The cells the file first had, for each corrected row (`rows`: first..last)."""
        sql = "SELECT row, original_source FROM corrected WHERE import_id=?"
        params: list[Any] = [import_id]
        if rows is not None:
            sql += " AND row BETWEEN ? AND ?"
            params.extend(rows)
        return {row: unpack_cells(text) for row, text in self._db.execute(sql, params)}
