"""Upserts across PostgreSQL and SQLite: the statement, the unique key it needs, and the
values one database reads from the other."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from job_runner.template import TemplateError
from job_runner.toolkit.connections import database_errors
from job_runner.toolkit.lazy import lazy_module
from job_runner.toolkit.sql import Dialect, column_list

if TYPE_CHECKING:
    from psycopg import sql
else:
    sql = lazy_module("psycopg.sql")


def build_upsert(
    table: str, columns: Sequence[str], key: Sequence[str], dialect: Dialect, rows: int
) -> sql.Composable:
    """One INSERT of `rows` rows ... ON CONFLICT (key) DO UPDATE SET every other column (the
    same syntax on PostgreSQL and SQLite >= 3.24); DO NOTHING when every column is a key.
    One statement per batch, so the statement timeout bounds the batch's whole transaction.

    PostgreSQL gets its own numbered parameters ($1, $2, ...), for a `psycopg.RawCursor`:
    psycopg would otherwise parse up to 65535 ``%s`` in the text of every batch.
    """
    others = [column for column in columns if column not in key]
    action = sql.SQL("DO UPDATE SET {}").format(sql.SQL(", ").join(
        sql.SQL("{c} = EXCLUDED.{c}").format(c=dialect.ident(column)) for column in others
    )) if others else sql.SQL("DO NOTHING")
    width = len(columns)
    marks = [sql.SQL(f"${n}") if dialect.name == "postgresql" else dialect.placeholder
             for n in range(1, width * rows + 1)]
    values = sql.SQL(", ").join(
        sql.SQL("({})").format(sql.SQL(", ").join(marks[start:start + width]))
        for start in range(0, len(marks), width))
    return sql.SQL("INSERT INTO {} ({}) VALUES {} ON CONFLICT ({}) {}").format(
        dialect.ident(table), column_list(dialect, columns), values,
        column_list(dialect, key), action,
    )


def _unique_keys(db: Any, dialect: Dialect, table: str) -> list[tuple[frozenset[str], bool]]:
    """(columns, deferrable) of the primary key and each unique constraint or index that
    ON CONFLICT can infer: not partial, not on expressions. SQLite has no deferrable ones."""
    if dialect.name == "postgresql":
        rows = db.execute(
            "SELECT array_agg(a.attname::text), NOT i.indimmediate FROM pg_catalog.pg_index i "
            "JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = to_regclass(%s) "
            "AND i.indisunique AND i.indisvalid AND i.indpred IS NULL AND i.indexprs IS NULL "
            "GROUP BY i.indexrelid, i.indimmediate",
            [dialect.ident(table).as_string(db)],
        ).fetchall()
        return [(frozenset(columns), deferrable) for columns, deferrable in rows]
    schema, _, name = table.rpartition(".")
    schema = schema or "main"
    primary = [row[0] for row in db.execute(
        "SELECT name FROM pragma_table_info(?, ?) WHERE pk > 0", (name, schema))]
    found = [(frozenset(primary), False)] if primary else []
    for (index,) in db.execute('SELECT name FROM pragma_index_list(?, ?) '
                               'WHERE "unique" AND NOT partial', (name, schema)).fetchall():
        indexed = [row[0] for row in db.execute(
            "SELECT name FROM pragma_index_info(?, ?)", (index, schema))]
        if indexed and None not in indexed:
            found.append((frozenset(indexed), False))
    return found


def require_unique_key(db: Any, dialect: Dialect, table: str, key: Sequence[str]) -> None:
    """The upsert needs a unique constraint on exactly the key; say how to add one.

    A DEFERRABLE one on the key is refused even beside another: PostgreSQL considers every
    unique index on the conflict columns and refuses ON CONFLICT if any is deferrable.
    """
    with database_errors(f"reading the unique keys of {table}"):
        existing = _unique_keys(db, dialect, table)
    columns = ", ".join(key)
    on_key = [deferrable for unique, deferrable in existing if unique == frozenset(key)]
    if any(on_key):
        raise TemplateError(
            f"destination table {table!r} has a DEFERRABLE unique constraint on ({columns}), "
            f"which the upsert (ON CONFLICT) cannot use: recreate it NOT DEFERRABLE")
    if on_key:
        return
    index = f"{table.rpartition('.')[2]}_sync_key"
    known = "; ".join(f"({', '.join(sorted(unique))})" for unique, _ in existing) or "none"
    raise TemplateError(
        f"destination table {table!r} has no primary key or unique constraint on exactly "
        f"({columns}), which the upsert (ON CONFLICT) needs: add one, e.g. "
        f"CREATE UNIQUE INDEX {index} ON {table} ({columns}), or set `key` to the columns of "
        f"an existing one (unique keys: {known})"
    )


def sqlite_value(value: Any) -> Any:
    """A value read from PostgreSQL in a form SQLite stores (it has no such types)."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID | timedelta):
        return str(value)
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    return value


def postgres_value(value: Any) -> Any:
    """A value read from SQLite, for PostgreSQL: an integer goes as text, which the column's
    type reads (SQLite has no booleans: 1 becomes true, and 5 still becomes 5 or 5.00)."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def converter(source: Dialect, target: Dialect) -> Callable[[Any], Any] | None:
    if source.name == target.name:
        return None
    return sqlite_value if target.name == "sqlite" else postgres_value


def max_bind_values(db: Any, dialect: Dialect) -> int:
    """How many values one statement may bind: PostgreSQL's protocol counts them in 16 bits,
    SQLite has a limit compiled in."""
    if dialect.name == "postgresql":
        return 65535
    return int(db.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))


def last_per_key(rows: list[Sequence[Any]], positions: list[int]) -> list[Sequence[Any]]:
    """Rows in key order with one row per key (the last): a single upsert statement may not
    touch one destination row twice. Only a source whose key is not unique has repeats."""
    kept: list[Sequence[Any]] = []
    for row in rows:
        if kept and all(kept[-1][p] == row[p] for p in positions):
            kept[-1] = row
        else:
            kept.append(row)
    return kept
