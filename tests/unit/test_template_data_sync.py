"""data-sync between real SQLite files: upserts, windows, batches, refusals, hostile input."""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from job_runner.execute import execute
from job_runner.templates.data_sync import DataSync

HOSTILE_VALUES = ["x'; DROP TABLE items; --", 'a"b', "$(rm -rf /)", "`id`", "a\nb", "\x00",
                  "-- comment", "; DELETE FROM items"]
ITEMS = "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, region TEXT, updated_at)"


def no_secrets(ref):
    raise AssertionError("no secrets expected")


def sqlite_rows(path: Path, query: str = "SELECT * FROM items ORDER BY id") -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(query).fetchall()


def write(path: Path, *statements: str, rows: list[tuple] | None = None) -> None:
    with sqlite3.connect(path) as conn:
        for statement in statements:
            conn.execute(statement)
        if rows:
            marks = ", ".join("?" for _ in rows[0])
            conn.executemany(f"INSERT INTO items VALUES ({marks})", rows)
    conn.close()


def ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "source.sqlite3"
    write(path, ITEMS, rows=[
        (1, "one", "eu", ago(days=3)), (2, "two", "us", ago(days=2)),
        (3, "three", "eu", ago(minutes=5)), (4, "four", None, ago(minutes=1)),
        (5, "five", "eu", int((datetime.now(UTC) - timedelta(minutes=2)).timestamp())),
    ])
    return path


@pytest.fixture
def target(tmp_path: Path) -> Path:
    path = tmp_path / "target.sqlite3"
    write(path, ITEMS)
    return path


def params(source: Path, target: Path, *, src: dict | None = None, dst: dict | None = None,
           **overrides: Any) -> dict[str, Any]:
    return {
        "source": {"connection": {"driver": "sqlite", "path": str(source)}, "table": "items",
                   **(src or {})},
        "destination": {"connection": {"driver": "sqlite", "path": str(target)},
                        "table": "items", **(dst or {})},
        "key": ["id"], **overrides,
    }


def sync(raw: dict[str, Any], **kwargs: Any):
    return execute(DataSync, raw, run_id="r", timeout_seconds=30, secrets=no_secrets, **kwargs)


@pytest.fixture
def batch_log() -> Iterator[list[logging.LogRecord]]:
    """The template's 'batch upserted' records, as they are logged."""
    logger = logging.getLogger(f"dynamicjobs.template.{DataSync.name}")
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record) \
        if record.getMessage() == "batch upserted" else None  # type: ignore[method-assign]
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield records
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_first_sync_copies_every_row(source: Path, target: Path):
    outcome = sync(params(source, target))
    assert outcome.result == "Succeeded", outcome.message
    assert outcome.outputs == {"rowsRead": 5, "rowsUpserted": 5, "batches": 1,
                               "columns": ["id", "name", "region", "updated_at"]}
    assert sqlite_rows(target) == sqlite_rows(source)


def test_second_sync_updates_and_inserts_without_duplicates(source: Path, target: Path):
    assert sync(params(source, target)).result == "Succeeded"
    write(source, "UPDATE items SET name = 'TWO', region = NULL WHERE id = 2",
          rows=[(6, "six", "eu", ago(seconds=1))])
    outcome = sync(params(source, target))
    assert outcome.result == "Succeeded", outcome.message
    assert outcome.outputs["rowsRead"] == 6 and outcome.outputs["rowsUpserted"] == 6
    assert sqlite_rows(target) == sqlite_rows(source)
    assert sqlite_rows(target, "SELECT name, region FROM items WHERE id = 2") == [("TWO", None)]


def test_modified_after_moves_only_recent_rows(source: Path, target: Path):
    window = {"modifiedAfter": {"column": "updated_at", "lookbackMinutes": 60}}
    outcome = sync(params(source, target, src=window))
    assert outcome.result == "Succeeded", outcome.message
    assert [row[0] for row in sqlite_rows(target)] == [3, 4, 5]  # ISO text and Unix seconds
    start = datetime.fromisoformat(outcome.outputs["windowStart"])
    assert abs(start - (datetime.now(UTC) - timedelta(hours=1))) < timedelta(minutes=1)
    write(source, "UPDATE items SET name = 'stale' WHERE id = 1",
          "UPDATE items SET name = 'fresh' WHERE id = 3")
    assert sync(params(source, target, src=window)).outputs["rowsRead"] == 3
    assert sqlite_rows(target, "SELECT id, name FROM items ORDER BY id") == [
        (3, "fresh"), (4, "four"), (5, "five")]


def test_filters_select_rows_by_value_and_null(source: Path, target: Path):
    eu = sync(params(source, target, src={"filters": {"region": "eu"}}))
    assert eu.result == "Succeeded", eu.message
    assert [row[0] for row in sqlite_rows(target)] == [1, 3, 5]
    nulls = sync(params(source, target, src={"filters": {"region": None, "name": "four"}}))
    assert nulls.outputs["rowsRead"] == 1
    assert [row[0] for row in sqlite_rows(target)] == [1, 3, 4, 5]


def test_selected_columns_only_are_written(source: Path, target: Path):
    outcome = sync(params(source, target, src={"columns": ["name", "id"]}))
    assert outcome.result == "Succeeded", outcome.message
    assert outcome.outputs["columns"] == ["name", "id"]
    assert sqlite_rows(target, "SELECT id, name, region FROM items WHERE id = 1") == [
        (1, "one", None)]


@pytest.mark.parametrize(("batch_size", "batches"), [(2, 3), (5, 1), (1, 5), (1000, 1)])
def test_batches_follow_the_key(source: Path, target: Path, batch_log, batch_size, batches):
    outcome = sync(params(source, target, batchSize=batch_size))
    assert outcome.result == "Succeeded", outcome.message
    assert outcome.outputs["batches"] == batches and outcome.outputs["rowsRead"] == 5
    assert sqlite_rows(target) == sqlite_rows(source)
    progress = [record.rowsRead for record in batch_log]  # type: ignore[attr-defined]
    assert progress == [min(5, batch_size * n) for n in range(1, batches + 1)]


def test_a_batch_is_never_larger_than_one_statement_can_bind(tmp_path: Path, batch_log):
    limit = sqlite3.connect(":memory:").getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    columns = ["id", *(f"c{i}" for i in range(7))]
    per_statement = limit // len(columns)
    assert per_statement < 50_000
    source, target = tmp_path / "wide.db", tmp_path / "wide-copy.db"
    shape = f"CREATE TABLE items (id INTEGER PRIMARY KEY, {', '.join(columns[1:])})"
    write(source, shape, rows=[(i, *range(7)) for i in range(per_statement + 10)])
    write(target, shape)
    outcome = sync(params(source, target, batchSize=50_000))
    assert outcome.result == "Succeeded", outcome.message
    assert outcome.outputs["batches"] == 2
    assert [record.rows for record in batch_log] == [per_statement, 10]  # type: ignore[attr-defined]
    assert sqlite_rows(target, "SELECT count(*) FROM items") == [(per_statement + 10,)]


def test_composite_key_pages_by_row_value(tmp_path: Path):
    source, target = tmp_path / "s.db", tmp_path / "t.db"
    shape = "CREATE TABLE items (tenant TEXT, id INTEGER, name TEXT, PRIMARY KEY (tenant, id))"
    rows = [(tenant, i, f"{tenant}{i}") for tenant in ("b", "a", "c") for i in (3, 1, 2)]
    write(source, shape, rows=rows)
    write(target, shape)
    outcome = sync(params(source, target, key=["tenant", "id"], batchSize=2))
    assert outcome.result == "Succeeded", outcome.message
    assert outcome.outputs["rowsRead"] == 9 and outcome.outputs["batches"] == 5
    query = "SELECT * FROM items ORDER BY tenant, id"
    assert sqlite_rows(target, query) == sqlite_rows(source, query)


def test_rows_with_a_null_key_are_not_copied(tmp_path: Path, target: Path):
    source = tmp_path / "s.db"
    write(source, "CREATE TABLE items (id INTEGER, name TEXT, region TEXT, updated_at)",
          rows=[(None, "no key", "eu", None), (1, "one", "eu", None)])
    outcome = sync(params(source, target))
    assert outcome.outputs["rowsRead"] == 1 and sqlite_rows(target) == [(1, "one", "eu", None)]


def test_dry_run_counts_and_writes_nothing(source: Path, target: Path):
    before = target.read_bytes()
    window = {"modifiedAfter": {"column": "updated_at", "lookbackMinutes": 60},
              "filters": {"region": "eu"}}
    outcome = sync(params(source, target, src=window), dry_run=True)
    assert outcome.result == "Succeeded", outcome.message
    assert outcome.outputs["wouldRead"] == 2  # ids 3 and 5
    assert outcome.outputs["columns"] == ["id", "name", "region", "updated_at"]
    assert "windowStart" in outcome.outputs
    assert sqlite_rows(target) == [] and target.read_bytes() == before


@pytest.mark.parametrize("shape", [
    "CREATE TABLE items (id INTEGER, name TEXT, region TEXT, updated_at)",
    "CREATE TABLE items (id INTEGER, name TEXT, region TEXT, updated_at, UNIQUE (id, name))",
    "CREATE TABLE items (id INTEGER, name TEXT, region TEXT, updated_at);"
    "CREATE UNIQUE INDEX items_partial ON items (id) WHERE region IS NOT NULL",
    "CREATE TABLE items (id INTEGER, name TEXT, region TEXT, updated_at);"
    "CREATE UNIQUE INDEX items_expr ON items (id + 0)",
])
def test_destination_without_a_unique_key_is_refused_naming_the_fix(
    source: Path, tmp_path: Path, shape: str
):
    target = tmp_path / "plain.sqlite3"
    write(target, *shape.split(";"))
    for dry_run in (True, False):
        outcome = sync(params(source, target), dry_run=dry_run)
        assert outcome.result == "Failed"
        assert "no primary key or unique constraint on exactly (id)" in outcome.message
    assert sqlite_rows(target) == []
    fix = re.search(r"CREATE UNIQUE INDEX \w+ ON items \(id\)", outcome.message)
    assert fix, outcome.message
    write(target, fix.group(0))
    assert sync(params(source, target)).outputs["rowsUpserted"] == 5


def test_a_unique_index_other_than_the_primary_key_serves(source: Path, tmp_path: Path):
    target = tmp_path / "t.db"
    write(target, "CREATE TABLE items (pk INTEGER PRIMARY KEY, id INTEGER NOT NULL UNIQUE, "
                  "name TEXT, region TEXT, updated_at)")
    outcome = sync(params(source, target))
    assert outcome.result == "Succeeded", outcome.message
    assert sqlite_rows(target, "SELECT id, name FROM items ORDER BY id")[0] == (1, "one")


def test_unknown_columns_are_refused_by_name(source: Path, target: Path, tmp_path: Path):
    unknown = sync(params(source, target, src={"columns": ["id", "nmae"]}))
    assert unknown.result == "Failed" and "no column 'nmae'" in unknown.message
    narrow = tmp_path / "narrow.db"
    write(narrow, "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)")
    missing = sync(params(source, narrow))
    assert missing.result == "Failed"
    assert "table 'items' has no column 'region', 'updated_at'" in missing.message
    filtered = sync(params(source, target, src={"filters": {"kidn": "x"}}))
    assert filtered.result == "Failed" and "no column 'kidn'" in filtered.message
    assert sqlite_rows(target) == [] and sqlite_rows(narrow) == []


def test_missing_tables_are_clear_failures(source: Path, target: Path):
    outcome = sync(params(source, target, dst={"table": "nope"}))
    assert outcome.result == "Failed" and "table 'nope' does not exist" in outcome.message


@pytest.mark.parametrize(("overrides", "field"), [
    ({"key": ["name"], "src": {"columns": ["id"]}}, "parameters.key"),
    ({"key": ["id", "id"]}, "parameters.key"),
    ({"src": {"columns": ["id", "name", "id"]}}, "parameters.source.columns"),
    ({"key": []}, "parameters.key"),
    ({"key": [f"k{i}" for i in range(9)]}, "parameters.key"),
    ({"batchSize": 0}, "parameters.batchSize"),
    ({"batchSize": 50_001}, "parameters.batchSize"),
])
def test_inconsistent_parameters_name_the_field(source: Path, target: Path, overrides, field):
    outcome = sync(params(source, target, **overrides))
    assert outcome.result == "Failed" and field in outcome.message, outcome.message
    assert not outcome.attempts


@pytest.mark.parametrize("name", [
    "items; DROP TABLE items", 'items"--', "items -- x", "$(id)", "`id`", "a\nb", "a\x00b",
    "a.b.c", "x" * 64,
])
@pytest.mark.parametrize("where", ["source.table", "destination.table", "source.columns[0]",
                                   "key[0]", "source.filters", "source.modifiedAfter.column"])
def test_hostile_identifiers_are_refused_naming_the_field(
    source: Path, target: Path, name: str, where: str
):
    raw = params(source, target)
    if where == "source.columns[0]":
        raw["source"]["columns"] = [name, "id"]
    elif where == "key[0]":
        raw["key"] = [name]
    elif where == "source.filters":
        raw["source"]["filters"] = {name: 1}
    elif where == "source.modifiedAfter.column":
        raw["source"]["modifiedAfter"] = {"column": name, "lookbackMinutes": 5}
    else:
        side, _ = where.split(".")
        raw[side]["table"] = name
    outcome = sync(raw)
    assert outcome.result == "Failed" and f"parameters.{where}" in outcome.message, \
        outcome.message
    assert not outcome.attempts
    assert sqlite_rows(target) == [] and len(sqlite_rows(source)) == 5


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_hostile_values_are_copied_literally(source: Path, target: Path, value: str):
    write(source, rows=[(7, value, value, value)])
    outcome = sync(params(source, target, src={"filters": {"name": value}}))
    assert outcome.result == "Succeeded", outcome.message
    assert outcome.outputs["rowsRead"] == 1
    assert sqlite_rows(target) == [(7, value, value, value)]
    assert sqlite_rows(source, "SELECT count(*) FROM items") == [(6,)]


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_hostile_filter_values_match_nothing(source: Path, target: Path, value: str):
    outcome = sync(params(source, target, src={"filters": {"region": value}}))
    assert outcome.result == "Succeeded" and outcome.outputs["rowsRead"] == 0
    assert sqlite_rows(target) == [] and len(sqlite_rows(source)) == 5


def test_cancellation_stops_between_batches(source: Path, target: Path, batch_log):
    cancelled = threading.Event()
    logger = logging.getLogger(f"dynamicjobs.template.{DataSync.name}")
    stopper = logging.Handler()
    stopper.emit = lambda record: cancelled.set() \
        if record.getMessage() == "batch upserted" else None  # type: ignore[method-assign]
    logger.addHandler(stopper)
    try:
        outcome = sync(params(source, target, batchSize=2), cancelled=cancelled)
    finally:
        logger.removeHandler(stopper)
    assert outcome.result == "Cancelled", outcome.message
    assert len(batch_log) == 1
    assert [row[0] for row in sqlite_rows(target)] == [1, 2]


def test_deadline_stops_between_batches(source: Path, target: Path, batch_log):
    now = [0.0]
    logger = logging.getLogger(f"dynamicjobs.template.{DataSync.name}")
    clock_jump = logging.Handler()
    clock_jump.emit = lambda record: now.__setitem__(0, 100.0) \
        if record.getMessage() == "batch upserted" else None  # type: ignore[method-assign]
    logger.addHandler(clock_jump)
    try:
        outcome = sync(params(source, target, batchSize=2), clock=lambda: now[0])
    finally:
        logger.removeHandler(clock_jump)
    assert outcome.result == "TimedOut", outcome.message
    assert len(batch_log) == 1
    assert [row[0] for row in sqlite_rows(target)] == [1, 2]
