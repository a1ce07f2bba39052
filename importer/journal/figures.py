"""An import's rows reduced to what a list of imports shows: each row's outcome, status,
amount, settled amount and errors, without its cells or request body.

A list of a year's imports reads every row of every import; reading full rows (cells,
request, attempts) for that would cost seconds where these few columns cost a fraction."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import NamedTuple

from importer.journal.schema import Store
from importer.outcomes import Outcome, RowError


class RowFigures(NamedTuple):
    row: int
    outcome: Outcome
    status: str | None
    amount: Decimal | None
    settled_amount: Decimal | None
    errors: list[RowError]


class FigureStore(Store):
    """The few columns of an import's rows that its figures are counted from."""

    def row_figures(self, import_id: str) -> list[RowFigures]:
        return [
            RowFigures(
                row,
                Outcome(outcome),
                status,
                None if amount is None else Decimal(amount),
                None if settled is None else Decimal(settled),
                [RowError(**e) for e in json.loads(errors)] if errors else [],
            )
            for row, outcome, status, amount, settled, errors in self._db.fetchall(
                "SELECT row, outcome, status, amount, settled_amount, errors FROM rows"
                " WHERE import_id=? ORDER BY row",
                (import_id,),
            )
        ]
