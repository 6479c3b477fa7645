"""data-sync from MongoDB: pages read by keyset on the key fields, documents upserted into
MongoDB by the key, or turned into rows for a PostgreSQL or SQLite table.

Pages are read like the SQL side reads them: sorted by the key, each page after the last
page's key (never skip), so memory stays flat and no cursor outlives its page.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from job_runner.template import RunContext
from job_runner.toolkit import mongo_query
from job_runner.toolkit.lazy import lazy_module
from job_runner.toolkit.mongo import Document, mongo_errors
from job_runner.toolkit.sql import Dialect

if TYPE_CHECKING:
    import pymongo
    from pymongo import ReplaceOne
    from pymongo.collection import Collection
else:
    pymongo = lazy_module("pymongo")


def after_key(key: Sequence[str], last: Sequence[Any]) -> Document:
    """Documents whose key comes after ``last`` in (k1, k2, ...) order: k1 > v1, or k1 = v1
    and k2 > v2, and so on."""
    alternatives = []
    for position, field in enumerate(key):
        equal = [{key[i]: {"$eq": last[i]}} for i in range(position)]
        alternatives.append(mongo_query.conjunction([*equal, {field: {"$gt": last[position]}}]))
    return alternatives[0] if len(alternatives) == 1 else {"$or": alternatives}


def selection(filters: dict[str, Any], key: Sequence[str], window: tuple[str, datetime] | None,
              parameter: str) -> list[Document]:
    """The documents a sync reads: the equality filters, a key present and not null, and
    the look-back window on a date field."""
    clauses = mongo_query.equalities(filters, f"{parameter}.filters")
    clauses += [mongo_query.comparison(field, "isNull", False, "key") for field in key]
    if window is not None:
        clauses.append(mongo_query.since(window[0], window[1],
                                         f"{parameter}.modifiedAfter.column"))
    return clauses


def pages(collection: Collection[Document], clauses: list[Document], key: Sequence[str],
          projection: dict[str, int] | None, page_size: int, ctx: RunContext,
          max_ms: Callable[[], int]) -> Iterator[list[Document]]:
    """Pages of documents in key order; each read is its own bounded find."""
    sort = [(field, 1) for field in key]
    last: list[Any] | None = None
    while True:
        ctx.check_cancelled()
        query = mongo_query.conjunction([*clauses, *([after_key(key, last)] if last else [])])
        with mongo_errors(f"reading a batch from {collection.name}"):
            page = list(collection.find(query, projection, sort=sort, limit=page_size,
                                        max_time_ms=max_ms()))
        if page:
            yield page
        if len(page) < page_size:
            return
        last = [page[-1].get(field) for field in key]


def replacements(page: list[Document], key: Sequence[str]) -> list[ReplaceOne[Document]]:
    """One upsert per document, matched on the key. The source's `_id` is written only when
    it is the key (another collection's `_id` would clash with the destination's own)."""
    operations = []
    for document in page:
        match = {field: document.get(field) for field in key}
        body = document if "_id" in key else {k: v for k, v in document.items() if k != "_id"}
        operations.append(pymongo.ReplaceOne(match, body, upsert=True))
    return operations


def sql_value(dialect: Dialect) -> Callable[[Any], Any]:
    """A document's value as the SQL side stores it: nested documents and arrays as JSON
    text, ObjectIds and other BSON types as text; on SQLite times as ISO-8601."""
    def convert(value: Any) -> Any:
        if isinstance(value, dict | list):
            return json.dumps(value, default=str)
        if isinstance(value, datetime):
            return value.isoformat() if dialect.name == "sqlite" else value
        if value is None or isinstance(value, bool | int | float | str | bytes):
            return value
        return str(value)
    return convert


def rows(page: list[Document], columns: Sequence[str]) -> list[Sequence[Any]]:
    return [tuple(document.get(column) for column in columns) for document in page]
