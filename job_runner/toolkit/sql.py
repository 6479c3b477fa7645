"""SQL identifiers: strictly validated, then quoted anyway.

Table and column names come from users, so they are checked against a conservative
pattern at validation time and still quoted when the statement is built (psycopg's
`sql.Identifier` for PostgreSQL, double-quote escaping for SQLite). Values are never put
into SQL text: they are always bound parameters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import StringConstraints

from job_runner.toolkit.lazy import lazy_module

if TYPE_CHECKING:
    from psycopg import sql
else:
    sql = lazy_module("psycopg.sql")

IDENTIFIER_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,62}$"
TABLE_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$"

Identifier = Annotated[str, StringConstraints(pattern=IDENTIFIER_PATTERN)]
"""A column name: letters, digits and underscores, not starting with a digit, <= 63 chars."""

TableName = Annotated[str, StringConstraints(pattern=TABLE_PATTERN)]
"""``table`` or ``schema.table``, each part an `Identifier`."""


def quote_sqlite_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class Dialect:
    """How one database spells identifiers and parameter placeholders."""

    name: Literal["postgresql", "sqlite"]

    def ident(self, dotted: str) -> sql.Composable:
        parts = dotted.split(".")
        if self.name == "postgresql":
            return sql.Identifier(*parts)
        return sql.SQL(".".join(quote_sqlite_identifier(part) for part in parts))

    @property
    def placeholder(self) -> sql.Composable:
        return sql.Placeholder() if self.name == "postgresql" else sql.SQL("?")

    def render(self, query: sql.Composable) -> sql.Composable | str:
        """SQLite takes plain text; PostgreSQL gets the composed object itself."""
        return query if self.name == "postgresql" else query.as_string(None)


POSTGRESQL = Dialect("postgresql")
SQLITE = Dialect("sqlite")


def column_list(dialect: Dialect, columns: Iterable[str]) -> sql.Composable:
    """``"a", "b", "c"``: quoted column names for a select list, a key or an INSERT."""
    return sql.SQL(", ").join(dialect.ident(column) for column in columns)


def equality_conditions(
    filters: Mapping[str, Any], dialect: Dialect
) -> tuple[list[sql.Composable], list[Any]]:
    """``column = value`` per filter (``IS NULL`` for None), the values bound, never spliced."""
    clauses: list[sql.Composable] = []
    values: list[Any] = []
    for column, value in filters.items():
        if value is None:
            clauses.append(sql.SQL("{} IS NULL").format(dialect.ident(column)))
            continue
        clauses.append(sql.SQL("{} = {}").format(dialect.ident(column), dialect.placeholder))
        values.append(value)
    return clauses, values


def sqlite_unix_seconds(column: sql.Composable) -> sql.Composable:
    """A SQLite timestamp column as Unix seconds: an INTEGER or REAL is taken as Unix
    seconds already, and so is text of digits only (a TEXT column stores numbers as text;
    strftime would read them as Julian days); other text is read as ISO-8601 (SQLite has
    no timestamp type)."""
    return sql.SQL(
        "(CASE WHEN typeof({c}) IN ('integer', 'real') THEN {c} "
        "WHEN {c} GLOB '[0-9]*' AND {c} NOT GLOB '*[^0-9]*' THEN CAST({c} AS INTEGER) "
        "ELSE CAST(strftime('%s', {c}) AS INTEGER) END)"
    ).format(c=column)


def time_compared(column: str, operator: Literal[">=", "<"], moment: datetime,
                  dialect: Dialect) -> tuple[sql.Composable, Any]:
    """``column >= moment`` (or ``<``) and the value to bind: the moment itself on
    PostgreSQL, Unix seconds on SQLite, where the column is read by `sqlite_unix_seconds`."""
    if dialect.name == "postgresql":
        compared: sql.Composable = dialect.ident(column)
        value: Any = moment
    else:
        compared, value = sqlite_unix_seconds(dialect.ident(column)), int(moment.timestamp())
    return sql.SQL("{} {} {}").format(compared, sql.SQL(operator), dialect.placeholder), value
