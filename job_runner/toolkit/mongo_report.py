"""report-generation on MongoDB: one aggregation pipeline from the template's typed
parameters ($match, $group, $sort, $limit), never from user-written stages.

Every field reference (``"$total"``) is made from a name `mongo_query.field_name` checked
(no `$` at its start, so a reference can never become a variable such as ``$$ROOT``);
report column names are the metrics' `as` identifiers; accumulators come from the
template's function enum. The groups are flattened into rows here rather than by a
`$project` stage, which FerretDB does not evaluate.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from job_runner.template import TemplateError
from job_runner.toolkit import mongo_query
from job_runner.toolkit.mongo import Document

if TYPE_CHECKING:
    from pymongo.database import Database

MetricSpec = tuple[str, str | None, str]
"""(function, column or None, report column name)."""


def _reference(field: str, parameter: str) -> str:
    return "$" + mongo_query.field_name(field, parameter)


def accumulator(function: str, column: str | None, parameter: str) -> Document:
    """The $group accumulator of one metric, as SQL's aggregate means it: `count` of a
    column counts documents where it is neither null nor missing; `countDistinct` collects
    the distinct values (their number, nulls left out, is taken in `rows`)."""
    if column is None:
        if function != "count":
            raise mongo_query.QueryRefused(f"{parameter}: {function!r} needs a column")
        return {"$sum": 1}
    reference = _reference(column, f"{parameter}.column")
    if function == "count":
        return {"$sum": {"$cond": [{"$eq": [{"$ifNull": [reference, None]}, None]}, 0, 1]}}
    if function == "countDistinct":
        return {"$addToSet": reference}
    if function in ("sum", "avg", "min", "max"):
        return {f"${function}": reference}
    raise mongo_query.QueryRefused(f"{parameter}.function: unknown function {function!r}")


def pipeline(group_by: Sequence[str], metrics: Sequence[MetricSpec], match: Document,
             order: Sequence[tuple[str, str]], limit: int) -> list[Document]:
    """The aggregation: filter, group, sort (group columns as ``_id.<name>``), limit."""
    group_id = {name: _reference(name, f"groupBy[{index}]")
                for index, name in enumerate(group_by)} or None
    group: Document = {"_id": group_id}
    for index, (function, column, name) in enumerate(metrics):
        group[mongo_query.field_name(name, f"metrics[{index}].as")] = accumulator(
            function, column, f"metrics[{index}]")
    stages: list[Document] = [{"$match": match}] if match else []
    stages.append({"$group": group})
    if order:
        stages.append({"$sort": {
            (f"_id.{column}" if column in group_by else column): 1 if direction == "asc" else -1
            for column, direction in order}})
    stages.append({"$limit": limit})
    return stages


def rows(documents: Sequence[Document], group_by: Sequence[str],
         metrics: Sequence[MetricSpec]) -> list[tuple[Any, ...]]:
    """The report's rows: group values, then each metric (distinct counts as numbers)."""
    result = []
    for document in documents:
        groups = document.get("_id") or {}
        values: list[Any] = [groups.get(name) for name in group_by]
        for function, _, name in metrics:
            value = document.get(name)
            if function == "countDistinct":
                value = len([item for item in value or [] if item is not None])
            values.append(value)
        result.append(tuple(values))
    return result


def refuse_what_ferretdb_gets_wrong(db: Database[Document], metrics: Sequence[MetricSpec]) -> None:
    """FerretDB 1.x computes only the first accumulator of a $group and answers 0 for the
    others, silently; a report with several metrics is refused there rather than wrong.
    (Accumulators it lacks, such as $avg, it refuses itself.)"""
    if len(metrics) > 1 and "ferretdbVersion" in db.command("buildInfo"):
        raise TemplateError(
            "metrics: this server is FerretDB, which computes only the first metric of a "
            "group (the others come back as 0): give one metric per report on FerretDB "
            "(docs/mongodb.md)")
