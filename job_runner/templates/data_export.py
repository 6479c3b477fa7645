"""data-export: stream a structured query's rows to a CSV or JSON Lines file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
)

from job_runner.template import RunContext, Template
from job_runner.toolkit import mongo_query
from job_runner.toolkit.connections import (
    AnyConnection,
    MongoConnection,
    database_errors,
    open_database,
    require_columns,
)
from job_runner.toolkit.export_files import Destination, ExportWriter
from job_runner.toolkit.filters import Filter, OrderBy, filter_conditions
from job_runner.toolkit.lazy import lazy_module
from job_runner.toolkit.mongo import mongo_errors, open_mongo
from job_runner.toolkit.mongo_export import DocumentWriter, document_rows
from job_runner.toolkit.sql import Dialect, Identifier, TableName

if TYPE_CHECKING:
    from psycopg import sql
else:
    sql = lazy_module("psycopg.sql")


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    connection: AnyConnection = Field(description="The database to read from (read-only).")
    table: TableName = Field(description="`table` or `schema.table`; on MongoDB the "
                                         "collection.", examples=["orders"])
    columns: list[Identifier] | None = Field(
        default=None, min_length=1, max_length=500,
        description="Columns, default all. On MongoDB, top-level fields (a missing one is "
                    "empty/null); without them a jsonl export writes whole documents and a "
                    "csv export is refused (documents need not share fields).",
    )
    filters: list[Filter] = Field(default_factory=list, max_length=50, description="ANDed.")
    order_by: list[OrderBy] = Field(
        default_factory=list, alias="orderBy", max_length=16, description="Sort order."
    )
    limit: int | None = Field(default=None, ge=1, description="At most this many rows.")


class ExportParameters(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    source: Source = Field(description="What to read: a structured query, never SQL text.")
    format: Literal["csv", "jsonl"] = Field(default="csv", description="Output format.")
    gzip: bool = Field(default=False, description="Compress the file with gzip.")
    destination: Destination = Field(description="Where the file goes.")
    fetch_size: int = Field(
        default=5000, ge=1, le=100_000, alias="fetchSize",
        description="Rows fetched per round trip; memory use is bounded by it.",
    )


def build_select(
    source: Source, dialect: Dialect, *, count: bool
) -> tuple[sql.Composable, list[Any]]:
    """The SELECT for `source` (or a count of its rows) and its bound values."""
    columns = (
        sql.SQL(", ").join(dialect.ident(column) for column in source.columns)
        if source.columns else sql.SQL("*")
    )
    query: list[sql.Composable] = [
        sql.SQL("SELECT {} FROM {}").format(sql.SQL("1") if count else columns,
                                            dialect.ident(source.table))
    ]
    clauses, values = filter_conditions(source.filters, dialect)
    if clauses:
        query.append(sql.SQL("WHERE {}").format(sql.SQL(" AND ").join(clauses)))
    if source.order_by and not count:
        query.append(sql.SQL("ORDER BY {}").format(sql.SQL(", ").join(
            sql.SQL("{} " + order.direction.upper()).format(dialect.ident(order.column))
            for order in source.order_by
        )))
    if source.limit is not None:
        query.append(sql.SQL("LIMIT {}").format(dialect.placeholder))
        values.append(source.limit)
    select = sql.SQL(" ").join(query)
    if count:
        select = sql.SQL("SELECT count(*) FROM ({}) AS counted").format(select)
    return select, values


def _columns(source: Source) -> list[str]:
    """Every column the query names: selected, filtered and ordered by."""
    return [*(source.columns or []), *(f.column for f in source.filters),
            *(o.column for o in source.order_by)]


class ExportOutputs(BaseModel):
    """What an export records in status.lastRun.outputs."""

    model_config = ConfigDict(extra="forbid")

    rows: int = Field(description="Rows (MongoDB: documents) written to the file.")
    bytes: int = Field(description="Size of the file written, in bytes (after gzip).")
    path: str = Field(description="The file written, under the destination directory.")


class DataExport(Template[ExportParameters]):
    name: ClassVar[str] = "data-export"
    version: ClassVar[str] = "1.0.0"
    description: ClassVar[str] = (
        "Exports rows of one table (columns, filters, order, limit) to a CSV or JSON Lines "
        "file, optionally gzipped, streaming so memory stays flat."
    )
    Parameters: ClassVar[type[BaseModel]] = ExportParameters
    Outputs: ClassVar[type[BaseModel] | None] = ExportOutputs
    examples: ClassVar[list[dict[str, Any]]] = [
        {
            "source": {
                "connection": {
                    "driver": "postgresql", "host": "orders-db.databases.svc",
                    "database": "orders", "user": "exporter",
                    "password": {"secretRef": {"name": "orders-db", "key": "password"}},
                },
                "table": "public.orders",
                "columns": ["id", "customer_id", "total", "created_at"],
                "filters": [{"column": "status", "op": "in", "value": ["paid", "shipped"]}],
                "orderBy": [{"column": "id", "direction": "asc"}],
            },
            "format": "csv",
            "gzip": True,
            "destination": {"directory": "/exports", "filename": "orders-{date}.csv.gz"},
        }
    ]

    def _target(self, params: ExportParameters, ctx: RunContext) -> Path:
        return params.destination.path(ctx.run_id, datetime.now(UTC))

    def plan(self, params: ExportParameters, ctx: RunContext) -> dict[str, Any]:
        target = self._target(params, ctx)
        source = params.source
        if isinstance(source.connection, MongoConnection):
            return _mongo_plan(params, source.connection, target, ctx)
        with open_database(source.connection, ctx, read_only=True) as (db, dialect):
            require_columns(db, dialect, source.table, _columns(source))
            with database_errors(f"planning the export of {source.table}"):
                probe = sql.SQL("SELECT * FROM {} LIMIT 0").format(dialect.ident(source.table))
                cursor = db.execute(dialect.render(probe))
                available = [column[0] for column in cursor.description]
                cursor.close()
                query, values = build_select(source, dialect, count=True)
                rows = db.execute(dialect.render(query), values).fetchone()[0]
                db.rollback()
        return {"columns": source.columns or available, "rows": rows, "path": str(target)}

    def run(self, params: ExportParameters, ctx: RunContext) -> dict[str, Any]:
        target = self._target(params, ctx)
        source = params.source
        if isinstance(source.connection, MongoConnection):
            return _mongo_run(params, source.connection, target, ctx)
        with open_database(source.connection, ctx, read_only=True) as (db, dialect):
            require_columns(db, dialect, source.table, _columns(source))
            query, values = build_select(source, dialect, count=False)
            with database_errors(f"exporting {source.table}"):
                cursor = (
                    db.cursor(name="dynamicjobs_export") if dialect.name == "postgresql"
                    else db.cursor()
                )
                cursor.execute(dialect.render(query), values)
                columns = [column[0] for column in cursor.description]
                with ExportWriter(target, columns, params.format, params.gzip) as writer:
                    while batch := cursor.fetchmany(params.fetch_size):
                        ctx.check_cancelled()
                        writer.write_rows(batch)
                cursor.close()
                db.rollback()
        ctx.logger.info("export written", extra={"rows": writer.rows, "path": str(target)})
        return {"rows": writer.rows, "bytes": writer.bytes_written, "path": str(target)}



def mongo_find(source: Source) -> dict[str, Any]:
    """`find` arguments for `source`, every name checked and every value a literal."""
    for index, column in enumerate(source.columns or []):
        mongo_query.field_name(column, f"source.columns[{index}]")
    sort = [(mongo_query.field_name(order.column, f"source.orderBy[{index}].column"),
             1 if order.direction == "asc" else -1)
            for index, order in enumerate(source.order_by)]
    return {
        "filter": mongo_query.conjunction(mongo_query.structured(source.filters,
                                                                 "source.filters")),
        "projection": {column: 1 for column in source.columns} if source.columns else None,
        "sort": sort or None,
        "limit": source.limit or 0,
    }


def _mongo_plan(params: ExportParameters, connection: MongoConnection, target: Path,
                ctx: RunContext) -> dict[str, Any]:
    source = params.source
    collection = mongo_query.collection_name(source.table, "source.table")
    query = mongo_find(source)
    _require_columns_for_csv(params)
    options = {"limit": query["limit"]} if query["limit"] else {}
    with open_mongo(connection, ctx) as db, mongo_errors(f"planning the export of {collection}"):
        rows = db[collection].count_documents(query["filter"], **options)
    return {"columns": source.columns or "whole documents", "rows": rows, "path": str(target)}


def _require_columns_for_csv(params: ExportParameters) -> None:
    if params.format == "csv" and not params.source.columns:
        raise mongo_query.QueryRefused(
            "source.columns: a csv export from MongoDB needs the columns named (documents "
            "need not share fields); name them, or export jsonl to write whole documents")


def _mongo_run(params: ExportParameters, connection: MongoConnection, target: Path,
               ctx: RunContext) -> dict[str, Any]:
    source = params.source
    collection = mongo_query.collection_name(source.table, "source.table")
    query = mongo_find(source)
    _require_columns_for_csv(params)
    with open_mongo(connection, ctx) as db, mongo_errors(f"exporting {collection}"):
        cursor = db[collection].find(batch_size=params.fetch_size, **query)
        writer = DocumentWriter(target, source.columns or [], params.format, params.gzip)
        with writer:
            for batch in document_rows(cursor, source.columns, params.fetch_size):
                ctx.check_cancelled()
                writer.write_batch(batch)
        cursor.close()
    ctx.logger.info("export written", extra={"rows": writer.rows, "path": str(target)})
    return {"rows": writer.rows, "bytes": writer.bytes_written, "path": str(target)}
