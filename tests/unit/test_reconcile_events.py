"""The Events a reconcile posts: none for a new job that comes up Ready (its status says
so), one when a job's CronJob is written again, none when nothing changed, a Warning for an
invalid spec. Every Event is a write to the API server."""

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


def test_a_new_job_that_comes_up_ready_posts_no_event() -> None:
    body = _dynamicjob()
    kube = FakeKube(body)
    assert _events(body, kube) == []
    assert kube.writes == ["create CronJob/beat", "status DynamicJob/beat"]
    assert _events(kube.dynamicjob, kube) == []


def test_a_cronjob_deleted_by_hand_is_created_again_with_an_event() -> None:
    body = _dynamicjob()
    kube = FakeKube(body)
    _events(body, kube)
    del kube.objects[("CronJob", "ns", "beat")]
    [(warning, reason, message)] = _events(kube.dynamicjob, kube)
    assert (warning, reason, message) == (False, "Created", "created CronJob/beat")


def test_an_invalid_spec_gets_one_warning() -> None:
    body = _dynamicjob(schedule="61 * * * *")
    [(warning, reason, message)] = _events(body, FakeKube(body))
    assert (warning, reason) == (True, "InvalidSpec")
    assert "spec.schedule" in message
