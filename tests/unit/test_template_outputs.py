# ruff: noqa: F811  (fixtures imported from tests.backends.fixtures are parameters here)
"""Every built-in template's outputs are what its `Outputs` model declares.

Each template runs for real (SQLite files, PostgreSQL and FerretDB started by the tests,
an SMTP server and an HTTP server on loopback) along each path that shapes its outputs
(with and without a time window, SQL and MongoDB), and the outputs of the run must pass
the model strictly: no undeclared key, no value of another type, no missing key that every
run has. The reference (docs/reference/templates.md) renders the same models, so a test
failing here is a reference that would lie.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pydantic import BaseModel, ConfigDict, Field

from docsgen.templates import shipped_templates
from job_runner.execute import execute
from job_runner.secrets import env_secret_resolver, secret_env_name
from job_runner.template import RunContext, SecretRef, Template
from job_runner.templates.backup import Backup
from job_runner.templates.data_export import DataExport
from job_runner.templates.data_sync import DataSync
from job_runner.templates.database_cleanup import DatabaseCleanup
from job_runner.templates.email_notification import EmailNotification
from job_runner.templates.heartbeat import Heartbeat
from job_runner.templates.report_generation import ReportGeneration
from job_runner.templates.slack_notification import SlackNotification
from job_runner.templates.webhook_trigger import WebhookTrigger
from tests.backends.fixtures import (  # noqa: F401  (pytest fixtures)
    allow_loopback_webhooks,
    ferretdb_server,
    http_server,
    mongo_connection,
    mongo_db,
    pg_connection,
    pg_secrets,
    postgres,
    postgres_server,
    smtp_server,
)

RUN_HERE = (Heartbeat, DatabaseCleanup, DataExport, DataSync, ReportGeneration, Backup,
            EmailNotification, WebhookTrigger, SlackNotification)
"""The templates the tests below run; a new built-in template needs a run here."""


def no_secrets(ref: SecretRef) -> str:
    raise AssertionError("no secrets expected")


def checked(template: type[Template], params: dict[str, Any],
            secrets: Callable[[SecretRef], str] = no_secrets) -> dict[str, Any]:
    """Run ``template`` for real; its outputs must match its declared model."""
    outcome = execute(template, params, run_id="outputs-1", timeout_seconds=60,
                      secrets=secrets, job="outputs", namespace="tests")
    assert outcome.result == "Succeeded", outcome.message
    assert template.output_problems(outcome.outputs) == [], outcome.outputs
    return outcome.outputs


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "app.sqlite3"
    # Half a day off whole days: no row sits at a cutoff of whole days (the template takes
    # its own now, a moment later, and the row at exactly ten days then flipped sides).
    now = datetime.now(UTC) - timedelta(hours=12)
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, created_at TEXT, kind TEXT)")
        conn.executemany("INSERT INTO events VALUES (?, ?, ?)", [
            (i, (now - timedelta(days=i)).isoformat(), "a" if i % 2 else "b") for i in range(40)])
        conn.execute("CREATE TABLE copy (id INTEGER PRIMARY KEY, created_at TEXT, kind TEXT)")
    return path


@pytest.fixture
def out(tmp_path: Path) -> Path:
    directory = tmp_path / "out"
    directory.mkdir()
    return directory


def sqlite(path: Path) -> dict[str, Any]:
    return {"driver": "sqlite", "path": str(path)}


def test_heartbeat() -> None:
    assert checked(Heartbeat, {})["message"] is None
    assert checked(Heartbeat, {"message": "alive"})["message"] == "alive"


def test_database_cleanup(db: Path) -> None:
    outputs = checked(DatabaseCleanup, {"connection": sqlite(db), "table": "events",
                                        "timestampColumn": "created_at", "olderThanDays": 10,
                                        "batchSize": 7})
    assert outputs["deleted"] == 30 and outputs["batches"] == 5


def test_data_export(db: Path, out: Path) -> None:
    for fmt, gzip in (("csv", True), ("jsonl", False)):
        outputs = checked(DataExport, {
            "source": {"connection": sqlite(db), "table": "events"}, "format": fmt,
            "gzip": gzip, "destination": {"directory": str(out), "filename": f"e.{fmt}"}})
        assert outputs["rows"] == 40


@pytest.mark.parametrize("window", [None, {"column": "created_at", "lookbackMinutes": 7200}])
def test_data_sync(db: Path, window: dict[str, Any] | None) -> None:
    source: dict[str, Any] = {"connection": sqlite(db), "table": "events"}
    if window:
        source["modifiedAfter"] = window
    outputs = checked(DataSync, {"source": source, "key": ["id"],
                                 "destination": {"connection": sqlite(db), "table": "copy"}})
    assert ("windowStart" in outputs) == bool(window)


@pytest.mark.parametrize("since", [None, {"column": "created_at", "lookbackHours": 240}])
@pytest.mark.parametrize("fmt", ["csv", "markdown", "html"])
def test_report_generation(db: Path, out: Path, since: dict[str, Any] | None,
                           fmt: str) -> None:
    params: dict[str, Any] = {
        "connection": sqlite(db), "table": "events", "groupBy": ["kind"],
        "metrics": [{"function": "count", "as": "events"}], "format": fmt,
        "destination": {"directory": str(out), "filename": "r-{date}.txt"}}
    if since:
        params["since"] = since
    outputs = checked(ReportGeneration, params)
    assert outputs["columns"] == ["kind", "events"]
    assert ("windowStart" in outputs) == bool(since)


@pytest.mark.parametrize("compress", [True, False])
def test_backup_sqlite(db: Path, out: Path, compress: bool) -> None:
    for _ in range(3):  # the third run expires the first with keep: 2
        outputs = checked(Backup, {
            "connection": sqlite(db), "keep": 2, "compress": compress,
            "destination": {"directory": str(out),
                            "filename": "app-{runId}-{time}.db" + (".gz" if compress else "")}})
    assert outputs["format"] == "sqlite" and outputs["compressed"] is compress


@pytest.mark.parametrize("fmt", ["plain", "custom"])
def test_backup_postgres(postgres: Any, pg_connection: dict[str, Any], pg_secrets: Any,
                         out: Path, fmt: str) -> None:
    postgres.execute("CREATE TABLE IF NOT EXISTS outputs_check (id int PRIMARY KEY)")
    filename = "pg-{time}.sql.gz" if fmt == "plain" else "pg-{time}.dump"
    outputs = checked(Backup, {"connection": pg_connection, "format": fmt,
                               "destination": {"directory": str(out), "filename": filename}},
                      pg_secrets)
    assert outputs["format"] == fmt


def test_backup_and_sync_mongo(mongo_db: Any, mongo_connection: dict[str, Any],
                               out: Path) -> None:
    mongo_db.tickets.insert_many([{"ref": i, "state": "open"} for i in range(5)])
    outputs = checked(Backup, {"connection": mongo_connection, "consistency": "collection",
                               "destination": {"directory": str(out),
                                               "filename": "m-{time}.tar.gz"}})
    assert outputs["format"] == "mongodump-tar" and outputs["documents"] == {"tickets": 5}
    mongo_db.copies.create_index("ref", unique=True)
    outputs = checked(DataSync, {
        "source": {"connection": mongo_connection, "table": "tickets"},
        "destination": {"connection": mongo_connection, "table": "copies"}, "key": ["ref"]})
    assert outputs["columns"] == "whole documents"


def test_email_notification(smtp_server: Any) -> None:
    outputs = checked(EmailNotification, {
        "to": ["ops@example.com"], "from": "jobs@example.com", "subject": "s", "body": "b",
        "smtp": {"host": smtp_server.host, "port": smtp_server.port, "security": "none"}})
    assert outputs["recipients"] == 1 and outputs["refused"] == []


def test_webhook_trigger(http_server: Any, allow_loopback_webhooks: None) -> None:
    outputs = checked(WebhookTrigger, {"url": f"{http_server.url}/hook"})
    assert outputs["status"] == 200


def test_slack_notification(http_server: Any, allow_loopback_webhooks: None) -> None:
    ref = SecretRef.model_validate({"secretRef": {"name": "slack", "key": "url"}})
    secrets = env_secret_resolver({secret_env_name(ref): f"{http_server.url}/services/T/B/x"})
    outputs = checked(SlackNotification, {"webhookUrl": ref.model_dump(by_alias=True),
                                          "text": "t"}, secrets)
    assert outputs == {"status": 200, "tries": 1}


def test_every_shipped_template_declares_described_outputs_and_runs_here() -> None:
    for name, template in shipped_templates().items():
        assert template.Outputs is not None, f"{name} declares no Outputs"
        assert template.Outputs.model_config.get("extra") == "forbid", name
        schema = template.outputs_schema()
        assert schema is not None
        undescribed = [key for key, field in schema["properties"].items()
                       if not field.get("description")]
        assert not undescribed, f"{name}: outputs without a description: {undescribed}"
    assert {t.name for t in RUN_HERE} == set(shipped_templates())


# ---------------------------------------------------------------- the check itself

class _Declared(BaseModel):
    model_config = ConfigDict(extra="forbid")
    count: int = Field(description="A count.")


class _Sloppy(Template[BaseModel]):
    name: ClassVar[str] = "sloppy"
    version: ClassVar[str] = "0.0.1"
    description: ClassVar[str] = "Returns an output its model does not declare."
    Parameters: ClassVar[type[BaseModel]] = type("P", (BaseModel,), {})
    Outputs: ClassVar[type[BaseModel] | None] = _Declared
    examples: ClassVar[list[dict[str, Any]]] = [{}]

    def plan(self, params: BaseModel, ctx: RunContext) -> dict[str, Any]:
        return {"wouldCount": 1}

    def run(self, params: BaseModel, ctx: RunContext) -> dict[str, Any]:
        return {"count": "3", "extra": True}


class _Undeclared(_Sloppy):
    Outputs: ClassVar[type[BaseModel] | None] = None


def test_the_check_names_undeclared_and_mistyped_outputs() -> None:
    problems = _Sloppy.output_problems({"count": "3", "extra": True})
    assert any(p.startswith("count:") for p in problems), problems
    assert any(p.startswith("extra:") for p in problems), problems
    assert _Sloppy.output_problems({}) == ["count: Field required"]
    assert _Sloppy.output_problems({"count": 3}) == []


def test_a_run_with_undeclared_outputs_succeeds_and_logs_a_warning(
        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="dynamicjobs.template.sloppy"):
        outcome = execute(_Sloppy, {}, run_id="r", timeout_seconds=10, secrets=no_secrets)
    assert outcome.result == "Succeeded" and outcome.outputs == {"count": "3", "extra": True}
    [warning] = [r for r in caplog.records if "declared Outputs" in r.getMessage()]
    assert len(warning.problems) == 2  # type: ignore[attr-defined]


def test_a_dry_run_and_a_template_without_outputs_are_not_checked(
        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        planned = execute(_Sloppy, {}, run_id="r", timeout_seconds=10, secrets=no_secrets,
                          dry_run=True)
        undeclared = execute(_Undeclared, {}, run_id="r", timeout_seconds=10,
                             secrets=no_secrets)
    assert planned.result == undeclared.result == "Succeeded"
    assert _Undeclared.outputs_schema() is None and _Undeclared.output_problems({"x": 1}) == []
    assert not [r for r in caplog.records if "declared Outputs" in r.getMessage()]
