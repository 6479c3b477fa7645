"""Every rule names the field at fault; all problems are reported at once."""

from __future__ import annotations

from typing import Any

from job_operator.validation import validate_dynamicjob


def _body(name: str = "nightly", **spec: Any) -> dict[str, Any]:
    base = {"template": "heartbeat", "schedule": "0 3 * * *"}
    return {"apiVersion": "dynamicjobs.io/v1alpha1", "kind": "DynamicJob",
            "metadata": {"name": name, "namespace": "team-a"}, "spec": {**base, **spec}}


def _fields(body: dict[str, Any], **kwargs: Any) -> list[str]:
    return [problem.field for problem in validate_dynamicjob(body, **kwargs)]


def test_a_valid_job_has_no_problems() -> None:
    assert validate_dynamicjob(_body(parameters={"message": "hi"}, timeZone="UTC")) == []


def test_all_problems_are_reported_each_with_its_field() -> None:
    problems = validate_dynamicjob(_body(
        name="x" * 53, template="no-such-template", schedule="0 3 * * 7",
        timeZone="Mars/Olympus", tags={"bad key!": "v"},
    ))
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

    problems = validate_dynamicjob(body, may_read_secret=deny)
    assert asked == [("team-a", "other-team")]
    assert [p.field for p in problems] == ["spec.parameters.headers.Authorization.secretRef"]
    assert "other-team" in problems[0].message
    assert validate_dynamicjob(body, may_read_secret=lambda ns, n: None) == []


def test_structural_problems_do_not_hide_the_others() -> None:
    problems = validate_dynamicjob(_body(retries={"limit": 99}, schedule="61 * * * *",
                                         timeZone="Mars/Olympus", template="no-such"))
    fields = [p.field for p in problems]
    assert {"spec.retries.limit", "spec.schedule", "spec.timeZone", "spec.template"} <= set(fields)
    limit = next(p for p in problems if p.field == "spec.retries.limit")
    assert limit.message == "must be at most 10, not 99"


def test_malformed_shapes_are_refused_not_crashed_on() -> None:
    assert [p.field for p in validate_dynamicjob({"metadata": None, "spec": {}})] == ["metadata"]
    assert [p.field for p in validate_dynamicjob({"metadata": {"name": "x"}, "spec": None})] == [
        "spec"]
    fields = _fields({"metadata": {"name": 5}, "spec": {"schedule": 7, "parameters": []}})
    assert {"metadata.name", "spec.template", "spec.schedule", "spec.parameters"} <= set(fields)
