"""Rows held back while an attempt of their case may still be in flight (issue 9 §1).

A POST whose answer never came may still be stored: an API that stores a crediting five
seconds after the request arrived, asked with a three-second read timeout, stored it *after*
the importer had looked it up, found nothing and posted it again — two creditings. So a row
with an uncertain attempt is not looked up (let alone reposted) before `api.settle` seconds
have passed since that attempt was sent.

Meanwhile the import goes on with the rows of other cases. The rows of the same case wait
behind it, in file order: creditings of one case are settled against its balance in the
order they arrive, so overtaking would change what each row settles; creditings of different
cases do not affect each other (`importer.case_key`). This queue only keeps that order and
the times; the pipeline does the posting and the lookups."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


@dataclass(slots=True)
class _Held:
    row: int
    """The row whose attempt is uncertain: the head of its case."""
    due: float
    """When it may be looked up (epoch seconds)."""
    tries: int
    behind: deque[int] = field(default_factory=deque)
    """Later rows of the same case, in file order, not sent yet."""


class SettleQueue:
    """Per case key: the uncertain row at its head and the rows waiting behind it."""

    def __init__(self) -> None:
        self._held: dict[str, _Held] = {}

    def __bool__(self) -> bool:
        return bool(self._held)

    def holds(self, key: str) -> bool:
        return key in self._held

    def hold(self, key: str, row: int, due: float, tries: int = 1) -> None:
        """`row` had an uncertain attempt: it heads its case until `due`. Rows already
        waiting behind the case stay there, in order."""
        held = self._held.get(key)
        if held is None:
            self._held[key] = _Held(row, due, tries)
        else:
            held.row, held.due, held.tries = row, due, tries

    def wait_behind(self, key: str, row: int) -> None:
        self._held[key].behind.append(row)

    def head(self, key: str) -> tuple[int, int]:
        """(row, tries) at the head of the case."""
        held = self._held[key]
        return held.row, held.tries

    def due(self, now: float) -> list[str]:
        """Cases whose head may be looked up now, earliest first."""
        ready = [(held.due, key) for key, held in self._held.items() if held.due <= now]
        return [key for _, key in sorted(ready)]

    def next_due(self) -> tuple[str, float]:
        due, key = min((held.due, key) for key, held in self._held.items())
        return key, due

    def take_next(self, key: str) -> int | None:
        """The head settled: the next waiting row of the case, which becomes the case's
        business of the caller; the case is freed when none is left."""
        held = self._held[key]
        if held.behind:
            return held.behind.popleft()
        del self._held[key]
        return None
