"""Credit notes already credited: the journal's side of credit-note dedupe (indexed lookups
by creditor and credit invoice, one import's or a whole file's at once)."""

from __future__ import annotations

from operator import itemgetter

from importer.journal.schema import Store


class DedupeStore(Store):
    """Look-ups of credited credit notes, across imports to the same API."""

    def find_credited(
        self,
        creditor: str,
        credit_invoice: str,
        *,
        base_url: str,
        exclude: tuple[str, int] | None = None,
    ) -> tuple[str, int, str | None] | None:
        """The first credited row with this creditor's credit note, in any import to the
        same API: a credit issued in the sandbox is no reason to withhold a real one."""
        for import_id, row, crediting_id in self._db.fetchall(
            "SELECT r.import_id, r.row, r.crediting_id FROM rows r"
            " JOIN imports i ON i.id = r.import_id WHERE r.creditor=? AND r.credit_invoice=?"
            " AND r.outcome='credited' AND i.base_url=? ORDER BY r.import_id, r.row",
            (creditor, credit_invoice, base_url),
        ):
            if exclude is None or (import_id, row) != exclude:
                return import_id, row, crediting_id
        return None

    def has_credited(self, creditor: str, *, base_url: str) -> bool:
        """Whether any row of this creditor was credited through this API (one probe on an
        index): a first import needs no look-up per credit note."""
        return (
            self._db.execute(
                "SELECT 1 FROM rows r JOIN imports i ON i.id = r.import_id WHERE r.creditor=?"
                " AND r.outcome='credited' AND i.base_url=? LIMIT 1",
                (creditor, base_url),
            ).fetchone()
            is not None
        )

    def find_credited_many(
        self, keys: set[tuple[str, str]], *, base_url: str
    ) -> dict[tuple[str, str], tuple[str, int, str | None]]:
        """`find_credited` for a whole file at once (a dry run of 200,000 rows would
        otherwise make 200,000 queries): {(creditor, credit_invoice): first credited row}."""
        found: dict[tuple[str, str], tuple[str, int, str | None]] = {}
        # Creditors with nothing credited yet (one probe each, on index rows_credit_invoice)
        # need no look-up per credit note: a first import of a large file costs no queries.
        live = {
            creditor
            for creditor in set(map(itemgetter(0), keys))
            if self.has_credited(creditor, base_url=base_url)
        }
        if not live:
            return found
        by_creditor: dict[str, list[str]] = {}
        for creditor, credit_invoice in keys:
            if creditor not in live:
                continue
            by_creditor.setdefault(creditor, []).append(credit_invoice)
        for creditor, invoices in by_creditor.items():
            for start in range(0, len(invoices), 500):
                chunk = invoices[start : start + 500]
                for credit_invoice, import_id, row, crediting_id in self._db.execute(
                    "SELECT r.credit_invoice, r.import_id, r.row, r.crediting_id FROM rows r"
                    " JOIN imports i ON i.id = r.import_id WHERE r.creditor=?"
                    " AND r.outcome='credited' AND i.base_url=? AND r.credit_invoice IN"
                    f" ({','.join('?' * len(chunk))}) ORDER BY r.import_id DESC, r.row DESC",
                    (creditor, base_url, *chunk),
                ):
                    found[(creditor, credit_invoice)] = (import_id, row, crediting_id)
        return found
