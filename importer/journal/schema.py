"""What every part of the journal shares besides its connection (`journal.connection`): the
request fields as columns, the way moments are stored, and `@reads`, which marks a read so
the database's errors on it reach callers as the exception tree.

Request fields are columns, not JSON, so duplicate checks are indexed lookups and a
200,000-row import is stored in a fraction of a second. The columns are `api.request.FIELDS`,
in that order: the request contract is written once."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar, cast

from importer.api.request import FIELDS
from importer.journal.connection import JournalConnection

REQUEST_FIELDS: tuple[str, ...] = FIELDS
"""Stored as columns, in the model's (and the API body's) order. A new request field needs a
migration adding its column."""
REQUEST_COLUMNS: tuple[str, ...] = tuple("case_id" if f == "case" else f for f in FIELDS)
"""The column of each request field (`case` is an SQL keyword)."""
REQUEST_COLUMN_LIST = ", ".join(REQUEST_COLUMNS)
REQUEST_PLACEHOLDERS = ",".join("?" * len(REQUEST_FIELDS))
AMOUNT_INDEX = REQUEST_FIELDS.index("amount")
ROW_MAX = 2**31 - 1
"""The largest row number the journal stores (a server's `INTEGER`): a number past it is no
row of any import, and binding it would fail in the driver (SQLite: `OverflowError` past
2**63) rather than find nothing."""


class Part(Protocol):
    """A part of the journal (`journal.imports`, `journal.rows`, …): a plain object over the
    journal's one shared connection."""

    _db: JournalConnection


_S = TypeVar("_S", bound=Part)
_P = ParamSpec("_P")
_R = TypeVar("_R")


def reads(method: Callable[Concatenate[_S, _P], _R]) -> Callable[Concatenate[_S, _P], _R]:
    """Marks a read of the journal: the errors its connection raises are raised as the
    connection's `read_failure` says, with the cause chained. A generator is covered over its
    whole iteration, where its queries run. A plain `try`, not a context manager: it costs
    nothing until it catches, and `rows.get` is called once per row posted."""
    if inspect.isgeneratorfunction(method):

        @functools.wraps(method)
        def each(self: _S, /, *args: _P.args, **kwargs: _P.kwargs) -> Iterator[Any]:
            try:
                yield from cast(Iterator[Any], method(self, *args, **kwargs))
            except self._db.failures as exc:
                raise self._db.read_failure(exc) from exc

        return cast(Callable[Concatenate[_S, _P], _R], each)

    @functools.wraps(method)
    def read(self: _S, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return method(self, *args, **kwargs)
        except self._db.failures as exc:
            raise self._db.read_failure(exc) from exc

    return read


def in_row_order(
    db: JournalConnection, sql: str, import_id: str, *params: Any, size: int
) -> Iterator[list[Any]]:
    """The rows `sql` selects from one import, `size` at a time in row order, each block a
    query of its own after the last row of the one before (keyset paging): a large import is
    never held whole in memory — a server's driver keeps a query's whole result until its
    last row is read — nor a cursor open between blocks (a caller may write meanwhile), and
    each block is one round trip within the server's deadline (`journal.deadline`). `sql`
    reads `row` first, takes `import_id` and the last row read as its first two parameters
    (`WHERE import_id=? AND row>?`), `params` after them, and ends `ORDER BY row LIMIT ?`."""
    last = -1
    while True:
        block = db.fetchall(sql, (import_id, last, *params, size))
        if block:
            yield block
        if len(block) < size:
            return
        last = block[-1][0]


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso_z(moment: datetime) -> str:
    """A moment as the journal stores it: UTC, milliseconds, `Z` (sorts as text)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
