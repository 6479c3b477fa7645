from __future__ import annotations

import importlib.metadata
import warnings
from typing import Any, ClassVar

import pytest
from pydantic import BaseModel

from job_runner import registry
from job_runner.registry import (
    UnknownTemplate,
    get_template,
    installed_templates,
    validate_parameters,
)
from job_runner.template import RunContext, Template

BUILT_INS = {"heartbeat", "database-cleanup", "email-notification", "data-export",
             "webhook-trigger"}


class _Params(BaseModel):
    pass


class Other(Template[_Params]):
    name: ClassVar[str] = "other"
    version: ClassVar[str] = "0.1.0"
    description: ClassVar[str] = "test plugin"
    Parameters: ClassVar[type[BaseModel]] = _Params
    examples: ClassVar[list[dict[str, Any]]] = [{}]

    def plan(self, params: _Params, ctx: RunContext) -> dict[str, Any]:
        return {}

    def run(self, params: _Params, ctx: RunContext) -> dict[str, Any]:
        return {}


@pytest.fixture(autouse=True)
def fresh_cache():
    installed_templates.cache_clear()
    yield
    installed_templates.cache_clear()


def fake_entry_points(monkeypatch, *specs: tuple[str, str]) -> None:
    points = [
        importlib.metadata.EntryPoint(name, value, registry.ENTRY_POINT_GROUP)
        for name, value in specs
    ]

    def entry_points(*, group: str):
        assert group == registry.ENTRY_POINT_GROUP
        return points

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)


def test_built_ins_are_found_through_entry_points():
    templates = installed_templates()
    assert BUILT_INS <= set(templates)
    for name, template in templates.items():
        assert template.name == name


def test_unknown_template_lists_installed_names():
    with pytest.raises(UnknownTemplate) as caught:
        get_template("no-such-template")
    message = str(caught.value)
    assert "no-such-template" in message
    for name in BUILT_INS:
        assert name in message


def test_broken_plugin_warns_and_others_still_load(monkeypatch):
    fake_entry_points(
        monkeypatch,
        ("heartbeat", "job_runner.templates.heartbeat:Heartbeat"),
        ("broken", "job_runner.templates.does_not_exist:Nope"),
        ("not-a-template", "json:dumps"),
    )
    with pytest.warns(RuntimeWarning) as caught:
        templates = installed_templates()
    assert list(templates) == ["heartbeat"]
    messages = " ".join(str(w.message) for w in caught)
    assert "'broken'" in messages and "failed to load" in messages
    assert "'not-a-template'" in messages and "is not a Template" in messages


def test_duplicate_name_warns_and_first_wins(monkeypatch):
    fake_entry_points(
        monkeypatch,
        ("other", f"{__name__}:Other"),
        ("other", "job_runner.templates.heartbeat:Heartbeat"),
    )
    with pytest.warns(RuntimeWarning, match="installed twice"):
        templates = installed_templates()
    assert templates["other"] is Other


def test_identical_duplicates_are_silent(monkeypatch):
    fake_entry_points(
        monkeypatch, ("other", f"{__name__}:Other"), ("other", f"{__name__}:Other")
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert installed_templates()["other"] is Other


def test_discovery_is_cached(monkeypatch):
    calls = []
    real = importlib.metadata.entry_points

    def counting(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(importlib.metadata, "entry_points", counting)
    installed_templates()
    installed_templates()
    assert len(calls) == 1


def test_validate_parameters_names_the_field():
    cleanup = get_template("database-cleanup")
    params = {
        "connection": {"driver": "sqlite", "path": "/data/x.db"},
        "table": "t; DROP TABLE users",
        "timestampColumn": "created_at",
        "olderThanDays": 0,
    }
    problems = dict(validate_parameters(cleanup, params))
    assert "parameters.table" in problems
    assert "parameters.olderThanDays" in problems


def test_validate_parameters_reports_pydantic_only_rules():
    email = get_template("email-notification")
    params = {
        "to": ["a@example.com"], "from": "b@example.com", "subject": "hi {who}",
        "body": "x", "smtp": {"host": "smtp.example.com"},
    }
    problems = validate_parameters(email, params)
    assert problems and "{who}" in problems[0][1]


def test_valid_parameters_give_no_problems():
    assert validate_parameters(get_template("heartbeat"), {"message": "ok"}) == []
    assert validate_parameters(get_template("heartbeat"), []) != []
