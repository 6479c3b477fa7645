"""MongoDB filters from typed parameters: names checked, values literal, operators from the
enum only; hostile input refused naming the parameter, before any connection is made."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from job_runner.execute import execute
from job_runner.templates.data_export import DataExport, Source, mongo_find
from job_runner.templates.database_cleanup import DatabaseCleanup
from job_runner.toolkit import mongo_query
from job_runner.toolkit.filters import Filter
from job_runner.toolkit.mongo_query import QueryRefused

CODE_OPERATORS = ["$where", "$function", "$accumulator", "$expr"]
OPERATOR_VALUES: list[Any] = [
    {"$where": "sleep(10000) || true"},
    {"$function": {"body": "function() { return true }", "args": [], "lang": "js"}},
    {"$accumulator": {}},
    {"$expr": {"$eq": ["$a", "$a"]}},
    {"$ne": None},
    {"$gt": ""},
    {"$regex": ".*"},
    [{"$ne": 1}],
    {"nested": {"$where": "1"}},
]
HOSTILE_NAMES = ["$where", "$gt", "a.$where", "", "a\x00b", "a..b", ".a", "a.", "$", "$$ROOT"]
UNREACHABLE = {"driver": "mongodb", "host": "127.0.0.1", "port": 9, "database": "x",
               "tls": "disable"}


def no_secrets(ref):
    raise AssertionError("no secrets expected")


def run(template, params) -> Any:
    return execute(template, params, run_id="unit", timeout_seconds=10, secrets=no_secrets)


def cleanup(**overrides: Any) -> dict[str, Any]:
    return {"connection": UNREACHABLE, "table": "tickets", "timestampColumn": "resolved_at",
            "olderThanDays": 30, **overrides}


def export(tmp_path, **source: Any) -> dict[str, Any]:
    return {"source": {"connection": UNREACHABLE, "table": "tickets", **source},
            "format": "jsonl", "destination": {"directory": str(tmp_path), "filename": "t.jsonl"}}


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_field_names_that_are_operators_or_broken_paths_are_refused(name: str):
    with pytest.raises(QueryRefused, match=r"^sort: "):
        mongo_query.field_name(name, "sort", dotted=True)


def test_dotted_paths_only_where_the_parameter_allows_them():
    assert mongo_query.field_name("meta.created", "p", dotted=True) == "meta.created"
    with pytest.raises(QueryRefused, match=re.escape("p: 'meta.created' is a dotted path")):
        mongo_query.field_name("meta.created", "p")


def test_system_collections_are_refused():
    refusal = re.escape("table: 'system.users' is a system collection")
    with pytest.raises(QueryRefused, match=refusal):
        mongo_query.collection_name("system.users", "table")


@pytest.mark.parametrize("value", [*OPERATOR_VALUES, b"bytes", object(), {"a": 1}, [1]])
def test_only_literals_are_values(value: Any):
    with pytest.raises(QueryRefused, match=r"^where\.kind: "):
        mongo_query.literal(value, "where.kind")


@pytest.mark.parametrize("operator", CODE_OPERATORS)
def test_code_operators_are_named_as_never_accepted(operator: str):
    problem = mongo_query.operator_refusal({"x": [{operator: "1"}]})
    assert problem == f"{operator!r} evaluates code on the database server and is never accepted"


def test_filters_map_the_enum_onto_explicit_operators():
    filters = [Filter(column="status", op="eq", value="$where"),
               Filter(column="n", op="ge", value=3),
               Filter(column="tag", op="in", value=["a", "$gt"]),
               Filter(column="gone", op="isNull", value=False)]
    assert mongo_query.conjunction(mongo_query.structured(filters, "filters")) == {
        "status": {"$eq": "$where"}, "n": {"$gte": 3}, "tag": {"$in": ["a", "$gt"]},
        "gone": {"$ne": None},
    }


def test_clauses_on_one_field_stay_apart_under_and():
    filters = [Filter(column="n", op="ge", value=3), Filter(column="n", op="lt", value=9)]
    assert mongo_query.conjunction(mongo_query.structured(filters, "filters")) == {"$and": [
        {"n": {"$gte": 3}}, {"n": {"$lt": 9}}]}
    assert mongo_query.conjunction([{"_id": {"$in": [1]}}, {"$and": [{"n": 1}, {"n": 2}]}]) \
        == {"$and": [{"_id": {"$in": [1]}}, {"$and": [{"n": 1}, {"n": 2}]}]}


def test_a_value_that_looks_like_an_operator_stays_a_string_literal():
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    assert mongo_query.conjunction([mongo_query.older_than("resolved_at", moment, "t"),
                                    *mongo_query.equalities({"state": "$ne"}, "where")]) == {
        "resolved_at": {"$lt": moment}, "state": {"$eq": "$ne"}}


def test_export_find_arguments_are_built_from_typed_parameters():
    source = Source.model_validate({
        "connection": UNREACHABLE, "table": "tickets", "columns": ["_id", "state"],
        "filters": [{"column": "state", "op": "ne", "value": "open"}],
        "orderBy": [{"column": "_id", "direction": "desc"}], "limit": 5})
    assert mongo_find(source) == {"filter": {"state": {"$ne": "open"}},
                                  "projection": {"_id": 1, "state": 1},
                                  "sort": [("_id", -1)], "limit": 5}


@pytest.mark.parametrize("value", OPERATOR_VALUES)
def test_cleanup_where_refuses_operator_values_naming_the_parameter(value: Any):
    outcome = run(DatabaseCleanup, cleanup(where={"state": value}))
    assert outcome.result == "Failed" and "parameters.where.state" in outcome.message, \
        outcome.message
    assert "operator" in outcome.message or "never accepted" in outcome.message
    assert not outcome.attempts


@pytest.mark.parametrize("name", HOSTILE_NAMES)
@pytest.mark.parametrize("parameter", ["table", "timestampColumn", "where"])
def test_cleanup_hostile_names_are_refused_naming_the_parameter(name: str, parameter: str):
    params = cleanup(where={name: "x"}) if parameter == "where" else cleanup(**{parameter: name})
    outcome = run(DatabaseCleanup, params)
    assert outcome.result == "Failed" and f"parameters.{parameter}" in outcome.message, \
        outcome.message
    assert not outcome.attempts


@pytest.mark.parametrize("value", OPERATOR_VALUES)
def test_export_filters_refuse_operator_values_naming_the_parameter(tmp_path, value: Any):
    params = export(tmp_path, filters=[{"column": "state", "op": "eq", "value": value}])
    outcome = run(DataExport, params)
    assert outcome.result == "Failed" and "parameters.source.filters[0].value" in \
        outcome.message, outcome.message
    assert not outcome.attempts


@pytest.mark.parametrize("name", HOSTILE_NAMES)
@pytest.mark.parametrize("parameter", ["table", "columns", "filters", "orderBy"])
def test_export_hostile_names_are_refused_naming_the_parameter(tmp_path, name: str,
                                                               parameter: str):
    shapes: dict[str, dict[str, Any]] = {
        "table": {"table": name}, "columns": {"columns": [name]},
        "filters": {"filters": [{"column": name, "op": "eq", "value": 1}]},
        "orderBy": {"orderBy": [{"column": name}]},
    }
    outcome = run(DataExport, export(tmp_path, **shapes[parameter]))
    assert outcome.result == "Failed" and f"parameters.source.{parameter}" in outcome.message, \
        outcome.message
    assert not outcome.attempts


def test_a_csv_export_from_mongodb_needs_its_columns(tmp_path):
    params = export(tmp_path)
    params["format"], params["destination"]["filename"] = "csv", "t.csv"
    outcome = run(DataExport, params)
    assert outcome.result == "Failed" and "source.columns" in outcome.message, outcome.message


def test_the_report_pipeline_is_built_from_the_typed_parameters():
    from job_runner.toolkit.mongo_report import pipeline, rows

    metrics = [("count", None, "n"), ("count", "total", "priced"), ("sum", "total", "revenue"),
               ("avg", "total", "mean"), ("countDistinct", "customer", "customers")]
    stages = pipeline(["region"], metrics, {"status": {"$eq": "$where"}},
                      [("revenue", "desc"), ("region", "asc")], 10)
    assert stages == [
        {"$match": {"status": {"$eq": "$where"}}},
        {"$group": {"_id": {"region": "$region"}, "n": {"$sum": 1},
                    "priced": {"$sum": {"$cond": [{"$eq": [{"$ifNull": ["$total", None]},
                                                           None]}, 0, 1]}},
                    "revenue": {"$sum": "$total"}, "mean": {"$avg": "$total"},
                    "customers": {"$addToSet": "$customer"}}},
        {"$sort": {"revenue": -1, "_id.region": 1}},
        {"$limit": 10},
    ]
    assert rows([{"_id": {"region": "eu"}, "n": 3, "priced": 2, "revenue": 30, "mean": 15,
                  "customers": ["a", None, "b"]}], ["region"], metrics) == [
        ("eu", 3, 2, 30, 15, 2)]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
@pytest.mark.parametrize("parameter", ["groupBy", "metrics.column", "metrics.as"])
def test_report_names_that_are_operators_are_refused(name: str, parameter: str):
    from job_runner.toolkit.mongo_report import pipeline

    group = [name] if parameter == "groupBy" else []
    metric = ("sum", name if parameter == "metrics.column" else "total",
              name if parameter == "metrics.as" else "n")
    with pytest.raises(QueryRefused):
        pipeline(group, [metric], {}, [], 1)


def sync_params(**source: Any) -> dict[str, Any]:
    return {"source": {"connection": UNREACHABLE, "table": "tickets", **source},
            "destination": {"connection": UNREACHABLE, "table": "copy"}, "key": ["ref"]}


@pytest.mark.parametrize("name", HOSTILE_NAMES)
@pytest.mark.parametrize("parameter", ["source.table", "destination.table", "source.columns",
                                       "key", "source.filters", "source.modifiedAfter.column"])
def test_sync_hostile_names_are_refused_naming_the_parameter(name: str, parameter: str):
    from job_runner.templates.data_sync import DataSync

    params = sync_params()
    if parameter == "source.columns":
        params["source"]["columns"] = [name, "ref"]
    elif parameter == "key":
        params["key"] = [name]
    elif parameter == "source.filters":
        params["source"]["filters"] = {name: 1}
    elif parameter == "source.modifiedAfter.column":
        params["source"]["modifiedAfter"] = {"column": name, "lookbackMinutes": 5}
    else:
        side = parameter.split(".")[0]
        params[side]["table"] = name
    outcome = run(DataSync, params)
    assert outcome.result == "Failed" and f"parameters.{parameter}" in outcome.message, \
        outcome.message
    assert not outcome.attempts


@pytest.mark.parametrize("value", OPERATOR_VALUES)
def test_sync_filter_values_refuse_operators(value: Any):
    from job_runner.templates.data_sync import DataSync

    outcome = run(DataSync, sync_params(filters={"region": value}))
    assert outcome.result == "Failed" and "parameters.source.filters" in outcome.message
    assert not outcome.attempts


def report_params(tmp_path, **overrides: Any) -> dict[str, Any]:
    return {"connection": UNREACHABLE, "table": "orders", "groupBy": ["region"],
            "metrics": [{"function": "count", "as": "n"}], "format": "csv",
            "destination": {"directory": str(tmp_path), "filename": "r.csv"}, **overrides}


@pytest.mark.parametrize("name", HOSTILE_NAMES)
@pytest.mark.parametrize("parameter", ["table", "groupBy", "metrics", "filters", "since",
                                       "orderBy"])
def test_report_hostile_names_are_refused_naming_the_parameter(tmp_path, name: str,
                                                               parameter: str):
    from job_runner.templates.report_generation import ReportGeneration

    shapes: dict[str, dict[str, Any]] = {
        "table": {"table": name}, "groupBy": {"groupBy": [name]},
        "metrics": {"metrics": [{"function": "sum", "column": name, "as": "n"}]},
        "filters": {"filters": [{"column": name, "op": "eq", "value": 1}]},
        "since": {"since": {"column": name, "lookbackHours": 1}},
        "orderBy": {"orderBy": [{"column": name}]},
    }
    outcome = run(ReportGeneration, report_params(tmp_path, **shapes[parameter]))
    assert outcome.result == "Failed" and f"parameters.{parameter}" in outcome.message, \
        outcome.message
    assert not outcome.attempts


@pytest.mark.parametrize("value", OPERATOR_VALUES)
def test_report_filter_values_refuse_operators(tmp_path, value: Any):
    from job_runner.templates.report_generation import ReportGeneration

    params = report_params(tmp_path, filters=[{"column": "s", "op": "eq", "value": value}])
    outcome = run(ReportGeneration, params)
    assert outcome.result == "Failed" and "parameters.filters[0].value" in outcome.message
    assert not outcome.attempts
