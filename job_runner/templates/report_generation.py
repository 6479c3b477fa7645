"""report-generation: one aggregate query over a table, written as a small report file.

The query is structured, never SQL text: group columns, metrics (an aggregate function
over a column, named by an identifier), data-export's filters and an optional look-back
window. Every name is validated and quoted, every value bound. The rows are rendered by
`report_render` and the file is published atomically inside the destination directory.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from job_runner.template import RunContext, Template
from job_runner.toolkit import mongo_query, mongo_report
from job_runner.toolkit.connections import (
    AnyConnection,
    MongoConnection,
    database_errors,
    limit_transaction,
    open_database,
    require_table_columns,
)
from job_runner.toolkit.export_files import Destination, publish_file
from job_runner.toolkit.filters import Filter, OrderBy, filter_conditions
from job_runner.toolkit.lazy import lazy_module
from job_runner.toolkit.mongo import mongo_errors, open_mongo
from job_runner.toolkit.report_render import Report, ReportFormat, Window, render
from job_runner.toolkit.sql import Dialect, Identifier, TableName, column_list, time_compared

if TYPE_CHECKING:
    import psycopg
    from psycopg import sql
else:
    psycopg = lazy_module("psycopg")
    sql = lazy_module("psycopg.sql")

_AGGREGATES = {
    "count": "count({})", "sum": "sum({})", "avg": "avg({})", "min": "min({})",
    "max": "max({})", "countDistinct": "count(DISTINCT {})",
}
_SQLITE_PROGRESS_STEPS = 10_000


class Metric(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    function: Literal["count", "sum", "avg", "min", "max", "countDistinct"] = Field(
        description="Aggregate function; `countDistinct` counts distinct non-null values."
    )
    column: Identifier | None = Field(
        default=None,
        description="Column to aggregate; only `count` may leave it out (count of rows).",
    )
    name: Identifier = Field(
        alias="as", description="Name of the metric's column in the report.",
        examples=["orders"],
    )

    @model_validator(mode="after")
    def _column_unless_counting_rows(self) -> Metric:
        if self.column is None and self.function != "count":
            raise ValueError(f"function {self.function!r} needs a column")
        return self

    def expression(self, dialect: Dialect) -> sql.Composable:
        if self.column is None:
            return sql.SQL("count(*)")
        return sql.SQL(_AGGREGATES[self.function]).format(dialect.ident(self.column))

    def shape(self) -> str:
        """``sum(total) AS revenue``: what the metric computes, for a dry run to show."""
        argument = self.column or "*"
        if self.function == "countDistinct":
            return f"count(DISTINCT {argument}) AS {self.name}"
        return f"{self.function}({argument}) AS {self.name}"


class Since(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    column: Identifier = Field(
        description="Timestamp column of the table. SQLite: ISO-8601 text or Unix seconds.",
        examples=["created_at"],
    )
    lookback_hours: int = Field(
        alias="lookbackHours", ge=1, le=87_600,
        description="Report only rows whose timestamp is at or after now minus this many "
                    "hours (168 for a weekly report).",
    )


class ReportOrderBy(OrderBy):
    column: Identifier = Field(description="A `groupBy` column or a metric's `as` name.")


class ReportParameters(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    connection: AnyConnection = Field(
        description="The database to read from (read-only). MongoDB: an aggregation pipeline "
                    "built from these same parameters (docs/mongodb.md).")
    table: TableName = Field(description="`table` or `schema.table`; on MongoDB the "
                                         "collection.", examples=["orders"])
    group_by: list[Identifier] = Field(
        default_factory=list, alias="groupBy", max_length=8,
        json_schema_extra={"uniqueItems": True},
        description="Columns to group by, the report's first columns; none for one row.",
        examples=[["region"]],
    )
    metrics: list[Metric] = Field(
        min_length=1, max_length=16, description="What to compute per group, in order."
    )
    filters: list[Filter] = Field(
        default_factory=list, max_length=50, description="Conditions on rows, ANDed."
    )
    since: Since | None = Field(
        default=None, description="Only rows within a look-back window of a timestamp column."
    )
    order_by: list[ReportOrderBy] = Field(
        default_factory=list, alias="orderBy", max_length=16,
        description="Sort order, NULLs last; default the group columns, ascending.",
    )
    limit: int = Field(default=1000, ge=1, le=10_000, description="At most this many rows.")
    format: ReportFormat = Field(
        default="markdown",
        description="`csv` (just the table), `markdown` (title, caption, table) or `html` "
                    "(a standalone page).",
    )
    title: str | None = Field(
        default=None, min_length=1, max_length=200,
        description="Plain text heading of a Markdown or HTML report; default the table name.",
        examples=["Orders per region, last 7 days"],
    )
    destination: Destination = Field(description="Where the report file goes.")
    max_query_seconds: float = Field(
        default=300, alias="maxQuerySeconds", gt=0, le=3600,
        description="Upper bound of the query (PostgreSQL statement and lock timeout).",
    )

    @model_validator(mode="after")
    def _names_fit_together(self) -> ReportParameters:
        names = [*self.group_by, *(metric.name for metric in self.metrics)]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"groupBy and metrics name a report column twice: "
                             f"{', '.join(repeated)}")
        unknown = [order.column for order in self.order_by if order.column not in names]
        if unknown:
            raise ValueError(f"orderBy {', '.join(map(repr, unknown))} is neither a groupBy "
                             "column nor a metric")
        return self

    def report_columns(self) -> list[str]:
        return [*self.group_by, *(metric.name for metric in self.metrics)]

    def table_columns_named(self) -> list[str]:
        """Every column of the table the query reads: grouped, aggregated, filtered, windowed."""
        return [*self.group_by, *(m.column for m in self.metrics if m.column is not None),
                *(f.column for f in self.filters), *([self.since.column] if self.since else [])]

    def window(self, now: datetime) -> Window | None:
        if self.since is None:
            return None
        return Window(self.since.column, now - timedelta(hours=self.since.lookback_hours))

    def sort_order(self) -> list[OrderBy]:
        """The given order, then the group columns not in it: rows tied on a metric come out
        the same way every time, so a LIMIT always keeps the same ones."""
        named = {order.column for order in self.order_by}
        return [*self.order_by,
                *(OrderBy(column=column) for column in self.group_by if column not in named)]


def build_report_query(
    params: ReportParameters, dialect: Dialect, window: Window | None, limit: int
) -> tuple[sql.Composable, list[Any]]:
    """The aggregate SELECT and its bound values (the filters', the window's, the limit)."""
    selected = [*(dialect.ident(column) for column in params.group_by), *(
        sql.SQL("{} AS {}").format(metric.expression(dialect), dialect.ident(metric.name))
        for metric in params.metrics)]
    query = [sql.SQL("SELECT {} FROM {}").format(sql.SQL(", ").join(selected),
                                                 dialect.ident(params.table))]
    clauses, values = filter_conditions(params.filters, dialect)
    if window is not None:
        clause, moment = time_compared(window.column, ">=", window.start, dialect)
        clauses.append(clause)
        values.append(moment)
    if clauses:
        query.append(sql.SQL("WHERE {}").format(sql.SQL(" AND ").join(clauses)))
    if params.group_by:
        query.append(sql.SQL("GROUP BY {}").format(column_list(dialect, params.group_by)))
    if order := params.sort_order():
        query.append(sql.SQL("ORDER BY {}").format(sql.SQL(", ").join(
            sql.SQL("{} " + item.direction.upper() + " NULLS LAST").format(
                dialect.ident(item.column))
            for item in order)))
    query.append(sql.SQL("LIMIT {}").format(dialect.placeholder))
    return sql.SQL(" ").join(query), [*values, limit]


@contextmanager
def stopping_with_the_run(db: Any, dialect: Dialect, ctx: RunContext) -> Iterator[None]:
    """Make one long statement honour the run's deadline and cancellation.

    A SQLite query never checks in, so a progress handler interrupts it once the run must
    stop; on PostgreSQL the statement timeout (`limit_transaction`) ends it at the deadline.
    Either way the database error then becomes `TimedOut` or `Cancelled`, not `Failed`.
    """
    if dialect.name == "sqlite":
        db.set_progress_handler(lambda: ctx.remaining() <= 0 or ctx.cancelled.is_set(),
                                _SQLITE_PROGRESS_STEPS)
    try:
        yield
    except (sqlite3.Error, psycopg.Error):
        ctx.check_cancelled()
        raise
    finally:
        if dialect.name == "sqlite":
            db.set_progress_handler(None, 0)


def query_report(
    db: Any, dialect: Dialect, params: ReportParameters, ctx: RunContext,
    window: Window | None, *, limit: int,
) -> list[tuple[Any, ...]]:
    """Check the columns by name, then run the query in one bounded read transaction.
    With ``limit=0`` the database checks the query (functions, types) and reads no row."""
    require_table_columns(db, dialect, params.table, params.table_columns_named())
    query, values = build_report_query(params, dialect, window, limit)
    with database_errors(f"querying {params.table} for the report"), \
            stopping_with_the_run(db, dialect, ctx):
        try:
            limit_transaction(db, dialect, params.max_query_seconds, ctx)
            return list(db.execute(dialect.render(query), values).fetchall())
        finally:
            db.rollback()


class ReportOutputs(BaseModel):
    """What a report records in status.lastRun.outputs."""

    model_config = ConfigDict(extra="forbid")

    rows: int = Field(description="Rows of the report (groups), after `limit`.")
    columns: list[str] = Field(description="The report's columns: `groupBy`, then each "
                                           "metric's name.")
    path: str = Field(description="The file written, under the destination directory.")
    bytes: int = Field(description="Size of the file written, in bytes.")
    format: ReportFormat = Field(description="The file's format.")
    window_start: str | None = Field(
        default=None, alias="windowStart",
        description="With `since`: the start of the window reported on, RFC 3339.")


class ReportGeneration(Template[ReportParameters]):
    name: ClassVar[str] = "report-generation"
    version: ClassVar[str] = "1.0.0"
    description: ClassVar[str] = (
        "Runs one aggregate query over a table (group columns; count, sum, avg, min, max, "
        "count distinct; filters; an optional look-back window) and writes the result as a "
        "small CSV, Markdown or HTML report file with its title and generation time."
    )
    Parameters: ClassVar[type[BaseModel]] = ReportParameters
    Outputs: ClassVar[type[BaseModel] | None] = ReportOutputs
    examples: ClassVar[list[dict[str, Any]]] = [
        {
            "connection": {
                "driver": "postgresql", "host": "orders-db.databases.svc",
                "database": "orders", "user": "reporter", "sslmode": "require",
                "password": {"secretRef": {"name": "orders-db", "key": "password"}},
            },
            "table": "public.orders",
            "groupBy": ["region"],
            "metrics": [
                {"function": "count", "as": "orders"},
                {"function": "sum", "column": "total", "as": "revenue"},
                {"function": "countDistinct", "column": "customer_id", "as": "customers"},
            ],
            "filters": [{"column": "status", "op": "in", "value": ["paid", "shipped"]}],
            "since": {"column": "created_at", "lookbackHours": 168},
            "orderBy": [{"column": "revenue", "direction": "desc"}],
            "format": "html",
            "title": "Orders per region, last 7 days",
            "destination": {"directory": "/reports", "filename": "orders-{date}.html"},
        },
        {
            "connection": {"driver": "sqlite", "path": "/data/app.sqlite3"},
            "table": "events",
            "groupBy": ["kind"],
            "metrics": [{"function": "count", "as": "events"}],
            "format": "csv",
            "destination": {"directory": "/reports", "filename": "events-{date}.csv"},
        },
    ]

    @staticmethod
    def _window_output(window: Window | None) -> dict[str, str]:
        return {"windowStart": window.start.isoformat()} if window is not None else {}

    @staticmethod
    def _prepare(
        params: ReportParameters, ctx: RunContext
    ) -> tuple[datetime, Path, Window | None]:
        """One clock reading for the file name, the window and the report's caption."""
        now = datetime.now(UTC).replace(microsecond=0)
        return now, params.destination.path(ctx.run_id, now), params.window(now)

    def plan(self, params: ReportParameters, ctx: RunContext) -> dict[str, Any]:
        _, target, window = self._prepare(params, ctx)
        if isinstance(params.connection, MongoConnection):
            _mongo_pipeline(params, window)
            with open_mongo(params.connection, ctx) as mongo, mongo_errors("planning the report"):
                mongo_report.refuse_what_ferretdb_gets_wrong(mongo, _mongo_metrics(params))
        else:
            with open_database(params.connection, ctx, read_only=True) as (db, dialect):
                query_report(db, dialect, params, ctx, window, limit=0)
        return {
            "columns": params.report_columns(), "groupBy": params.group_by,
            "metrics": [metric.shape() for metric in params.metrics],
            "orderBy": [f"{o.column} {o.direction}" for o in params.sort_order()],
            "limit": params.limit, "path": str(target), "format": params.format,
            **self._window_output(window),
        }

    def run(self, params: ReportParameters, ctx: RunContext) -> dict[str, Any]:
        now, target, window = self._prepare(params, ctx)
        if isinstance(params.connection, MongoConnection):
            rows = _mongo_rows(params, params.connection, ctx, window)
        else:
            with open_database(params.connection, ctx, read_only=True) as (db, dialect):
                rows = query_report(db, dialect, params, ctx, window, limit=params.limit)
        ctx.check_cancelled()
        columns = params.report_columns()
        report = Report(params.title or params.table, now, window, columns, rows)
        size = publish_file(target, render(report, params.format).encode("utf-8"))
        ctx.logger.info("report written", extra={"rows": len(rows), "path": str(target)})
        return {"rows": len(rows), "columns": columns, "path": str(target), "bytes": size,
                "format": params.format, **self._window_output(window)}


def _mongo_metrics(params: ReportParameters) -> list[mongo_report.MetricSpec]:
    return [(metric.function, metric.column, metric.name) for metric in params.metrics]


def _mongo_pipeline(params: ReportParameters, window: Window | None) -> list[dict[str, Any]]:
    """The aggregation for `params`: every name checked, every value a literal."""
    clauses = mongo_query.structured(params.filters, "filters")
    if window is not None:
        clauses.append(mongo_query.since(window.column, window.start, "since.column"))
    order = [(item.column, item.direction) for item in params.sort_order()]
    return mongo_report.pipeline(params.group_by, _mongo_metrics(params),
                                 mongo_query.conjunction(clauses), order, params.limit)


def _mongo_rows(params: ReportParameters, connection: MongoConnection, ctx: RunContext,
                window: Window | None) -> list[tuple[Any, ...]]:
    collection = mongo_query.collection_name(params.table, "table")
    stages = _mongo_pipeline(params, window)
    max_ms = max(1, int(min(params.max_query_seconds, ctx.remaining()) * 1000))
    with open_mongo(connection, ctx) as db, mongo_errors(f"aggregating {collection} for the "
                                                         "report"):
        mongo_report.refuse_what_ferretdb_gets_wrong(db, _mongo_metrics(params))
        documents = list(db[collection].aggregate(stages, maxTimeMS=max_ms))
    return mongo_report.rows(documents, params.group_by, _mongo_metrics(params))
