"""An idle resync pass passes over a job whose objects are the versions it last checked,
until its next run or the time a missed run could be found; anything else is checked."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from job_operator.controller import resync
from job_operator.controller.context import Context
from job_operator.controller.quiet import QuietJobs
from job_operator.settings import Settings
from tests.unit.fakes import FakeKube

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
SETTINGS = Settings(runner_image="img", image_pull_policy="IfNotPresent",
                    drift_check_seconds=60, webhook=None)


def test_a_job_is_quiet_only_with_the_same_versions_before_its_time() -> None:
    quiet = QuietJobs()
    key, versions = ("ns", "beat"), ("7", "9")
    assert not quiet.is_quiet(key, versions, NOW), "never checked"
    quiet.checked(key, versions, NOW + timedelta(minutes=5))
    assert quiet.is_quiet(key, versions, NOW)
    assert not quiet.is_quiet(key, ("8", "9"), NOW), "the DynamicJob changed"
    assert not quiet.is_quiet(key, ("7", "10"), NOW), "the CronJob changed"
    assert not quiet.is_quiet(key, versions, NOW + timedelta(minutes=5)), "its time came"
    quiet.checked(key, versions, None)
    assert not quiet.is_quiet(key, versions, NOW)
    quiet.checked(key, versions, NOW + timedelta(minutes=5))
    quiet.forget(key)
    assert not quiet.is_quiet(key, versions, NOW)


def _dynamicjob(schedule: str) -> dict[str, Any]:
    return {"apiVersion": "dynamicjobs.io/v1alpha1", "kind": "DynamicJob",
            "metadata": {"name": "beat", "namespace": "ns", "uid": "u", "generation": 1,
                         "resourceVersion": "1"},
            "spec": {"template": "heartbeat", "schedule": schedule}}


@pytest.fixture
def reconciles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names resync_one reconciled (the real reconcile runs)."""
    seen: list[str] = []
    real = resync.reconcile_and_report

    def counting(context: Context, body: Any, post: Any) -> Any:
        seen.append(body["metadata"]["name"])
        return real(context, body, post)

    monkeypatch.setattr(resync, "reconcile_and_report", counting)
    return seen


def test_an_unchanged_job_is_checked_once_then_passed_over(reconciles: list[str]) -> None:
    body = _dynamicjob("0 0 1 1 *")  # next run: months away
    kube = FakeKube(body)
    context = Context(kube, SETTINGS)
    assert resync.resync_one(context, body), "the first pass creates the CronJob"
    body["metadata"]["resourceVersion"] = "2"  # the status it wrote
    stored = copy.deepcopy(body)
    assert not resync.resync_one(context, stored), "checked: nothing to do"
    assert not resync.resync_one(context, stored)
    assert not resync.resync_one(context, stored)
    assert reconciles == ["beat", "beat"], "passed over once nothing could have changed"
    stored["metadata"]["resourceVersion"] = "3"
    resync.resync_one(context, stored)
    assert len(reconciles) == 3, "a new version of the DynamicJob is checked again"


def test_a_job_due_before_the_next_pass_is_checked_every_pass(reconciles: list[str]) -> None:
    body = _dynamicjob("* * * * *")
    context = Context(FakeKube(body), SETTINGS)
    resync.resync_one(context, body)
    body["metadata"]["resourceVersion"] = "2"
    body["status"]["schedule"]["nextRuns"][0] = "2020-01-01T00:00:00.000Z"
    for _ in range(2):
        resync.resync_one(context, copy.deepcopy(body))
    assert len(reconciles) == 3, "its next run has come: each pass checks it"
