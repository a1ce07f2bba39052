"""Group commit: the lanes' writes to a journal server that queue while one round trip is out
are committed together in the next, one transaction and one round trip for the group.

One writer at a time leads: it takes every write queued so far and commits them
(`PgConnection._commit_group`); the others wait to be told, woken by the leader once its
COMMIT is answered — not queued behind the next group for the connection. Each writer
returns only after its own group's COMMIT was answered, so a write is as durable when its
writer returns as a write of its own would be; a group the server refuses keeps none of its
writes, and each of its writers is told why (`Queued.failure`). Under load the group grows by
itself: while one round trip is out, the other lanes' writes queue for the next."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from importer.journal.connection import Cursor


@dataclass(slots=True)
class Queued:
    """A write waiting for its group's COMMIT (`PgConnection.write`): what its statement
    answered, or why the group failed."""

    sql: str
    params: list[Any]
    cursor: Cursor | None = None
    """The driver's cursor of its statement, once the group's COMMIT was answered."""
    failure: BaseException | None = None

    @property
    def done(self) -> bool:
        return self.cursor is not None or self.failure is not None


class WriteGroups:
    """The writes queued for the next group, and whether a writer is leading one now."""

    def __init__(self) -> None:
        self.queued: list[Queued] = []
        self.leading = False
        self._turn = threading.Condition(threading.Lock())

    def join(self, mine: Queued, commit: Callable[[list[Queued]], None]) -> None:
        """Queue `mine` and return once a group holding it was committed or refused: by the
        writer leading now, or by this one — which then leads, `commit`ting every write
        queued so far."""
        with self._turn:
            self.queued.append(mine)
            while self.leading and not mine.done:
                self._turn.wait()
            if mine.done:
                return
            self.leading = True
            group, self.queued = self.queued, []
        try:
            commit(group)
        finally:
            with self._turn:
                self.leading = False
                self._turn.notify_all()


def one_statement(statements: Sequence[tuple[str, Sequence[Any]]]) -> tuple[str, list[Any]]:
    """Statements as one: all but the last as data-modifying `WITH` clauses of the last,
    which the server runs once each, to completion, in one snapshot (so none may read what
    another writes, and none may change a row another changes: `JournalConnection.write`).
    Their parameters follow in the same order."""
    *clauses, (last, _) = statements
    sql = "".join(
        f"{'WITH' if n == 0 else ','} w{n} AS ({clause}) " for n, (clause, _) in enumerate(clauses)
    )
    return sql + last, [value for _, params in statements for value in params]
