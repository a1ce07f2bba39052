"""A case as the sandbox holds it: the columns the store indexes and validation and the
crediting rules read, plus — when it comes from the seed file — the whole document as given.
One type for both (a seed case is a stored case before it is inserted)."""

from __future__ import annotations

from typing import Any, NamedTuple


class Case(NamedTuple):
    id: str
    creditor: str
    account: str
    invoice_number: str | None
    reference_number: str | None
    remaining_ore: int
    state: str
    document: dict[str, Any] | None = None
    """The case as given in the seed file, without `_id` and Eve meta fields (those are the
    store's); None for a case read back from the store's indexed columns."""
