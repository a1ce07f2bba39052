"""The amount a row's own cell shows (`pipeline.amounts_read`): what the control totals add up
for a row without a request and report.xlsx types as a number — read a column at a time when
every cell is plain, and exactly as cell by cell either way."""

from __future__ import annotations

import random

from importer.pipeline.amounts_read import AmountReader
from importer.report.blocks import RowBlock
from importer.report.settings import SourceDialect

SHAPES = [
    "1234.50", "1234.5", "1234", "0.00", "-12.50", "1 234,50", "1,234", "12,5", "99999999999999.99",
    "", "x", "1.234.567", 1234.5, 12, 0.1, -3.0, None,
]  # fmt: skip


def _block(cells: list[object]) -> RowBlock:
    return RowBlock(
        row=list(range(2, len(cells) + 2)),
        outcome=[],
        source=[("F-1", cell) for cell in cells],
        request=[None] * len(cells),
        errors=[],
    )


def test_a_column_read_at_once_shows_the_amounts_read_cell_by_cell() -> None:
    rng = random.Random(3)
    for decimal in (".", ","):
        for guard in (False, True):
            dialect = SourceDialect(
                None, None, amount_column=1, amount_decimal=decimal, amount_guard=guard
            )
            reader = AmountReader(dialect, ["Faktura", "Belopp"])
            single = AmountReader(dialect, ["Faktura", "Belopp"])
            for _ in range(60):
                plain = rng.random() < 0.6
                shapes = SHAPES[:3] if plain else SHAPES
                cells = [rng.choice(shapes) for _ in range(rng.choice((70, 130)))]
                block = _block(cells)
                at_once = reader.fill(block, [None] * len(cells))
                one_by_one = [single.fill(_block([cell]), [None])[0] for cell in cells]
                assert at_once == one_by_one
                assert all(a is None or a.as_tuple().exponent == -2 for a in at_once)
