"""reconcile() against an in-memory API: what it writes, and that it writes nothing twice."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from kubernetes.client.exceptions import ApiException

from job_operator.controller.live import LiveObjects
from job_operator.controller.reconcile import reconcile
from job_operator.settings import Settings
from tests.unit.fakes import FakeKube

SETTINGS = Settings.from_env({})
NOW = datetime(2026, 11, 28, 10, 0, 30, tzinfo=UTC)


def _dynamicjob(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "dynamicjobs.io/v1alpha1", "kind": "DynamicJob",
        "metadata": {"name": "beat", "namespace": "ns", "uid": "u", "generation": 1},
        "spec": {"template": "heartbeat", "schedule": "* * * * *", **spec},
    }


def test_first_reconcile_creates_everything_and_the_second_writes_nothing() -> None:
    body = _dynamicjob()
    kube = FakeKube(body)
    first = reconcile(body, kube, SETTINGS, NOW)
    assert first.created == ["CronJob/beat"]
    assert kube.writes == ["create CronJob/beat", "status DynamicJob/beat"]
    assert first.ready_changed
    kube.writes.clear()
    again = reconcile(body, kube, SETTINGS, NOW)
    assert kube.writes == []
    assert not again.created and not again.applied and not again.status_changed
    for outcome in (first, again):  # the missed-run check reads it instead of a GET
        assert outcome.cronjob == kube.objects[("CronJob", "ns", "beat")]


def test_a_status_0_1_wrote_is_rewritten_once_with_ready_alone() -> None:
    """The upgrade: the conditions 0.1 kept while False or retired go at the first
    reconcile (one status write), Ready keeps its transition time, and nothing more is
    written after."""
    body = _dynamicjob()
    kube = FakeKube(body)
    reconcile(body, kube, SETTINGS, NOW)
    ready = body["status"]["conditions"][0]
    old = {"lastTransitionTime": ready["lastTransitionTime"], "observedGeneration": 1}
    body["status"]["conditions"] = [ready] + [
        {"type": kind, "status": status, "reason": reason, "message": "", **old}
        for kind, status, reason in (
            ("Reconciling", "False", "Reconciled"), ("Stalled", "False", "Reconciled"),
            ("ScheduleValid", "True", "Valid"), ("TemplateFound", "True", "Found"),
            ("CronJobSynced", "True", "Synced"), ("Suspended", "False", "Active"),
            ("Degraded", "False", "NoRunsYet"))]
    kube.writes.clear()
    reconcile(body, kube, SETTINGS, NOW)
    assert kube.writes == ["status DynamicJob/beat"]
    assert body["status"]["conditions"] == [ready]
    kube.writes.clear()
    reconcile(body, kube, SETTINGS, NOW)
    assert kube.writes == []


def test_next_runs_move_forward_as_time_passes() -> None:
    body = _dynamicjob()
    kube = FakeKube(body)
    reconcile(body, kube, SETTINGS, NOW)
    assert body["status"]["schedule"]["nextRuns"][0] == "2026-11-28T10:01:00.000Z"
    kube.writes.clear()
    reconcile(body, kube, SETTINGS, datetime(2026, 11, 28, 10, 1, 5, tzinfo=UTC))
    assert kube.writes == ["status DynamicJob/beat"]
    assert body["status"]["schedule"]["nextRuns"][:2] == ["2026-11-28T10:02:00.000Z",
                                                          "2026-11-28T10:03:00.000Z"]


def test_a_changed_cronjob_is_put_back() -> None:
    body = _dynamicjob()
    kube = FakeKube(body)
    reconcile(body, kube, SETTINGS, NOW)
    kube.objects[("CronJob", "ns", "beat")]["spec"]["schedule"] = "0 0 * * *"
    kube.writes.clear()
    outcome = reconcile(body, kube, SETTINGS, NOW)
    assert outcome.applied == ["CronJob/beat"]
    assert kube.objects[("CronJob", "ns", "beat")]["spec"]["schedule"] == "* * * * *"


def test_an_invalid_spec_is_stalled_and_builds_nothing() -> None:
    body = _dynamicjob(schedule="61 * * * *", template="nope")
    kube = FakeKube(body)
    outcome = reconcile(body, kube, SETTINGS, NOW)
    assert not outcome.created
    assert kube.writes == ["status DynamicJob/beat"]
    conditions = {c["type"]: c for c in body["status"]["conditions"]}
    assert conditions["Stalled"]["status"] == "True"
    for said in (conditions["Stalled"], conditions["Ready"]):
        assert said["reason"] == "InvalidSpec"
        assert "spec.schedule" in said["message"] and "spec.template" in said["message"]
    assert conditions.keys() == {"Ready", "Stalled"}
    assert "schedule" not in body["status"]


def test_a_never_firing_schedule_is_ready_but_flagged() -> None:
    body = _dynamicjob(schedule="0 0 31 2 *")
    reconcile(body, FakeKube(body), SETTINGS, NOW)
    conditions = {c["type"]: c for c in body["status"]["conditions"]}
    assert (conditions["Ready"]["status"], conditions["Ready"]["reason"]) == ("True", "NeverFires")
    assert "never runs" in conditions["Ready"]["message"]
    assert body["status"]["schedule"]["neverFires"] is True
    assert body["status"]["schedule"]["nextRuns"] == []


def test_an_object_of_our_name_that_someone_else_owns_is_left_alone() -> None:
    body = _dynamicjob()
    kube = FakeKube(body)
    theirs = {"apiVersion": "batch/v1", "kind": "CronJob",
              "metadata": {"name": "beat", "namespace": "ns"},
              "spec": {"schedule": "0 0 * * *", "jobTemplate": {"spec": {}}}}
    kube.objects[("CronJob", "ns", "beat")] = copy.deepcopy(theirs)
    outcome = reconcile(body, kube, SETTINGS, NOW)
    assert kube.writes == ["status DynamicJob/beat"]
    assert kube.objects[("CronJob", "ns", "beat")] == theirs
    stalled = {c["type"]: c for c in body["status"]["conditions"]}["Stalled"]
    assert stalled["status"] == "True" and stalled["reason"] == "NameTaken"
    assert "CronJob/beat already exists" in stalled["message"]
    assert outcome.problems


def _unwatched() -> LiveObjects:
    """Watches that have not delivered any CronJob (a foreign one never will: it lacks our
    label)."""
    return LiveObjects({"CronJob": lambda namespace, name: None}, lambda: [])


def test_a_name_taken_behind_the_watches_back_is_found_by_the_create() -> None:
    body = _dynamicjob()
    kube = FakeKube(body)
    theirs = {"apiVersion": "batch/v1", "kind": "CronJob",
              "metadata": {"name": "beat", "namespace": "ns", "resourceVersion": "7"},
              "spec": {"schedule": "0 0 * * *", "jobTemplate": {"spec": {}}}}
    kube.objects[("CronJob", "ns", "beat")] = copy.deepcopy(theirs)
    outcome = reconcile(body, kube, SETTINGS, NOW, live=_unwatched())
    assert kube.writes == ["status DynamicJob/beat"], "the refused create is no write"
    assert kube.objects[("CronJob", "ns", "beat")] == theirs
    assert outcome.problems[0].message.startswith("CronJob/beat already exists")


def test_our_own_cronjob_the_watch_has_not_delivered_is_not_written_again() -> None:
    body = _dynamicjob()
    kube = FakeKube(body)
    reconcile(body, kube, SETTINGS, NOW)
    del body["status"]
    kube.writes.clear()
    outcome = reconcile(body, kube, SETTINGS, NOW, live=_unwatched())
    assert kube.writes == ["status DynamicJob/beat"]
    assert not outcome.problems
    assert outcome.cronjob == kube.objects[("CronJob", "ns", "beat")]


class ChangedUnderFoot(FakeKube):
    """Someone else writes the CronJob just before each of the operator's first
    ``conflicts`` replaces."""

    def __init__(self, dynamicjob: dict[str, Any], conflicts: int) -> None:
        super().__init__(dynamicjob)
        self.conflicts = conflicts

    def replace(self, obj: Any) -> dict[str, Any]:
        if self.conflicts:
            self.conflicts -= 1
            stored = self.objects[("CronJob", "ns", "beat")]
            stored["metadata"]["resourceVersion"] += "0"
            stored["spec"]["suspend"] = True
        return super().replace(obj)


def test_a_replace_that_conflicts_is_judged_again_on_a_fresh_read() -> None:
    body = _dynamicjob()
    kube = ChangedUnderFoot(body, conflicts=1)
    reconcile(body, kube, SETTINGS, NOW)
    kube.objects[("CronJob", "ns", "beat")]["spec"]["schedule"] = "0 0 * * *"
    outcome = reconcile(body, kube, SETTINGS, NOW)
    assert outcome.applied == ["CronJob/beat"]
    cronjob = kube.objects[("CronJob", "ns", "beat")]
    assert (cronjob["spec"]["schedule"], cronjob["spec"]["suspend"]) == ("* * * * *", False)


def test_conflicts_on_every_write_are_left_to_the_callers_retry() -> None:
    body = _dynamicjob()
    kube = ChangedUnderFoot(body, conflicts=2)
    reconcile(body, kube, SETTINGS, NOW)
    kube.objects[("CronJob", "ns", "beat")]["spec"]["schedule"] = "0 0 * * *"
    with pytest.raises(ApiException) as raised:
        reconcile(body, kube, SETTINGS, NOW)
    assert raised.value.status == 409


def test_an_odd_status_entry_does_not_make_every_reconcile_write() -> None:
    body = _dynamicjob()
    kube = FakeKube(body)
    reconcile(body, kube, SETTINGS, NOW)
    body["status"]["recentRuns"] = [{"id": "x", "result": "Succeeded", "fromTheFuture": 1}]
    kube.writes.clear()
    reconcile(body, kube, SETTINGS, NOW)
    assert kube.writes == []
