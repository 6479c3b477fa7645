"""report-generation against a real PostgreSQL server: grouped, windowed, filtered; refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from job_runner.execute import execute
from job_runner.templates.report_generation import ReportGeneration


@pytest.fixture
def orders(postgres) -> str:
    postgres.execute("DROP SCHEMA IF EXISTS shop CASCADE")
    postgres.execute("CREATE SCHEMA shop")
    postgres.execute(
        "CREATE TABLE shop.orders (id bigint PRIMARY KEY, region text, customer text, "
        "total numeric(10, 2), status text, created_at timestamptz NOT NULL)"
    )
    postgres.execute(
        "INSERT INTO shop.orders VALUES "
        "(1, 'eu', 'alice', 10.50, 'paid', now() - interval '1 hour'), "
        "(2, 'eu', 'bob', 20.00, 'paid', now() - interval '2 hours'), "
        "(3, 'eu', 'alice', 99.00, 'paid', now() - interval '10 days'), "
        "(4, 'eu', 'carol', 7.00, 'refunded', now() - interval '3 hours'), "
        "(5, 'us', 'dave', 5.25, 'paid', now() - interval '4 hours'), "
        "(6, 'us', 'dave', 4.75, 'shipped', now() - interval '5 hours'), "
        "(7, 'apac', 'erin', 1.00, 'paid', now() - interval '30 days')"
    )
    return "shop.orders"


def report(pg_connection: dict[str, Any], directory: Path, **overrides: Any) -> dict[str, Any]:
    return {"connection": pg_connection, "table": "shop.orders", "groupBy": ["region"],
            "metrics": [{"function": "count", "as": "n"}], "format": "csv",
            "destination": {"directory": str(directory), "filename": "r.csv"}, **overrides}


def generate(params: dict[str, Any], secrets: Any, **kwargs: Any):
    return execute(ReportGeneration, params, run_id="it", timeout_seconds=60, secrets=secrets,
                   **kwargs)


def test_grouped_report_over_a_window_with_filters(orders, pg_connection, pg_secrets,
                                                   tmp_path: Path):
    params = report(
        pg_connection, tmp_path,
        metrics=[{"function": "count", "as": "orders"},
                 {"function": "sum", "column": "total", "as": "revenue"},
                 {"function": "avg", "column": "total", "as": "average"},
                 {"function": "min", "column": "total", "as": "smallest"},
                 {"function": "max", "column": "total", "as": "largest"},
                 {"function": "countDistinct", "column": "customer", "as": "customers"}],
        filters=[{"column": "status", "op": "in", "value": ["paid", "shipped"]},
                 {"column": "total", "op": "gt", "value": 1}],
        since={"column": "created_at", "lookbackHours": 24},
        orderBy=[{"column": "revenue", "direction": "desc"}],
    )
    before = datetime.now(UTC).replace(microsecond=0)
    outcome = generate(params, pg_secrets)
    after = datetime.now(UTC)
    assert outcome.result == "Succeeded", outcome.message
    # eu: orders 1 and 2 (3 is older than the window, 4 refunded); us: 5 and 6; apac: too old
    assert (tmp_path / "r.csv").read_text().splitlines() == [
        "region,orders,revenue,average,smallest,largest,customers",
        "eu,2,30.5,15.25,10.5,20,2",
        "us,2,10,5,4.75,5.25,1",
    ]
    start = datetime.fromisoformat(outcome.outputs.pop("windowStart"))
    assert before - timedelta(hours=24) <= start <= after - timedelta(hours=24)
    assert outcome.outputs == {
        "rows": 2, "columns": ["region", "orders", "revenue", "average", "smallest", "largest",
                               "customers"],
        "path": str(tmp_path / "r.csv"), "bytes": (tmp_path / "r.csv").stat().st_size,
        "format": "csv",
    }


def test_markdown_report_from_postgresql(orders, pg_connection, pg_secrets, tmp_path: Path):
    params = report(pg_connection, tmp_path, groupBy=["status"], format="markdown",
                    title="Orders | by status",
                    metrics=[{"function": "sum", "column": "total", "as": "revenue"}])
    outcome = generate(params, pg_secrets)
    assert outcome.result == "Succeeded", outcome.message
    lines = (tmp_path / "r.csv").read_text().splitlines()
    assert lines[0] == "# Orders \\| by status"
    assert lines[4:] == ["| status | revenue |", "| --- | --- |", "| paid | 135.75 |",
                         "| refunded | 7 |", "| shipped | 4.75 |"]


@pytest.mark.parametrize("dry_run", [False, True])
def test_unknown_column_is_refused_by_name(orders, pg_connection, pg_secrets, tmp_path: Path,
                                           dry_run: bool):
    params = report(pg_connection, tmp_path,
                    metrics=[{"function": "sum", "column": "amount", "as": "revenue"}])
    outcome = generate(params, pg_secrets, dry_run=dry_run)
    assert outcome.result == "Failed"
    assert "table 'shop.orders' has no column 'amount'" in outcome.message
    assert "its columns: created_at, customer, id, region, status, total" in outcome.message
    assert list(tmp_path.iterdir()) == []


def test_dry_run_lets_the_server_check_the_query_without_reading(orders, pg_connection,
                                                                 pg_secrets, tmp_path: Path):
    planned = generate(report(pg_connection, tmp_path), pg_secrets, dry_run=True)
    assert planned.result == "Succeeded", planned.message
    assert planned.outputs["metrics"] == ["count(*) AS n"]
    bad = report(pg_connection, tmp_path,
                 metrics=[{"function": "sum", "column": "customer", "as": "nonsense"}])
    refused = generate(bad, pg_secrets, dry_run=True)
    assert refused.result == "Failed"
    assert "function sum(text) does not exist" in refused.message
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("value", ["x'; DROP TABLE shop.orders; --", 'a"b', "$(reboot)", "`id`",
                                   "a\nb"])
def test_hostile_values_are_bound(orders, postgres, pg_connection, pg_secrets, tmp_path: Path,
                                  value: str):
    params = report(pg_connection, tmp_path,
                    filters=[{"column": "region", "op": "in", "value": [value, "nope"]}])
    outcome = generate(params, pg_secrets)
    assert outcome.result == "Succeeded" and outcome.outputs["rows"] == 0
    assert postgres.execute("SELECT count(*) FROM shop.orders").fetchone()[0] == 7


def test_query_over_max_query_seconds_fails_cleanly(orders, postgres, pg_connection,
                                                   pg_secrets, tmp_path: Path):
    # a view the server reads at 0.1 s per row: the statement timeout, not the test, waits
    postgres.execute("CREATE VIEW shop.slow_orders AS SELECT o.* FROM shop.orders AS o "
                     "CROSS JOIN LATERAL (SELECT 1 FROM pg_sleep(0.1 + 0 * o.id)) AS nap")
    params = report(pg_connection, tmp_path, table="shop.slow_orders", maxQuerySeconds=0.2)
    outcome = generate(params, pg_secrets)
    assert outcome.result == "Failed" and "statement timed out" in outcome.message
    assert list(tmp_path.iterdir()) == []
