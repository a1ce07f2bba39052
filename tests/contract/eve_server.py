"""A real Eve server for the crediting resource, as the API's public reference describes it
(`docs/api.md`): the independent counterpart of the project's own sandbox.

Eve (from PyPI) does the wire format — Cerberus validation answered as 422 `_issues`, `where`
with Mongo operators, paging capped at `PAGINATION_LIMIT`, `_meta` and `_links`, 404s — by its
own code, not ours. Storage is mongomock (the only MongoDB these machines can have), patched
in for `pymongo.MongoClient` while the server runs. The crediting *rules* (cases, balances,
statuses) are not Eve's business and are not modelled: contract tests ask about the wire."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import mongomock
from eve import Eve
from eve.auth import TokenAuth
from eve.io.mongo import flask_pymongo
from flask import request
from werkzeug.serving import make_server

CREDITING_SCHEMA: dict[str, Any] = {
    # ids are Mongo ObjectIds at Amili: Eve turns a 24-hex string in `where` into an ObjectId,
    # so a look-up by creditor matches only an id stored as one
    "creditor": {"type": "objectid", "required": True},
    "case": {"type": "objectid", "excludes": "invoice_number"},
    "invoice_number": {"type": "string", "excludes": "case"},
    "currency": {"type": "string", "required": True, "allowed": ["SEK"]},
    "amount": {"type": "number", "required": True, "min": 0.01},
    "origin": {"type": "string", "required": True, "allowed": ["creditor_system"]},
    "credit_invoice": {"type": "string"},
    "client_registration_date": {"type": "datetime"},
    "creditor_reference": {"type": "string"},
    "account": {"type": "string", "readonly": True},
    "file_import_report": {"type": "string", "readonly": True},
}


class _KeyAuth(TokenAuth):
    """Amili authenticates by the `x-api-key` header, not by Authorization."""

    def __init__(self, key: str) -> None:
        super().__init__()
        self._key = key

    def authorized(self, allowed_roles: Any, resource: Any, method: Any) -> bool:
        return request.headers.get("x-api-key") == self._key


def _settings(pagination_limit: int, links_only: bool) -> dict[str, Any]:
    return {
        "MONGO_URI": "mongodb://localhost:27017/amili",
        "DOMAIN": {
            "creditor--creditings": {
                "url": "creditor--creditings",
                "resource_methods": ["GET", "POST"],
                "item_methods": ["GET"],
                "schema": CREDITING_SCHEMA,
            },
        },
        "PAGINATION_LIMIT": pagination_limit,
        "PAGINATION_DEFAULT": 25,
        # no `_meta.total`, only `_links.next`: how Eve pages when counting is too costly
        "OPTIMIZE_PAGINATION_FOR_SPEED": links_only,
        "IF_MATCH": False,
        "X_DOMAINS": None,
        "ALLOW_UNKNOWN": False,
        "MONGO_QUERY_BLACKLIST": ["$where"],
    }


@contextmanager
def eve_server(
    api_key: str, *, pagination_limit: int = 50, links_only: bool = False
) -> Iterator[str]:
    """An Eve server on a free loopback port; yields its base URL. Every server gets its own
    in-memory database (mongomock's state is per patched client)."""
    client = mongomock.MongoClient()
    real = flask_pymongo.MongoClient
    flask_pymongo.MongoClient = lambda *args, **kwargs: client  # Eve's own seam for the client
    try:
        app = Eve(settings=_settings(pagination_limit, links_only), auth=_KeyAuth(api_key))
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}"
        finally:
            server.shutdown()
            thread.join(timeout=5)
    finally:
        flask_pymongo.MongoClient = real
