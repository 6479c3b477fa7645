"""Degraded from the runs, Reconciling while work is in progress, and both apart from
Ready: statuses built through the API's models, reconciles against the in-memory API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from job_operator.controller.conditions import health_changed
from job_operator.controller.reconcile import reconcile
from job_operator.metrics.health import run_health
from job_operator.settings import Settings
from job_runner.api import DynamicJobStatus, RunRecord, status_patch
from tests.unit.fakes import FakeKube

SETTINGS = Settings(runner_image="img", image_pull_policy="IfNotPresent",
                    drift_check_seconds=60, webhook=None)
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _run(run_id: str, result: str, minute: int) -> RunRecord:
    return RunRecord(id=run_id, result=result,  # type: ignore[arg-type]
                     started_at=f"2026-12-01T10:{minute:02d}:00.000Z",
                     finished_at=None if result == "Running"
                     else f"2026-12-01T10:{minute:02d}:20.000Z", message="boom")


def _status(*runs: RunRecord, missed: str | None = None) -> dict[str, Any]:
    ran = sorted((r for r in runs if r.result != "Missed"), key=RunRecord.started, reverse=True)
    written = status_patch(DynamicJobStatus(
        last_run=ran[0] if ran else None,
        recent_runs=sorted(runs, key=RunRecord.started, reverse=True),
        last_missed_time=missed))
    return {key: value for key, value in written.items() if value is not None}


def test_a_failed_last_run_is_degraded_until_a_run_succeeds() -> None:
    failed = run_health(_status(_run("a", "Succeeded", 0), _run("b", "Failed", 10)))
    assert (failed.degraded, failed.reason) == (True, "LastRunFailed")
    assert "run b ended Failed: boom" in failed.message
    retrying = run_health(_status(_run("b", "Failed", 10), _run("c", "Running", 20)))
    assert retrying.degraded, "a run still going says nothing yet"
    healed = run_health(_status(_run("b", "Failed", 10), _run("c", "Succeeded", 20)))
    assert (healed.degraded, healed.reason) == (False, "LastRunSucceeded")
    assert run_health(_status(_run("t", "TimedOut", 1))).reason == "LastRunTimedOut"
    assert run_health(None) == run_health({})
    assert run_health({}).reason == "NoRunsYet" and not run_health({}).degraded


def test_a_missed_run_after_the_newest_run_is_degraded_and_the_next_run_clears_it() -> None:
    missed = run_health(_status(_run("a", "Succeeded", 0), _run("m", "Missed", 10),
                                missed="2026-12-01T10:10:00.000Z"))
    assert (missed.degraded, missed.reason, missed.run_missed) == (True, "RunMissed", True)
    assert not missed.last_run_failed
    later = run_health(_status(_run("m", "Missed", 10), _run("b", "Succeeded", 20),
                               missed="2026-12-01T10:10:00.000Z"))
    assert not later.degraded


def _dynamicjob(status: dict[str, Any] | None = None, **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "apiVersion": "dynamicjobs.io/v1alpha1", "kind": "DynamicJob",
        "metadata": {"name": "beat", "namespace": "ns", "uid": "u", "generation": 1},
        "spec": {"template": "heartbeat", "schedule": "* * * * *", **spec},
    }
    if status is not None:
        body["status"] = status
    return body


def _conditions(body: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {c["type"]: (c["status"], c["reason"]) for c in body["status"]["conditions"]}


class WatchingKube(FakeKube):
    """Notes the DynamicJob's Reconciling condition at each write of an owned object."""

    def __init__(self, dynamicjob: dict[str, Any]) -> None:
        super().__init__(dynamicjob)
        self.reconciling_during_applies: list[str] = []

    def writing(self, obj: Any) -> None:
        conditions = (self.dynamicjob.get("status") or {}).get("conditions") or []
        self.reconciling_during_applies += [c["status"] for c in conditions
                                            if c["type"] == "Reconciling"]


def test_reconciling_is_true_while_owned_objects_are_written_and_false_after() -> None:
    body = _dynamicjob()
    kube = WatchingKube(body)
    reconcile(body, kube, SETTINGS, NOW)
    assert kube.writes == ["create CronJob/beat", "status DynamicJob/beat"], (
        "a job never reconciled has no conditions, which reads as in progress already: "
        "no Reconciling write before its first write")
    assert "Reconciling" not in _conditions(body), "there only while True"
    assert _conditions(body)["Ready"] == ("True", "Reconciled")
    kube.writes.clear()
    reconcile(body, kube, SETTINGS, NOW)
    assert kube.writes == [], "an unchanged job still costs no write"
    body["spec"]["schedule"] = "*/5 * * * *"
    body["metadata"]["generation"] = 2
    reconcile(body, kube, SETTINGS, NOW)
    assert kube.reconciling_during_applies == ["True"]
    assert kube.writes == ["status DynamicJob/beat", "replace CronJob/beat",
                           "status DynamicJob/beat"], "marked before the write of a change"
    assert "Reconciling" not in _conditions(body)


def test_a_job_whose_last_run_failed_is_ready_and_degraded_apart() -> None:
    body = _dynamicjob(_status(_run("b", "Failed", 10)), suspend=True)
    reconcile(body, FakeKube(body), SETTINGS, NOW)
    conditions = _conditions(body)
    assert conditions["Ready"] == ("True", "Reconciled")
    assert conditions["Degraded"] == ("True", "LastRunFailed")
    assert conditions["Suspended"] == ("True", "SuspendedInSpec")
    assert not health_changed(body)
    body["status"].update(_status(_run("b", "Failed", 10), _run("c", "Succeeded", 20)))
    assert health_changed(body), "the runner recorded a success: Degraded must go"
    reconcile(body, FakeKube(body), SETTINGS, NOW)
    assert "Degraded" not in _conditions(body), "there only while True"
    assert not health_changed(body)


def test_an_invalid_job_shows_its_runs_health_too() -> None:
    body = _dynamicjob(_status(_run("b", "Failed", 10)), schedule="61 * * * *")
    reconcile(body, FakeKube(body), SETTINGS, NOW)
    conditions = _conditions(body)
    assert conditions["Stalled"][0] == "True" and conditions["Degraded"][0] == "True"
    assert not health_changed(body)
    assert not health_changed(_dynamicjob(_status(_run("b", "Failed", 10))))
