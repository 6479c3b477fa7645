"""The Argo CD health check (helm/dynamicjobs/health/argocd-health.lua) run by a real Lua
runtime (lupa) on DynamicJobs whose status was written by the operator's and the runner's
own code: reconcile() against the in-memory API, runs merged as the runner merges them."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from lupa import LuaRuntime

from job_operator.controller.reconcile import reconcile
from job_operator.settings import Settings
from job_runner.api import RunRecord, read_status, status_patch
from job_runner.report import merge_run
from tests.unit.fakes import FakeKube

SCRIPT = (Path(__file__).resolve().parents[2] / "helm" / "dynamicjobs" / "health"
          / "argocd-health.lua").read_text()
SETTINGS = Settings(runner_image="img", image_pull_policy="IfNotPresent",
                    drift_check_seconds=60, webhook=None)
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def health() -> Any:
    """As Argo CD runs a health script: the body of a function of ``obj``."""
    lua = LuaRuntime(unpack_returned_tuples=True)
    check = lua.eval(f"function(obj)\n{SCRIPT}\nend")

    def run(body: dict[str, Any]) -> tuple[str, str]:
        answer = check(lua.table_from(copy.deepcopy(body), recursive=True))
        return str(answer["status"]), str(answer["message"])

    return run


def _dynamicjob(**spec: Any) -> dict[str, Any]:
    return {"apiVersion": "dynamicjobs.io/v1alpha1", "kind": "DynamicJob",
            "metadata": {"name": "nightly", "namespace": "team", "uid": "u", "generation": 1},
            "spec": {"template": "heartbeat", "schedule": "0 3 * * *", **spec}}


def _reconciled(body: dict[str, Any]) -> dict[str, Any]:
    reconcile(body, FakeKube(body), SETTINGS, NOW)
    return body


def _ran(body: dict[str, Any], run_id: str, result: str, hour: int,
         message: str = "") -> dict[str, Any]:
    """The run recorded as the runner records it, then the operator's next reconcile."""
    started = f"2026-12-01T0{hour}:00:00.000Z"
    record = RunRecord(id=run_id, result=result, started_at=started,  # type: ignore[arg-type]
                       finished_at=None if result == "Missed" else f"2026-12-01T0{hour}:00:09.000Z",
                       message=message, attempts=0 if result == "Missed" else 1)
    merged = merge_run(read_status(body.get("status")), record, history_limit=10)
    body.setdefault("status", {}).update(
        {key: value for key, value in status_patch(merged).items() if value is not None})
    return _reconciled(body)


def test_a_job_in_sync_whose_runs_succeed_is_healthy(health: Any) -> None:
    body = _ran(_reconciled(_dynamicjob()), "nightly-1", "Succeeded", 3)
    assert health(body) == ("Healthy", "CronJob nightly is in sync")
    assert health(_reconciled(_dynamicjob()))[0] == "Healthy", "no run yet is no problem"


def test_a_failed_last_run_is_degraded_with_its_message(health: Any) -> None:
    body = _ran(_reconciled(_dynamicjob()), "nightly-1", "Succeeded", 1)
    body = _ran(body, "nightly-2", "Failed", 3, message="connection refused")
    assert health(body) == ("Degraded", "run nightly-2 ended Failed: connection refused")
    assert health(_ran(body, "nightly-3", "Succeeded", 5))[0] == "Healthy"


def test_a_missed_run_is_degraded(health: Any) -> None:
    body = _ran(_reconciled(_dynamicjob()), "nightly-1", "Succeeded", 1)
    body = _ran(body, "nightly-missed", "Missed", 3)
    status, message = health(body)
    assert status == "Degraded" and "did not start" in message


def test_suspended_wins_over_the_runs_health(health: Any) -> None:
    body = _ran(_reconciled(_dynamicjob(suspend=True)), "nightly-1", "Failed", 3)
    assert health(body) == ("Suspended", "spec.suspend is true")


def test_a_stalled_job_is_degraded_naming_the_field(health: Any) -> None:
    status, message = health(_reconciled(_dynamicjob(schedule="61 * * * *")))
    assert status == "Degraded" and "spec.schedule" in message


def test_work_in_progress_is_progressing(health: Any) -> None:
    assert health(_dynamicjob())[0] == "Progressing", "not reconciled yet"
    changed = _reconciled(_dynamicjob())
    changed["metadata"]["generation"] = 2
    assert health(changed) == ("Progressing", "Waiting for the operator to reconcile the spec")

    seen: list[tuple[str, str]] = []

    class Watching(FakeKube):
        def writing(self, obj: Any) -> None:
            seen.append(health(self.dynamicjob))

    body = _reconciled(_dynamicjob())
    body["spec"]["schedule"] = "*/5 * * * *"
    body["metadata"]["generation"] = 2
    reconcile(body, Watching(body), SETTINGS, NOW)
    assert seen and all(status == "Progressing" for status, _ in seen)
    assert "applying CronJob/nightly" in seen[0][1]
    assert health(body)[0] == "Healthy"
