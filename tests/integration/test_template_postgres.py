"""database-cleanup and data-export against a real PostgreSQL 15 server."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pytest

from job_runner.execute import execute
from job_runner.templates.data_export import DataExport
from job_runner.templates.database_cleanup import DatabaseCleanup

HOSTILE = ["x'; DROP TABLE events; --", 'a"b', "$(reboot)", "`id`", "a\nb", "%2e%2e/.."]


@pytest.fixture
def events(postgres):
    postgres.execute("DROP SCHEMA IF EXISTS app CASCADE")
    postgres.execute("CREATE SCHEMA app")
    postgres.execute(
        "CREATE TABLE app.events (id bigint PRIMARY KEY, created_at timestamptz NOT NULL, "
        "kind text, flagged boolean, amount numeric)"
    )
    postgres.execute(
        "INSERT INTO app.events SELECT i, now() - make_interval(days => i % 30), "
        "CASE WHEN i % 2 = 1 THEN 'debug' ELSE 'info' END, i % 3 = 0, i * 1.5 "
        "FROM generate_series(0, 2999) AS i"
    )
    return "app.events"


def count(postgres, where: str = "true") -> int:
    return postgres.execute(f"SELECT count(*) FROM app.events WHERE {where}").fetchone()[0]


def cleanup(pg_connection, **overrides):
    return {"connection": pg_connection, "table": "app.events", "timestampColumn": "created_at",
            "olderThanDays": 20, **overrides}


def run(template, params, secrets, **kwargs):
    return execute(template, params, run_id="it", timeout_seconds=60, secrets=secrets, **kwargs)


def test_cleanup_batches_with_password_from_secret(events, postgres, pg_connection, pg_secrets):
    expected = count(postgres, "created_at < now() - interval '20 days'")
    assert expected == 1000  # days 20..29 of every 30
    planned = run(DatabaseCleanup, cleanup(pg_connection, batchSize=400), pg_secrets,
                  dry_run=True)
    assert planned.result == "Succeeded", planned.message
    assert planned.outputs["wouldDelete"] == expected and count(postgres) == 3000
    outcome = run(DatabaseCleanup, cleanup(pg_connection, batchSize=400), pg_secrets)
    assert outcome.result == "Succeeded", outcome.message
    assert outcome.outputs["deleted"] == expected and outcome.outputs["batches"] == 3
    assert count(postgres) == 3000 - expected


def test_cleanup_where_with_typed_values(events, postgres, pg_connection, pg_secrets):
    where = {"kind": "debug", "flagged": True}
    expected = count(postgres, "created_at < now() - interval '20 days' AND kind = 'debug' "
                               "AND flagged")
    outcome = run(DatabaseCleanup, cleanup(pg_connection, where=where), pg_secrets)
    assert outcome.result == "Succeeded", outcome.message
    assert outcome.outputs["deleted"] == expected > 0


@pytest.mark.parametrize("value", HOSTILE)
def test_cleanup_hostile_values_match_nothing(events, postgres, pg_connection, pg_secrets,
                                              value):
    outcome = run(DatabaseCleanup, cleanup(pg_connection, where={"kind": value}), pg_secrets)
    assert outcome.result == "Succeeded" and outcome.outputs["deleted"] == 0
    assert count(postgres) == 3000


@pytest.mark.parametrize("table", ['app.events"; DROP TABLE app.events; --', "app.events--",
                                   "pg_catalog.pg_class; --", "app..events"])
def test_cleanup_hostile_table_rejected(events, postgres, pg_connection, pg_secrets, table):
    outcome = run(DatabaseCleanup, cleanup(pg_connection, table=table), pg_secrets)
    assert outcome.result == "Failed" and "parameters.table" in outcome.message
    assert count(postgres) == 3000


def test_wrong_password_is_a_clear_failure(events, pg_connection):
    outcome = run(DatabaseCleanup, cleanup(pg_connection), lambda ref: "wrong")
    assert outcome.result == "Failed"
    assert "password authentication failed" in outcome.message


def test_missing_secret_names_the_secret(events, pg_connection):
    from job_runner.secrets import env_secret_resolver

    outcome = run(DatabaseCleanup, cleanup(pg_connection), env_secret_resolver({}))
    assert outcome.result == "Failed" and "'test-db'" in outcome.message


def test_missing_table_is_a_clear_failure(events, pg_connection, pg_secrets):
    outcome = run(DatabaseCleanup, cleanup(pg_connection, table="app.nope"), pg_secrets)
    assert outcome.result == "Failed" and 'relation "app.nope" does not exist' in outcome.message


def test_batch_over_max_transaction_seconds_fails_cleanly(events, postgres, pg_connection,
                                                          pg_secrets):
    postgres.execute(
        "CREATE FUNCTION app.slow() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN PERFORM pg_sleep(0.05); RETURN OLD; END $$"
    )
    postgres.execute("CREATE TRIGGER slow BEFORE DELETE ON app.events FOR EACH ROW "
                     "EXECUTE FUNCTION app.slow()")
    outcome = run(DatabaseCleanup, cleanup(pg_connection, maxTransactionSeconds=0.2), pg_secrets)
    assert outcome.result == "Failed" and "statement timed out" in outcome.message
    assert count(postgres) == 3000


def export(pg_connection, directory: Path, **overrides):
    source = {"connection": pg_connection, "table": "app.events", **overrides.pop("source", {})}
    return {"source": source, "destination": {"directory": str(directory), "filename": "e.csv"},
            **overrides}


def test_export_streams_csv_with_server_side_cursor(events, pg_connection, pg_secrets,
                                                    tmp_path):
    params = export(pg_connection, tmp_path, fetchSize=128, source={
        "columns": ["id", "kind", "flagged", "amount"],
        "filters": [{"column": "kind", "op": "eq", "value": "debug"},
                    {"column": "id", "op": "in", "value": [1, 3, 5, 8]}],
        "orderBy": [{"column": "id", "direction": "desc"}],
    })
    outcome = run(DataExport, params, pg_secrets)
    assert outcome.result == "Succeeded", outcome.message
    rows = list(csv.reader((tmp_path / "e.csv").open()))
    assert rows == [["id", "kind", "flagged", "amount"], ["5", "debug", "false", "7.5"],
                    ["3", "debug", "true", "4.5"], ["1", "debug", "false", "1.5"]]
    assert outcome.outputs["rows"] == 3


def test_export_all_rows_jsonl_gzip(events, pg_connection, pg_secrets, tmp_path):
    params = export(pg_connection, tmp_path, format="jsonl", gzip=True, fetchSize=500,
                    source={"orderBy": [{"column": "id"}]})
    outcome = run(DataExport, params, pg_secrets)
    assert outcome.result == "Succeeded", outcome.message
    records = [json.loads(line) for line in gzip.open(tmp_path / "e.csv", "rt")]
    assert len(records) == 3000 and records[2]["id"] == 2 and records[2]["amount"] == "3.0"
    assert records[0]["created_at"].endswith("+00:00")


def test_export_dry_run(events, pg_connection, pg_secrets, tmp_path):
    params = export(pg_connection, tmp_path, source={
        "filters": [{"column": "flagged", "op": "eq", "value": True}], "limit": 50})
    outcome = run(DataExport, params, pg_secrets, dry_run=True)
    assert outcome.outputs["rows"] == 50
    assert outcome.outputs["columns"] == ["id", "created_at", "kind", "flagged", "amount"]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("value", HOSTILE)
def test_export_hostile_values_are_bound(events, postgres, pg_connection, pg_secrets, tmp_path,
                                         value):
    params = export(pg_connection, tmp_path, source={
        "filters": [{"column": "kind", "op": "in", "value": [value, "nope"]}]})
    outcome = run(DataExport, params, pg_secrets)
    assert outcome.result == "Succeeded" and outcome.outputs["rows"] == 0
    assert count(postgres) == 3000

