"""A lone surrogate in a parameter string (issue 8, point 7): JSON's "\\ud800" decodes to
a str no encoding can write, which passed validation and failed later in smtplib or the
database driver as a raw UnicodeEncodeError. Now it is a problem naming the field."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from job_operator.runs.overrides import FIELD, requested_overrides
from job_runner.execute import execute
from job_runner.templates.data_export import DataExport
from job_runner.templates.email_notification import EmailNotification
from job_runner.toolkit.unicode import surrogate_problems

LONE = json.loads('"a\\ud800b"')


def no_secrets(ref: object) -> str:
    raise AssertionError("no secrets expected")


def test_email_values_with_a_lone_surrogate_name_the_field() -> None:
    params = {"to": ["ops@example.com"], "from": "jobs@example.com", "subject": "s {x}",
              "body": "b {x}", "values": {"x": LONE},
              "smtp": {"host": "127.0.0.1", "port": 1, "security": "none"}}
    outcome = execute(EmailNotification, params, run_id="r", timeout_seconds=10,
                      secrets=no_secrets)
    assert outcome.result == "Failed"
    assert "UnicodeEncodeError" not in outcome.message
    assert "parameters.values.x" in outcome.message and "lone surrogate" in outcome.message


def test_a_filter_value_with_a_lone_surrogate_names_the_field(tmp_path: Path) -> None:
    database = tmp_path / "a.sqlite3"
    with sqlite3.connect(database) as conn:
        conn.execute("CREATE TABLE t (id INTEGER, kind TEXT)")
    conn.close()
    params = {"source": {"connection": {"driver": "sqlite", "path": str(database)},
                         "table": "t",
                         "filters": [{"column": "kind", "op": "in", "value": ["ok", LONE]}]},
              "destination": {"directory": str(tmp_path), "filename": "e.csv"}}
    outcome = execute(DataExport, params, run_id="r", timeout_seconds=10, secrets=no_secrets)
    assert outcome.result == "Failed"
    assert "UnicodeEncodeError" not in outcome.message
    assert "parameters.source.filters[0].value" in outcome.message
    assert "\\ud800 at character 1" in outcome.message


def test_overrides_with_a_lone_surrogate_are_refused_naming_the_field() -> None:
    body: dict[str, Any] = {"metadata": {"annotations": {
        "dynamicjobs.io/run-parameters": '{"message": "ok", "values": {"x": "a\\ud800"}}'}}}
    overrides, problems = requested_overrides(body)
    assert overrides == {}
    assert [p.field for p in problems] == [f"{FIELD}.values.x"]
    assert "lone surrogate" in problems[0].message


def test_the_walk_finds_keys_and_list_items_and_nothing_in_valid_text() -> None:
    value = {"ok": ["fine", "ünïcødé 🙂"], LONE: 1, "list": [1, LONE]}
    assert [path for path, _ in surrogate_problems(value, "p")] == ["p", "p.list[1]"]
    assert surrogate_problems({"a": "🙂", "b": [None, 1.5]}, "p") == []
