"""Python-Eve wire conventions the sandbox must reproduce (docs/api.md).

Kept apart from the HTTP plumbing so the exact envelope, date format, ETag and id shapes are
defined once and the importer's client can be tested against precisely what Amili sends.
"""

from __future__ import annotations

import calendar
import functools
import hashlib
import itertools
import json
import os
import re
import threading
import time
from typing import Any

OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")
"""Mongo ObjectIds as Amili prints them: 24 lowercase hex digits."""

INSERTION_FAILURE = "Insertion failure: 1 document(s) contain(s) error(s)"
BAD_CREDENTIALS = "Please provide proper credentials"
META_FIELDS = ("_id", "_created", "_updated", "_etag")

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_RFC1123 = re.compile(
    rf"^(?:{'|'.join(_DAYS)}), (\d{{1,2}}) ({'|'.join(_MONTHS)}) (\d{{4}}) "
    r"(\d{2}):(\d{2}):(\d{2}) GMT$"
)


def error_body(code: int, message: str, issues: dict[str, Any] | None = None) -> dict[str, Any]:
    """`{"_status": "ERR", "_error": {...}}`, plus `_issues` for validation failures; the HTTP
    status always equals `code`, which is what Eve clients key off."""
    body: dict[str, Any] = {"_status": "ERR"}
    if issues is not None:
        body["_issues"] = issues
    body["_error"] = {"code": code, "message": message}
    return body


def collection_links(
    resource: str, query: str, page: int, max_results: int, total: int
) -> dict[str, Any]:
    """A collection answer's `_links` as Eve writes them: `parent`, `self`, and `prev`, `next`
    and `last` where there are such pages. A client may page by these alone (Eve leaves
    `_meta.total` out under OPTIMIZE_PAGINATION_FOR_SPEED), so the sandbox offers them too."""
    kept = "&".join(part for part in query.split("&") if part and not part.startswith("page="))

    def href(to: int | None = None) -> str:
        page_part = f"page={to}" if to is not None else ""
        joined = "&".join(part for part in (kept, page_part) if part)
        return f"{resource}?{joined}" if joined else resource

    links: dict[str, Any] = {
        "parent": {"title": "home", "href": "/"},
        "self": {"title": resource, "href": href()},
    }
    last = max(1, -(-total // max_results)) if max_results > 0 else 1
    if page > 1:
        links["prev"] = {"title": "previous page", "href": href(page - 1)}
    if page < last:
        links["next"] = {"title": "next page", "href": href(page + 1)}
        links["last"] = {"title": "last page", "href": href(last)}
    return links


def http_date(epoch: float) -> str:
    """RFC 1123 in GMT, Eve's DATE_FORMAT: `Fri, 04 Jul 2025 14:35:29 GMT`.

    Built by hand rather than with strftime so the server's locale can never change it."""
    return _http_date(int(epoch))


@functools.lru_cache(maxsize=256)
def _http_date(second: int) -> str:
    # Cached: a busy sandbox formats the same few seconds several times per request.
    t = time.gmtime(second)
    return (
        f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year:04d} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT"
    )


def parse_http_date(text: str) -> int | None:
    """Epoch seconds for an RFC 1123 GMT date, None if it is not one.

    As strict as Eve's `strptime(DATE_FORMAT)`: English names, a literal `GMT`, no other zone.
    Like strptime it does not cross-check the weekday against the date."""
    match = _RFC1123.match(text)
    if not match:
        return None
    day, month, year, hour, minute, second = match.groups()
    fields = (int(year), _MONTHS.index(month) + 1, int(day), int(hour), int(minute), int(second))
    try:
        struct = time.struct_time((*fields, 0, 0, 0))
        # Round-trip to reject 31 Feb and 25:00 instead of letting timegm normalise them.
        epoch = calendar.timegm(struct)
    except (OverflowError, ValueError):
        return None
    if time.gmtime(epoch)[:6] != fields:
        return None
    return epoch


def compute_etag(document: dict[str, Any]) -> str:
    """40-hex SHA-1 of the document without its meta fields, like Eve's document_etag: stable
    across restarts and changing exactly when the content does (a case's balance, say)."""
    content = {k: v for k, v in document.items() if k not in META_FIELDS}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha1(canonical.encode("utf-8")).hexdigest()


class ObjectIdFactory:
    """ObjectId-shaped ids (4 bytes time, 5 bytes process-random, 3 bytes counter), so ids sort
    roughly by creation and never repeat across restarts of a sandbox on the same database."""

    def __init__(self) -> None:
        self._process = os.urandom(5).hex()
        self._counter = itertools.count(int.from_bytes(os.urandom(3), "big"))
        self._lock = threading.Lock()

    def new(self) -> str:
        with self._lock:
            count = next(self._counter) & 0xFFFFFF
        return f"{int(time.time()) & 0xFFFFFFFF:08x}{self._process}{count:06x}"
