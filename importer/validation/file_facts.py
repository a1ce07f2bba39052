"""What a file's rows decide for every row of it: the decimal separator of its amounts, the
day/month order of its dates, which creditor references it repeats.

A file validated whole decides these from its columns as it validates them
(`rules.Validator.check_columns`). A file too large to hold whole is read twice a block of
rows at a time (docs/pipeline.md, "Blocks"): first these facts are gathered from every block
(`FactsGatherer`), each one from votes that add up across blocks, then each block is
validated with them (`rules.Validator.check_columns` with a `FileCheck`), so every row reads
as it would in the file validated whole."""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from decimal import Decimal

from importer.sources.model import Cell
from importer.validation.cells import text_column
from importer.validation.date_order import DateVotes, FileOrder
from importer.validation.fast_amounts import plain_amounts
from importer.validation.separators import Detection, Votes


@dataclass(frozen=True, slots=True)
class FileFacts:
    """The file-wide decisions (see the module docstring)."""

    plain: bool
    """Every amount cell of the file is plain and valid (`fast_amounts.plain_amounts`): the
    amounts are read on that fast path, which needs no separator."""
    detection: Detection
    """The separator the file's amount cells vote for (`separators.Votes`)."""
    order: FileOrder
    """The day/month order the file's dates tell (`date_order.DateVotes`)."""
    repeated: frozenset[int]
    """`hash()` of each creditor reference found on two rows or more: only these are
    remembered from block to block to name the row that used one first."""
    references_given: bool
    """Every row has a creditor reference of its own: none is generated, and rows need not
    be counted among identical ones (`pipeline.generated_references`)."""
    repeated_notes: frozenset[int]
    """`hash()` of each credit note found on two rows or more: only these are remembered
    from block to block by a dry run's prediction (`pipeline.prediction.Prediction`)."""


class FactsGatherer:
    """Gathers `FileFacts` from a file's mapped columns, a block of rows at a time."""

    def __init__(self, pinned: str | None, max_amount: Decimal) -> None:
        self._pinned = pinned
        self._max_amount = max_amount
        self._plain = pinned != ","
        self._votes = Votes(0, 0)
        self._dates = DateVotes(False, False)
        self._references: array[int] = array("q")
        self._notes: array[int] = array("q")
        self._given = True

    def add(self, columns: dict[str, list[Cell]]) -> None:
        """One block's columns (API field -> one raw cell per row)."""
        amounts = columns.get("amount", [])
        if self._plain:
            self._plain = plain_amounts(amounts, ".", self._max_amount) is not None
        if self._pinned is None:
            self._votes += Votes.of(amounts)
        self._dates |= DateVotes.of(columns.get("client_registration_date", []))
        for name, hashes in (
            ("creditor_reference", self._references),
            ("credit_invoice", self._notes),
        ):
            cells = columns.get(name)
            values = text_column(cells, name).values if cells else []
            hashes.extend(hash(value) for value in values if value is not None)
            if name == "creditor_reference" and (name not in columns or None in values):
                self._given = False

    def facts(self) -> FileFacts:
        return FileFacts(
            self._plain,
            self._votes.detection(),
            self._dates.order(),
            _repeated(self._references),
            self._given,
            _repeated(self._notes),
        )


def _repeated(hashes: array[int]) -> frozenset[int]:
    """The hashes found more than once, sorting them (numpy: 16 bytes a row, where a set of
    Python ints of 2,000,000 references would take about 100 MB)."""
    if not hashes:
        return frozenset()
    import numpy as np  # only a file read in blocks gets here: `validate` starts without it

    values, counts = np.unique(np.frombuffer(hashes, dtype=np.int64), return_counts=True)
    return frozenset(values[counts > 1].tolist())
