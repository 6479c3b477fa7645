"""Every rule names the field at fault; all problems are reported at once."""

from __future__ import annotations

from typing import Any

import pytest

from job_operator.validation import validate_dynamicjob


def _body(name: str = "nightly", **spec: Any) -> dict[str, Any]:
    base = {"template": "heartbeat", "schedule": "0 3 * * *"}
    return {"apiVersion": "dynamicjobs.io/v1alpha1", "kind": "DynamicJob",
            "metadata": {"name": name, "namespace": "team-a"}, "spec": {**base, **spec}}


def _fields(body: dict[str, Any], **kwargs: Any) -> list[str]:
    return [problem.field for problem in validate_dynamicjob(body, **kwargs).problems]


def test_a_valid_job_has_no_problems() -> None:
    assert validate_dynamicjob(_body(parameters={"message": "hi"}, timeZone="UTC")).problems == []


def test_all_problems_are_reported_each_with_its_field() -> None:
    problems = validate_dynamicjob(_body(
        name="x" * 53, template="no-such-template", schedule="0 3 * * 7",
        timeZone="Mars/Olympus", tags={"bad key!": "v"},
    )).problems
    fields = {p.field for p in problems}
    assert {"metadata.name", "spec.template", "spec.schedule", "spec.timeZone",
            "spec.tags.bad key!"} <= fields
    template = next(p for p in problems if p.field == "spec.template")
    assert "heartbeat" in template.message and "database-cleanup" in template.message


def test_parameters_are_checked_against_the_templates_schema() -> None:
    fields = _fields(_body(parameters={"message": "x" * 1000, "colour": "red"}))
    assert any(f.startswith("spec.parameters") for f in fields)


def test_structural_problems_name_the_camel_case_path() -> None:
    fields = _fields(_body(retries={"limit": 99}, concurrencyPolicy="Sometimes"))
    assert "spec.retries.limit" in fields
    assert "spec.concurrencyPolicy" in fields


def test_oversize_and_deeply_nested_specs_are_refused() -> None:
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(20):
        node["a"] = {}
        node = node["a"]
    assert "spec.parameters" in _fields(_body(parameters=deep))
    assert "spec" in _fields(_body(parameters={"blob": "x" * 70_000}))


def test_a_secret_the_user_may_not_read_is_refused_and_named() -> None:
    body = _body(template="webhook-trigger", parameters={
        "url": "https://hooks.example.com/x", "method": "POST",
        "headers": {"Authorization": {"secretRef": {"name": "other-team", "key": "token"}}},
    })
    asked: list[tuple[str, str]] = []

    def deny(namespace: str, name: str) -> str | None:
        asked.append((namespace, name))
        return "RBAC: access denied"

    problems = validate_dynamicjob(body, may_read_secret=deny).problems
    assert asked == [("team-a", "other-team")]
    assert [p.field for p in problems] == ["spec.parameters.headers.Authorization.secretRef"]
    assert "other-team" in problems[0].message
    assert validate_dynamicjob(body, may_read_secret=lambda ns, n: None).problems == []


def test_structural_problems_do_not_hide_the_others() -> None:
    problems = validate_dynamicjob(_body(retries={"limit": 99}, schedule="61 * * * *",
                                         timeZone="Mars/Olympus", template="no-such")).problems
    fields = [p.field for p in problems]
    assert {"spec.retries.limit", "spec.schedule", "spec.timeZone", "spec.template"} <= set(fields)
    limit = next(p for p in problems if p.field == "spec.retries.limit")
    assert limit.message == "must be at most 10, not 99"


def test_malformed_shapes_are_refused_not_crashed_on() -> None:
    assert _fields({"metadata": None, "spec": {}}) == ["metadata"]
    assert _fields({"metadata": {"name": "x"}, "spec": None}) == ["spec"]
    fields = _fields({"metadata": {"name": 5}, "spec": {"schedule": 7, "parameters": []}})
    assert {"metadata.name", "spec.template", "spec.schedule", "spec.parameters"} <= set(fields)


def test_a_valid_job_comes_back_parsed_with_its_schedule() -> None:
    validated = validate_dynamicjob(_body(parameters={"message": "hi"}, timeZone="Europe/Berlin"))
    assert validated.valid and validated.job is not None and validated.schedule is not None
    assert validated.job.spec.parameters == {"message": "hi"}
    assert (validated.schedule.expression, validated.schedule.time_zone) == (
        "0 3 * * *", "Europe/Berlin")


def test_an_invalid_job_has_no_parsed_job_but_keeps_a_valid_schedule() -> None:
    validated = validate_dynamicjob(_body(template="no-such-template"))
    assert validated.job is None and not validated.valid
    assert validated.schedule is not None and validated.schedule.description
    assert validate_dynamicjob(_body(schedule="61 * * * *")).schedule is None


@pytest.mark.parametrize("name", ["Nightly", "nightly_export", "-nightly", "nightly.", "a..b",
                                  "ni ghtly", "nightly\u00e9"])
def test_a_name_the_api_server_refuses_is_named(name: str) -> None:
    [problem] = validate_dynamicjob(_body(name=name)).problems
    assert problem.field == "metadata.name"
    assert "DNS-1123 subdomain" in problem.message


@pytest.mark.parametrize("name", ["nightly", "a", "nightly-export.v2", "0day", "x" * 52])
def test_names_the_api_server_accepts_pass(name: str) -> None:
    assert validate_dynamicjob(_body(name=name)).problems == []


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.mark.parametrize("depth", [17, 1_000, 100_000])
def test_hostile_nesting_is_a_problem_not_a_recursion_error(depth: int) -> None:
    validated = validate_dynamicjob(_body(parameters={"message": "hi", "x": _nested(depth)}))
    assert [(p.field, p.message) for p in validated.problems] == [
        ("spec.parameters", "nested deeper than 16 levels of objects and lists; flatten it")]
    assert validated.job is None


def test_nesting_is_checked_in_notifiers_and_elsewhere_in_the_spec() -> None:
    notifier = {"template": "heartbeat", "parameters": {"x": _nested(1_000)}}
    fields = _fields(_body(notifications={"onFailure": [notifier]}))
    assert fields == ["spec.notifications.onFailure[0].parameters"]
    assert _fields(_body(retries=_nested(1_000))) == ["spec"]


def test_sixteen_levels_of_parameters_are_allowed() -> None:
    sixteen = {"message": "hi", "x": _nested(14)}  # parameters, x, 14 more: 16 objects
    seventeen = {"message": "hi", "x": _nested(15)}
    allowed = validate_dynamicjob(_body(parameters=sixteen)).problems
    assert [p.field for p in allowed] == ["spec.parameters.x"]  # heartbeat has no x: the
    assert "unknown field" in allowed[0].message  # schema was checked, so depth passed
    assert _fields(_body(parameters=seventeen)) == ["spec.parameters"]
