"""MongoDB filters built only from typed parameters: NoSQL injection impossible by construction.

A MongoDB query is a document, so an attacker's way in is a key: an operator (`$where`
runs JavaScript, `$function` and `$accumulator` too, `$expr` evaluates expressions) where
a value was expected, or a field name that is really an operator or a path. Here

- field names are checked (`field_name`): not empty, no `$` at the start of any part, no
  NUL, no empty part, dots only where the parameter allows a dotted path;
- values are literals (`literal`): bool, int, float, text, null or a time, never a
  document or a list that could carry a key, each put under an explicit `$eq`/`$lt`...;
- operators come from the template's own enum (`COMPARISONS`), never from user text.

Every refusal names the parameter it came from. The parameter models also refuse
`$`-keys at validation time (`operator_refusal`), so admission rejects them first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from job_runner.template import TemplateError

Document = dict[str, Any]
CODE_OPERATORS = ("$where", "$function", "$accumulator", "$expr")
"""Operators that evaluate code or expressions on the server: never accepted anywhere."""
COMPARISONS: Mapping[str, str] = {
    "eq": "$eq", "ne": "$ne", "lt": "$lt", "le": "$lte", "gt": "$gt", "ge": "$gte",
}
"""The filter enum of the templates (`Filter.op`) and the only operators it maps onto."""
MAX_FIELD_LENGTH = 255


class QueryRefused(TemplateError):
    """A parameter that would change a query's meaning instead of feeding it a value."""


def operator_refusal(value: Any) -> str | None:
    """Why ``value`` may not be a parameter value: it holds a `$`-key at any depth (an
    operator where a literal was expected), or None when it holds none."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str) and key.startswith("$"):
                if key in CODE_OPERATORS:
                    return (f"{key!r} evaluates code on the database server and is never "
                            f"accepted")
                return (f"{key!r} is an operator inside a value; values are literals and "
                        f"operators come only from the template's own `op` enum")
            nested = operator_refusal(item)
            if nested:
                return nested
    elif isinstance(value, list | tuple):
        for item in value:
            nested = operator_refusal(item)
            if nested:
                return nested
    return None


def refuse_operators(value: Any) -> Any:
    """A pydantic before-validator: a value holding a `$`-key is refused (pydantic adds the
    parameter's location to the message)."""
    problem = operator_refusal(value)
    if problem:
        raise ValueError(problem)
    return value


def field_name(name: str, parameter: str, *, dotted: bool = False) -> str:
    """``name`` when it is a plain field name (or, with ``dotted``, a path of them)."""
    if not isinstance(name, str) or not name:
        raise QueryRefused(f"{parameter}: a field name must be non-empty text")
    if len(name) > MAX_FIELD_LENGTH:
        raise QueryRefused(f"{parameter}: field name longer than {MAX_FIELD_LENGTH} characters")
    if "\x00" in name:
        raise QueryRefused(f"{parameter}: field name {name!r} contains NUL")
    parts = name.split(".")
    if len(parts) > 1 and not dotted:
        raise QueryRefused(f"{parameter}: {name!r} is a dotted path; this parameter takes a "
                           f"top-level field name")
    for part in parts:
        if not part:
            raise QueryRefused(f"{parameter}: field name {name!r} has an empty part")
        if part.startswith("$"):
            raise QueryRefused(f"{parameter}: field name {name!r} starts with '$', which "
                               f"MongoDB reads as an operator")
    return name


def collection_name(name: str, parameter: str) -> str:
    """``name`` when it names an ordinary collection of the connection's database."""
    field_name(name, parameter, dotted=True)
    if name.startswith("system."):
        raise QueryRefused(f"{parameter}: {name!r} is a system collection")
    return name


def literal(value: Any, parameter: str) -> Any:
    """``value`` when it is a literal a filter may compare with; anything else (a document,
    a list, bytes, an object) is refused, so no value can carry an operator."""
    if value is None or isinstance(value, bool | int | float | str | datetime):
        return value
    problem = operator_refusal(value) or f"{type(value).__name__} is not a literal value"
    raise QueryRefused(f"{parameter}: {problem}")


def comparison(field: str, op: str, value: Any, parameter: str, *,
               dotted: bool = False) -> Document:
    """``{field: {<operator>: value}}`` for one enum member; `in` takes a list of literals,
    `isNull` true/false (null, or missing, in MongoDB's sense)."""
    name = field_name(field, parameter, dotted=dotted)
    if op in COMPARISONS:
        return {name: {COMPARISONS[op]: literal(value, parameter)}}
    if op == "in":
        if not isinstance(value, list):
            raise QueryRefused(f"{parameter}: op 'in' needs a list")
        return {name: {"$in": [literal(item, parameter) for item in value]}}
    if op == "isNull":
        return {name: {"$eq" if value in (None, True) else "$ne": None}}
    raise QueryRefused(f"{parameter}: unknown op {op!r}")


def equalities(where: Mapping[str, Any], parameter: str) -> list[Document]:
    """One ``$eq`` clause per entry of a `column -> value` parameter (null: null or missing)."""
    return [comparison(field, "eq", value, f"{parameter}.{field}") for field, value in
            where.items()]


def structured(filters: Iterable[Any], parameter: str, *, dotted: bool = False) -> list[Document]:
    """One clause per `Filter` (column, op, value) of a list parameter."""
    return [comparison(item.column, item.op, item.value, f"{parameter}[{index}]", dotted=dotted)
            for index, item in enumerate(filters)]


def older_than(field: str, cutoff: datetime, parameter: str) -> Document:
    """Documents whose ``field`` is a date before ``cutoff``."""
    return comparison(field, "lt", cutoff, parameter)


def since(field: str, moment: datetime, parameter: str) -> Document:
    """Documents whose ``field`` is a date at or after ``moment``."""
    return comparison(field, "ge", moment, parameter)


def conjunction(clauses: Iterable[Document]) -> Document:
    """All clauses at once: ``{}`` for none; one document when no two clauses name the same
    field (the plain form, which servers plan best: FerretDB pushes it down to its backend
    more often); else ``$and``."""
    listed = list(clauses)
    fields = [key for clause in listed for key in clause]
    if len(fields) == len(set(fields)) and not any(key.startswith("$") for key in fields):
        return {key: value for clause in listed for key, value in clause.items()}
    return {"$and": listed}
