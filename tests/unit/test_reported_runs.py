"""What the operator records from a run's Job and pods: Running when the Job has a pod,
the runner's record from the termination message, and nothing twice."""

from __future__ import annotations

import json
from typing import Any

from job_operator.runs.reported import (
    is_recorded,
    job_finished,
    needs_writing,
    reported_run,
    started_run,
)
from job_runner.api import (
    DynamicJobStatus,
    NotificationRecord,
    RunRecord,
    read_status,
    status_patch,
)
from job_runner.contract import (
    ANNOTATION_NOTIFIES_RUN,
    ANNOTATION_RUN_PARAMETERS,
    ANNOTATION_TRIGGER,
    ENV_SPEC,
)
from job_runner.termination import termination_message


def _job(status: dict[str, Any], annotations: dict[str, str] | None = None,
         dry_run: bool = False) -> dict[str, Any]:
    spec = {"template": "heartbeat", "schedule": "* * * * *", "dryRun": dry_run}
    return {
        "metadata": {"name": "beat-manual-1", "namespace": "ops",
                     "annotations": annotations or {}},
        "spec": {"template": {"spec": {"containers": [{
            "name": "runner", "env": [{"name": ENV_SPEC, "value": json.dumps(spec)}]}]}}},
        "status": status,
    }


def _pod(message: str | None) -> dict[str, Any]:
    terminated: dict[str, Any] = {"exitCode": 1, "reason": "Error"}
    if message is not None:
        terminated["message"] = message
    return {"status": {"containerStatuses": [{"name": "runner",
                                              "state": {"terminated": terminated}}]}}


def _recent(*records: RunRecord) -> list[RunRecord]:
    """The runs as a status holding ``records`` reads back once stored."""
    return read_status(status_patch(DynamicJobStatus(
        recent_runs=list(records), last_run=records[0]))).recent_runs


STARTED = "2026-12-01T10:00:00Z"
FINISHED_RECORD = RunRecord(id="beat-manual-1", result="Succeeded", trigger="Manual",
                            started_at="2026-12-01T10:00:01.000Z",
                            finished_at="2026-12-01T10:00:02.000Z")


def test_a_job_with_a_pod_is_a_running_run_with_its_trigger_and_overrides() -> None:
    job = _job({"active": 1, "startTime": STARTED},
               {ANNOTATION_TRIGGER: "Manual", ANNOTATION_RUN_PARAMETERS: '{"message": "x"}'},
               dry_run=True)
    record = started_run(job)
    assert record is not None
    assert (record.id, record.result, record.trigger, record.attempts, record.dry_run) == (
        "beat-manual-1", "Running", "Manual", 0, True)
    assert record.parameter_overrides == {"message": "x"}
    assert record.started_at is not None and record.started_at.startswith("2026-12-01T10:00:00")


def test_a_job_without_a_pod_finished_or_notifying_is_not_running() -> None:
    assert started_run(_job({})) is None
    assert started_run(_job({"active": 1, "conditions": [
        {"type": "Complete", "status": "True"}]})) is None
    assert started_run(_job({"active": 1}, {ANNOTATION_NOTIFIES_RUN: "beat-1"})) is None
    assert job_finished(_job({"conditions": [{"type": "Failed", "status": "True"}]}))
    assert not job_finished(_job({"conditions": [{"type": "Failed", "status": "False"}]}))


def test_the_runners_record_comes_from_the_first_pod_that_left_one() -> None:
    message = termination_message(FINISHED_RECORD).decode()
    assert reported_run([_pod(None), _pod("not json"), _pod(message)]) == FINISHED_RECORD
    assert reported_run([_pod(None)]) is None
    assert reported_run([{"status": {}}]) is None


def test_running_is_written_once_and_never_over_a_finished_record() -> None:
    running = RunRecord(id="beat-manual-1", result="Running", attempts=0, started_at=STARTED)
    assert needs_writing(running, [])
    assert not needs_writing(running, _recent(running))
    assert not needs_writing(running, _recent(FINISHED_RECORD))


def test_a_finished_record_replaces_running_or_a_guess_but_not_itself() -> None:
    guessed = FINISHED_RECORD.model_copy(update={"result": "Failed", "message": "lost"})
    running = RunRecord(id="beat-manual-1", result="Running", attempts=0, started_at=STARTED)
    assert needs_writing(FINISHED_RECORD, _recent(running))
    assert needs_writing(FINISHED_RECORD, _recent(guessed))
    assert not needs_writing(FINISHED_RECORD, _recent(FINISHED_RECORD))


def test_a_recorded_run_needs_no_pod_read() -> None:
    """A restart lists every Job again: a run already recorded is decided on the status."""
    assert is_recorded("beat-manual-1", _recent(FINISHED_RECORD))
    running = RunRecord(id="beat-manual-1", result="Running", attempts=0, started_at=STARTED)
    assert not is_recorded("beat-manual-1", _recent(running))
    missed = RunRecord(id="beat-1", result="Missed", started_at=STARTED, attempts=0)
    assert not is_recorded("beat-1", _recent(missed), notified=True)
    told = missed.model_copy(update={"notifications": [
        NotificationRecord(template="email-notification", result="Succeeded")]})
    assert is_recorded("beat-1", _recent(told), notified=True)
