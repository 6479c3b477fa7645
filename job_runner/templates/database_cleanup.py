"""database-cleanup: delete rows older than N days, in short batches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from job_runner.template import RunContext, Template, TemplateError
from job_runner.toolkit import mongo_query
from job_runner.toolkit.connections import (
    AnyConnection,
    MongoConnection,
    database_errors,
    limit_transaction,
    open_database,
    require_columns,
    transaction,
)
from job_runner.toolkit.filters import FilterValue
from job_runner.toolkit.lazy import lazy_module
from job_runner.toolkit.mongo import mongo_errors, open_mongo
from job_runner.toolkit.sql import (
    Dialect,
    Identifier,
    TableName,
    equality_conditions,
    time_compared,
)

if TYPE_CHECKING:
    from psycopg import sql
else:
    sql = lazy_module("psycopg.sql")


class CleanupParameters(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    connection: AnyConnection = Field(description="The database to clean up.")
    table: TableName = Field(
        description="Table to delete from, `table` or `schema.table`; on MongoDB the "
                    "collection.", examples=["audit_log"]
    )
    timestamp_column: Identifier = Field(
        alias="timestampColumn",
        description="Column holding each row's age. SQLite: ISO-8601 text or Unix seconds; "
                    "MongoDB: a top-level field holding a date.",
        examples=["created_at"],
    )
    older_than_days: int = Field(
        alias="olderThanDays", ge=1, le=36500,
        description="Delete rows whose timestamp is more than this many days in the past.",
    )
    where: dict[Identifier, FilterValue] = Field(
        default_factory=dict, max_length=16,
        description="Extra equality filters, column -> value (null means IS NULL).",
        examples=[{"level": "debug"}],
    )
    batch_size: int = Field(
        default=1000, alias="batchSize", ge=1, le=100_000,
        description="Rows deleted per transaction.",
    )
    max_transaction_seconds: float = Field(
        default=30, alias="maxTransactionSeconds", gt=0, le=3600,
        description="Upper bound of one batch's transaction (statement and lock timeout; "
                    "on MongoDB each operation's maxTimeMS).",
    )

    @field_validator("where", mode="before")
    @classmethod
    def _no_operators(cls, value: Any) -> Any:
        return mongo_query.refuse_operators(value)


def _conditions(
    params: CleanupParameters, dialect: Dialect, cutoff: datetime
) -> tuple[sql.Composable, list[Any]]:
    age, cutoff_value = time_compared(params.timestamp_column, "<", cutoff, dialect)
    filters, filter_values = equality_conditions(params.where, dialect)
    return sql.SQL(" AND ").join([age, *filters]), [cutoff_value, *filter_values]


def _columns(params: CleanupParameters) -> list[str]:
    return [params.timestamp_column, *params.where]


def _batch_delete(table: sql.Composable, where: sql.Composable, dialect: Dialect) -> sql.Composable:
    """Delete at most LIMIT matching rows, addressed by physical row id.

    The conditions are repeated in the outer statement so that a row updated between the
    sub-select and the delete is re-checked, never deleted on a stale match.
    """
    row_id = sql.SQL("ctid" if dialect.name == "postgresql" else "rowid")
    shape = (
        "DELETE FROM {t} WHERE {r} = ANY(ARRAY(SELECT {r} FROM {t} WHERE {w} LIMIT {p})) AND {w}"
        if dialect.name == "postgresql"
        else "DELETE FROM {t} WHERE {r} IN (SELECT {r} FROM {t} WHERE {w} LIMIT {p}) AND {w}"
    )
    return sql.SQL(shape).format(t=table, r=row_id, w=where, p=dialect.placeholder)


class CleanupOutputs(BaseModel):
    """What a cleanup records in status.lastRun.outputs."""

    model_config = ConfigDict(extra="forbid")

    deleted: int = Field(description="Rows (MongoDB: documents) deleted, over all batches.")
    batches: int = Field(description="Delete statements run, each in its own short "
                                     "transaction; the last deleted fewer than `batchSize`.")
    cutoff: str = Field(description="The cutoff time, RFC 3339: rows whose `timestampColumn` "
                                    "is before it were deleted.")


class DatabaseCleanup(Template[CleanupParameters]):
    name: ClassVar[str] = "database-cleanup"
    version: ClassVar[str] = "1.0.0"
    description: ClassVar[str] = (
        "Deletes rows older than a number of days from one table, in short batches, "
        "optionally filtered by column values."
    )
    Parameters: ClassVar[type[BaseModel]] = CleanupParameters
    Outputs: ClassVar[type[BaseModel] | None] = CleanupOutputs
    examples: ClassVar[list[dict[str, Any]]] = [
        {
            "connection": {
                "driver": "postgresql", "host": "orders-db.databases.svc", "database": "orders",
                "user": "cleanup", "sslmode": "require",
                "password": {"secretRef": {"name": "orders-db", "key": "password"}},
            },
            "table": "public.audit_log",
            "timestampColumn": "created_at",
            "olderThanDays": 90,
            "where": {"level": "debug"},
            "batchSize": 5000,
        },
        {
            "connection": {"driver": "sqlite", "path": "/data/app.sqlite3"},
            "table": "sessions",
            "timestampColumn": "last_seen",
            "olderThanDays": 30,
        },
    ]

    @staticmethod
    def _cutoff(params: CleanupParameters) -> datetime:
        return datetime.now(UTC) - timedelta(days=params.older_than_days)

    def plan(self, params: CleanupParameters, ctx: RunContext) -> dict[str, Any]:
        cutoff = self._cutoff(params)
        if isinstance(params.connection, MongoConnection):
            return _mongo_plan(params, params.connection, cutoff, ctx)
        with open_database(params.connection, ctx, read_only=True) as (db, dialect):
            require_columns(db, dialect, params.table, _columns(params))
            where, values = _conditions(params, dialect, cutoff)
            query = sql.SQL("SELECT count(*) FROM {} WHERE {}").format(
                dialect.ident(params.table), where
            )
            with database_errors(f"counting rows in {params.table}"):
                count = db.execute(dialect.render(query), values).fetchone()[0]
                db.rollback()
        return {"wouldDelete": count, "table": params.table, "cutoff": cutoff.isoformat()}

    def run(self, params: CleanupParameters, ctx: RunContext) -> dict[str, Any]:
        cutoff = self._cutoff(params)
        if isinstance(params.connection, MongoConnection):
            return _mongo_run(params, params.connection, cutoff, ctx)
        deleted = batches = 0
        with open_database(params.connection, ctx, read_only=False) as (db, dialect):
            require_columns(db, dialect, params.table, _columns(params))
            where, values = _conditions(params, dialect, cutoff)
            delete = dialect.render(_batch_delete(dialect.ident(params.table), where, dialect))
            batch_values = [*values, params.batch_size, *values]
            while True:
                ctx.check_cancelled()
                count = self._delete_batch(db, dialect, delete, batch_values, params, ctx)
                batches += 1
                deleted += count
                ctx.logger.info("batch deleted", extra={"rows": count, "totalDeleted": deleted})
                if count < params.batch_size:
                    break
        return {"deleted": deleted, "batches": batches, "cutoff": cutoff.isoformat()}

    @staticmethod
    def _delete_batch(
        db: Any, dialect: Dialect, delete: Any, values: list[Any],
        params: CleanupParameters, ctx: RunContext,
    ) -> int:
        """One batch in its own transaction, bounded by maxTransactionSeconds and the run."""
        with database_errors(f"deleting a batch from {params.table}"), transaction(db):
            limit_transaction(db, dialect, params.max_transaction_seconds, ctx)
            count = int(db.execute(delete, values).rowcount)
        if count < 0:
            raise TemplateError("the database did not report how many rows were deleted")
        return count


def _mongo_filter(params: CleanupParameters, cutoff: datetime) -> dict[str, Any]:
    return mongo_query.conjunction([
        mongo_query.older_than(params.timestamp_column, cutoff, "timestampColumn"),
        *mongo_query.equalities(params.where, "where"),
    ])


def _mongo_plan(params: CleanupParameters, connection: MongoConnection, cutoff: datetime,
                ctx: RunContext) -> dict[str, Any]:
    collection = mongo_query.collection_name(params.table, "table")
    query = _mongo_filter(params, cutoff)
    with open_mongo(connection, ctx) as db, mongo_errors(f"counting documents in {collection}"):
        count = db[collection].count_documents(query, maxTimeMS=_max_ms(params, ctx))
    return {"wouldDelete": count, "table": params.table, "cutoff": cutoff.isoformat()}


def _max_ms(params: CleanupParameters, ctx: RunContext) -> int:
    return max(1, int(min(params.max_transaction_seconds, ctx.remaining()) * 1000))


def _mongo_run(params: CleanupParameters, connection: MongoConnection, cutoff: datetime,
               ctx: RunContext) -> dict[str, Any]:
    """Delete in batches of `batchSize` documents, read in `_id` order; each delete repeats
    the conditions, so a document changed since its id was read is checked again, never
    deleted on a stale match."""
    collection_name = mongo_query.collection_name(params.table, "table")
    query = _mongo_filter(params, cutoff)
    deleted = batches = 0
    with open_mongo(connection, ctx) as db:
        collection = db[collection_name]
        while True:
            ctx.check_cancelled()
            with mongo_errors(f"deleting a batch from {collection_name}"):
                ids = [doc["_id"] for doc in collection.find(
                    query, {"_id": 1}, sort=[("_id", 1)], limit=params.batch_size,
                    max_time_ms=_max_ms(params, ctx))]
                batch = mongo_query.conjunction([_id_span(ids), query])
                count = collection.delete_many(batch).deleted_count if ids else 0
            batches += 1
            deleted += count
            ctx.logger.info("batch deleted", extra={"rows": count, "totalDeleted": deleted})
            if len(ids) < params.batch_size:
                break
    return {"deleted": deleted, "batches": batches, "cutoff": cutoff.isoformat()}


def _id_span(ids: list[Any]) -> dict[str, Any]:
    """The batch's ids as a range when they share one type: they are the first matching
    documents in `_id` order, so every matching document in the range is one of them (or
    matches the conditions now), and a range costs one index range on MongoDB and one scan
    on FerretDB, where `$in` of thousands of ids costs a comparison per id per document.
    Ids of mixed types are listed (MongoDB compares a range within one type only)."""
    if ids and len({type(value) for value in ids}) == 1:
        return {"_id": {"$gte": ids[0], "$lte": ids[-1]}}
    return {"_id": {"$in": ids}}
