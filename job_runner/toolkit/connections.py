"""Database connection parameters shared by the SQL templates, and opening them."""

from __future__ import annotations

import math
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from job_runner.template import RunContext, SecretRef, TemplateError
from job_runner.toolkit.lazy import lazy_module
from job_runner.toolkit.netpolicy import AddressPolicy
from job_runner.toolkit.sql import POSTGRESQL, SQLITE, Dialect

if TYPE_CHECKING:
    import psycopg
else:
    psycopg = lazy_module("psycopg")


class PostgresConnection(BaseModel):
    """A PostgreSQL server; the password comes from a Secret."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    driver: Literal["postgresql"] = Field(description="Database driver.")
    host: str = Field(
        pattern=r"^[A-Za-z0-9_.:-]{1,253}$",
        description="Host name or IP address of the server.",
        examples=["orders-db.databases.svc"],
    )
    port: int = Field(default=5432, ge=1, le=65535, description="TCP port.")
    database: str = Field(
        min_length=1, max_length=63, pattern=r"^[^\x00]+$", description="Database name."
    )
    user: str = Field(
        min_length=1, max_length=63, pattern=r"^[^\x00]+$", description="Role to connect as."
    )
    password: SecretRef | None = Field(
        default=None, description="Secret holding the role's password."
    )
    sslmode: Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] = Field(
        default="prefer", description="libpq sslmode."
    )
    connect_timeout_seconds: int = Field(
        default=10, ge=1, le=300, alias="connectTimeoutSeconds",
        description="Give up connecting after this many seconds.",
    )


class SqliteConnection(BaseModel):
    """A SQLite database file on a volume mounted into the runner's pod."""

    model_config = ConfigDict(extra="forbid")

    driver: Literal["sqlite"] = Field(description="Database driver.")
    path: str = Field(
        min_length=2, max_length=4096, description="Absolute path of the database file.",
        examples=["/data/app.sqlite3"],
    )

    @field_validator("path")
    @classmethod
    def _absolute_clean_path(cls, value: str) -> str:
        if "\x00" in value:
            raise ValueError("must not contain NUL")
        path = PurePosixPath(value)
        if not path.is_absolute() or ".." in path.parts:
            raise ValueError("must be an absolute path without '..'")
        return value


Connection = Annotated[PostgresConnection | SqliteConnection, Field(discriminator="driver")]


class MongoConnection(BaseModel):
    """A MongoDB server (or a MongoDB-protocol one such as FerretDB); the password comes
    from a Secret. One server, connected to directly: the runner never follows a replica
    set's member list to hosts the network policy did not check."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    driver: Literal["mongodb"] = Field(description="Database driver.")
    host: str = Field(
        pattern=r"^[A-Za-z0-9_.:-]{1,253}$",
        description="Host name or IP address of the server.",
        examples=["tickets-db.databases.svc"],
    )
    port: int = Field(default=27017, ge=1, le=65535, description="TCP port.")
    database: str = Field(
        pattern=r'^[^/\\. "$*<>:|?\x00]{1,63}$',
        description="Database name (MongoDB's rules: no `/\\. \"$*<>:|?`).",
    )
    user: str | None = Field(
        default=None, min_length=1, max_length=128, pattern=r"^[^\x00]+$",
        description="User to authenticate as; none connects without authentication.",
    )
    password: SecretRef | None = Field(
        default=None, description="Secret holding the user's password."
    )
    auth_source: str | None = Field(
        default=None, alias="authSource", pattern=r'^[^/\\. "$*<>:|?\x00]{1,63}$',
        description="Database holding the user, default `database`.",
    )
    tls: Literal["disable", "require", "verify-full"] = Field(
        default="verify-full",
        description="`disable`: plain TCP; `require`: TLS without checking the certificate; "
                    "`verify-full`: TLS, the certificate checked against the system CAs and "
                    "the host name (as libpq's sslmode of the same name).",
    )
    connect_timeout_seconds: int = Field(
        default=10, ge=1, le=300, alias="connectTimeoutSeconds",
        description="Give up connecting after this many seconds.",
    )

    @model_validator(mode="after")
    def _password_needs_user(self) -> MongoConnection:
        if self.password is not None and self.user is None:
            raise ValueError("password needs user")
        return self


AnyConnection = Annotated[
    PostgresConnection | SqliteConnection | MongoConnection, Field(discriminator="driver")
]
"""A connection of a template that reaches MongoDB as well as the SQL databases."""


def _bounded_timeout(seconds: float, ctx: RunContext) -> int:
    return max(1, math.ceil(min(seconds, ctx.remaining())))


@contextmanager
def database_errors(what: str) -> Iterator[None]:
    """Turn driver errors into TemplateErrors that say what was being done."""
    try:
        yield
    except psycopg.errors.QueryCanceled as error:
        raise TemplateError(f"{what}: statement timed out ({error})".strip()) from error
    except psycopg.Error as error:
        raise TemplateError(f"{what}: PostgreSQL error: {str(error).strip()}") from error
    except sqlite3.Error as error:
        raise TemplateError(f"{what}: SQLite error: {error}") from error


@contextmanager
def transaction(db: Any) -> Iterator[None]:
    """Commit what the block did, or roll it back when it raises. (A psycopg connection's
    own ``with`` would also close it, so neither driver's context manager serves both.)"""
    try:
        yield
        db.commit()
    except BaseException:
        db.rollback()
        raise


def checked_hosts(connection: PostgresConnection) -> tuple[str, str]:
    """libpq's ``host`` and ``hostaddr`` for a server under the runner's network policy:
    the host name resolved here, each address checked (`AddressPolicy.for_services`: no
    cloud metadata or link-local address), and libpq given those addresses, so it resolves
    nothing itself, while ``host`` still names the server for TLS verification."""
    addresses = AddressPolicy.for_services(os.environ).resolve(
        connection.host, connection.port, field="connection.host")
    return ",".join([connection.host] * len(addresses)), ",".join(addresses)


@contextmanager
def open_database(
    connection: PostgresConnection | SqliteConnection, ctx: RunContext, *, read_only: bool
) -> Iterator[tuple[Any, Dialect]]:
    """A DB-API connection (no autocommit, session time zone UTC) and its dialect."""
    if isinstance(connection, SqliteConnection):
        mode = "ro" if read_only else "rw"
        with database_errors(f"opening SQLite database {connection.path}"):
            db = sqlite3.connect(
                f"file:{quote(connection.path)}?mode={mode}", uri=True,
                timeout=_bounded_timeout(30, ctx),
            )
        try:
            yield db, SQLITE
        finally:
            db.close()
        return
    password = ctx.secrets(connection.password) if connection.password else None
    options = "-c TimeZone=UTC" + (" -c default_transaction_read_only=on" if read_only else "")
    host, hostaddr = checked_hosts(connection)
    with database_errors(f"connecting to PostgreSQL at {connection.host}:{connection.port}"):
        pg = psycopg.connect(
            host=host,
            hostaddr=hostaddr,
            port=connection.port,
            dbname=connection.database,
            user=connection.user,
            password=password,
            sslmode=connection.sslmode,
            connect_timeout=_bounded_timeout(connection.connect_timeout_seconds, ctx),
            application_name="dynamicjobs-runner",
            options=options,
        )
    try:
        yield pg, POSTGRESQL
    finally:
        pg.close()


def table_columns(db: Any, dialect: Dialect, table: str) -> list[str]:
    """The columns of ``table`` in table order, read from the catalog; a TemplateError when
    there is no such table. On PostgreSQL the name is resolved as a statement resolves it
    (``to_regclass`` follows search_path), so these are the columns of the very table the
    template's statements will touch.
    """
    with database_errors(f"reading the columns of {table}"):
        if dialect.name == "sqlite":
            schema, _, name = table.rpartition(".")
            rows = db.execute("SELECT name FROM pragma_table_info(?, ?)",
                              (name, schema or "main")).fetchall()
        else:
            rows = db.execute(
                "SELECT attname FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass(%s) "
                "AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
                [dialect.ident(table).as_string(db)],
            ).fetchall()
    if not rows:
        raise TemplateError(f"table {table!r} does not exist")
    return [row[0] for row in rows]


def require_table_columns(
    db: Any, dialect: Dialect, table: str, columns: Iterable[str]
) -> list[str]:
    """Refuse, naming them, columns that ``table`` does not have, on either database (for
    checks that must happen before any write); the table's columns otherwise."""
    existing = table_columns(db, dialect, table)
    unknown = sorted(set(columns) - set(existing))
    if unknown:
        raise TemplateError(f"table {table!r} has no column {', '.join(map(repr, unknown))}; "
                            f"its columns: {', '.join(sorted(existing))}")
    return existing


def require_columns(db: Any, dialect: Dialect, table: str, columns: Iterable[str]) -> None:
    """On SQLite, refuse a table or column name the table does not have. SQLite reads a
    double-quoted name that matches no column as a string literal, so a misspelt filter
    column would silently match every row (or none); PostgreSQL refuses such names itself.
    """
    if dialect.name == "sqlite":
        require_table_columns(db, dialect, table, columns)


def limit_transaction(db: Any, dialect: Dialect, seconds: float, ctx: RunContext) -> None:
    """Bound the current PostgreSQL transaction: each statement and each lock wait gives up
    after ``seconds`` or the run's remaining time, whichever is shorter. SQLite needs
    nothing here: its connections wait for a lock at most their busy timeout."""
    if dialect.name != "postgresql":
        return
    limit_ms = max(1, int(min(seconds, ctx.remaining()) * 1000))
    for setting in ("statement_timeout", "lock_timeout"):
        db.execute("SELECT set_config(%s, %s, true)", [setting, f"{limit_ms}ms"])
