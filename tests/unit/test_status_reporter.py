"""The runner's status writes carry a resourceVersion and are retried on conflict."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from kubernetes.client.exceptions import ApiException

from job_runner.api import RunRecord
from job_runner.report import StatusReporter


class ConflictingApi:
    """Stands in for CustomObjectsApi: someone else writes between our read and our patch."""

    def __init__(self, conflicts: int) -> None:
        self.conflicts = conflicts
        self.version = 1
        self.status: dict[str, Any] = {"conditions": [{"type": "Ready", "status": "True"}]}
        self.patches: list[dict[str, Any]] = []

    def get_namespaced_custom_object_status(self, *_: Any) -> dict[str, Any]:
        return {"metadata": {"resourceVersion": str(self.version)},
                "status": copy.deepcopy(self.status)}

    def patch_namespaced_custom_object_status(self, *args: Any) -> dict[str, Any]:
        patch = args[-1]
        self.patches.append(patch)
        if self.conflicts:
            self.conflicts -= 1
            self.version += 1
            self.status["recentRuns"] = [{"id": "other", "result": "Succeeded",
                                          "startedAt": "2026-01-01T00:00:00Z"}]
            raise ApiException(status=409, reason="Conflict")
        assert patch["metadata"]["resourceVersion"] == str(self.version)
        self.status.update(patch["status"])
        self.version += 1
        return {}


def _reporter(api: ConflictingApi) -> StatusReporter:
    reporter = StatusReporter.__new__(StatusReporter)
    reporter.api = api  # type: ignore[assignment]
    reporter.namespace, reporter.name = "ns", "beat"
    return reporter


RECORD = RunRecord(id="beat-1", result="Succeeded", started_at="2026-01-02T00:00:00.000Z",
                   finished_at="2026-01-02T00:00:01.000Z")


def test_a_conflict_is_retried_on_fresh_state_and_keeps_both_runs_and_conditions() -> None:
    api = ConflictingApi(conflicts=2)
    _reporter(api).record(RECORD, history_limit=5)
    assert len(api.patches) == 3
    assert [r["id"] for r in api.status["recentRuns"]] == ["beat-1", "other"]
    assert api.status["conditions"] == [{"type": "Ready", "status": "True"}]
    assert "conditions" not in api.patches[-1]["status"]


def test_endless_conflicts_give_up_with_the_error() -> None:
    api = ConflictingApi(conflicts=100)
    with pytest.raises(ApiException) as failed:
        _reporter(api).record(RECORD, history_limit=5)
    assert failed.value.status == 409


def test_the_operators_account_never_replaces_the_runners_final_record() -> None:
    api = ConflictingApi(conflicts=0)
    api.status["recentRuns"] = [{**RECORD.to_api(), "result": "Cancelled"}]
    written = _reporter(api).record(RECORD.model_copy(update={"result": "Failed"}), 5,
                                    keep_final=True)
    assert written is False and api.patches == []
    assert api.status["recentRuns"][0]["result"] == "Cancelled"
