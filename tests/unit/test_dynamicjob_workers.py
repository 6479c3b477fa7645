"""What the DynamicJob workers do with a key: reconcile when the spec is new or an owned
object drifted, nothing when neither, one Event per finished run (none for runs already
finished when the operator listed the job), and a retry after an API error."""

from __future__ import annotations

import copy
import time
from typing import Any

import pytest
from kubernetes.client.exceptions import ApiException

from job_operator.controller import context as context_module
from job_operator.controller.context import Context
from job_operator.controller.informer import LISTED
from job_operator.controller.live import LiveObjects
from job_operator.controller.workers import DynamicJobWorkers, handle
from job_operator.metrics.registry import REGISTRY
from job_operator.settings import Settings
from tests.kube.waiting import wait_for
from tests.unit.fakes import FakeKube

SETTINGS = Settings.from_env({})
KEY = ("ns", "beat")


def _dynamicjob() -> dict[str, Any]:
    return {
        "apiVersion": "dynamicjobs.io/v1alpha1", "kind": "DynamicJob",
        "metadata": {"name": "beat", "namespace": "ns", "uid": "u", "generation": 1,
                     "resourceVersion": "1"},
        "spec": {"template": "heartbeat", "schedule": "* * * * *"},
    }


def _context(kube: FakeKube) -> Context:
    """The fake's objects stand for what the informers hold."""
    def dynamicjob(namespace: str, name: str) -> dict[str, Any] | None:
        found = (namespace, name) == KEY and kube.dynamicjob
        return copy.deepcopy(kube.dynamicjob) if found else None

    live = LiveObjects({"DynamicJob": dynamicjob,
                        "CronJob": lambda namespace, name: kube.get("CronJob", namespace, name)},
                       lambda: [kube.dynamicjob])
    return Context(kube, SETTINGS, live=live)


def _finished_run(run_id: str) -> dict[str, Any]:
    return {"id": run_id, "result": "Succeeded", "startedAt": "2026-12-01T10:00:00Z",
            "finishedAt": "2026-12-01T10:00:05Z"}


def test_a_new_job_is_reconciled_once_and_then_left_alone() -> None:
    kube = FakeKube(_dynamicjob())
    context = _context(kube)
    handle(context, KEY, drifted=False)
    assert kube.writes == ["create CronJob/beat", "status DynamicJob/beat"]
    handle(context, KEY, drifted=False)
    assert len(kube.writes) == 2, "an unchanged job takes no write"


def test_a_drifted_cronjob_is_put_back_only_when_the_key_says_it_drifted() -> None:
    kube = FakeKube(_dynamicjob())
    context = _context(kube)
    handle(context, KEY, drifted=False)
    first = len(kube.writes)
    cronjob = kube.objects[("CronJob", "ns", "beat")]
    cronjob["spec"]["schedule"] = "5 * * * *"
    cronjob["metadata"]["resourceVersion"] = "99"
    handle(context, KEY, drifted=False)
    assert kube.writes[first:] == [], "the spec did not change"
    handle(context, KEY, drifted=True)
    assert kube.writes[first:] == ["status DynamicJob/beat", "replace CronJob/beat",
                                   "status DynamicJob/beat", "event Updated"]
    assert kube.objects[("CronJob", "ns", "beat")]["spec"]["schedule"] == "* * * * *"


def test_a_finished_run_gets_one_event() -> None:
    kube = FakeKube(_dynamicjob())
    context = _context(kube)
    handle(context, KEY, drifted=False)
    kube.dynamicjob["status"]["lastRun"] = _finished_run("beat-1")
    handle(context, KEY, drifted=False)
    handle(context, KEY, drifted=False)
    assert kube.writes.count("event RunSucceeded") == 1


def test_a_run_finished_before_the_listing_gets_no_event() -> None:
    kube = FakeKube(_dynamicjob())
    context = _context(kube)
    handle(context, KEY, drifted=False)
    kube.dynamicjob["status"]["lastRun"] = _finished_run("beat-1")
    workers = DynamicJobWorkers(context)
    workers.seen("DynamicJob", LISTED, copy.deepcopy(kube.dynamicjob))
    handle(context, KEY, drifted=False)
    assert "event RunSucceeded" not in kube.writes


def test_the_dependency_index_follows_the_events() -> None:
    body = _dynamicjob()
    body["spec"]["dependsOn"] = [{"name": "upstream"}]
    workers = DynamicJobWorkers(_context(FakeKube(body)))
    workers.seen("DynamicJob", "ADDED", copy.deepcopy(body))
    assert workers.context.index.siblings("ns", "other") == {"beat": ["upstream"]}
    assert len(workers.queue) == 1
    workers.seen("DynamicJob", "DELETED", copy.deepcopy(body))
    assert workers.context.index.siblings("ns", "other") == {}


class FailingOnceKube(FakeKube):
    def writing(self, obj: Any) -> None:
        if not self.writes and not getattr(self, "failed", False):
            self.failed = True
            raise ApiException(status=500, reason="Internal Server Error")


def test_an_api_error_is_retried_after_its_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(context_module, "RETRY_DELAY_SECONDS", 0.05)
    kube = FailingOnceKube(_dynamicjob())
    workers = DynamicJobWorkers(_context(kube), workers=1).start()
    try:
        workers.seen("DynamicJob", "ADDED", copy.deepcopy(kube.dynamicjob))
        wait_for(lambda: "status DynamicJob/beat" in kube.writes, timeout=10,
                 what="the retried reconcile")
        wait_for(lambda: REGISTRY.get_sample_value("dynamicjobs_operator_queue_depth") == 0,
                 timeout=10, what="the queue's depth back at 0")
    finally:
        workers.stop()
    assert kube.failed and kube.writes[0] == "create CronJob/beat"


class AlwaysFailingKube(FakeKube):
    def writing(self, obj: Any) -> None:
        raise ApiException(status=500, reason="Internal Server Error")


def test_a_failing_key_backs_off_and_keeps_its_drift_flag() -> None:
    workers = DynamicJobWorkers(_context(AlwaysFailingKube(_dynamicjob())))
    delays = []
    for _ in range(3):
        workers.handle_once(KEY, drifted=True)
        delays.append(workers.queue._due[KEY][0] - time.monotonic())
        assert workers.queue._due[KEY][1] is True, "the retry still repairs the drift"
        del workers.queue._due[KEY]
    assert [round(d) for d in delays] == [10, 20, 40]
    workers.seen("DynamicJob", "DELETED", _dynamicjob())
    assert KEY not in workers._failures, "a deleted job's failures are forgotten"


class StaleWatchKube(FakeKube):
    """Each status write gets a newer resourceVersion, which the watch has not delivered."""

    def patch_status(self, kind: str, namespace: str | None, name: str,
                     status: Any) -> dict[str, Any]:
        written = copy.deepcopy(super().patch_status(kind, namespace, name, status))
        written["metadata"]["resourceVersion"] = str(100 + len(self.writes))
        return written

    def create(self, obj: Any) -> dict[str, Any]:
        self.writes.append(f"create {obj['kind']}")
        return dict(obj)


def test_a_requested_run_is_answered_once_while_the_watch_lags() -> None:
    body = _dynamicjob()
    body["metadata"]["annotations"] = {"dynamicjobs.io/run-requested-at": "now"}
    kube = StaleWatchKube(copy.deepcopy(body))
    stale = copy.deepcopy(body)
    live = LiveObjects({"DynamicJob": lambda namespace, name: copy.deepcopy(stale),
                        "CronJob": lambda namespace, name: kube.get("CronJob", namespace, name)},
                       lambda: [stale])
    context = Context(kube, SETTINGS, live=live)
    handle(context, KEY, drifted=False)
    handle(context, KEY, drifted=False)
    assert kube.writes.count("create Job") == 1
    assert kube.writes.count("event RunRequested") == 1


def test_a_deleted_job_is_not_handled_from_what_the_operator_wrote_last() -> None:
    kube = FakeKube(_dynamicjob())
    context = _context(kube)
    live = context.live
    assert live is not None
    live.applied({**copy.deepcopy(kube.dynamicjob), "metadata": {
        **kube.dynamicjob["metadata"], "resourceVersion": "50"}})
    workers = DynamicJobWorkers(context)
    workers.seen("DynamicJob", "DELETED", copy.deepcopy(kube.dynamicjob))
    kube.dynamicjob = {}
    assert live.get("DynamicJob", *KEY) is None
    handle(context, KEY, drifted=True)
    assert kube.writes == []
