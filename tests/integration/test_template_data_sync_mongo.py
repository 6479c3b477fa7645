"""data-sync from MongoDB (FerretDB) into MongoDB, PostgreSQL and SQLite."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from bson import ObjectId

from job_runner.execute import execute
from job_runner.templates.data_sync import DataSync

HOSTILE = ["$where", "'; DROP TABLE t; --", '{"$ne": null}', "$$ROOT", "this.x"]


@pytest.fixture
def now() -> datetime:
    """Each test's own: windows such as a 55-minute lookback are measured from the run,
    which may start minutes after this module is imported."""
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def tickets(mongo_db, now: datetime) -> Any:
    mongo_db.tickets.insert_many([
        {"_id": number, "ref": f"T-{number:03}", "region": "eu" if number % 3 else "us",
         "updated_at": now - timedelta(minutes=10 * number), "tags": ["a", "b"],
         "owner": {"team": "support"}, "oid": ObjectId("65f0a1b2c3d4e5f601234567")}
        for number in range(25)
    ])
    mongo_db.tickets.insert_one({"_id": 99, "region": "eu", "updated_at": now})  # no ref
    return mongo_db.tickets


def sync(params: dict[str, Any], secrets: Any = None, **kwargs: Any) -> Any:
    return execute(DataSync, params, run_id="it", timeout_seconds=120,
                   secrets=secrets or (lambda ref: ""), **kwargs)


def test_mongodb_to_mongodb_upserts_by_key_in_pages(tickets, mongo_connection, mongo_db):
    mongo_db.copy.insert_one({"_id": ObjectId(), "ref": "T-001", "region": "stale"})
    mongo_db.copy.create_index("ref", unique=True)
    params = {"source": {"connection": mongo_connection, "table": "tickets",
                         "filters": {"region": "eu"}},
              "destination": {"connection": mongo_connection, "table": "copy"},
              "key": ["ref"], "batchSize": 4}
    planned = sync(params, dry_run=True)
    assert planned.result == "Succeeded" and planned.outputs["wouldRead"] == 16, planned.message
    assert mongo_db.copy.count_documents({}) == 1
    outcome = sync(params)
    assert outcome.result == "Succeeded", outcome.message
    assert outcome.outputs | {"columns": None} == {
        "rowsRead": 16, "rowsUpserted": 16, "batches": 4, "columns": None}
    copied = mongo_db.copy.find_one({"ref": "T-001"})
    assert copied["region"] == "eu" and copied["owner"] == {"team": "support"}
    assert mongo_db.copy.count_documents({}) == 16
    again = sync(params)
    assert again.result == "Succeeded" and mongo_db.copy.count_documents({}) == 16


def test_mongodb_to_postgresql_fields_become_columns(tickets, mongo_connection, postgres,
                                                     pg_connection, pg_secrets, now):
    postgres.execute("DROP TABLE IF EXISTS ticket_copy")
    postgres.execute("CREATE TABLE ticket_copy (ref text PRIMARY KEY, region text, "
                     "updated_at timestamptz, tags jsonb, owner jsonb, oid text)")
    params = {"source": {"connection": mongo_connection, "table": "tickets",
                         "modifiedAfter": {"column": "updated_at", "lookbackMinutes": 55}},
              "destination": {"connection": pg_connection, "table": "ticket_copy"},
              "key": ["ref"], "batchSize": 2}
    outcome = sync(params, pg_secrets)
    assert outcome.result == "Succeeded", outcome.message
    assert outcome.outputs["rowsRead"] == 6 and outcome.outputs["batches"] == 3
    rows = postgres.execute("SELECT ref, region, updated_at, tags, owner, oid FROM ticket_copy "
                            "ORDER BY ref").fetchall()
    assert [row[0] for row in rows] == [f"T-{n:03}" for n in range(6)]
    assert rows[1] == ("T-001", "eu", now - timedelta(minutes=10), ["a", "b"],
                       {"team": "support"}, "65f0a1b2c3d4e5f601234567")


def test_mongodb_to_sqlite_named_columns(tickets, mongo_connection, tmp_path: Path, now):
    target = tmp_path / "copy.sqlite3"
    with sqlite3.connect(target) as conn:
        conn.execute("CREATE TABLE t (ref TEXT PRIMARY KEY, region TEXT, updated_at TEXT)")
    conn.close()
    params = {"source": {"connection": mongo_connection, "table": "tickets",
                         "columns": ["ref", "updated_at"], "filters": {"region": "us"}},
              "destination": {"connection": {"driver": "sqlite", "path": str(target)},
                              "table": "t"},
              "key": ["ref"]}
    outcome = sync(params)
    assert outcome.result == "Succeeded" and outcome.outputs["rowsRead"] == 9, outcome.message
    with sqlite3.connect(target) as conn:
        first = conn.execute("SELECT ref, region, updated_at FROM t ORDER BY ref").fetchone()
    conn.close()
    assert first == ("T-000", None, now.isoformat())


def test_a_destination_without_a_unique_key_is_refused_before_any_write(
        tickets, mongo_connection, tmp_path: Path):
    target = tmp_path / "copy.sqlite3"
    with sqlite3.connect(target) as conn:
        conn.execute("CREATE TABLE t (ref TEXT, region TEXT)")
    conn.close()
    params = {"source": {"connection": mongo_connection, "table": "tickets"},
              "destination": {"connection": {"driver": "sqlite", "path": str(target)},
                              "table": "t"}, "key": ["ref"]}
    outcome = sync(params)
    assert outcome.result == "Failed" and "no primary key or unique constraint" in \
        outcome.message


def test_sql_to_mongodb_is_refused(mongo_connection, tmp_path: Path):
    source = tmp_path / "s.sqlite3"
    with sqlite3.connect(source) as conn:
        conn.execute("CREATE TABLE s (id INTEGER PRIMARY KEY)")
    conn.close()
    params = {"source": {"connection": {"driver": "sqlite", "path": str(source)}, "table": "s"},
              "destination": {"connection": mongo_connection, "table": "copy"}, "key": ["id"]}
    outcome = sync(params)
    assert outcome.result == "Failed" and "takes a MongoDB source only" in outcome.message


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_filter_values_match_nothing(tickets, mongo_connection, mongo_db, value):
    params = {"source": {"connection": mongo_connection, "table": "tickets",
                         "filters": {"region": value}},
              "destination": {"connection": mongo_connection, "table": "copy"}, "key": ["_id"]}
    outcome = sync(params)
    assert outcome.result == "Succeeded" and outcome.outputs["rowsRead"] == 0, outcome.message
    assert mongo_db.copy.count_documents({}) == 0


@pytest.mark.parametrize("value", [{"$where": "1"}, {"$ne": None}, {"$expr": {}}])
def test_operator_filter_values_are_refused_naming_the_parameter(mongo_connection, value):
    params = {"source": {"connection": mongo_connection, "table": "tickets",
                         "filters": {"region": value}},
              "destination": {"connection": mongo_connection, "table": "copy"}, "key": ["_id"]}
    outcome = sync(params)
    assert outcome.result == "Failed" and "parameters.source.filters" in outcome.message
    assert not outcome.attempts
