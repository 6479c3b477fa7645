"""report-generation on MongoDB (FerretDB): the aggregation pipeline built from the same
typed parameters as the SQL query; hostile values bound as literals; FerretDB's limits."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from job_runner.execute import execute
from job_runner.templates.report_generation import ReportGeneration

NOW = datetime.now(UTC)


@pytest.fixture
def orders(mongo_db) -> Any:
    mongo_db.orders.insert_many([
        {"_id": 1, "region": "eu", "total": 10, "status": "paid", "at": NOW - timedelta(hours=1)},
        {"_id": 2, "region": "eu", "total": 20, "status": "paid", "at": NOW - timedelta(hours=2)},
        {"_id": 3, "region": "eu", "total": 99, "status": "paid", "at": NOW - timedelta(days=10)},
        {"_id": 4, "region": "eu", "total": 7, "status": "refunded",
         "at": NOW - timedelta(hours=3)},
        {"_id": 5, "region": "us", "total": 5, "status": "paid", "at": NOW - timedelta(hours=4)},
        {"_id": 6, "region": "us", "total": 4, "status": "shipped",
         "at": NOW - timedelta(hours=5)},
        {"_id": 7, "region": "apac", "total": 1, "status": "paid",
         "at": NOW - timedelta(days=30)},
    ])
    return mongo_db.orders


def report(connection: dict[str, Any], directory: Path, **overrides: Any) -> dict[str, Any]:
    return {"connection": connection, "table": "orders", "groupBy": ["region"],
            "metrics": [{"function": "count", "as": "n"}], "format": "csv",
            "destination": {"directory": str(directory), "filename": "r.csv"}, **overrides}


def run(params: dict[str, Any], **kwargs: Any) -> Any:
    return execute(ReportGeneration, params, run_id="it", timeout_seconds=60,
                   secrets=lambda ref: "", **kwargs)


def table(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text())))


def test_grouped_filtered_windowed_and_ordered(orders, mongo_connection, tmp_path: Path):
    params = report(mongo_connection, tmp_path,
                    metrics=[{"function": "sum", "column": "total", "as": "revenue"}],
                    filters=[{"column": "status", "op": "in", "value": ["paid", "shipped"]}],
                    since={"column": "at", "lookbackHours": 24},
                    orderBy=[{"column": "revenue", "direction": "desc"}])
    planned = run(params, dry_run=True)
    assert planned.result == "Succeeded", planned.message
    assert not (tmp_path / "r.csv").exists()
    outcome = run(params)
    assert outcome.result == "Succeeded", outcome.message
    assert table(tmp_path / "r.csv") == [["region", "revenue"], ["eu", "30"], ["us", "9"]]


def test_several_metrics_are_refused_on_ferretdb_rather_than_wrong(
        orders, mongo_connection, tmp_path: Path):
    """FerretDB 1.24 fills every accumulator of a $group but the first with 0."""
    params = report(mongo_connection, tmp_path,
                    metrics=[{"function": "count", "as": "orders"},
                             {"function": "sum", "column": "total", "as": "revenue"}])
    for dry_run in (True, False):
        outcome = run(params, dry_run=dry_run)
        assert outcome.result == "Failed" and "FerretDB" in outcome.message, outcome.message
    assert not (tmp_path / "r.csv").exists()


def test_one_row_without_groups_and_a_limit(orders, mongo_connection, tmp_path: Path):
    outcome = run(report(mongo_connection, tmp_path, groupBy=[], limit=1))
    assert outcome.result == "Succeeded", outcome.message
    assert table(tmp_path / "r.csv") == [["n"], ["7"]]
    ordered = run(report(mongo_connection, tmp_path, limit=2,
                         orderBy=[{"column": "region", "direction": "asc"}]))
    assert ordered.result == "Succeeded", ordered.message
    assert table(tmp_path / "r.csv") == [["region", "n"], ["apac", "1"], ["eu", "4"]]


@pytest.mark.parametrize("value", ["$where", "$$ROOT", "$total", "'; db.x.drop(); '"])
def test_hostile_values_are_literals(orders, mongo_connection, tmp_path: Path, value: str):
    orders.insert_one({"_id": 100, "region": value, "status": value, "total": 1, "at": NOW})
    outcome = run(report(mongo_connection, tmp_path,
                         filters=[{"column": "status", "op": "eq", "value": value}]))
    assert outcome.result == "Succeeded", outcome.message
    assert table(tmp_path / "r.csv") == [["region", "n"], [value, "1"]]


def test_ferretdb_refuses_accumulators_it_lacks_with_a_clear_failure(
        orders, mongo_connection, tmp_path: Path):
    """FerretDB 1.24 implements $count and $sum only (docs/mongodb.md); MongoDB runs avg,
    min, max, countDistinct and count of a column."""
    outcome = run(report(mongo_connection, tmp_path,
                         metrics=[{"function": "avg", "column": "total", "as": "mean"}]))
    assert outcome.result == "Failed" and "not implemented" in outcome.message
    assert not (tmp_path / "r.csv").exists()
