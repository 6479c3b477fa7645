"""database-cleanup and data-export against real SQLite files, hostile input included."""

from __future__ import annotations

import csv
import gzip
import json
import os
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from job_runner.execute import execute
from job_runner.templates.data_export import DataExport
from job_runner.templates.database_cleanup import DatabaseCleanup

HOSTILE_VALUES = ["x'; DROP TABLE events; --", 'a"b', "$(rm -rf /)", "`id`", "a\nb", "\x00"]


def no_secrets(ref):
    raise AssertionError("no secrets expected")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "app.sqlite3"
    now = datetime.now(UTC)
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, created_at, kind TEXT, n REAL)")
        rows = [
            (i, (now - timedelta(days=i % 30)).isoformat(), "debug" if i % 2 else "info", i / 2)
            for i in range(600)
        ]
        rows.append((1000, int((now - timedelta(days=60)).timestamp()), None, None))
        conn.executemany("INSERT INTO events VALUES (?, ?, ?, ?)", rows)
    return path


def count(path: Path, where: str = "1=1") -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute(f"SELECT count(*) FROM events WHERE {where}").fetchone()[0]


def cleanup(path: Path, **overrides):
    params = {"connection": {"driver": "sqlite", "path": str(path)}, "table": "events",
              "timestampColumn": "created_at", "olderThanDays": 20, **overrides}
    return params


def test_cleanup_deletes_old_rows_in_batches(db: Path):
    expected = 9 * 20 + 1  # days 21..29 of each 30, plus the epoch-seconds row
    planned = execute(DatabaseCleanup, cleanup(db, batchSize=50), run_id="p",
                      timeout_seconds=30, secrets=no_secrets, dry_run=True)
    assert planned.outputs["wouldDelete"] == expected and count(db) == 601
    outcome = execute(DatabaseCleanup, cleanup(db, batchSize=50), run_id="r",
                      timeout_seconds=30, secrets=no_secrets)
    assert outcome.result == "Succeeded", outcome.message
    assert outcome.outputs["deleted"] == expected
    assert outcome.outputs["batches"] == expected // 50 + 1
    assert count(db) == 601 - expected


def test_cleanup_where_filters_and_null(db: Path):
    outcome = execute(DatabaseCleanup, cleanup(db, where={"kind": "debug"}), run_id="r",
                      timeout_seconds=30, secrets=no_secrets)
    assert outcome.result == "Succeeded" and outcome.outputs["deleted"] == 100
    outcome = execute(DatabaseCleanup, cleanup(db, where={"kind": None}), run_id="r",
                      timeout_seconds=30, secrets=no_secrets)
    assert outcome.outputs["deleted"] == 1


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_hostile_filter_values_are_bound(db: Path, value: str):
    outcome = execute(DatabaseCleanup, cleanup(db, where={"kind": value}), run_id="r",
                      timeout_seconds=30, secrets=no_secrets)
    assert outcome.result == "Succeeded" and outcome.outputs["deleted"] == 0
    assert count(db) == 601


@pytest.mark.parametrize(("field", "value"), [
    ("table", "events; DROP TABLE events"), ("table", 'events"--'), ("table", "a.b.c"),
    ("table", "../events"), ("timestampColumn", "created_at)--"), ("timestampColumn", "1abc"),
    ("timestampColumn", "`id`"), ("timestampColumn", "a\nb"), ("table", "x" * 64),
])
def test_hostile_identifiers_are_rejected_naming_the_field(db: Path, field: str, value: str):
    outcome = execute(DatabaseCleanup, cleanup(db, **{field: value}), run_id="r",
                      timeout_seconds=30, secrets=no_secrets)
    assert outcome.result == "Failed" and f"parameters.{field}" in outcome.message
    assert not outcome.attempts and count(db) == 601


def test_missing_table_is_a_clear_failure(db: Path):
    outcome = execute(DatabaseCleanup, cleanup(db, table="nope"), run_id="r",
                      timeout_seconds=30, secrets=no_secrets)
    assert outcome.result == "Failed" and "table 'nope' does not exist" in outcome.message


def test_a_misspelt_column_is_refused_not_read_as_a_string(db: Path, tmp_path: Path):
    """SQLite would read "kidn" as the string 'kidn': a filter on it would match no row."""
    cleaned = execute(DatabaseCleanup, cleanup(db, where={"kidn": "debug"}), run_id="r",
                      timeout_seconds=30, secrets=no_secrets)
    assert cleaned.result == "Failed" and "no column 'kidn'" in cleaned.message
    assert count(db) == 601
    exported = execute(DataExport, export(db, tmp_path, source={
        "filters": [{"column": "kidn", "op": "ne", "value": "debug"}]}), run_id="r",
        timeout_seconds=30, secrets=no_secrets)
    assert exported.result == "Failed" and "its columns: created_at, id, kind, n" in \
        exported.message
    assert not (tmp_path / "e.csv").exists()


def test_missing_database_file_is_not_created(tmp_path: Path):
    missing = tmp_path / "missing.db"
    outcome = execute(DatabaseCleanup, cleanup(missing), run_id="r",
                      timeout_seconds=30, secrets=no_secrets)
    assert outcome.result == "Failed" and not missing.exists()


def export(db: Path, out: Path, **overrides):
    source = {"connection": {"driver": "sqlite", "path": str(db)}, "table": "events",
              **overrides.pop("source", {})}
    return {"source": source, "destination": {"directory": str(out), "filename": "e.csv"},
            **overrides}


def test_export_csv_with_filters_order_and_limit(db: Path, tmp_path: Path):
    params = export(db, tmp_path, source={
        "columns": ["id", "kind"],
        "filters": [{"column": "kind", "op": "in", "value": ["debug", "nope"]},
                    {"column": "id", "op": "lt", "value": 20}],
        "orderBy": [{"column": "id", "direction": "desc"}], "limit": 3,
    })
    outcome = execute(DataExport, params, run_id="r", timeout_seconds=30, secrets=no_secrets)
    assert outcome.result == "Succeeded", outcome.message
    rows = list(csv.reader((tmp_path / "e.csv").open()))
    assert rows == [["id", "kind"], ["19", "debug"], ["17", "debug"], ["15", "debug"]]
    assert outcome.outputs == {"rows": 3, "bytes": (tmp_path / "e.csv").stat().st_size,
                               "path": str(tmp_path / "e.csv")}


def test_export_jsonl_gzip_all_columns_and_is_null(db: Path, tmp_path: Path):
    params = export(db, tmp_path, format="jsonl", gzip=True,
                    source={"filters": [{"column": "kind", "op": "isNull"}]})
    params["destination"]["filename"] = "e-{runId}.jsonl.gz"
    outcome = execute(DataExport, params, run_id="r/../7", timeout_seconds=30,
                      secrets=no_secrets)
    assert outcome.result == "Succeeded", outcome.message
    target = tmp_path / "e-r____7.jsonl.gz"
    assert outcome.outputs["path"] == str(target)
    records = [json.loads(line) for line in gzip.open(target, "rt")]
    assert records == [{"id": 1000, "created_at": records[0]["created_at"], "kind": None,
                        "n": None}]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_export_dry_run_counts_and_writes_nothing(db: Path, tmp_path: Path):
    params = export(db, tmp_path, source={"filters": [{"column": "n", "op": "ge", "value": 290}]})
    outcome = execute(DataExport, params, run_id="r", timeout_seconds=30, secrets=no_secrets,
                      dry_run=True)
    assert outcome.outputs["rows"] == 20
    assert outcome.outputs["columns"] == ["id", "created_at", "kind", "n"]
    assert not (tmp_path / "e.csv").exists()


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_export_hostile_filter_values_match_nothing(db: Path, tmp_path: Path, value: str):
    params = export(db, tmp_path, source={"filters": [{"column": "kind", "op": "eq",
                                                       "value": value}]})
    outcome = execute(DataExport, params, run_id="r", timeout_seconds=30, secrets=no_secrets)
    assert outcome.result == "Succeeded" and outcome.outputs["rows"] == 0
    assert count(db) == 601


@pytest.mark.parametrize("filename", [
    "../evil.csv", "/etc/passwd", "a/b.csv", "..", ".hidden", "%2e%2e", "e\x00.csv",
    "e.csv\n", "$(id).csv", "`id`.csv", "a;b.csv",
])
def test_export_hostile_filenames_rejected(db: Path, tmp_path: Path, filename: str):
    params = export(db, tmp_path)
    params["destination"]["filename"] = filename
    outcome = execute(DataExport, params, run_id="r", timeout_seconds=30, secrets=no_secrets)
    assert outcome.result == "Failed" and "parameters.destination.filename" in outcome.message


@pytest.mark.parametrize("directory", ["relative/dir", "/tmp/../etc", "/tmp/\x00x"])
def test_export_bad_directories_rejected(db: Path, directory: str):
    params = export(db, Path("/"))
    params["destination"]["directory"] = directory
    outcome = execute(DataExport, params, run_id="r", timeout_seconds=30, secrets=no_secrets)
    assert outcome.result == "Failed" and "parameters.destination.directory" in outcome.message


def test_export_refuses_symlinked_target(db: Path, tmp_path: Path):
    out, outside = tmp_path / "out", tmp_path / "outside.csv"
    out.mkdir()
    outside.write_text("keep")
    os.symlink(outside, out / "e.csv")
    outcome = execute(DataExport, export(db, out), run_id="r", timeout_seconds=30,
                      secrets=no_secrets)
    assert outcome.result == "Failed" and "symlink" in outcome.message
    assert outside.read_text() == "keep"


@pytest.mark.parametrize(("source", "field"), [
    ({"columns": ["id; DROP TABLE events"]}, "parameters.source.columns[0]"),
    ({"orderBy": [{"column": "id", "direction": "asc; --"}]},
     "parameters.source.orderBy[0].direction"),
    ({"filters": [{"column": "id", "op": "like", "value": "%"}]},
     "parameters.source.filters[0].op"),
    ({"filters": [{"column": "id", "op": "in", "value": 3}]}, "parameters.source.filters[0]"),
])
def test_export_hostile_query_parts_rejected(db: Path, tmp_path: Path, source, field):
    outcome = execute(DataExport, export(db, tmp_path, source=source), run_id="r",
                      timeout_seconds=30, secrets=no_secrets)
    assert outcome.result == "Failed" and field in outcome.message, outcome.message
