"""Structured row filters and sort orders: what a user may ask of a table, never SQL text.

Shared by the SQL templates (data-export, report-generation, database-cleanup, data-sync).
Every value is bound as a query parameter; columns are `Identifier`s, validated then quoted.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    field_validator,
    model_validator,
)

from job_runner.toolkit.lazy import lazy_module
from job_runner.toolkit.mongo_query import refuse_operators
from job_runner.toolkit.sql import Dialect, Identifier
from job_runner.toolkit.unicode import ValidText, surrogate_problem

if TYPE_CHECKING:
    from psycopg import sql
else:
    sql = lazy_module("psycopg.sql")

Scalar = StrictBool | StrictInt | StrictFloat | ValidText
FilterValue = Scalar | None
"""A value for an equality filter; None means IS NULL."""
_OPERATORS = {"eq": "=", "ne": "<>", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}


class Filter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    column: Identifier = Field(description="Column to compare.")
    op: Literal["eq", "ne", "lt", "le", "gt", "ge", "in", "isNull"] = Field(
        description="Comparison; `in` takes a list, `isNull` takes true/false (default true)."
    )
    value: Scalar | list[Scalar] | None = Field(default=None, description="Bound value(s).")

    @field_validator("value", mode="before")
    @classmethod
    def _writable_text(cls, value: Any) -> Any:
        """A lone surrogate is named here: as one member of the union it would be reported
        as the first member's mismatch ("a valid boolean"); so is an operator, which a
        MongoDB filter would otherwise be asked to take as a value."""
        refuse_operators(value)
        for index, item in enumerate(value if isinstance(value, list) else [value]):
            problem = surrogate_problem(item) if isinstance(item, str) else None
            if problem:
                raise ValueError(problem if not isinstance(value, list)
                                 else f"item {index} {problem}")
        return value

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
