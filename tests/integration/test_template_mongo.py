"""database-cleanup and data-export against a real MongoDB-protocol server (FerretDB over
PostgreSQL), through pymongo as a MongoDB deployment would be reached."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from bson import ObjectId

from job_runner.execute import execute
from job_runner.templates.data_export import DataExport
from job_runner.templates.database_cleanup import DatabaseCleanup

HOSTILE = ["'; db.dropDatabase(); '", "$where", "$ne", "this.a == this.a", '{"$gt": ""}',
           "1 || true", "$$ROOT", "a.b"]
NOW = datetime.now(UTC)


def no_secrets(ref):
    raise AssertionError("no secrets expected")


@pytest.fixture
def tickets(mongo_db) -> Any:
    """120 tickets: resolved 0..59 days ago (two per day), half of them `spam`."""
    mongo_db.tickets.insert_many([
        {"_id": number, "state": "resolved", "queue": "spam" if number % 2 else "support",
         "resolved_at": NOW - timedelta(days=number // 2, hours=1), "meta": {"n": number}}
        for number in range(120)
    ])
    mongo_db.tickets.insert_one({"_id": 1000, "state": "open", "queue": "support",
                                 "resolved_at": None})
    return mongo_db.tickets


def run(template, params, **kwargs):
    return execute(template, params, run_id="it", timeout_seconds=60, secrets=no_secrets,
                   **kwargs)


def cleanup(connection, **overrides):
    return {"connection": connection, "table": "tickets", "timestampColumn": "resolved_at",
            "olderThanDays": 30, **overrides}


def test_cleanup_plan_counts_what_the_run_deletes_in_batches(tickets, mongo_connection):
    expected = tickets.count_documents({"resolved_at": {"$lt": NOW - timedelta(days=30)}})
    assert expected == 60
    planned = run(DatabaseCleanup, cleanup(mongo_connection, batchSize=25), dry_run=True)
    assert planned.result == "Succeeded", planned.message
    assert planned.outputs["wouldDelete"] == expected and tickets.count_documents({}) == 121
    outcome = run(DatabaseCleanup, cleanup(mongo_connection, batchSize=25))
    assert outcome.result == "Succeeded", outcome.message
    assert outcome.outputs == {**outcome.outputs, "deleted": expected, "batches": 3}
    assert tickets.count_documents({}) == 121 - expected
    assert tickets.count_documents({"resolved_at": {"$lt": NOW - timedelta(days=30)}}) == 0


def test_cleanup_where_narrows_by_typed_values(tickets, mongo_connection):
    outcome = run(DatabaseCleanup, cleanup(mongo_connection, where={"queue": "spam"}))
    assert outcome.result == "Succeeded", outcome.message
    assert outcome.outputs["deleted"] == 30
    assert tickets.count_documents({"queue": "support"}) == 61


@pytest.mark.parametrize("value", HOSTILE)
def test_cleanup_hostile_values_match_nothing(tickets, mongo_connection, value):
    outcome = run(DatabaseCleanup, cleanup(mongo_connection, where={"queue": value}))
    assert outcome.result == "Succeeded", outcome.message
    assert outcome.outputs["deleted"] == 0 and tickets.count_documents({}) == 121


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_are_matched_literally(tickets, mongo_connection, value):
    tickets.insert_one({"_id": 2000, "queue": value, "resolved_at": NOW - timedelta(days=99)})
    outcome = run(DatabaseCleanup, cleanup(mongo_connection, where={"queue": value}))
    assert outcome.result == "Succeeded", outcome.message
    assert outcome.outputs["deleted"] == 1 and tickets.find_one({"_id": 2000}) is None
    assert tickets.count_documents({}) == 121


def test_unreachable_server_is_a_clear_failure(mongo_connection):
    connection = {**mongo_connection, "port": 9, "connectTimeoutSeconds": 1}
    outcome = run(DatabaseCleanup, cleanup(connection))
    assert outcome.result == "Failed" and "connecting to MongoDB at 127.0.0.1:9" in \
        outcome.message


def test_export_jsonl_whole_documents_filtered_and_sorted(tickets, mongo_connection,
                                                          tmp_path: Path):
    params = {
        "source": {"connection": mongo_connection, "table": "tickets",
                   "filters": [{"column": "queue", "op": "eq", "value": "spam"},
                               {"column": "_id", "op": "lt", "value": 10}],
                   "orderBy": [{"column": "_id", "direction": "desc"}]},
        "format": "jsonl", "gzip": True,
        "destination": {"directory": str(tmp_path), "filename": "t.jsonl.gz"},
    }
    planned = run(DataExport, params, dry_run=True)
    assert planned.result == "Succeeded" and planned.outputs["rows"] == 5, planned.message
    outcome = run(DataExport, params)
    assert outcome.result == "Succeeded", outcome.message
    lines = [json.loads(line) for line in gzip.decompress(
        (tmp_path / "t.jsonl.gz").read_bytes()).decode().splitlines()]
    assert [line["_id"] for line in lines] == [9, 7, 5, 3, 1]
    assert lines[0]["meta"] == {"n": 9} and lines[0]["resolved_at"].startswith(
        (NOW - timedelta(days=4, hours=1)).date().isoformat())


def test_export_csv_named_columns_in_small_batches(tickets, mongo_connection, tmp_path: Path):
    params = {
        "source": {"connection": mongo_connection, "table": "tickets",
                   "columns": ["_id", "state", "resolved_at"],
                   "filters": [{"column": "state", "op": "in", "value": ["open"]}]},
        "format": "csv", "fetchSize": 1,
        "destination": {"directory": str(tmp_path), "filename": "t.csv"},
    }
    outcome = run(DataExport, params)
    assert outcome.result == "Succeeded" and outcome.outputs["rows"] == 1, outcome.message
    assert (tmp_path / "t.csv").read_text() == "_id,state,resolved_at\n1000,open,\n"


@pytest.mark.parametrize("value", HOSTILE)
def test_export_hostile_filter_values_match_nothing(tickets, mongo_connection, tmp_path, value):
    params = {
        "source": {"connection": mongo_connection, "table": "tickets",
                   "filters": [{"column": "queue", "op": "eq", "value": value}]},
        "format": "jsonl", "destination": {"directory": str(tmp_path), "filename": "t.jsonl"},
    }
    outcome = run(DataExport, params)
    assert outcome.result == "Succeeded" and outcome.outputs["rows"] == 0, outcome.message


def test_nul_in_a_value_is_a_clean_failure_on_ferretdb(tickets, mongo_connection, tmp_path):
    """FerretDB over PostgreSQL cannot store or compare text holding NUL (jsonb refuses it;
    MongoDB itself accepts it). The filter, pushed down to PostgreSQL, fails naming the
    server's error, and nothing is written or deleted."""
    export = {"source": {"connection": mongo_connection, "table": "tickets",
                         "filters": [{"column": "queue", "op": "eq", "value": "a\x00b"}]},
              "format": "jsonl", "destination": {"directory": str(tmp_path), "filename": "t"}}
    exported = run(DataExport, export)
    assert exported.result == "Failed" and "MongoDB error" in exported.message
    assert not (tmp_path / "t").exists()
    cleaned = run(DatabaseCleanup, cleanup(mongo_connection, where={"queue": "a\x00b"},
                                           olderThanDays=1))
    assert cleaned.result == "Failed" and "MongoDB error" in cleaned.message, cleaned.message
    assert tickets.count_documents({}) == 121


def test_cleanup_of_ids_of_mixed_types_deletes_each_matching_document_once(
        mongo_db, mongo_connection):
    """Batches of ids of one type are deleted as a range, mixed ones as a list; documents
    that do not match inside a range stay."""
    old, new = NOW - timedelta(days=90), NOW
    mongo_db.mixed.insert_many(
        [{"_id": n, "at": old if n % 2 else new} for n in range(9)]
        + [{"_id": f"s{n}", "at": old} for n in range(4)]
        + [{"_id": ObjectId(), "at": old} for _ in range(3)] + [{"_id": 2.5, "at": old}])
    outcome = run(DatabaseCleanup, {"connection": mongo_connection, "table": "mixed",
                                    "timestampColumn": "at", "olderThanDays": 30,
                                    "batchSize": 3})
    assert outcome.result == "Succeeded", outcome.message
    assert outcome.outputs["deleted"] == 4 + 4 + 3 + 1
    assert sorted(doc["_id"] for doc in mongo_db.mixed.find()) == [0, 2, 4, 6, 8]
