"""The Events a reconcile posts: one for a new job (created and Ready), none when nothing
changed, a Warning for an invalid spec. Every Event is a write to the API server."""

from __future__ import annotations

import copy
from typing import Any

import kopf

from job_operator.controller.context import Context, reconcile_and_report
from job_operator.settings import Settings
from tests.unit.fakes import FakeKube

SETTINGS = Settings.from_env({})


def _dynamicjob(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "dynamicjobs.io/v1alpha1", "kind": "DynamicJob",
        "metadata": {"name": "beat", "namespace": "ns", "uid": "u", "generation": 1},
        "spec": {"template": "heartbeat", "schedule": "* * * * *", **spec},
    }


def _events(body: dict[str, Any], kube: FakeKube) -> list[tuple[bool, str, str]]:
    posted: list[tuple[bool, str, str]] = []

    def post(_: kopf.Body, warning: bool, reason: str, message: str) -> None:
        posted.append((warning, reason, message))

    reconcile_and_report(Context(kube, SETTINGS), kopf.Body(copy.deepcopy(body)), post)
    return posted


def test_a_new_job_gets_one_event_for_its_creation_and_readiness() -> None:
    body = _dynamicjob()
    kube = FakeKube(body)
    [(warning, reason, message)] = _events(body, kube)
    assert (warning, reason) == (False, "Created")
    assert "created CronJob/beat" in message
    assert message.endswith("the CronJob is in sync with the spec")
    assert _events(kube.dynamicjob, kube) == []


def test_an_invalid_spec_gets_one_warning() -> None:
    body = _dynamicjob(schedule="61 * * * *")
    [(warning, reason, message)] = _events(body, FakeKube(body))
    assert (warning, reason) == (True, "InvalidSpec")
    assert "spec.schedule" in message
