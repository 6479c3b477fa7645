"""data-export: stream a structured query's rows to a CSV or JSON Lines file."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar, Literal

from psycopg import sql
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    field_validator,
    model_validator,
)

from job_runner.template import RunContext, Template
from job_runner.templates.connections import (
    Connection,
    database_errors,
    open_database,
    require_columns,
)
from job_runner.templates.export_files import ExportWriter, resolve_destination
from job_runner.templates.sql import Dialect, Identifier, TableName

Scalar = StrictBool | StrictInt | StrictFloat | StrictStr
_OPERATORS = {"eq": "=", "ne": "<>", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
_FILENAME = re.compile(r"(?:[A-Za-z0-9._-]|\{date\}|\{time\}|\{runId\}){1,200}")


class Filter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    column: Identifier = Field(description="Column to compare.")
    op: Literal["eq", "ne", "lt", "le", "gt", "ge", "in", "isNull"] = Field(
        description="Comparison; `in` takes a list, `isNull` takes true/false (default true)."
    )
    value: Scalar | list[Scalar] | None = Field(default=None, description="Bound value(s).")

    @model_validator(mode="after")
    def _value_fits_op(self) -> Filter:
        if self.op == "in":
            if not isinstance(self.value, list) or not 1 <= len(self.value) <= 1000:
                raise ValueError("op 'in' needs a list of 1 to 1000 values")
        elif self.op == "isNull":
            if self.value is not None and not isinstance(self.value, bool):
                raise ValueError("op 'isNull' takes true, false or no value")
        elif self.value is None or isinstance(self.value, list):
            raise ValueError(f"op {self.op!r} needs one non-null value")
        return self


class OrderBy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    column: Identifier = Field(description="Column to sort by.")
    direction: Literal["asc", "desc"] = Field(default="asc", description="Sort direction.")


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    connection: Connection = Field(description="The database to read from (read-only).")
    table: TableName = Field(description="`table` or `schema.table`.", examples=["orders"])
    columns: list[Identifier] | None = Field(
        default=None, min_length=1, max_length=500, description="Columns, default all."
    )
    filters: list[Filter] = Field(default_factory=list, max_length=50, description="ANDed.")
    order_by: list[OrderBy] = Field(
        default_factory=list, alias="orderBy", max_length=16, description="Sort order."
    )
    limit: int | None = Field(default=None, ge=1, description="At most this many rows.")


class Destination(BaseModel):
    model_config = ConfigDict(extra="forbid")

    directory: str = Field(
        min_length=1, max_length=4096, description="Absolute directory on a mounted volume.",
        examples=["/exports"],
    )
    filename: str = Field(
        description="Plain file name; may contain {date}, {time} and {runId}.",
        examples=["orders-{date}.csv.gz"],
    )

    @field_validator("directory")
    @classmethod
    def _absolute(cls, value: str) -> str:
        path = PurePosixPath(value)
        if "\x00" in value or not path.is_absolute() or ".." in path.parts:
            raise ValueError("must be an absolute path without '..' or NUL")
        return value

    @field_validator("filename")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if not _FILENAME.fullmatch(value) or value.startswith("."):
            raise ValueError(
                "must be a plain file name (letters, digits, '.', '_', '-', placeholders "
                "{date} {time} {runId}), not starting with '.'"
            )
        return value

    def render_filename(self, run_id: str, now: datetime) -> str:
        safe_run_id = re.sub(r"[^A-Za-z0-9_-]", "_", run_id)[:64]
        return (
            self.filename.replace("{date}", now.strftime("%Y-%m-%d"))
            .replace("{time}", now.strftime("%H%M%S"))
            .replace("{runId}", safe_run_id)
        )

    def path(self, run_id: str, now: datetime) -> Path:
        """The file this run writes, confined to `directory` (see `resolve_destination`)."""
        return resolve_destination(self.directory, self.render_filename(run_id, now))


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


def filter_conditions(
    filters: Iterable[Filter], dialect: Dialect
) -> tuple[list[sql.Composable], list[Any]]:
    """One condition per filter, to be ANDed, and their bound values (never spliced)."""
    values: list[Any] = []
    clauses: list[sql.Composable] = []
    for item in filters:
        column = dialect.ident(item.column)
        if item.op == "isNull":
            test = "IS NULL" if item.value in (None, True) else "IS NOT NULL"
            clauses.append(sql.SQL("{} " + test).format(column))
        elif item.op == "in":
            assert isinstance(item.value, list)
            marks = sql.SQL(", ").join(dialect.placeholder for _ in item.value)
            clauses.append(sql.SQL("{} IN ({})").format(column, marks))
            values.extend(item.value)
        else:
            clauses.append(sql.SQL("{} " + _OPERATORS[item.op] + " {}").format(
                column, dialect.placeholder))
            values.append(item.value)
    return clauses, values


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


class DataExport(Template[ExportParameters]):
    name: ClassVar[str] = "data-export"
    version: ClassVar[str] = "1.0.0"
    description: ClassVar[str] = (
        "Exports rows of one table (columns, filters, order, limit) to a CSV or JSON Lines "
        "file, optionally gzipped, streaming so memory stays flat."
    )
    Parameters: ClassVar[type[BaseModel]] = ExportParameters
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

