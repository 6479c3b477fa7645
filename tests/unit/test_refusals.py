"""A DynamicJob the API server refuses is Stalled with the server's reason, not retried
forever, and a Warning Event says so (issue 8, break 5)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import kopf
from kubernetes.client.exceptions import ApiException

from job_operator.controller.conditions import MAX_MESSAGE
from job_operator.controller.context import Context, reconcile_and_report
from job_operator.controller.reconcile import reconcile
from job_operator.settings import Settings
from tests.unit.fakes import FakeKube

SETTINGS = Settings.from_env({})
NOW = datetime(2026, 11, 28, 10, 0, 30, tzinfo=UTC)
MEMORY_REFUSAL = (
    'CronJob.batch "beat" is invalid: spec.jobTemplate.spec.template.spec.containers[0]'
    '.resources.requests: Invalid value: "512Mi": must be less than or equal to memory '
    "limit of 256Mi")
ETCD_LIMIT = 1_572_864
"""etcd's default largest request (1.5 MiB)."""


def _api_error(status: int, message: str) -> ApiException:
    error = ApiException(status=status, reason="Unprocessable Entity")
    error.body = json.dumps({"kind": "Status", "status": "Failure", "message": message,
                             "code": status})
    return error


class RefusingKube(FakeKube):
    """Refuses what the real API server refuses: a CronJob whose memory request is above
    its limit (422), and a status larger than ``status_limit`` bytes."""

    def __init__(self, dynamicjob: dict[str, Any], status_limit: int = ETCD_LIMIT) -> None:
        super().__init__(dynamicjob)
        self.status_limit = status_limit
        self.attempts: list[str] = []

    def writing(self, obj: Any) -> None:
        self.attempts.append(f"write {obj['kind']}")
        if obj["kind"] == "CronJob":
            resources = obj["spec"]["jobTemplate"]["spec"]["template"]["spec"][
                "containers"][0]["resources"]
            if resources["requests"]["memory"] == "512Mi" and resources["limits"][
                    "memory"] == "256Mi":
                raise _api_error(422, MEMORY_REFUSAL)

    def patch_status(self, kind: str, namespace: str | None, name: str,
                     status: Any) -> dict[str, Any]:
        self.attempts.append("status")
        size = len(json.dumps({**self.dynamicjob, "status": status}))
        if size > self.status_limit:
            raise _api_error(500, "etcdserver: request is too large")
        return super().patch_status(kind, namespace, name, status)


def _dynamicjob(generation: int = 1, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "dynamicjobs.io/v1alpha1", "kind": "DynamicJob",
        "metadata": {"name": "beat", "namespace": "ns", "uid": "u", "generation": generation},
        "spec": {"template": "heartbeat", "schedule": "* * * * *", **spec},
    }


OVER_THE_LIMIT = {"resources": {"requests": {"memory": "512Mi"}, "limits": {"memory": "256Mi"}}}


def _conditions(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["type"]: c for c in body["status"]["conditions"]}


def test_a_cronjob_the_api_server_refuses_stalls_the_job_with_its_reason() -> None:
    body = _dynamicjob(**OVER_THE_LIMIT)
    kube = RefusingKube(body)
    outcome = reconcile(body, kube, SETTINGS, NOW)
    assert outcome.problems and outcome.ready_changed
    conditions = _conditions(body)
    stalled = conditions["Stalled"]
    assert (stalled["status"], stalled["reason"]) == ("True", "Refused")
    assert stalled["message"] == f"the API server refused CronJob/beat: {MEMORY_REFUSAL}"
    assert (conditions["Ready"]["status"], conditions["Ready"]["reason"]) == ("False", "Refused")


def test_a_refused_job_is_not_tried_again_until_its_spec_changes() -> None:
    body = _dynamicjob(**OVER_THE_LIMIT)
    kube = RefusingKube(body)
    reconcile(body, kube, SETTINGS, NOW)
    kube.attempts.clear()
    for _ in range(3):  # resync passes, a restart's resume
        again = reconcile(body, kube, SETTINGS, NOW)
        assert again.problems and not again.ready_changed
    assert kube.attempts == [], "the same request would only be refused again"
    fixed = {**_dynamicjob(generation=2), "status": body["status"]}
    kube.dynamicjob = fixed
    outcome = reconcile(fixed, kube, SETTINGS, NOW)
    assert not outcome.problems and "CronJob/beat" in outcome.created
    assert _conditions(fixed)["Ready"]["status"] == "True"


def test_the_refusal_is_told_in_a_warning_event() -> None:
    body = _dynamicjob(**OVER_THE_LIMIT)
    kube = RefusingKube(body)
    events: list[tuple[bool, str, str]] = []

    def post(_: kopf.Body, warning: bool, reason: str, message: str) -> None:
        events.append((warning, reason, message))

    reconcile_and_report(Context(kube, SETTINGS), kopf.Body(copy.deepcopy(body)), post)
    warnings = [(reason, message) for warning, reason, message in events if warning]
    assert len(warnings) == 1
    assert warnings[0][0] == "Refused"
    assert "the API server refused CronJob/beat" in warnings[0][1]
    assert "must be less than or equal to memory limit" in warnings[0][1]


def test_thousands_of_bad_parameters_still_give_a_status_the_api_server_stores() -> None:
    """As with 10,000 parameters: long names make fewer do (validation takes its time)."""
    body = _dynamicjob(parameters={f"p{i:04}" + "x" * 1000: i for i in range(1000)})
    kube = RefusingKube(body)
    outcome = reconcile(body, kube, SETTINGS, NOW)
    assert len(outcome.problems) >= 1
    stalled = _conditions(body)["Stalled"]
    assert (stalled["status"], stalled["reason"]) == ("True", "InvalidSpec")
    assert "spec.parameters" in stalled["message"]
    assert len(stalled["message"]) <= MAX_MESSAGE + 40
    assert kube.attempts == ["status"]


def test_a_refused_status_write_leaves_a_stalled_condition_naming_the_refusal() -> None:
    body = _dynamicjob(schedule="61 * * * *", template="nope")
    kube = RefusingKube(body, status_limit=len(json.dumps(body)) + 700)
    outcome = reconcile(body, kube, SETTINGS, NOW)
    assert outcome.ready_changed
    stalled = _conditions(body)["Stalled"]
    assert (stalled["status"], stalled["reason"]) == ("True", "StatusRefused")
    assert stalled["message"] == (
        "the API server refused the status update: etcdserver: request is too large")
    assert any("refused the status update" in str(p) for p in outcome.problems)
    kube.attempts.clear()
    reconcile(body, kube, SETTINGS, NOW)
    assert kube.attempts == [], "not retried until the spec changes"
