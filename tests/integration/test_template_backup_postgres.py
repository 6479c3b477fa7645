"""backup against a real PostgreSQL 15 server: dumps restored with psql and pg_restore."""

from __future__ import annotations

import gzip
import logging
import secrets
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from job_runner.execute import execute
from job_runner.templates.backup import Backup
from tests.backends.postgres import PostgresServer
from tests.kube.waiting import wait_for

SOURCE = "dj_backup_source"
RESTORED = "dj_backup_restored"
ITEMS = "SELECT id, name, price::text, tags FROM shop.items ORDER BY id"


def recreate(postgres: psycopg.Connection[Any], name: str) -> None:
    postgres.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
        sql.Identifier(name)))
    postgres.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def connect(server: PostgresServer, database: str) -> psycopg.Connection[Any]:
    return psycopg.connect(**{**server.dsn(), "dbname": database},  # type: ignore[arg-type]
                           autocommit=True)


def select(server: PostgresServer, database: str, query: str) -> list[tuple[Any, ...]]:
    with connect(server, database) as conn:
        return conn.execute(query).fetchall()  # type: ignore[arg-type]


@pytest.fixture
def source(postgres, postgres_server: PostgresServer) -> Iterator[str]:
    """A database of its own: schema `shop` with `items` and `"Items"`, schema `other`."""
    recreate(postgres, SOURCE)
    with connect(postgres_server, SOURCE) as conn:
        conn.execute("CREATE SCHEMA shop")
        conn.execute("CREATE TABLE shop.items (id int PRIMARY KEY, name text, price numeric, "
                     "tags text[])")
        conn.execute("INSERT INTO shop.items SELECT i, 'item ' || i || E' \\'q\\' ;\\n', "
                     "i * 1.25, ARRAY['a', 'b' || i] FROM generate_series(1, 500) AS i")
        conn.execute("INSERT INTO shop.items VALUES (0, NULL, NULL, NULL)")
        conn.execute('CREATE TABLE shop."Items" (id int)')
        conn.execute("CREATE SCHEMA other")
        conn.execute("CREATE TABLE other.noise (id int)")
        conn.execute("INSERT INTO other.noise VALUES (1), (2)")
    yield SOURCE
    postgres.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
        sql.Identifier(SOURCE)))


@pytest.fixture
def out(tmp_path: Path) -> Path:
    directory = tmp_path / "backups"
    directory.mkdir()
    return directory


def params(pg_connection: dict[str, Any], out: Path, filename: str = "shop-{date}.sql.gz",
           database: str = SOURCE, **overrides: Any) -> dict[str, Any]:
    return {"connection": {**pg_connection, "database": database},
            "destination": {"directory": str(out), "filename": filename}, **overrides}


def backup(raw: dict[str, Any], secrets: Any, **kwargs: Any):
    return execute(Backup, raw, run_id=kwargs.pop("run_id", "it"),
                   timeout_seconds=kwargs.pop("timeout_seconds", 60), secrets=secrets, **kwargs)


def client(server: PostgresServer, tool: str, *args: str, database: str,
           stdin: bytes | None = None) -> str:
    """psql or pg_restore as an argv list, connection values in the env, never a shell."""
    env = {"PGHOST": server.host, "PGPORT": str(server.port), "PGUSER": server.user,
           "PGPASSWORD": server.password, "PGDATABASE": database, "LC_ALL": "C"}
    done = subprocess.run([str(server.bindir / tool), *args], input=stdin, env=env,
                          capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode()


def restore_plain(server: PostgresServer, postgres, dump: bytes) -> None:
    recreate(postgres, RESTORED)
    client(server, "psql", "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--file=-",
           database=RESTORED, stdin=dump)


def test_plain_gzipped_dump_restores_with_psql(source, postgres, postgres_server,
                                                pg_connection, pg_secrets, out):
    outcome = backup(params(pg_connection, out), pg_secrets)
    assert outcome.result == "Succeeded", outcome.message
    target = Path(outcome.outputs["path"])
    assert backups_in(out) == [target.name]
    assert outcome.outputs["bytes"] == target.stat().st_size
    assert outcome.outputs["compressed"] is True and outcome.outputs["format"] == "plain"
    restore_plain(postgres_server, postgres, gzip.decompress(target.read_bytes()))
    assert select(postgres_server, RESTORED, ITEMS) == select(postgres_server, SOURCE, ITEMS)
    assert len(select(postgres_server, RESTORED, ITEMS)) == 501
    assert select(postgres_server, RESTORED, "SELECT id FROM other.noise ORDER BY id") == [
        (1,), (2,)]


def test_custom_format_lists_and_restores_with_pg_restore(source, postgres, postgres_server,
                                                          pg_connection, pg_secrets, out):
    outcome = backup(params(pg_connection, out, "shop-{runId}.dump", format="custom"),
                     pg_secrets)
    assert outcome.result == "Succeeded", outcome.message
    target = out / "shop-it.dump"
    assert target.read_bytes()[:5] == b"PGDMP"
    listed = client(postgres_server, "pg_restore", "--list", str(target), database=SOURCE)
    assert "TABLE DATA shop items" in listed and "TABLE DATA other noise" in listed
    recreate(postgres, RESTORED)
    client(postgres_server, "pg_restore", "--exit-on-error", f"--dbname={RESTORED}",
           str(target), database=RESTORED)
    assert select(postgres_server, RESTORED, ITEMS) == select(postgres_server, SOURCE, ITEMS)


def test_schemas_and_tables_choose_exactly_what_is_dumped(source, postgres_server,
                                                          pg_connection, pg_secrets, out):
    outcome = backup(params(pg_connection, out, "schema.sql", compress=False,
                            schemas=["shop"]), pg_secrets)
    assert outcome.result == "Succeeded", outcome.message
    text = (out / "schema.sql").read_text()
    assert "CREATE TABLE shop.items" in text and 'CREATE TABLE shop."Items"' in text
    assert "other.noise" not in text

    outcome = backup(params(pg_connection, out, "table.sql", compress=False,
                            tables=["shop.items"]), pg_secrets)
    assert outcome.result == "Succeeded", outcome.message
    text = (out / "table.sql").read_text()
    assert "CREATE TABLE shop.items" in text
    assert '"Items"' not in text and "other.noise" not in text


def test_a_missing_table_fails_with_pg_dumps_message_and_leaves_nothing(
    source, pg_connection, pg_secrets, out
):
    raw = params(pg_connection, out, tables=["shop.nope"])
    planned = backup(raw, pg_secrets, dry_run=True)
    assert planned.result == "Failed" and "'shop.nope' does not exist" in planned.message
    outcome = backup(raw, pg_secrets)
    assert outcome.result == "Failed"
    assert "pg_dump failed" in outcome.message and "no matching tables" in outcome.message
    assert list(out.iterdir()) == []


def test_wrong_password_is_a_clear_failure_and_leaves_nothing(source, pg_connection, out,
                                                              caplog):
    caplog.set_level(logging.DEBUG)
    wrong = "wr0ng-" + secrets.token_hex(8)
    outcome = backup(params(pg_connection, out), lambda ref: wrong)
    assert outcome.result == "Failed"
    assert "pg_dump failed" in outcome.message
    assert "password authentication failed" in outcome.message
    assert "running pg_dump" in caplog.text  # the logs were captured, and hold no password
    assert wrong not in outcome.message and wrong not in caplog.text
    assert list(out.iterdir()) == []


def test_dry_run_checks_the_server_and_the_tool_and_changes_nothing(
    source, pg_connection, pg_secrets, out
):
    (out / "shop-2026-01-01.sql.gz").write_bytes(b"old")
    (out / "shop-2026-01-01.sql.gz.keep").write_bytes(b"unrelated")
    (out / OWNED).write_text('["shop-2026-01-01.sql.gz"]')
    outcome = backup(params(pg_connection, out, keep=1, schemas=["shop"]), pg_secrets,
                     dry_run=True)
    assert outcome.result == "Succeeded", outcome.message
    assert outcome.outputs["tool"].startswith("pg_dump (PostgreSQL) ")
    assert outcome.outputs["wouldDelete"] == ["shop-2026-01-01.sql.gz"]
    assert backups_in(out) == ["shop-2026-01-01.sql.gz", "shop-2026-01-01.sql.gz.keep"]
    refused = backup(params(pg_connection, out, schemas=["nope"]), pg_secrets, dry_run=True)
    assert refused.result == "Failed" and "schema 'nope' does not exist" in refused.message
    wrong = backup(params(pg_connection, out), lambda ref: "wrong", dry_run=True)
    assert wrong.result == "Failed" and "password authentication failed" in wrong.message


def test_keep_one_replaces_the_previous_backup(source, pg_connection, pg_secrets, out):
    first = backup(params(pg_connection, out, "shop-{runId}.sql.gz", keep=1), pg_secrets,
                   run_id="one")
    assert first.result == "Succeeded", first.message
    second = backup(params(pg_connection, out, "shop-{runId}.sql.gz", keep=1), pg_secrets,
                    run_id="two")
    assert second.result == "Succeeded", second.message
    assert second.outputs["deleted"] == ["shop-one.sql.gz"]
    assert backups_in(out) == ["shop-two.sql.gz"]


@pytest.fixture
def table_locked(source, postgres_server) -> Iterator[None]:
    """``shop.items`` locked ACCESS EXCLUSIVE in a transaction held open by the test, so a
    dump waits for it; afterwards the dump's orphaned backend is ended."""
    with psycopg.connect(**{**postgres_server.dsn(), "dbname": SOURCE}) as holder:  # type: ignore[arg-type]
        holder.execute("LOCK TABLE shop.items IN ACCESS EXCLUSIVE MODE")
        yield
        holder.rollback()
    with connect(postgres_server, SOURCE) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE application_name = 'dynamicjobs-backup'")


OWNED = ".dynamicjobs-backups-local.local.json"
"""The list of backups a local run (no job, no namespace) wrote in a directory."""


def backups_in(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name != OWNED)


def waiting_dumps(server: PostgresServer) -> int:
    rows = select(server, SOURCE, "SELECT count(*) FROM pg_stat_activity WHERE "
                                  "application_name = 'dynamicjobs-backup' AND "
                                  "wait_event_type = 'Lock'")
    return int(rows[0][0])


def test_the_deadline_kills_a_dump_waiting_on_a_lock(table_locked, postgres_server,
                                                     pg_connection, pg_secrets, out):
    outcome = backup(params(pg_connection, out), pg_secrets, timeout_seconds=3)
    assert outcome.result == "TimedOut", outcome.message
    assert (outcome.finished_at - outcome.started_at).total_seconds() < 8
    assert list(out.iterdir()) == []
    wait_for(lambda: waiting_dumps(postgres_server) == 0, timeout=10,
             what="the dump's server session to end (pg_dump cancels it on SIGTERM)")


class CancelWhenPgDumpStarts(logging.Handler):
    def __init__(self, cancelled: threading.Event) -> None:
        super().__init__()
        self.cancelled = cancelled

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage() == "running pg_dump":
            self.cancelled.set()


def test_cancellation_kills_the_dump(table_locked, pg_connection, pg_secrets, out, caplog):
    """The run is cancelled as pg_dump starts; with the table locked it could never finish,
    so only killing it ends the run as Cancelled (not TimedOut at the deadline)."""
    cancelled = threading.Event()
    handler = CancelWhenPgDumpStarts(cancelled)
    logger = logging.getLogger("dynamicjobs.template.backup")
    caplog.set_level(logging.INFO, logger=logger.name)
    logger.addHandler(handler)
    try:
        outcome = backup(params(pg_connection, out), pg_secrets, timeout_seconds=20,
                         cancelled=cancelled)
    finally:
        logger.removeHandler(handler)
    assert outcome.result == "Cancelled", outcome.message
    assert (outcome.finished_at - outcome.started_at).total_seconds() < 15
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("name", ["x; touch {marker}", "$(touch {marker})", "`touch {marker}`",
                                  "x' || touch {marker} #", "host=localhost dbname=postgres"])
def test_hostile_database_names_are_only_names(postgres, postgres_server, pg_connection,
                                               pg_secrets, out, name):
    marker = Path(f"/tmp/djp-{secrets.token_hex(4)}")
    database = name.format(marker=marker)
    recreate(postgres, database)
    try:
        with connect(postgres_server, database) as conn:
            conn.execute("CREATE TABLE only_in_the_hostile_one (id int)")
        outcome = backup(params(pg_connection, out, "h.sql", database=database,
                                compress=False), pg_secrets)
        assert outcome.result == "Succeeded", outcome.message
        assert "CREATE TABLE public.only_in_the_hostile_one" in (out / "h.sql").read_text()
        assert not marker.exists()
    finally:
        postgres.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(database)))


@pytest.mark.parametrize("user", ["$(touch {marker})", "u; touch {marker}", "`touch {marker}`"])
def test_hostile_user_names_reach_the_server_verbatim(source, pg_connection, pg_secrets, out,
                                                      user):
    marker = Path(f"/tmp/djp-{secrets.token_hex(4)}")
    name = user.format(marker=marker)
    outcome = backup(params({**pg_connection, "user": name}, out), pg_secrets)
    assert outcome.result == "Failed"
    assert f'password authentication failed for user "{name}"' in outcome.message
    assert not marker.exists() and list(out.iterdir()) == []
