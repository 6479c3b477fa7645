"""How runs are merged into status, and how the operator records a run whose pod died."""

from __future__ import annotations

from typing import Any

from job_operator.runs.lost import lost_run_record
from job_runner.api import DynamicJobStatus, RunRecord, RunResult, read_status, status_patch
from job_runner.report import merge_run


def _run(run_id: str, result: RunResult, started: str, finished: str | None = None,
         ) -> RunRecord:
    return RunRecord(id=run_id, result=result, started_at=started, finished_at=finished)


def _status(*runs: RunRecord) -> DynamicJobStatus:
    return DynamicJobStatus(recent_runs=list(runs))


def _stored_runs(*runs: RunRecord) -> list[RunRecord]:
    """The runs as a status holding ``runs`` reads back once stored."""
    return read_status(status_patch(_status(*runs))).recent_runs


def _ids(status: DynamicJobStatus) -> list[str]:
    return [r.id for r in status.recent_runs]


def test_a_final_record_replaces_its_running_mark_and_history_is_bounded() -> None:
    status = _status(_run("b", "Running", "2026-01-02T00:00:00Z"),
                     _run("a", "Succeeded", "2026-01-01T00:00:00Z", "2026-01-01T00:00:05Z"))
    merged = merge_run(status, _run("b", "Failed", "2026-01-02T00:00:00Z",
                                    "2026-01-02T00:00:09Z"), history_limit=2)
    assert [(r.id, r.result) for r in merged.recent_runs] == [("b", "Failed"),
                                                              ("a", "Succeeded")]
    assert merged.last_run is not None and merged.last_run.id == "b"
    assert merged.last_failure_time == "2026-01-02T00:00:09Z"
    bounded = merge_run(merged, _run("c", "Running", "2026-01-03T00:00:00Z"), history_limit=2)
    assert _ids(bounded) == ["c", "b"]


def test_a_late_report_of_an_older_run_does_not_become_last_run() -> None:
    status = _status(_run("new", "Running", "2026-01-02T00:00:00Z"))
    merged = merge_run(status, _run("old", "Succeeded", "2026-01-01T00:00:00Z",
                                    "2026-01-01T00:01:00Z"), history_limit=5)
    assert merged.last_run is not None and merged.last_run.id == "new"
    assert merged.last_successful_time == "2026-01-01T00:01:00Z"


def test_two_runs_in_the_same_second_are_ordered_by_their_milliseconds() -> None:
    """Newest first, whichever arrives last, and also beside a record an older version
    wrote with whole seconds (as text, "...:00Z" would sort after "...:00.900Z")."""
    first = _run("first", "Succeeded", "2026-12-01T10:00:00.100Z", "2026-12-01T10:00:00.400Z")
    second = _run("second", "Failed", "2026-12-01T10:00:00.900Z", "2026-12-01T10:00:00.950Z")
    legacy = _run("legacy", "Succeeded", "2026-12-01T10:00:00Z", "2026-12-01T10:00:00Z")
    for arrival in ([first, second], [second, first]):
        status = _status(legacy)
        for record in arrival:
            status = read_status(status_patch(merge_run(status, record, history_limit=5)))
        assert _ids(status) == ["second", "first", "legacy"]
        assert status.last_run is not None and status.last_run.id == "second"
    late = merge_run(_status(second), _run("late", "Succeeded", "2026-12-01T10:00:00.500Z",
                                           "2026-12-01T10:00:01Z"), history_limit=5)
    assert late.last_successful_time == "2026-12-01T10:00:01Z"
    older = merge_run(DynamicJobStatus(last_successful_time="2026-12-01T10:00:01Z"),
                      first, history_limit=5)
    assert older.last_successful_time == "2026-12-01T10:00:01Z", "the later time stays"


def test_the_runners_patch_holds_only_its_own_fields_in_the_api_form() -> None:
    record = _run("a", "Succeeded", "2026-12-01T10:00:00.100Z", "2026-12-01T10:00:00.400Z")
    patch: dict[str, Any] = status_patch(merge_run(DynamicJobStatus(), record, 5))
    assert set(patch) == {"lastRun", "recentRuns", "lastSuccessfulTime"}
    assert patch["lastRun"] == patch["recentRuns"][0]
    assert patch["lastRun"]["startedAt"] == "2026-12-01T10:00:00.100Z"
    assert "parameterOverrides" not in patch["lastRun"], "empty extras are left out"


FAILED_JOB = {
    "metadata": {"name": "beat-29000000"},
    "status": {"startTime": "2026-01-01T00:00:00Z", "conditions": [
        {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
         "lastTransitionTime": "2026-01-01T00:00:30Z"}]},
}
OOM_POD = {"status": {"containerStatuses": [
    {"state": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}}}]}}


def test_a_failed_job_without_a_runner_record_becomes_a_failed_run() -> None:
    record = lost_run_record(FAILED_JOB, [OOM_POD], _stored_runs(
        _run("beat-29000000", "Running", "2026-01-01T00:00:01Z")))
    assert record is not None
    assert record.result == "Failed"
    assert "OOMKilled (exit code 137)" in record.message
    assert (record.started_at, record.finished_at) == (
        "2026-01-01T00:00:00.000Z", "2026-01-01T00:00:30.000Z"), "in the API's one form"


def test_a_job_past_its_deadline_is_timed_out() -> None:
    job = {**FAILED_JOB, "status": {**FAILED_JOB["status"], "conditions": [
        {"type": "Failed", "status": "True", "reason": "DeadlineExceeded",
         "message": "Job was active longer than specified deadline",
         "lastTransitionTime": "2026-01-01T01:00:30Z"}]}}
    record = lost_run_record(job, [], [])
    assert record is not None and record.result == "TimedOut"
    assert "deadline" in record.message


def test_an_evicted_pod_names_the_eviction() -> None:
    evicted = {"status": {"reason": "Evicted", "message": "The node was low on memory."}}
    record = lost_run_record(FAILED_JOB, [evicted], [])
    assert record is not None and "Evicted: The node was low on memory." in record.message


def test_a_run_the_runner_reported_or_a_job_still_running_needs_nothing() -> None:
    reported = _stored_runs(_run("beat-29000000", "Failed", "2026-01-01T00:00:01Z",
                                 "2026-01-01T00:00:20Z"))
    assert lost_run_record(FAILED_JOB, [OOM_POD], reported) is None
    assert lost_run_record({"metadata": {"name": "x"}, "status": {"active": 1}}, [], []) is None


def test_a_failed_job_older_than_the_whole_history_was_aged_out_not_lost() -> None:
    full = _stored_runs(*(_run(f"beat-{i}", "Succeeded", f"2026-01-0{i}T00:00:00Z")
                          for i in range(2, 4)))
    assert lost_run_record(FAILED_JOB, [OOM_POD], full, history_limit=2) is None
    assert lost_run_record(FAILED_JOB, [OOM_POD], full, history_limit=3) is not None


def test_history_stays_newest_first_whatever_order_records_arrive_in() -> None:
    status = _status(_run("new", "Succeeded", "2026-01-03T00:00:00Z"))
    merged = merge_run(status, _run("old", "Failed", "2026-01-01T00:00:00Z",
                                    "2026-01-01T00:00:09Z"), history_limit=5)
    assert _ids(merged) == ["new", "old"]
