"""One data-sync run whose source is MongoDB: into MongoDB (each document replaced by the
key, upserting) or into a PostgreSQL or SQLite table (the SQL upsert, the documents'
fields as its columns). The template hands over what its parameters say (`MongoSyncSource`)
and, for a SQL destination, how to write a page of rows there."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from job_runner.template import RunContext
from job_runner.toolkit import mongo_query, mongo_sync
from job_runner.toolkit.connections import (
    MongoConnection,
    PostgresConnection,
    SqliteConnection,
    open_database,
    require_table_columns,
)
from job_runner.toolkit.mongo import Document, mongo_errors, open_mongo
from job_runner.toolkit.sql import Dialect
from job_runner.toolkit.upsert import require_unique_key

if TYPE_CHECKING:
    from pymongo.collection import Collection


class PageWriter(Protocol):
    """The SQL side's writer: upserts pages of rows, counting as it goes."""

    page_size: int
    rows_read: int
    rows_upserted: int
    batches: int

    def write_page(self, page: list[Sequence[Any]]) -> None: ...


@dataclass(frozen=True)
class MongoSyncSource:
    connection: MongoConnection
    collection: str
    columns: list[str] | None
    key: list[str]
    clauses: list[Document]
    """The selection (`mongo_sync.selection`): filters, a present key, the window."""
    batch_size: int
    max_seconds: float


@dataclass(frozen=True)
class Destination:
    connection: PostgresConnection | SqliteConnection | MongoConnection
    table: str


class MongoSync:
    def __init__(self, source: MongoSyncSource, destination: Destination, ctx: RunContext,
                 sql_writer: Callable[[tuple[Any, Dialect], list[str]], PageWriter]) -> None:
        self.source, self.destination, self.ctx = source, destination, ctx
        self.sql_writer = sql_writer
        mongo_query.collection_name(source.collection, "source.table")
        for index, column in enumerate(source.columns or []):
            mongo_query.field_name(column, f"source.columns[{index}]")
        if not isinstance(destination.connection, MongoConnection):
            mongo_query.field_name(destination.table, "destination.table", dotted=True)

    def _max_ms(self) -> int:
        return max(1, int(min(self.source.max_seconds, self.ctx.remaining()) * 1000))

    def _sql_columns(self, target: tuple[Any, Dialect]) -> list[str]:
        """The destination table's columns to fill (source.columns, default all of them),
        checked with its unique key before anything is written."""
        existing = require_table_columns(*target, self.destination.table,
                                         [*(self.source.columns or []), *self.source.key])
        require_unique_key(*target, self.destination.table, self.source.key)
        target[0].rollback()
        return self.source.columns or existing

    def _projection(self, columns: list[str] | None) -> dict[str, int] | None:
        if not columns:
            return None
        return {column: 1 for column in columns} | ({} if "_id" in columns else {"_id": 0})

    def plan(self) -> dict[str, Any]:
        columns: list[str] | str = self.source.columns or "whole documents"
        destination = self.destination.connection
        if not isinstance(destination, MongoConnection):
            with open_database(destination, self.ctx, read_only=True) as target:
                columns = self._sql_columns(target)
        with open_mongo(self.source.connection, self.ctx) as db, \
                mongo_errors(f"counting documents in {self.source.collection}"):
            count = db[self.source.collection].count_documents(
                mongo_query.conjunction(self.source.clauses), maxTimeMS=self._max_ms())
        return {"wouldRead": count, "columns": columns}

    def run(self) -> dict[str, Any]:
        destination = self.destination.connection
        with open_mongo(self.source.connection, self.ctx) as source:
            collection = source[self.source.collection]
            if isinstance(destination, MongoConnection):
                return self._into_mongo(collection, destination)
            with open_database(destination, self.ctx, read_only=False) as target:
                columns = self._sql_columns(target)
                writer = self.sql_writer(target, columns)
                for page in self._pages(collection, columns, writer.page_size):
                    writer.write_page(mongo_sync.rows(page, columns))
        return {"rowsRead": writer.rows_read, "rowsUpserted": writer.rows_upserted,
                "batches": writer.batches, "columns": columns}

    def _pages(self, collection: Collection[Document], columns: list[str] | None,
               size: int) -> Any:
        return mongo_sync.pages(collection, self.source.clauses, self.source.key,
                                self._projection(columns), size, self.ctx, self._max_ms)

    def _into_mongo(self, collection: Collection[Document],
                    destination: MongoConnection) -> dict[str, Any]:
        target_name = mongo_query.collection_name(self.destination.table, "destination.table")
        read = upserted = batches = 0
        with open_mongo(destination, self.ctx) as target_db:
            target = target_db[target_name]
            for page in self._pages(collection, self.source.columns, self.source.batch_size):
                with mongo_errors(f"upserting a batch into {target_name}"):
                    result = target.bulk_write(mongo_sync.replacements(page, self.source.key),
                                               ordered=True)
                read += len(page)
                upserted += result.matched_count + result.upserted_count
                batches += 1
                self.ctx.logger.info("batch upserted", extra={
                    "rows": len(page), "rowsRead": read, "rowsUpserted": upserted,
                    "batch": batches})
        return {"rowsRead": read, "rowsUpserted": upserted, "batches": batches,
                "columns": self.source.columns or "whole documents"}
