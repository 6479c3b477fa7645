"""The runner's status writes carry a resourceVersion and are retried on conflict."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from job_runner.api import RunRecord
from job_runner.report import StatusReporter
from job_runner.status_api import StatusConflict


class ConflictingApi:
    """A StatusEndpoint where someone else writes between our read and our patch."""

    def __init__(self, conflicts: int) -> None:
        self.conflicts = conflicts
        self.version = 1
        self.status: dict[str, Any] = {"conditions": [{"type": "Ready", "status": "True"}]}
        self.patches: list[dict[str, Any]] = []

    def dynamicjob(self, *_: Any) -> dict[str, Any]:
        return {"metadata": {"resourceVersion": str(self.version)},
                "status": copy.deepcopy(self.status)}

    def patch_dynamicjob_status(self, *args: Any) -> None:
        patch = args[-1]
        self.patches.append(patch)
        if self.conflicts:
            self.conflicts -= 1
            self.version += 1
            self.status["recentRuns"] = [{"id": "other", "result": "Succeeded",
                                          "startedAt": "2026-01-01T00:00:00Z"}]
            raise StatusConflict("the object has been modified")
        assert patch["metadata"]["resourceVersion"] == str(self.version)
        self.status.update(patch["status"])
        self.version += 1


def _reporter(api: ConflictingApi) -> StatusReporter:
    return StatusReporter(api, "ns", "beat")


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
    with pytest.raises(StatusConflict):
        _reporter(api).record(RECORD, history_limit=5)
    assert len(api.patches) == 8, "CONFLICT_RETRIES attempts, then the error"


def test_the_operators_account_never_replaces_the_runners_final_record() -> None:
    api = ConflictingApi(conflicts=0)
    api.status["recentRuns"] = [{**RECORD.to_api(), "result": "Cancelled"}]
    written = _reporter(api).record(RECORD.model_copy(update={"result": "Failed"}), 5,
                                    keep_final=True)
    assert written is False and api.patches == []
    assert api.status["recentRuns"][0]["result"] == "Cancelled"
