"""What the webhook checks on create and on update."""

from __future__ import annotations

from typing import Any

from job_operator.admission.webhook import admission_problems

SPEC = {"template": "webhook-trigger", "schedule": "0 3 * * *", "parameters": {
    "url": "https://hooks.example.com/x",
    "headers": {"Authorization": {"secretRef": {"name": "token", "key": "t"}}}}}


def _body(spec: dict[str, Any], **labels: str) -> dict[str, Any]:
    return {"apiVersion": "dynamicjobs.io/v1alpha1", "kind": "DynamicJob",
            "metadata": {"name": "hook", "namespace": "ns", "labels": labels}, "spec": spec}


def test_a_new_spec_is_checked_with_the_users_secret_access() -> None:
    asked: list[tuple[str, str]] = []

    def deny(namespace: str, name: str) -> str:
        asked.append((namespace, name))
        return "denied"

    problems = admission_problems(_body(SPEC), None, deny)
    assert asked == [("ns", "token")] and problems
    changed = {**SPEC, "schedule": "0 4 * * *"}
    assert admission_problems(_body(changed), _body(SPEC), deny)


def test_an_update_that_keeps_the_spec_is_let_through_even_if_rules_changed() -> None:
    def must_not_ask(namespace: str, name: str) -> str:
        raise AssertionError("no Secret check for an unchanged spec")

    invalid_now = {**SPEC, "template": "retired-template"}
    assert admission_problems(_body(invalid_now, team="a"), _body(invalid_now),
                              must_not_ask) == []
