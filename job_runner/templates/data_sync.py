"""data-sync: copy rows of one table into another, possibly in another database, upserting
by a key.

Rows are read by keyset pagination on the key (``WHERE (key) > (last key) ORDER BY key
LIMIT n``, never OFFSET), so memory stays flat and no read transaction outlives its page;
each page is upserted in its own short transaction. Every check (columns on both sides,
a unique key the upsert can use) happens before the first write.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from job_runner.template import RunContext, Template, TemplateError
from job_runner.toolkit import mongo_query, mongo_sync
from job_runner.toolkit.connections import (
    AnyConnection,
    MongoConnection,
    PostgresConnection,
    SqliteConnection,
    database_errors,
    limit_transaction,
    open_database,
    require_table_columns,
    transaction,
)
from job_runner.toolkit.filters import FilterValue
from job_runner.toolkit.lazy import lazy_module
from job_runner.toolkit.mongo_sync_run import Destination as MongoDestination
from job_runner.toolkit.mongo_sync_run import MongoSync, MongoSyncSource
from job_runner.toolkit.sql import (
    Dialect,
    Identifier,
    TableName,
    column_list,
    equality_conditions,
    time_compared,
)
from job_runner.toolkit.upsert import (
    build_upsert,
    converter,
    last_per_key,
    max_bind_values,
    require_unique_key,
)

if TYPE_CHECKING:
    import psycopg
    import psycopg.types.string as psycopg_string
    from psycopg import sql
else:
    psycopg = lazy_module("psycopg")
    sql = lazy_module("psycopg.sql")
    psycopg_string = lazy_module("psycopg.types.string")


def _refuse_duplicates(names: list[str]) -> None:
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"names a column twice: {', '.join(repeated)}")


class ModifiedAfter(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    column: Identifier = Field(
        description="Timestamp column of the source. SQLite: ISO-8601 text or Unix seconds.",
        examples=["updated_at"],
    )
    lookback_minutes: int = Field(
        alias="lookbackMinutes", ge=1, le=5_256_000,
        description="Sync only rows whose timestamp is at or after now minus this many "
                    "minutes. Make it longer than the schedule's interval: rows synced "
                    "twice are simply upserted again.",
    )


class SyncSource(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    connection: AnyConnection = Field(
        description="The database to copy from, opened read-only (MongoDB: the collection is "
                    "`table`).")
    table: TableName = Field(
        description="Table to copy from, `table` or `schema.table`.", examples=["orders"]
    )
    columns: list[Identifier] | None = Field(
        default=None, min_length=1, max_length=500, json_schema_extra={"uniqueItems": True},
        description="Columns to copy, the key among them; default all of the source "
                    "table's columns (the destination must have every one).",
    )
    filters: dict[Identifier, FilterValue] = Field(
        default_factory=dict, max_length=16,
        description="Equality filters, column -> value (null means IS NULL), ANDed.",
        examples=[{"region": "eu"}],
    )
    modified_after: ModifiedAfter | None = Field(
        default=None, alias="modifiedAfter",
        description="Incremental sync: only rows changed within a look-back window.",
    )

    @field_validator("filters", mode="before")
    @classmethod
    def _no_operators(cls, value: Any) -> Any:
        return mongo_query.refuse_operators(value)

    @field_validator("columns")
    @classmethod
    def _each_column_once(cls, columns: list[str] | None) -> list[str] | None:
        _refuse_duplicates(columns or [])
        return columns


class SyncDestination(BaseModel):
    model_config = ConfigDict(extra="forbid")

    connection: AnyConnection = Field(
        description="The database to write to. A MongoDB destination takes a MongoDB source "
                    "only; from MongoDB to PostgreSQL or SQLite, documents' fields are the "
                    "columns.")
    table: TableName = Field(
        description="`table` or `schema.table`; it must have a primary key or unique "
                    "constraint on exactly the `key` columns.",
        examples=["reporting.orders"],
    )


class SyncParameters(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    source: SyncSource = Field(description="Where the rows come from.")
    destination: SyncDestination = Field(description="Where the rows are upserted.")
    key: list[Identifier] = Field(
        min_length=1, max_length=8, json_schema_extra={"uniqueItems": True},
        description="Columns identifying a row on both sides: rows are read in this order "
                    "and upserted on it (ON CONFLICT). Rows with a NULL key are not copied.",
        examples=[["id"]],
    )
    batch_size: int = Field(
        default=1000, alias="batchSize", ge=1, le=50_000,
        description="Rows read and upserted per batch; each batch is its own transaction.",
    )
    max_transaction_seconds: float = Field(
        default=30, alias="maxTransactionSeconds", gt=0, le=3600,
        description="Upper bound of one batch's read or write (PostgreSQL statement and "
                    "lock timeout).",
    )

    @field_validator("key")
    @classmethod
    def _key_among_columns(cls, key: list[str], info: ValidationInfo) -> list[str]:
        _refuse_duplicates(key)
        source = info.data.get("source")
        chosen = source.columns if isinstance(source, SyncSource) else None
        missing = [column for column in key if chosen is not None and column not in chosen]
        if missing:
            raise ValueError(f"key column {', '.join(map(repr, missing))} is not in "
                             "source.columns")
        return key


@dataclass(frozen=True)
class Selection:
    """The source rows a sync reads: filters, the look-back window and a non-NULL key."""

    where: sql.Composable
    values: list[Any]


def _selection(params: SyncParameters, dialect: Dialect, since: datetime | None) -> Selection:
    source = params.source
    clauses, values = equality_conditions(source.filters, dialect)
    clauses += [sql.SQL("{} IS NOT NULL").format(dialect.ident(k)) for k in params.key]
    if source.modified_after is not None and since is not None:
        window, value = time_compared(source.modified_after.column, ">=", since, dialect)
        clauses.append(window)
        values.append(value)
    return Selection(sql.SQL(" AND ").join(clauses), values)


def build_page_query(
    table: str, columns: Sequence[str], key: Sequence[str], dialect: Dialect,
    selection: Selection, *, after_key: bool,
) -> sql.Composable:
    """One page, in key order: rows after the last page's key (keyset pagination), LIMIT n.
    The bound values are the selection's, then the last key (when `after_key`), then n."""
    where = selection.where
    if after_key:
        marks = sql.SQL(", ").join(dialect.placeholder for _ in key)
        where = sql.SQL("{} AND ({}) > ({})").format(where, column_list(dialect, key), marks)
    return sql.SQL("SELECT {} FROM {} WHERE {} ORDER BY {} LIMIT {}").format(
        column_list(dialect, columns), dialect.ident(table), where,
        column_list(dialect, key), dialect.placeholder,
    )


def _read_json_as_text(db: Any, dialect: Dialect) -> None:
    """PostgreSQL json/jsonb arrive as their text, which any destination column of a JSON or
    text type accepts; parsed into dicts they could not be bound again without a wrapper."""
    if dialect.name == "postgresql":
        for json_type in ("json", "jsonb"):
            db.adapters.register_loader(json_type, psycopg_string.TextLoader)


class SyncOutputs(BaseModel):
    """What a sync records in status.lastRun.outputs."""

    model_config = ConfigDict(extra="forbid")

    rows_read: int = Field(alias="rowsRead", description="Rows (documents) read from the source.")
    rows_upserted: int = Field(alias="rowsUpserted",
                               description="Rows (documents) inserted or updated in the "
                                           "destination.")
    batches: int = Field(description="Batches copied, each upserted in its own transaction.")
    columns: list[str] | Literal["whole documents"] = Field(
        description="The columns copied; `whole documents` from MongoDB into MongoDB without "
                    "`source.columns`.")
    window_start: str | None = Field(
        default=None, alias="windowStart",
        description="With `source.modifiedAfter`: the start of the window read, RFC 3339.")


class DataSync(Template[SyncParameters]):
    name: ClassVar[str] = "data-sync"
    version: ClassVar[str] = "1.0.0"
    description: ClassVar[str] = (
        "Copies rows of one table into another, in the same or another database (PostgreSQL "
        "or SQLite), upserting by a key in short batches; optionally filtered, and "
        "incremental over a look-back window of a timestamp column."
    )
    Parameters: ClassVar[type[BaseModel]] = SyncParameters
    Outputs: ClassVar[type[BaseModel] | None] = SyncOutputs
    examples: ClassVar[list[dict[str, Any]]] = [
        {
            "source": {
                "connection": {
                    "driver": "postgresql", "host": "orders-db.databases.svc",
                    "database": "orders", "user": "sync-reader", "sslmode": "require",
                    "password": {"secretRef": {"name": "orders-db", "key": "password"}},
                },
                "table": "public.orders",
                "columns": ["id", "customer_id", "status", "total", "updated_at"],
                "filters": {"region": "eu"},
                "modifiedAfter": {"column": "updated_at", "lookbackMinutes": 120},
            },
            "destination": {
                "connection": {
                    "driver": "postgresql", "host": "warehouse.databases.svc",
                    "database": "reporting", "user": "sync-writer", "sslmode": "require",
                    "password": {"secretRef": {"name": "warehouse-db", "key": "password"}},
                },
                "table": "reporting.orders",
            },
            "key": ["id"],
            "batchSize": 5000,
        },
        {
            "source": {"connection": {"driver": "sqlite", "path": "/data/app.sqlite3"},
                       "table": "customers"},
            "destination": {"connection": {"driver": "sqlite", "path": "/data/copy.sqlite3"},
                            "table": "customers"},
            "key": ["id"],
        },
    ]

    @staticmethod
    def _window_start(params: SyncParameters) -> datetime | None:
        window = params.source.modified_after
        if window is None:
            return None
        return datetime.now(UTC) - timedelta(minutes=window.lookback_minutes)

    @staticmethod
    def _window_output(since: datetime | None) -> dict[str, str]:
        return {"windowStart": since.isoformat()} if since is not None else {}

    @staticmethod
    def _checked_columns(params: SyncParameters, source: tuple[Any, Dialect],
                         destination: tuple[Any, Dialect]) -> list[str]:
        """The columns to copy, once both tables are known to fit; nothing is written yet."""
        src = params.source
        named = [*(src.columns or []), *src.filters, *params.key,
                 *([src.modified_after.column] if src.modified_after else [])]
        available = require_table_columns(*source, src.table, named)
        columns = src.columns or available
        require_table_columns(*destination, params.destination.table, columns)
        require_unique_key(*destination, params.destination.table, params.key)
        for db, _ in (source, destination):
            db.rollback()
        return columns

    def plan(self, params: SyncParameters, ctx: RunContext) -> dict[str, Any]:
        since = self._window_start(params)
        if isinstance(params.source.connection, MongoConnection):
            planned = _mongo_sync(params, params.source.connection, ctx, since).plan()
            return {**planned, **self._window_output(since)}
        with open_database(params.source.connection, ctx, read_only=True) as source, \
                open_database(_sql_destination(params), ctx, read_only=True) as target:
            columns = self._checked_columns(params, source, target)
            db, dialect = source
            selection = _selection(params, dialect, since)
            query = sql.SQL("SELECT count(*) FROM {} WHERE {}").format(
                dialect.ident(params.source.table), selection.where)
            with database_errors(f"counting rows in {params.source.table}"):
                count = db.execute(dialect.render(query), selection.values).fetchone()[0]
                db.rollback()
        return {"wouldRead": count, "columns": columns, **self._window_output(since)}

    def run(self, params: SyncParameters, ctx: RunContext) -> dict[str, Any]:
        since = self._window_start(params)
        if isinstance(params.source.connection, MongoConnection):
            totals = _mongo_sync(params, params.source.connection, ctx, since).run()
            return {**totals, **self._window_output(since)}
        with open_database(params.source.connection, ctx, read_only=True) as source, \
                open_database(_sql_destination(params), ctx, read_only=False) as target:
            columns = self._checked_columns(params, source, target)
            _read_json_as_text(*source)
            totals = _BatchCopy(params, ctx, columns, source, target).run(since)
        return {**totals, "columns": columns, **self._window_output(since)}


class _BatchCopy:
    """The batch loop of one run: read a page by key, upsert it, check in, repeat."""

    def __init__(self, params: SyncParameters, ctx: RunContext, columns: list[str],
                 source: tuple[Any, Dialect], target: tuple[Any, Dialect]) -> None:
        self.params, self.ctx, self.columns = params, ctx, columns
        self.source, self.target = source, target
        self.key_positions = [columns.index(column) for column in params.key]
        self.convert = converter(source[1], target[1])
        self.page_size = min(params.batch_size, max_bind_values(*target) // len(columns))
        if self.page_size < params.batch_size:
            ctx.logger.info("batch size lowered to what one statement can bind",
                            extra={"batchSize": self.page_size})
        self.full_page_upsert: str | None = None
        self.rows_read = self.rows_upserted = self.batches = 0

    @classmethod
    def of_documents(cls, params: SyncParameters, ctx: RunContext, columns: list[str],
                     target: tuple[Any, Dialect]) -> _BatchCopy:
        """The writing half only, for pages that come from MongoDB as rows of ``columns``;
        its values are converted as `mongo_sync.sql_value` says."""
        copier = cls(params, ctx, columns, target, target)
        copier.convert = mongo_sync.sql_value(target[1])
        return copier

    def run(self, since: datetime | None) -> dict[str, Any]:
        params, dialect = self.params, self.source[1]
        selection = _selection(params, dialect, since)
        first_page, next_page = (dialect.render(build_page_query(
            params.source.table, self.columns, params.key, dialect, selection, after_key=after
        )) for after in (False, True))
        last_key: list[Any] | None = None
        while True:
            self.ctx.check_cancelled()
            query = first_page if last_key is None else next_page
            page = self._read(query, [*selection.values, *(last_key or []), self.page_size])
            if page:
                self.write_page(page)
            if len(page) < self.page_size:
                break
            last_key = [page[-1][position] for position in self.key_positions]
        return {"rowsRead": self.rows_read, "rowsUpserted": self.rows_upserted,
                "batches": self.batches}

    def _read(self, query: Any, values: list[Any]) -> list[Sequence[Any]]:
        """One page in its own short read transaction: no snapshot is held between pages."""
        db, dialect = self.source
        with database_errors(f"reading a batch from {self.params.source.table}"):
            try:
                limit_transaction(db, dialect, self.params.max_transaction_seconds, self.ctx)
                return list(db.execute(query, values).fetchall())
            finally:
                db.rollback()

    def _upsert(self, rows: int) -> str:
        """The upsert for this many rows as text; a full page's is rendered once only."""
        if rows == self.page_size and self.full_page_upsert is not None:
            return self.full_page_upsert
        db, dialect = self.target
        query = build_upsert(self.params.destination.table, self.columns, self.params.key,
                             dialect, rows)
        text = query.as_string(db if dialect.name == "postgresql" else None)
        if rows == self.page_size:
            self.full_page_upsert = text
        return text

    def write_page(self, page: list[Sequence[Any]]) -> None:
        """Upsert one page: one statement in its own transaction, bounded like the read."""
        db, dialect = self.target
        rows = last_per_key(page, self.key_positions)
        values = [value for row in rows for value in row]
        if self.convert is not None:
            values = [self.convert(value) for value in values]
        with database_errors(f"upserting a batch into {self.params.destination.table}"), \
                transaction(db):
            limit_transaction(db, dialect, self.params.max_transaction_seconds, self.ctx)
            cursor = psycopg.RawCursor(db) if dialect.name == "postgresql" else db.cursor()
            cursor.execute(self._upsert(len(rows)), values)
            written = int(cursor.rowcount)
            cursor.close()
        self.batches += 1
        self.rows_read += len(page)
        self.rows_upserted += written
        self.ctx.logger.info("batch upserted", extra={
            "rows": len(page), "rowsRead": self.rows_read, "rowsUpserted": self.rows_upserted,
            "batch": self.batches})


def _sql_destination(params: SyncParameters) -> PostgresConnection | SqliteConnection:
    """The destination of a sync from a SQL source, which must be SQL too."""
    if isinstance(params.destination.connection, MongoConnection):
        raise TemplateError("destination.connection: a MongoDB destination takes a MongoDB "
                            "source only")
    return params.destination.connection


def _mongo_sync(params: SyncParameters, connection: MongoConnection, ctx: RunContext,
                since: datetime | None) -> MongoSync:
    """The MongoDB-source run for these parameters, its SQL pages written by `_BatchCopy`."""
    source = params.source
    window = (source.modified_after.column, since) if source.modified_after and since \
        else None
    return MongoSync(
        MongoSyncSource(connection, source.table, source.columns, params.key,
                        mongo_sync.selection(source.filters, params.key, window, "source"),
                        params.batch_size, params.max_transaction_seconds),
        MongoDestination(params.destination.connection, params.destination.table), ctx,
        lambda target, columns: _BatchCopy.of_documents(params, ctx, columns, target))
