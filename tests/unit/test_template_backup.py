"""backup against real SQLite files, and pg_dump's command line as data."""

from __future__ import annotations

import gzip
import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from job_runner.execute import execute
from job_runner.registry import validate_parameters
from job_runner.template import Cancelled, RunContext, SecretRef, TemplateError
from job_runner.templates.backup import Backup, BackupParameters
from job_runner.toolkit import pg_dump
from job_runner.toolkit.connections import PostgresConnection

PASSWORD = "pw-Zq8!never-in-argv"
ROWS = [(1, "alice", 10.5, b"\x00\x01"), (2, "bøb", None, None),
        (3, "'; DROP TABLE t; --", 0.0, b"")]
DAY_NS = 86_400 * 10**9


def no_secrets(ref: SecretRef) -> str:
    raise AssertionError("no secrets expected")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "app.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, price REAL, raw BLOB)")
        conn.executemany("INSERT INTO items VALUES (?, ?, ?, ?)", ROWS)
    conn.close()
    return path


@pytest.fixture
def out(tmp_path: Path) -> Path:
    directory = tmp_path / "backups"
    directory.mkdir()
    return directory


def params(db: Path, out: Path, filename: str = "app-{date}-{time}.sqlite3.gz",
           **overrides: Any) -> dict[str, Any]:
    return {"connection": {"driver": "sqlite", "path": str(db)},
            "destination": {"directory": str(out), "filename": filename}, **overrides}


def backup(raw: dict[str, Any], **kwargs: Any):
    return execute(Backup, raw, run_id=kwargs.pop("run_id", "r-1"), timeout_seconds=30,
                   secrets=kwargs.pop("secrets", no_secrets), **kwargs)


def rows_of(sqlite_file: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(sqlite_file) as conn:
        rows = conn.execute("SELECT * FROM items ORDER BY id").fetchall()
    conn.close()
    return rows


def restored(path: Path, tmp_path: Path) -> list[tuple[Any, ...]]:
    plain = tmp_path / "restored.sqlite3"
    plain.write_bytes(gzip.decompress(path.read_bytes()))
    return rows_of(plain)


OWNED = ".dynamicjobs-backups-local.local.json"
"""The list of backups a local run (no job, no namespace) wrote in a directory."""


def listing(directory: Path) -> dict[str, int]:
    """Every entry but the job's list of its own backups, symlinks not followed, with its
    modification time."""
    return {entry.name: entry.stat(follow_symlinks=False).st_mtime_ns
            for entry in os.scandir(directory) if entry.name != OWNED}


def owned_by_this_job(directory: Path, *names: str) -> None:
    """As if earlier runs of this job had written these files."""
    (directory / OWNED).write_text(json.dumps(sorted(names)))


def age(path: Path, days: float) -> None:
    moment = time.time_ns() - int(days * DAY_NS)
    os.utime(path, ns=(moment, moment), follow_symlinks=False)


def test_compressed_backup_restores_to_the_same_rows(db: Path, out: Path, tmp_path: Path):
    outcome = backup(params(db, out))
    assert outcome.result == "Succeeded", outcome.message
    target = Path(outcome.outputs["path"])
    assert target.parent == out.resolve() and target.name.startswith("app-")
    assert target.read_bytes()[:2] == b"\x1f\x8b"
    assert restored(target, tmp_path) == ROWS
    assert outcome.outputs["bytes"] == target.stat().st_size
    assert outcome.outputs["compressed"] is True and outcome.outputs["format"] == "sqlite"
    assert outcome.outputs["deleted"] == [] and outcome.outputs["deletedCount"] == 0
    assert list(listing(out)) == [target.name]  # no temp file left behind
    assert rows_of(db) == ROWS


def test_uncompressed_backup_is_a_sqlite_file(db: Path, out: Path):
    outcome = backup(params(db, out, "app.sqlite3", compress=False))
    assert outcome.result == "Succeeded", outcome.message
    target = out / "app.sqlite3"
    assert target.read_bytes()[:16] == b"SQLite format 3\x00"
    assert rows_of(target) == ROWS
    assert outcome.outputs["compressed"] is False
    assert list(listing(out)) == ["app.sqlite3"]


def test_backup_holds_only_committed_rows_while_a_writer_is_mid_transaction(
    db: Path, out: Path
):
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO items VALUES (99, 'uncommitted', 1, NULL)")
    try:
        outcome = backup(params(db, out, "app.sqlite3", compress=False))
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert outcome.result == "Succeeded", outcome.message
    assert rows_of(out / "app.sqlite3") == ROWS


def test_retention_keeps_the_newest_and_never_touches_lookalikes(
    db: Path, out: Path, tmp_path: Path
):
    old = [out / f"app-2026-01-0{day}-030000.sqlite3.gz" for day in range(1, 6)]
    for days_ago, path in zip(range(5, 0, -1), old, strict=True):
        path.write_bytes(b"old backup")
        age(path, days_ago)
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me")
    decoys = ["app-2020-01-01-030000.sqlite3.gz.bak", "app-2020-01-01-030000.sqlite3",
              "xapp-2020-01-01-030000.sqlite3.gz", "app-latest.sqlite3.gz",
              "app-2020-1-01-030000.sqlite3.gz", "app-2020-01-01-0300.sqlite3.gz",
              "App-2020-01-01-030000.sqlite3.gz", "app-2020-01-01-030000.sqlite3xgz",
              ".app-2020-01-01-030000.sqlite3.gz.x1.part", "notes.txt"]
    for name in decoys:
        (out / name).write_bytes(b"not ours")
        age(out / name, 400)
    (out / "app-2019-01-01-030000.sqlite3.gz").mkdir()
    (out / "app-2018-01-01-030000.sqlite3.gz").symlink_to(outside)
    age(out / "app-2018-01-01-030000.sqlite3.gz", 500)
    owned_by_this_job(out, *(p.name for p in old), *decoys, "app-2019-01-01-030000.sqlite3.gz",
                      "app-2018-01-01-030000.sqlite3.gz")

    outcome = backup(params(db, out, keep=3))

    assert outcome.result == "Succeeded", outcome.message
    assert outcome.outputs["deleted"] == [p.name for p in old[2::-1]]
    assert outcome.outputs["deletedCount"] == 3
    remaining = set(listing(out))
    assert remaining == {Path(outcome.outputs["path"]).name, old[3].name, old[4].name,
                         *decoys, "app-2019-01-01-030000.sqlite3.gz",
                         "app-2018-01-01-030000.sqlite3.gz"}
    assert outside.read_text() == "keep me"


def test_retention_by_run_id_pattern_and_keep_one(db: Path, out: Path):
    names = [("snap-r1.db", 2), ("snap-r_2-x.db", 1), ("snap-r1.db-journal", 3),
             ("snap-a b.db", 3), ("snap-r1.r2.db", 3), ("snap-r1.db.old", 3)]
    for name, days in names:
        (out / name).write_bytes(b"x")
        age(out / name, days)
    owned_by_this_job(out, *(name for name, _ in names))
    outcome = backup(params(db, out, "snap-{runId}.db", compress=False, keep=1), run_id="r/9")
    assert outcome.result == "Succeeded", outcome.message
    assert outcome.outputs["path"] == str(out.resolve() / "snap-r_9.db")
    assert outcome.outputs["deleted"] == ["snap-r_2-x.db", "snap-r1.db"]
    assert set(listing(out)) == {"snap-r_9.db", "snap-r1.db-journal", "snap-a b.db",
                                 "snap-r1.r2.db", "snap-r1.db.old"}


def test_dry_run_reports_and_writes_and_deletes_nothing(db: Path, out: Path):
    for day in range(1, 4):
        path = out / f"app-2026-01-0{day}-030000.sqlite3.gz"
        path.write_bytes(b"old")
        age(path, 10 - day)
    (out / "unrelated.gz").write_bytes(b"x")
    owned_by_this_job(out, *(f"app-2026-01-0{day}-030000.sqlite3.gz" for day in range(1, 4)))
    before = listing(out)
    outcome = backup(params(db, out, keep=2), dry_run=True)
    assert outcome.result == "Succeeded", outcome.message
    assert outcome.outputs["wouldDelete"] == ["app-2026-01-02-030000.sqlite3.gz",
                                              "app-2026-01-01-030000.sqlite3.gz"]
    assert outcome.outputs["wouldDeleteCount"] == 2
    assert outcome.outputs["path"].startswith(str(out.resolve() / "app-"))
    assert listing(out) == before


def test_jobs_sharing_a_directory_never_expire_each_others_backups(db: Path, out: Path):
    """`orders-{runId}` could name `orders-eu-...` files too: only the job's own list
    decides what it may delete."""
    theirs = [out / f"orders-eu-{n}.sqlite3" for n in range(3)]
    for index, path in enumerate(theirs):
        path.write_bytes(b"another job's backup")
        age(path, 10 + index)
    (out / ".dynamicjobs-backups-team.orders-eu.json").write_text(
        json.dumps([p.name for p in theirs]))
    for run in range(3):
        outcome = backup(params(db, out, "orders-{runId}.sqlite3", compress=False, keep=1),
                         run_id=f"r{run}", job="orders", namespace="team")
        assert outcome.result == "Succeeded", outcome.message
    assert all(path.exists() for path in theirs)
    assert sorted(p.name for p in out.glob("orders-r*.sqlite3")) == ["orders-r2.sqlite3"]
    assert json.loads((out / ".dynamicjobs-backups-team.orders.json").read_text()) == [
        "orders-r2.sqlite3"]


def test_a_symlinked_database_in_the_backup_directory_is_never_expired(
    out: Path, tmp_path: Path
):
    live = out / "app-live.sqlite3"
    with sqlite3.connect(live) as conn:
        conn.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, price REAL, raw BLOB)")
    conn.close()
    link = tmp_path / "data.sqlite3"
    link.symlink_to(live)
    outcome = backup(params(link, out, "app-{runId}.sqlite3", compress=False, keep=1))
    assert outcome.result == "Failed"
    assert "app-live.sqlite3" in outcome.message
    assert live.exists()


def test_dry_run_checks_that_the_file_is_a_database(out: Path, tmp_path: Path):
    bogus = tmp_path / "bogus.sqlite3"
    bogus.write_bytes(b"this is not a database, just text " * 100)
    outcome = backup(params(bogus, out), dry_run=True)
    assert outcome.result == "Failed" and "SQLite error" in outcome.message
    assert listing(out) == {}


def test_missing_database_fails_and_leaves_nothing(out: Path, tmp_path: Path):
    outcome = backup(params(tmp_path / "nope.sqlite3", out))
    assert outcome.result == "Failed" and "nope.sqlite3" in outcome.message
    assert listing(out) == {}
    assert not (tmp_path / "nope.sqlite3").exists()


def test_cancelled_backup_leaves_no_partial_file(tmp_path: Path, out: Path):
    big = tmp_path / "big.sqlite3"
    with sqlite3.connect(big) as conn:
        conn.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, price REAL, raw BLOB)")
        conn.executemany("INSERT INTO items VALUES (?, ?, NULL, ?)",
                         ((i, f"row {i}", os.urandom(512)) for i in range(20_000)))
    conn.close()
    ctx = RunContext(run_id="r", deadline=time.monotonic() + 60)
    ctx.cancelled.set()
    parsed = BackupParameters.model_validate(params(big, out))
    with pytest.raises(Cancelled):
        Backup().run(parsed, ctx)
    assert listing(out) == {}


@pytest.mark.parametrize(("field", "value"), [
    ("filename", "../escape.sqlite3.gz"), ("filename", "%2e%2e/x.sqlite3.gz"),
    ("filename", "/etc/cron.d/x.gz"), ("filename", ".."), ("filename", "a/b.gz"),
    ("filename", ".hidden.gz"), ("filename", "a\nb.gz"), ("filename", "a\x00.gz"),
    ("directory", "relative/dir"), ("directory", "/srv/../etc"), ("directory", "/srv\x00x"),
])
def test_destination_outside_the_directory_is_refused(db: Path, out: Path, field: str,
                                                      value: str):
    raw = params(db, out)
    raw["destination"][field] = value
    outcome = backup(raw)
    assert outcome.result == "Failed"
    assert f"parameters.destination.{field}" in outcome.message
    assert listing(out) == {}


def test_a_symlink_at_the_target_is_refused(db: Path, out: Path, tmp_path: Path):
    victim = tmp_path / "victim.txt"
    victim.write_text("unchanged")
    (out / "app.sqlite3").symlink_to(victim)
    outcome = backup(params(db, out, "app.sqlite3", compress=False))
    assert outcome.result == "Failed" and "symlink" in outcome.message
    assert victim.read_text() == "unchanged"


@pytest.mark.parametrize("filename", ["app{runId}.sqlite3", "app.sqlite3{runId}"])
def test_a_pattern_matching_the_database_itself_is_refused(db: Path, filename: str):
    before = db.read_bytes()
    outcome = backup(params(db, db.parent, filename, compress=False, keep=1), run_id="")
    assert outcome.result == "Failed" and "the database's own file" in outcome.message
    assert db.read_bytes() == before and rows_of(db) == ROWS


@pytest.mark.parametrize(("overrides", "problem"), [
    ({"filename": "app.sqlite3"}, "must end in .gz"),
    ({"compress": False}, "must end in .gz"),
    ({"tables": ["items"]}, "PostgreSQL only"),
    ({"schemas": ["main"]}, "PostgreSQL only"),
    ({"format": "custom", "compress": False, "filename": "a.dump"}, "PostgreSQL only"),
    ({"keep": 0}, "parameters.keep"),
    ({"keep": 1001}, "parameters.keep"),
])
def test_options_that_do_not_fit_are_refused(db: Path, out: Path, overrides: dict[str, Any],
                                             problem: str):
    filename = overrides.pop("filename", "app.sqlite3.gz")
    outcome = backup(params(db, out, filename, **overrides))
    assert outcome.result == "Failed" and problem in outcome.message
    assert listing(out) == {}


def pg(**overrides: Any) -> dict[str, Any]:
    return {"driver": "postgresql", "host": "db.example", "database": "orders",
            "user": "backup", "password": {"secretRef": {"name": "db", "key": "password"}},
            **overrides}


def pg_params(out: Path, **overrides: Any) -> dict[str, Any]:
    connection = pg(**overrides.pop("connection", {}))
    return {"connection": connection,
            "destination": {"directory": str(out), "filename": "orders.sql.gz"}, **overrides}


@pytest.mark.parametrize(("field", "value"), [
    ("host", "-oProxyCommand=touch /tmp/pwned"), ("host", "db;touch /tmp/pwned"),
    ("host", "$(touch /tmp/pwned)"), ("host", "`id`"), ("host", "db\n"), ("host", "a'b"),
    ("user", "--help"), ("user", "-W"), ("user", "a\nb"), ("user", "a\x00b"),
    ("database", "--file=/etc/passwd"), ("database", "orders\r\n"), ("database", "x\x00"),
])
def test_hostile_connection_values_are_refused_by_field(out: Path, field: str, value: str):
    outcome = backup(pg_params(out, connection={field: value}))
    assert outcome.result == "Failed"
    assert "parameters.connection" in outcome.message
    assert field in outcome.message
    assert not Path("/tmp/pwned").exists()


@pytest.mark.parametrize(("field", "value"), [
    ("tables", ["items; DROP TABLE items"]), ("tables", ['a"b']), ("tables", ["-t"]),
    ("tables", ["a.b.c"]), ("tables", ["*"]), ("tables", ["$(id)"]), ("schemas", ["a.b"]),
    ("schemas", ["`id`"]), ("schemas", ["public\n"]), ("schemas", ["--schema=x"]),
])
def test_hostile_schema_and_table_names_are_refused(out: Path, field: str, value: list[str]):
    outcome = backup(pg_params(out, **{field: value}))
    assert outcome.result == "Failed" and f"parameters.{field}" in outcome.message


def test_schemas_and_tables_together_are_refused(out: Path):
    outcome = backup(pg_params(out, schemas=["shop"], tables=["shop.items"]))
    assert outcome.result == "Failed" and "not both" in outcome.message


def test_argv_is_a_pure_function_without_connection_values_or_password():
    argv = pg_dump.pg_dump_argv("/usr/bin/pg_dump", dump_format="plain", compress=True)
    assert argv == ["/usr/bin/pg_dump", "--no-password", "--format=plain"]
    argv = pg_dump.pg_dump_argv("/x/pg_dump", dump_format="custom", compress=False,
                                tables=["shop.Items", "events"])
    assert argv == ["/x/pg_dump", "--no-password", "--format=custom", "--compress=0",
                    "--strict-names", '--table="shop"."Items"', '--table="events"']
    assert pg_dump.pg_dump_argv("pg_dump", dump_format="custom", compress=True,
                                schemas=["shop", "Audit"])[2:] == [
        "--format=custom", "--strict-names", '--schema="shop"', '--schema="Audit"']


def test_connection_values_and_password_go_to_the_childs_env_only(
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setenv("DJ_SECRET_OTHER_DB_PASSWORD_ABC123", "another-secret")
    connection = PostgresConnection.model_validate(
        pg(host="db.example", port=6543, user="x; touch /tmp/pwned",
           database="host=evil dbname=postgres", sslmode="verify-full"))
    env = pg_dump.pg_dump_env(connection, PASSWORD, connect_timeout=7, search_path="/usr/bin")
    assert env == {
        "PATH": "/usr/bin", "LC_ALL": "C", "PGHOST": "db.example", "PGPORT": "6543",
        "PGUSER": "x; touch /tmp/pwned", "PGDATABASE": "host=evil dbname=postgres",
        "PGSSLMODE": "verify-full", "PGCONNECT_TIMEOUT": "7",
        "PGAPPNAME": "dynamicjobs-backup", "PGPASSWORD": PASSWORD,
    }
    assert "PGPASSWORD" not in pg_dump.pg_dump_env(connection, None, connect_timeout=7)
    argv = pg_dump.pg_dump_argv("pg_dump", dump_format="plain", compress=False)
    for value in (PASSWORD, "db.example", "6543", "x; touch", "host=evil"):
        assert not any(value in arg for arg in argv)


@pytest.mark.parametrize("name", ['a"b', "a;b", "-t", "a.b.c", "", "a b", "*"])
def test_exact_pattern_refuses_anything_but_identifiers(name: str):
    with pytest.raises(ValueError):
        pg_dump.exact_pattern(name)


def test_missing_pg_dump_is_a_clear_failure(out: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setattr(pg_dump, "FALLBACK_GLOB", str(tmp_path / "none" / "*" / "bin" / "pg_dump"))
    with pytest.raises(TemplateError, match="postgresql-client"):
        pg_dump.find_pg_dump()
    for dry_run in (True, False):
        outcome = backup(pg_params(out), dry_run=dry_run, secrets=lambda ref: PASSWORD)
        assert outcome.result == "Failed" and "pg_dump was not found" in outcome.message
        assert "postgresql-client" in outcome.message
    assert listing(out) == {}


def test_pg_dump_falls_back_to_the_newest_versioned_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    for version in ("9.6", "15", "13"):
        binary = tmp_path / "postgresql" / version / "bin" / "pg_dump"
        binary.parent.mkdir(parents=True)
        binary.write_text("#!/bin/sh\n")
        binary.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    monkeypatch.setattr(pg_dump, "FALLBACK_GLOB", str(tmp_path / "postgresql/*/bin/pg_dump"))
    assert pg_dump.find_pg_dump() == str(tmp_path / "postgresql/15/bin/pg_dump")


def test_examples_are_valid():
    for example in Backup.examples:
        assert validate_parameters(Backup, example) == []
