"""How runs are merged into status, and how the operator records a run whose pod died."""

from __future__ import annotations

from job_operator.runs.lost import lost_run_record
from job_runner.report import merge_run


def _run(run_id: str, result: str, started: str, finished: str | None = None) -> dict:
    record = {"id": run_id, "result": result, "startedAt": started}
    return {**record, "finishedAt": finished} if finished else record


def test_a_final_record_replaces_its_running_mark_and_history_is_bounded() -> None:
    status = {"recentRuns": [_run("b", "Running", "2026-01-02T00:00:00Z"),
                             _run("a", "Succeeded", "2026-01-01T00:00:00Z",
                                  "2026-01-01T00:00:05Z")]}
    patch = merge_run(status, _run("b", "Failed", "2026-01-02T00:00:00Z",
                                   "2026-01-02T00:00:09Z"), history_limit=2)
    assert [(r["id"], r["result"]) for r in patch["recentRuns"]] == [("b", "Failed"),
                                                                      ("a", "Succeeded")]
    assert patch["lastRun"]["id"] == "b"
    assert patch["lastFailureTime"] == "2026-01-02T00:00:09Z"
    bounded = merge_run(patch, _run("c", "Running", "2026-01-03T00:00:00Z"), history_limit=2)
    assert [r["id"] for r in bounded["recentRuns"]] == ["c", "b"]


def test_a_late_report_of_an_older_run_does_not_become_last_run() -> None:
    status = {"recentRuns": [_run("new", "Running", "2026-01-02T00:00:00Z")]}
    patch = merge_run(status, _run("old", "Succeeded", "2026-01-01T00:00:00Z",
                                   "2026-01-01T00:01:00Z"), history_limit=5)
    assert patch["lastRun"]["id"] == "new"
    assert patch["lastSuccessfulTime"] == "2026-01-01T00:01:00Z"


FAILED_JOB = {
    "metadata": {"name": "beat-29000000"},
    "status": {"startTime": "2026-01-01T00:00:00Z", "conditions": [
        {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
         "lastTransitionTime": "2026-01-01T00:00:30Z"}]},
}
OOM_POD = {"status": {"containerStatuses": [
    {"state": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}}}]}}


def test_a_failed_job_without_a_runner_record_becomes_a_failed_run() -> None:
    record = lost_run_record(FAILED_JOB, [OOM_POD], {"recentRuns": [
        _run("beat-29000000", "Running", "2026-01-01T00:00:01Z")]})
    assert record is not None
    assert record["result"] == "Failed"
    assert "OOMKilled (exit code 137)" in record["message"]


def test_a_job_past_its_deadline_is_timed_out() -> None:
    job = {**FAILED_JOB, "status": {**FAILED_JOB["status"], "conditions": [
        {"type": "Failed", "status": "True", "reason": "DeadlineExceeded",
         "message": "Job was active longer than specified deadline",
         "lastTransitionTime": "2026-01-01T01:00:30Z"}]}}
    record = lost_run_record(job, [], {})
    assert record is not None and record["result"] == "TimedOut"
    assert "deadline" in record["message"]


def test_an_evicted_pod_names_the_eviction() -> None:
    evicted = {"status": {"reason": "Evicted", "message": "The node was low on memory."}}
    record = lost_run_record(FAILED_JOB, [evicted], {})
    assert record is not None and "Evicted: The node was low on memory." in record["message"]


def test_a_run_the_runner_reported_or_a_job_still_running_needs_nothing() -> None:
    reported = {"recentRuns": [_run("beat-29000000", "Failed", "2026-01-01T00:00:01Z",
                                    "2026-01-01T00:00:20Z")]}
    assert lost_run_record(FAILED_JOB, [OOM_POD], reported) is None
    assert lost_run_record({"metadata": {"name": "x"}, "status": {"active": 1}}, [], {}) is None


def test_a_failed_job_older_than_the_whole_history_was_aged_out_not_lost() -> None:
    full = {"recentRuns": [_run(f"beat-{i}", "Succeeded", f"2026-01-0{i}T00:00:00Z")
                           for i in range(2, 4)]}
    assert lost_run_record(FAILED_JOB, [OOM_POD], full, history_limit=2) is None
    assert lost_run_record(FAILED_JOB, [OOM_POD], full, history_limit=3) is not None


def test_history_stays_newest_first_whatever_order_records_arrive_in() -> None:
    status = {"recentRuns": [_run("new", "Succeeded", "2026-01-03T00:00:00Z")]}
    patch = merge_run(status, _run("old", "Failed", "2026-01-01T00:00:00Z",
                                   "2026-01-01T00:00:09Z"), history_limit=5)
    assert [r["id"] for r in patch["recentRuns"]] == ["new", "old"]
