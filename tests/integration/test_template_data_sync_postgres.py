"""data-sync against a real PostgreSQL 15 server, from PostgreSQL and from SQLite."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from job_runner.execute import execute
from job_runner.templates.data_sync import DataSync

ORDERS = ("(id bigint PRIMARY KEY, customer text, total numeric(12, 2), paid boolean, "
          "tags jsonb, updated_at timestamptz NOT NULL)")


@pytest.fixture
def schemas(postgres):
    for schema in ("shop", "reporting"):
        postgres.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        postgres.execute(f"CREATE SCHEMA {schema}")
    postgres.execute("CREATE TABLE shop.orders " + ORDERS)
    postgres.execute(
        "INSERT INTO shop.orders SELECT i, 'customer ' || i, i * 1.25, i % 2 = 0, "
        "jsonb_build_object('n', i), now() - make_interval(hours => i) "
        "FROM generate_series(1, 250) AS i"
    )
    postgres.execute("CREATE TABLE reporting.orders " + ORDERS)


def rows(postgres, table: str) -> list[tuple]:
    return postgres.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()


def sync_params(source_connection, destination_connection, *, src=None, **overrides):
    return {
        "source": {"connection": source_connection, "table": "shop.orders", **(src or {})},
        "destination": {"connection": destination_connection, "table": "reporting.orders"},
        "key": ["id"], **overrides,
    }


def run(params, secrets, **kwargs):
    return execute(DataSync, params, run_id="it", timeout_seconds=60, secrets=secrets, **kwargs)


def test_postgres_to_postgres_upserts_in_batches(schemas, postgres, pg_connection, pg_secrets):
    params = sync_params(pg_connection, pg_connection, batchSize=100)
    planned = run(params, pg_secrets, dry_run=True)
    assert planned.result == "Succeeded", planned.message
    assert planned.outputs["wouldRead"] == 250 and rows(postgres, "reporting.orders") == []
    first = run(params, pg_secrets)
    assert first.result == "Succeeded", first.message
    assert first.outputs == {"rowsRead": 250, "rowsUpserted": 250, "batches": 3, "columns": [
        "id", "customer", "total", "paid", "tags", "updated_at"]}
    assert rows(postgres, "reporting.orders") == rows(postgres, "shop.orders")

    postgres.execute("UPDATE shop.orders SET total = 0, tags = '{\"changed\": true}' "
                     "WHERE id = 7")
    postgres.execute("INSERT INTO shop.orders VALUES (251, 'new', 1, true, NULL, now())")
    second = run(params, pg_secrets)
    assert second.result == "Succeeded", second.message
    assert second.outputs["rowsUpserted"] == 251
    assert rows(postgres, "reporting.orders") == rows(postgres, "shop.orders")
    assert postgres.execute("SELECT total, tags FROM reporting.orders WHERE id = 7").fetchone() \
        == (Decimal("0.00"), {"changed": True})


def test_postgres_window_and_filters(schemas, postgres, pg_connection, pg_secrets):
    src = {"columns": ["id", "customer", "paid", "updated_at"], "filters": {"paid": True},
           "modifiedAfter": {"column": "updated_at", "lookbackMinutes": 10 * 60 + 30}}
    outcome = run(sync_params(pg_connection, pg_connection, src=src), pg_secrets)
    assert outcome.result == "Succeeded", outcome.message
    synced = postgres.execute("SELECT id, total FROM reporting.orders ORDER BY id").fetchall()
    assert synced == [(2, None), (4, None), (6, None), (8, None), (10, None)]
    window_start = datetime.fromisoformat(outcome.outputs["windowStart"])
    expected = datetime.now(UTC) - timedelta(hours=10, minutes=30)
    assert abs(window_start - expected) < timedelta(minutes=1)


def test_sqlite_to_postgres(schemas, postgres, pg_connection, pg_secrets, tmp_path: Path):
    source = tmp_path / "shop.sqlite3"
    now = datetime.now(UTC)
    with sqlite3.connect(source) as conn:
        conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT, total, "
                     "paid INTEGER, tags TEXT, updated_at TEXT)")
        conn.executemany("INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?)", [
            (1, "a'; DROP TABLE reporting.orders; --", "10.50", 1, '{"n": 1}',
             now.isoformat()),
            (2, "$(reboot) `id`", 3, 0, None, (now - timedelta(days=1)).isoformat()),
        ])
    conn.close()
    params = sync_params({"driver": "sqlite", "path": str(source)}, pg_connection,
                         src={"table": "orders"})
    outcome = run(params, pg_secrets)
    assert outcome.result == "Succeeded", outcome.message
    assert rows(postgres, "reporting.orders") == [
        (1, "a'; DROP TABLE reporting.orders; --", Decimal("10.50"), True, {"n": 1}, now),
        (2, "$(reboot) `id`", Decimal("3.00"), False, None, now - timedelta(days=1)),
    ]


def test_postgres_to_sqlite(schemas, postgres, pg_connection, pg_secrets, tmp_path: Path):
    target = tmp_path / "copy.sqlite3"
    with sqlite3.connect(target) as conn:
        conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT, total TEXT, "
                     "paid INTEGER, tags TEXT, updated_at TEXT)")
    conn.close()
    params = sync_params(pg_connection, {"driver": "sqlite", "path": str(target)},
                         src={"filters": {"id": 4}})
    params["destination"]["table"] = "orders"
    outcome = run(params, pg_secrets)
    assert outcome.result == "Succeeded", outcome.message
    with sqlite3.connect(target) as conn:
        copied = conn.execute("SELECT * FROM orders").fetchall()
    conn.close()
    (id_, customer, total, paid, tags, updated_at), = copied
    assert (id_, customer, total, paid, json.loads(tags)) == (4, "customer 4", "5.00", 1,
                                                               {"n": 4})
    source_time = postgres.execute("SELECT updated_at FROM shop.orders WHERE id = 4").fetchone()[0]
    assert updated_at == source_time.astimezone(UTC).isoformat()  # ISO 8601, UTC offset


def test_repeated_keys_in_the_source_keep_one_row_each(schemas, postgres, pg_connection,
                                                      pg_secrets):
    """One upsert statement may not touch a row twice; a source key need not be unique."""
    postgres.execute("CREATE TABLE shop.events (id bigint, customer text, "
                     "updated_at timestamptz DEFAULT now())")
    postgres.execute("INSERT INTO shop.events (id, customer) VALUES (1, 'a'), (1, 'a'), "
                     "(2, 'b'), (2, 'b'), (3, 'c')")
    params = sync_params(pg_connection, pg_connection, src={"table": "shop.events"})
    outcome = run(params, pg_secrets)
    assert outcome.result == "Succeeded", outcome.message
    assert outcome.outputs["rowsRead"] == 5 and outcome.outputs["rowsUpserted"] == 3
    assert postgres.execute("SELECT id, customer FROM reporting.orders ORDER BY id").fetchall() \
        == [(1, "a"), (2, "b"), (3, "c")]


COLUMNS = ("id bigint, customer text, total numeric, paid boolean, tags jsonb, "
           "updated_at timestamptz")


@pytest.mark.parametrize(("constraint", "index"), [
    ("", None),
    (", UNIQUE (id, customer)", None),
    (", UNIQUE (customer) DEFERRABLE", None),
    ("", "CREATE UNIQUE INDEX paid_only ON reporting.orders (id) WHERE paid"),
    ("", "CREATE UNIQUE INDEX on_expression ON reporting.orders ((id + 0))"),
])
def test_missing_unique_constraint_is_refused_naming_the_fix(
    schemas, postgres, pg_connection, pg_secrets, constraint, index
):
    postgres.execute("DROP TABLE reporting.orders")
    postgres.execute(f"CREATE TABLE reporting.orders ({COLUMNS}{constraint})")
    if index:
        postgres.execute(index)
    outcome = run(sync_params(pg_connection, pg_connection), pg_secrets)
    assert outcome.result == "Failed"
    assert "'reporting.orders' has no primary key or unique constraint on exactly (id)" \
        in outcome.message
    assert rows(postgres, "reporting.orders") == []
    fix = re.search(r"CREATE UNIQUE INDEX \w+ ON reporting\.orders \(id\)", outcome.message)
    assert fix, outcome.message
    postgres.execute(fix.group(0))
    fixed = run(sync_params(pg_connection, pg_connection), pg_secrets)
    assert fixed.result == "Succeeded", fixed.message
    assert fixed.outputs["rowsUpserted"] == 250


def test_a_deferrable_unique_key_is_refused_even_beside_another(schemas, postgres,
                                                                pg_connection, pg_secrets):
    """PostgreSQL refuses ON CONFLICT when any unique index on the columns is deferrable."""
    postgres.execute("ALTER TABLE reporting.orders ADD CONSTRAINT later UNIQUE (id) DEFERRABLE")
    for dry_run in (True, False):
        outcome = run(sync_params(pg_connection, pg_connection), pg_secrets, dry_run=dry_run)
        assert outcome.result == "Failed"
        assert "has a DEFERRABLE unique constraint on (id)" in outcome.message
        assert "recreate it NOT DEFERRABLE" in outcome.message
    assert rows(postgres, "reporting.orders") == []
    postgres.execute("ALTER TABLE reporting.orders DROP CONSTRAINT later")
    assert run(sync_params(pg_connection, pg_connection), pg_secrets).result == "Succeeded"


def test_destination_columns_are_checked_before_any_write(schemas, postgres, pg_connection,
                                                         pg_secrets):
    postgres.execute("ALTER TABLE reporting.orders DROP COLUMN tags")
    outcome = run(sync_params(pg_connection, pg_connection), pg_secrets)
    assert outcome.result == "Failed"
    assert "table 'reporting.orders' has no column 'tags'" in outcome.message
    missing = run(sync_params(pg_connection, pg_connection, src={"table": "shop.nope"}),
                  pg_secrets)
    assert missing.result == "Failed" and "table 'shop.nope' does not exist" in missing.message
    no_schema = run(sync_params(pg_connection, pg_connection, src={"table": "nope.orders"}),
                    pg_secrets)
    assert no_schema.result == "Failed" and "'nope.orders' does not exist" in no_schema.message
    assert rows(postgres, "reporting.orders") == []


def test_a_batch_over_max_transaction_seconds_fails_cleanly(schemas, postgres, pg_connection,
                                                           pg_secrets):
    postgres.execute(
        "CREATE FUNCTION reporting.slow() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN PERFORM pg_sleep(0.05); RETURN NEW; END $$"
    )
    postgres.execute("CREATE TRIGGER slow BEFORE INSERT ON reporting.orders FOR EACH ROW "
                     "EXECUTE FUNCTION reporting.slow()")
    outcome = run(sync_params(pg_connection, pg_connection, maxTransactionSeconds=0.2),
                  pg_secrets)
    assert outcome.result == "Failed" and "statement timed out" in outcome.message
    assert rows(postgres, "reporting.orders") == []
