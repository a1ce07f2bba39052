"""Lookups page through capped answers but never for ever: an API that ignores `page` and
always offers a next one stops the run (exit 3) after MAX_PAGES pages instead of keeping the
import asking until morning. The queries are driven through their one seam, `_get`."""

from __future__ import annotations

from typing import Any

import pytest

from importer.api.queries import MAX_PAGES, CreditingQueries
from importer.errors import ApiUnavailable, RunStopped


class _EndlessApi(CreditingQueries):
    """Answers every page with the same crediting and a `_links.next`, without `_meta.total`
    (Eve's OPTIMIZE_PAGINATION_FOR_SPEED), whatever page is asked."""

    base_url = "http://127.0.0.1:9"

    def __init__(self) -> None:
        self.pages: list[str] = []

    def _get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        self.pages.append(params["page"])
        return {
            "_items": [{"_id": "a" * 24, "credit_invoice": "KF-1"}],
            "_links": {"next": {"href": f"{path}?page={int(params['page']) + 1}"}},
        }


class _CappedApi(CreditingQueries):
    """An honest API capping pages at 25 without `_meta.total`: 60 creditings in 3 pages."""

    base_url = "http://127.0.0.1:9"

    def _get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        page = int(params["page"])
        items = [{"_id": f"{n:024x}", "credit_invoice": f"KF-{n}"} for n in range(60)]
        chunk = items[(page - 1) * 25 : page * 25]
        links = {"next": {"href": "next"}} if page * 25 < len(items) else {}
        return {"_items": chunk, "_links": links}


def test_an_api_that_always_offers_a_next_page_stops_the_run() -> None:
    api = _EndlessApi()
    with pytest.raises(ApiUnavailable, match="kept offering more pages") as raised:
        api.find_by_credit_invoices("5f1a2b3c4d5e6f7a8b9c0d1e", ["KF-1"])
    assert isinstance(raised.value, RunStopped)
    assert len(api.pages) == MAX_PAGES
    with pytest.raises(ApiUnavailable, match="kept offering more pages"):
        _EndlessApi().fetch_creditings(["a" * 24])


def test_an_honest_capped_answer_is_read_to_its_end() -> None:
    found = _CappedApi().find_by_credit_invoices(
        "5f1a2b3c4d5e6f7a8b9c0d1e", [f"KF-{n}" for n in range(60)]
    )
    assert len(found) == 60
