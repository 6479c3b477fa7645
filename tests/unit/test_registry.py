from __future__ import annotations

import importlib.metadata
import warnings
from typing import Any, ClassVar

import pytest
from pydantic import BaseModel, ConfigDict, Field, field_validator

from job_runner import registry
from job_runner.registry import (
    UnknownTemplate,
    get_template,
    installed_templates,
    validate_parameters,
)
from job_runner.template import RunContext, Template

BUILT_INS = {"heartbeat", "database-cleanup", "email-notification", "data-export",
             "webhook-trigger", "data-sync", "report-generation", "backup"}


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
    registry.clear_cache()
    yield
    registry.clear_cache()


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


def _problems(template: str, params: Any) -> dict[str, str]:
    found = validate_parameters(get_template(template), params)
    paths = [path for path, _ in found]
    assert len(paths) == len(set(paths)), f"a field is reported twice: {found}"
    return dict(found)


def _cleanup_params(**overrides: Any) -> dict[str, Any]:
    return {"connection": {"driver": "sqlite", "path": "/data/x.db"}, "table": "events",
            "timestampColumn": "created_at", "olderThanDays": 30, **overrides}


def _email_params(**smtp: Any) -> dict[str, Any]:
    return {"to": ["a@example.com"], "from": "b@example.com", "subject": "s", "body": "b",
            "smtp": {"host": "smtp.example.com", **smtp}}


def test_optional_string_reports_its_length_not_any_of():
    problems = _problems("heartbeat", {"message": "x" * 1000})
    assert problems == {"parameters.message": "longer than 256 characters (1000)"}


def test_optional_field_of_the_wrong_type_names_the_type():
    problems = _problems("heartbeat", {"message": 5})
    assert problems == {"parameters.message": "must be a string, not an integer"}


def test_long_values_are_cut_to_sixty_characters():
    problems = _problems("database-cleanup", _cleanup_params(table="t" * 1000))
    message = problems["parameters.table"]
    assert "does not match the pattern" in message
    assert "t" * 58 in message and "t" * 60 not in message and "…" in message
    assert len(message) < 200


def test_long_values_in_the_templates_own_messages_are_cut_too():
    params = _email_params()
    params["to"] = ["a" * 300]
    message = _problems("email-notification", params)["parameters.to[0]"]
    assert "is not a plain email address" in message
    assert "a" * 61 not in message and "…" in message


def test_an_unknown_field_is_named_once_with_the_known_ones():
    problems = _problems("heartbeat", {"message": "ok", "colour": "red"})
    assert problems == {"parameters.colour": "unknown field; known fields: message"}


def test_a_missing_field_is_reported_at_its_own_path():
    problems = _problems("database-cleanup", {"table": "events"})
    assert problems == {"parameters.connection": "required",
                        "parameters.timestampColumn": "required",
                        "parameters.olderThanDays": "required"}


def test_an_optional_secret_ref_reports_the_inner_field():
    problems = _problems("email-notification", _email_params(
        security="tls", password={"secretRef": {"name": "Not_A_Name", "key": "k"}}))
    assert list(problems) == ["parameters.smtp.password.secretRef.name"]
    assert problems["parameters.smtp.password.secretRef.name"].startswith(
        "'Not_A_Name' does not match the pattern")


def test_alternatives_of_plain_types_are_listed_once():
    params = _email_params()
    params["values"] = {"team": [1, 2]}
    assert _problems("email-notification", params) == {
        "parameters.values.team":
            "must be a boolean (true or false), an integer, a number or a string, not an array"
    }


def test_a_tagged_union_reports_the_tag_or_the_chosen_branch():
    wrong_tag = _problems("database-cleanup", _cleanup_params(connection={"driver": "mysql"}))
    assert wrong_tag == {
        "parameters.connection.driver": "must be one of 'postgresql', 'sqlite', 'mongodb'"}
    no_tag = _problems("database-cleanup", _cleanup_params(connection={"path": "/x.db"}))
    assert no_tag == {
        "parameters.connection.driver": "required: one of 'postgresql', 'sqlite', 'mongodb'"}
    branch = _problems("database-cleanup", _cleanup_params(
        connection={"driver": "postgresql", "host": "db", "database": "d", "user": "u",
                    "port": 0}))
    assert branch == {"parameters.connection.port": "must be at least 1, not 0"}


def test_pydantic_union_tags_are_not_part_of_the_path():
    problems = _problems("database-cleanup", _cleanup_params(
        connection={"driver": "sqlite", "path": "relative.db"}))
    assert problems == {"parameters.connection.path": "must be an absolute path without '..'"}


class _LowerParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(json_schema_extra={"pattern": "^[a-z]+$"}, description="Lowercase.")

    @field_validator("code")
    @classmethod
    def _lower(cls, value: str) -> str:
        if not value.islower():
            raise ValueError("use lowercase letters only")
        return value


class Lower(Other):
    name: ClassVar[str] = "lower"
    Parameters: ClassVar[type[BaseModel]] = _LowerParams


def test_where_both_object_the_templates_own_rule_wins_and_the_field_is_named_once():
    assert validate_parameters(Lower, {"code": "ABC"}) == [
        ("parameters.code", "use lowercase letters only")
    ]
    # Where pydantic's message is generic, the schema's (clearer) one is kept.
    assert validate_parameters(Lower, {"code": 5}) == [
        ("parameters.code", "must be a string, not an integer")
    ]


def test_a_union_reports_the_branch_that_takes_the_values_type():
    params = _email_params(security="tls", caCertificate={"secretRef": {"name": "Bad"}})
    problems = _problems("email-notification", params)
    assert problems == {
        "parameters.smtp.caCertificate.secretRef.key": "required",
        "parameters.smtp.caCertificate.secretRef.name":
            "'Bad' does not match the pattern ^[a-z0-9]([-a-z0-9]*[a-z0-9])?"
            "(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
    }
    wrong_type = _problems("email-notification", _email_params(security="tls", caCertificate=5))
    assert wrong_type == {
        "parameters.smtp.caCertificate": "must be an object, a string or null, not an integer"
    }
