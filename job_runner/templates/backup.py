"""backup: a consistent backup of one database as a file in a directory, keeping the newest N.

PostgreSQL is dumped by pg_dump (see `pg_dump`), SQLite through its online backup API,
MongoDB through pymongo into a tar in mongodump's layout (see `mongo_backup`).
Either way the file is written under a temp name in the destination directory and renamed
into place only when complete. Retention then deletes this job's older backups: regular
files whose whole name the filename pattern could have produced, nothing else.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from job_runner.template import RunContext, Template, TemplateError
from job_runner.toolkit import mongo_backup
from job_runner.toolkit.connections import (
    AnyConnection,
    MongoConnection,
    PostgresConnection,
    SqliteConnection,
    database_errors,
    open_database,
)
from job_runner.toolkit.export_files import Destination, publish_file
from job_runner.toolkit.mongo import open_mongo
from job_runner.toolkit.pg_dump import (
    TERMINATE_GRACE_SECONDS,
    ByteSink,
    check_included,
    dump_database,
    find_pg_dump,
    pg_dump_argv,
    pg_dump_version,
)
from job_runner.toolkit.sql import Identifier, TableName

_PLACEHOLDERS = {"{date}": "[0-9]{4}-[0-9]{2}-[0-9]{2}", "{time}": "[0-9]{6}",
                 "{runId}": "[A-Za-z0-9_-]{0,64}"}
_SQLITE_PAGES_PER_STEP = 1024
_MAX_LISTED = 50
OWNED_LIST_PREFIX = ".dynamicjobs-backups-"
_NOT_NAME_CHAR = re.compile(r"[^A-Za-z0-9.-]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class BackupDestination(Destination):
    filename: str = Field(
        description="Plain file name of each backup; may contain {date}, {time} and {runId}. "
                    "Retention deletes only files whose whole name this pattern could have "
                    "produced, so give each job its own pattern (or directory).",
        examples=["orders-{date}-{time}.sql.gz"],
    )

    def written_names(self) -> re.Pattern[str]:
        """Matches exactly the names `render_filename` can produce from this pattern."""
        parts = re.split(r"(\{date\}|\{time\}|\{runId\})", self.filename)
        return re.compile("".join(_PLACEHOLDERS.get(part, re.escape(part)) for part in parts),
                          re.ASCII)


class BackupParameters(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    connection: AnyConnection = Field(description="The database to back up (read only).")
    destination: BackupDestination = Field(description="Where the backup files go.")
    keep: int = Field(default=7, ge=1, le=1000,
                      description="How many of this job's backups to keep, this run's included.")
    compress: bool = Field(
        default=True,
        description="gzip the file (the name must then end in .gz); with format custom, "
                    "pg_dump's own compression instead.",
    )
    format: Literal["plain", "custom"] = Field(
        default="plain",
        description="PostgreSQL only: `plain` SQL (restore with psql) or pg_dump's `custom` "
                    "archive (restore with pg_restore).",
    )
    schemas: list[Identifier] = Field(
        default_factory=list, max_length=100, json_schema_extra={"uniqueItems": True},
        description="PostgreSQL only: dump just these schemas (exact names); default all.",
    )
    tables: list[TableName] = Field(
        default_factory=list, max_length=100, json_schema_extra={"uniqueItems": True},
        description="PostgreSQL: dump just these tables (`table` or `schema.table`); "
                    "MongoDB: just these collections.",
    )
    consistency: Literal["snapshot", "collection"] = Field(
        default="snapshot",
        description="MongoDB only. `snapshot`: every collection read at one point in time "
                    "(a snapshot session: MongoDB 5.0+, replica set or sharded cluster); "
                    "`collection`: each collection read on its own, for a standalone server "
                    "or FerretDB (not consistent across collections while others write).",
    )

    @field_validator("connection")
    @classmethod
    def _plain_connection_values(
        cls, value: PostgresConnection | SqliteConnection | MongoConnection
    ) -> PostgresConnection | SqliteConnection | MongoConnection:
        if isinstance(value, PostgresConnection):
            for name in ("host", "user", "database"):
                text = getattr(value, name)
                if text.startswith("-") or _CONTROL.search(text):
                    raise ValueError(f"{name} must not start with '-' or contain control "
                                     "characters")
        return value

    @model_validator(mode="after")
    def _options_fit_together(self) -> BackupParameters:
        sqlite = isinstance(self.connection, SqliteConnection)
        mongo = isinstance(self.connection, MongoConnection)
        if sqlite and (self.schemas or self.tables or self.format != "plain"):
            raise ValueError("schemas, tables and format are for PostgreSQL only")
        if mongo and (self.schemas or self.format != "plain"):
            raise ValueError("schemas and format are for PostgreSQL only (MongoDB takes "
                             "tables, the collections)")
        if not mongo and self.consistency != "snapshot":
            raise ValueError("consistency is for MongoDB only")
        if self.schemas and self.tables:
            raise ValueError("give schemas or tables, not both (pg_dump ignores schemas "
                             "when tables are given)")
        if self.destination.filename.endswith(".gz") != self.gzipped():
            raise ValueError("destination.filename must end in .gz when the file is gzipped "
                             "(compress true, format plain) and only then")
        return self

    def gzipped(self) -> bool:
        return self.compress and self.format == "plain"

    def file_format(self) -> str:
        if isinstance(self.connection, MongoConnection):
            return "mongodump-tar"
        return "sqlite" if isinstance(self.connection, SqliteConnection) else self.format


@contextmanager
def scratch_file(target: Path) -> Iterator[Path]:
    """An empty hidden file beside ``target``, gone when the block ends (unless published
    by `publish`, which renames it away). Retention never matches it: patterns cannot
    start with a dot."""
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(fd)
    path = Path(name)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def publish(temp: Path, target: Path) -> int:
    """Flush ``temp`` to disk and rename it over ``target``; its size in bytes."""
    with open(temp, "rb") as file:
        os.fsync(file.fileno())
    os.replace(temp, target)
    return target.stat().st_size


@contextmanager
def output_stream(path: Path, gzipped: bool) -> Iterator[IO[bytes] | gzip.GzipFile]:
    with open(path, "wb") as raw:
        if not gzipped:
            yield raw
            return
        with gzip.GzipFile(fileobj=raw, mode="wb", filename="", compresslevel=6) as zipped:
            yield zipped


def expired_backups(directory: Path, written: re.Pattern[str], keep: int,
                    current: str, owned: set[str]) -> list[str]:
    """Names of this job's backups beyond the newest ``keep``, counting ``current`` (this
    run's file) as the newest. Only files this job recorded as its own (``owned``) that
    are still regular files (never symlinks or directories) whose whole name matches
    ``written``; newest by modification time."""
    found: list[tuple[int, str]] = []
    with os.scandir(directory) as entries:
        for entry in entries:
            if (entry.name != current and entry.name in owned
                    and written.fullmatch(entry.name) and entry.is_file(follow_symlinks=False)):
                found.append((entry.stat(follow_symlinks=False).st_mtime_ns, entry.name))
    found.sort(reverse=True)
    return [name for _, name in found[keep - 1:]]


def owned_list(directory: Path, ctx: RunContext) -> Path:
    """The hidden file in which a job lists the backups it wrote there. Retention deletes
    only names on this list, so jobs sharing a directory, even with overlapping filename
    patterns, never delete each other's backups (or anything else)."""
    owner = _NOT_NAME_CHAR.sub("_", f"{ctx.namespace or 'local'}.{ctx.job or 'local'}")
    return directory / f"{OWNED_LIST_PREFIX}{owner}.json"


def read_owned(path: Path) -> set[str]:
    try:
        names = json.loads(path.read_text())
    except FileNotFoundError:
        return set()
    except (OSError, ValueError) as error:
        raise TemplateError(f"cannot read the list of this job's backups {path}: {error}; "
                            "remove it to start a new one (older backups are then kept)"
                            ) from error
    return {name for name in names if isinstance(name, str)} if isinstance(names, list) else set()


def _copy_sqlite(source: Any, temp: Path, ctx: RunContext) -> None:
    """SQLite's online backup, a step at a time: consistent even while others write, and
    the run's deadline or cancellation is checked between steps."""
    copy = sqlite3.connect(temp)
    try:
        with database_errors("backing up the SQLite database"):
            source.backup(copy, pages=_SQLITE_PAGES_PER_STEP,
                          progress=lambda *_: ctx.check_cancelled())
    finally:
        copy.close()


def _gzip_into(plain: Path, sink: ByteSink, ctx: RunContext) -> None:
    with open(plain, "rb") as file:
        while chunk := file.read(1 << 20):
            ctx.check_cancelled()
            sink.write(chunk)


def _refuse_own_files(connection: SqliteConnection, root: Path,
                      destination: BackupDestination) -> None:
    """Backing up a SQLite file into its own directory must never overwrite or expire the
    database itself or its journal files, also when its path is a symlink into ``root``."""
    try:
        source = Path(connection.path).resolve(strict=True)
    except OSError as error:
        raise TemplateError(f"connection.path {connection.path!r}: {error}") from error
    if source.parent != root.resolve():
        return
    written = destination.written_names()
    for suffix in ("", "-wal", "-shm", "-journal"):
        if written.fullmatch(source.name + suffix):
            raise TemplateError(f"destination.filename {destination.filename!r} matches the "
                                f"database's own file {source.name + suffix!r}")


class BackupOutputs(BaseModel):
    """What a backup records in status.lastRun.outputs."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(description="The backup file written, under the destination directory.")
    bytes: int = Field(description="Size of the backup file, in bytes.")
    format: Literal["plain", "custom", "sqlite", "mongodump-tar"] = Field(
        description="PostgreSQL: `plain` SQL or pg_dump's `custom` archive; `sqlite`: a "
                    "database file; `mongodump-tar`: a tar in mongodump's layout.")
    compressed: bool = Field(description="Whether the file is gzipped.")
    deleted: list[str] = Field(description="This job's older backups deleted to keep the "
                                           "newest `keep` (the first 50 names).")
    deleted_count: int = Field(alias="deletedCount",
                               description="How many older backups were deleted.")
    documents: dict[str, int] | None = Field(
        default=None, description="MongoDB only: documents written, per collection.")
    duration_seconds: float = Field(alias="durationSeconds",
                                    description="How long the backup took, in seconds.")


class Backup(Template[BackupParameters]):
    name: ClassVar[str] = "backup"
    version: ClassVar[str] = "1.0.0"
    description: ClassVar[str] = (
        "Writes a consistent backup of one PostgreSQL (pg_dump, plain SQL or custom archive), "
        "SQLite (online backup) or MongoDB (a snapshot read, in mongodump's layout) database "
        "into a directory, gzipped by default, and keeps the newest N of this job's backups."
    )
    Parameters: ClassVar[type[BaseModel]] = BackupParameters
    Outputs: ClassVar[type[BaseModel] | None] = BackupOutputs
    examples: ClassVar[list[dict[str, Any]]] = [
        {
            "connection": {
                "driver": "postgresql", "host": "orders-db.databases.svc",
                "database": "orders", "user": "backup", "sslmode": "require",
                "password": {"secretRef": {"name": "orders-db", "key": "password"}},
            },
            "destination": {"directory": "/backups", "filename": "orders-{date}-{time}.sql.gz"},
            "keep": 14,
        },
        {
            "connection": {"driver": "sqlite", "path": "/data/app.sqlite3"},
            "destination": {"directory": "/backups", "filename": "app-{date}.sqlite3"},
            "keep": 7,
            "compress": False,
        },
    ]

    @staticmethod
    def _target(params: BackupParameters, ctx: RunContext) -> tuple[Path, re.Pattern[str]]:
        target = params.destination.path(ctx.run_id, datetime.now(UTC))
        written = params.destination.written_names()
        if isinstance(params.connection, SqliteConnection):
            _refuse_own_files(params.connection, target.parent, params.destination)
        return target, written

    def plan(self, params: BackupParameters, ctx: RunContext) -> dict[str, Any]:
        target, written = self._target(params, ctx)
        checked: dict[str, Any] = {}
        if isinstance(params.connection, MongoConnection):
            with open_mongo(params.connection, ctx) as mongo:
                checked["collections"] = mongo_backup.collections_to_dump(mongo, params.tables)
                if params.consistency == "snapshot":
                    mongo_backup.require_snapshots(mongo)
        elif isinstance(params.connection, PostgresConnection):
            checked["tool"] = pg_dump_version(find_pg_dump(), ctx)
        if not isinstance(params.connection, MongoConnection):
            self._check_sql(params, ctx)
        owned = read_owned(owned_list(target.parent, ctx))
        expired = expired_backups(target.parent, written, params.keep, target.name, owned)
        return {"path": str(target), "format": params.file_format(),
                "compressed": params.compress, "keep": params.keep,
                "wouldDelete": expired[:_MAX_LISTED], "wouldDeleteCount": len(expired),
                **checked}

    def run(self, params: BackupParameters, ctx: RunContext) -> dict[str, Any]:
        started = time.monotonic()
        target, written = self._target(params, ctx)
        counts: dict[str, Any] = {}
        with scratch_file(target) as temp:
            if isinstance(params.connection, MongoConnection):
                counts["documents"] = self._dump_mongo(params, params.connection, temp, ctx)
            elif isinstance(params.connection, PostgresConnection):
                self._dump_postgres(params, params.connection, temp, ctx)
            else:
                assert isinstance(params.connection, SqliteConnection)
                self._copy_sqlite_file(params.connection, params, temp, ctx)
            ctx.check_cancelled()
            size = publish(temp, target)
        deleted = self._expire(target, written, params.keep, owned_list(target.parent, ctx))
        ctx.logger.info("backup written", extra={"path": str(target), "bytes": size,
                                                 "deleted": len(deleted)})
        return {"path": str(target), "bytes": size, "format": params.file_format(),
                "compressed": params.compress, "deleted": deleted[:_MAX_LISTED],
                "deletedCount": len(deleted), **counts,
                "durationSeconds": round(time.monotonic() - started, 3)}

    @staticmethod
    def _check_sql(params: BackupParameters, ctx: RunContext) -> None:
        assert not isinstance(params.connection, MongoConnection)
        with open_database(params.connection, ctx, read_only=True) as (db, dialect):
            with database_errors("checking the database"):
                if dialect.name == "sqlite":
                    db.execute("SELECT count(*) FROM sqlite_master").fetchone()
                else:
                    check_included(db, dialect, params.schemas, params.tables)
                db.rollback()

    @staticmethod
    def _dump_mongo(params: BackupParameters, connection: MongoConnection, temp: Path,
                    ctx: RunContext) -> dict[str, int]:
        with open_mongo(connection, ctx) as db, output_stream(temp, params.gzipped()) as sink:
            return mongo_backup.dump(db, params.tables, sink,
                                     snapshot=params.consistency == "snapshot", ctx=ctx)

    @staticmethod
    def _dump_postgres(params: BackupParameters, connection: PostgresConnection, temp: Path,
                       ctx: RunContext) -> None:
        argv = pg_dump_argv(find_pg_dump(), dump_format=params.format,
                            compress=params.compress, schemas=params.schemas,
                            tables=params.tables,
                            lock_wait_seconds=ctx.remaining() + TERMINATE_GRACE_SECONDS)
        with output_stream(temp, params.gzipped()) as sink:
            dump_database(connection, argv, sink, ctx)

    @staticmethod
    def _copy_sqlite_file(connection: SqliteConnection, params: BackupParameters, temp: Path,
                          ctx: RunContext) -> None:
        with open_database(connection, ctx, read_only=True) as (db, _):
            if not params.compress:
                _copy_sqlite(db, temp, ctx)
                return
            with scratch_file(temp) as plain:
                _copy_sqlite(db, plain, ctx)
                with output_stream(temp, gzipped=True) as sink:
                    _gzip_into(plain, sink, ctx)

    @staticmethod
    def _expire(target: Path, written: re.Pattern[str], keep: int, listed: Path) -> list[str]:
        """Record this run's file as the job's own, then delete the job's own backups beyond
        ``keep``. A crash in between leaves a file unrecorded: kept, never lost."""
        owned = read_owned(listed) | {target.name}
        publish_file(listed, json.dumps(sorted(owned)).encode())
        deleted: list[str] = []
        for name in expired_backups(target.parent, written, keep, target.name, owned):
            try:
                (target.parent / name).unlink(missing_ok=True)
            except OSError as error:
                raise TemplateError(f"the backup {target} was written, but deleting the old "
                                    f"backup {name!r} failed: {error}") from error
            deleted.append(name)
        remaining = {name for name in owned - set(deleted) if (target.parent / name).exists()}
        publish_file(listed, json.dumps(sorted(remaining)).encode())
        return deleted
