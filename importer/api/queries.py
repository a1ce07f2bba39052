"""The lookups the importer asks of the creditings collection: by reference (an uncertain
row; every row before it is sent, paged), by credit notes (dedupe before posting, paged) and
by id (statuses read back, in batches). What to ask and how to page through the answers is
here; how one GET is sent, bounded and retried is the client's (`CreditingQueries._get`,
`api.client`)."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from typing import Any

from importer.errors import ApiUnavailable

CREDITINGS = "/creditor--creditings"
PAGE_SIZE = 100
"""Ids, references or credit notes per `$in` lookup, and creditings per page."""
MAX_PAGES = 100
"""Pages one `$in` lookup may take. An honest answer for 100 ids or credit notes needs a few
(Eve caps a page at 25 by default: 4 for 100 ids); an API that ignores `page` and always
offers a next one would otherwise keep the import asking for ever."""


def _items(data: dict[str, Any], base_url: str) -> list[dict[str, Any]]:
    """A collection's `_items`, keeping only objects: a hostile answer's other shapes are no
    crediting (their fields are checked where they are stored, importer.answers). An answer
    without an `_items` list is no answer: taken as "nothing found", a row whose request may
    have been stored would be posted again."""
    items = data.get("_items")
    if not isinstance(items, list):
        raise ApiUnavailable(
            f"the API at {base_url} answered a lookup without a list of _items; "
            "nothing was decided on it"
        )
    return [item for item in items if isinstance(item, dict)]


def _more_pages(data: dict[str, Any], seen: int) -> bool:
    """Whether a collection has pages after the `seen` items read: by `_meta.total`, or,
    without one (Eve's OPTIMIZE_PAGINATION_FOR_SPEED), by a `_links.next`."""
    total = (data.get("_meta") or {}).get("total")
    if isinstance(total, int):
        return seen < total
    links = data.get("_links")
    return isinstance(links, dict) and bool(links.get("next"))


class CreditingQueries(ABC):
    """The queries, on top of one GET a client provides."""

    base_url: str
    """The API's base URL, as messages name it."""

    @abstractmethod
    def _get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        """One GET of `path` with `params`: its answer as a JSON object, or an
        `ImporterError` saying why there is none."""

    def find_by_reference(self, creditor: str, reference: str) -> list[dict[str, Any]]:
        """The creditings of the creditor under this reference (a row's own, or another's)."""
        where = json.dumps({"creditor": creditor, "creditor_reference": reference})
        data = self._get(CREDITINGS, {"where": where, "max_results": "10"})
        return _items(data, self.base_url)

    def find_by_credit_invoices(
        self, creditor: str, notes: Iterable[str]
    ) -> dict[str, list[dict[str, Any]]]:
        """Every crediting of the creditor carrying one of these credit notes, by note.
        Raises QueryRefused when the API refuses the filter itself."""
        return self.find_in(creditor, "credit_invoice", notes)

    def find_by_references(
        self, creditor: str, references: Iterable[str]
    ) -> dict[str, list[dict[str, Any]]]:
        """Every crediting of the creditor carrying one of these references, by reference:
        what the importer asks before a row is sent (`pipeline.api_lookup`). Raises
        QueryRefused when the API refuses the filter itself."""
        return self.find_in(creditor, "creditor_reference", references)

    def find_in(
        self, creditor: str, field: str, values: Iterable[str]
    ) -> dict[str, list[dict[str, Any]]]:
        """Every crediting of the creditor whose `field` is one of `values`, by value: `$in`
        lookups of 100 values, each paged through (a value credited more than once has
        several)."""
        wanted = list(dict.fromkeys(values))
        found: dict[str, list[dict[str, Any]]] = {}
        for start in range(0, len(wanted), PAGE_SIZE):
            where = json.dumps(
                {"creditor": creditor, field: {"$in": wanted[start : start + PAGE_SIZE]}}
            )
            for item in self._pages(where):
                found.setdefault(str(item.get(field)), []).append(item)
        return found

    def fetch_creditings(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Stored creditings by id, with batched `$in` lookups of 100 instead of a GET per row."""
        wanted = list(dict.fromkeys(ids))
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(wanted), PAGE_SIZE):
            chunk = wanted[start : start + PAGE_SIZE]
            where = json.dumps({"_id": {"$in": chunk}})
            for item in self._pages(where):
                if isinstance(item.get("_id"), str):
                    found[item["_id"]] = item
        return found

    def _pages(self, where: str) -> Iterator[dict[str, Any]]:
        """Every crediting matching `where`, page by page: an API may cap max_results below
        what is asked (Eve's PAGINATION_LIMIT), and may leave `_meta.total` out. At most
        MAX_PAGES pages: past that the answer is no answer (the run stops, exit 3)."""
        seen = 0
        for page in range(1, MAX_PAGES + 1):
            data = self._get(
                CREDITINGS, {"where": where, "max_results": str(PAGE_SIZE), "page": str(page)}
            )
            items = _items(data, self.base_url)
            yield from items
            seen += len(items)
            if not items or not _more_pages(data, seen):
                return
        raise ApiUnavailable(
            f"the API at {self.base_url} kept offering more pages after {MAX_PAGES} pages of "
            "one lookup (it may ignore the page parameter); nothing was decided on it"
        )
